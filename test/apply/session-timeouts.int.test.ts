/**
 * The worker's Postgres sessions carry their limits, and each limit that fires is a retryable failure,
 * never a data error or a fatal one: a lock wait (55P03), a slow statement (57014), and a consumer cut
 * off in the middle of a batch transaction, whose session the server ends once it has sat idle in the
 * transaction for --pg-idle-in-transaction-timeout, freeing the partition's offset-row lock. Every
 * handler here connects through a fault proxy, which also lets the test close its connections.
 */
import { expect } from 'chai';
import pg from 'pg';
import { consumerDefaults } from '../../lib/consumer/defaults.js';
import { createTaskHandler, poolConfig } from '../../lib/apply/tasks.js';
import { qualified } from '../../lib/postgres/index.js';
import { shippedMapping } from '../../lib/sinks/mapping.js';
import { type ApplyTask, packBatch, type TaskFailure, type WorkerConfig, type WorkerTask } from '../../lib/worker-protocol.js';
import { TcpProxy } from '../../lib/devstack/tcp-proxy.js';
import { testStack, withTestSchema } from '../support/stack.js';

const uuid = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
const userCreate = (n: number) =>
  Buffer.from(
    JSON.stringify({ event_type: 'CREATE', user_id: uuid(n), name: `user ${n}`, dob: '1990-01-02', created_at: '2025-07-01T12:00:00Z' }),
  );

type Handler = (task: WorkerTask) => Promise<unknown>;

async function until<T>(what: string, ms: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('apply/session timeouts (integration)', () => {
  let schema: string;
  let drop: () => Promise<void>;
  let proxy: TcpProxy;
  let admin: pg.Client;
  /** Watches pg_stat_activity from outside any transaction: inside one, Postgres keeps showing its first snapshot. */
  let observer: pg.Client;

  before(function () {
    if (!new URL(testStack().databaseUrl).hostname) this.skip(); // a Unix socket cannot be proxied
  });

  beforeEach(async () => {
    ({ schema, drop } = await withTestSchema('timeouts'));
    const url = new URL(testStack().databaseUrl);
    proxy = await TcpProxy.start({ host: url.hostname.replace(/^\[|\]$/g, ''), port: Number(url.port || 5432) });
    admin = new pg.Client({ connectionString: testStack().databaseUrl });
    observer = new pg.Client({ connectionString: testStack().databaseUrl });
    await Promise.all([admin.connect(), observer.connect()]);
  });

  afterEach(async () => {
    await Promise.all([admin.end(), observer.end()]);
    await proxy.close(); // ends every connection the handlers opened
    await drop();
  });

  /** The worker's configuration as the engine builds it (default limits unless overridden), through the proxy. */
  function workerConfig(overrides: Partial<WorkerConfig> = {}): WorkerConfig {
    const url = new URL(testStack().databaseUrl);
    url.hostname = proxy.host;
    url.port = String(proxy.port);
    const d = consumerDefaults;
    return {
      databaseUrl: url.toString(),
      dbSchema: schema,
      groupId: 'g',
      maxValueBytes: d.maxValueBytes,
      schemaRegistry: undefined,
      schemaRegistryAuth: undefined,
      maxConnections: 2,
      pgIdleInTransactionTimeoutMs: d.pgIdleInTransactionTimeoutMs,
      pgLockTimeoutMs: d.pgLockTimeoutMs,
      pgStatementTimeoutMs: d.pgStatementTimeoutMs,
      pgQueryTimeoutMs: d.pgQueryTimeoutMs,
      pgKeepaliveMs: d.pgKeepaliveMs,
      mapping: shippedMapping('seed'),
      ...overrides,
    };
  }

  async function migratedHandler(overrides: Partial<WorkerConfig> = {}): Promise<Handler> {
    const handle = createTaskHandler(workerConfig(overrides));
    expect(await handle({ kind: 'migrate', apply: true })).to.include({ ok: true });
    return handle;
  }

  const applyTask = (count: number): ApplyTask => ({
    kind: 'apply',
    topic: 'users',
    partition: 0,
    sink: 'users',
    batch: packBatch(Array.from({ length: count }, (_, i) => ({ offset: i, key: uuid(i), value: userCreate(i) }))),
    deadLetterOrphans: false,
  });

  /** Holds the partition's offset row locked, as a second owner's transaction would, until `release`. */
  async function lockOffsetRow(): Promise<{ release: () => Promise<void> }> {
    const offsets = qualified(schema, 'cdc_offsets');
    await admin.query(`INSERT INTO ${offsets} (group_id, topic, partition, next_offset) VALUES ('g', 'users', 0, 0)`);
    await admin.query('BEGIN');
    await admin.query(`SELECT * FROM ${offsets} WHERE group_id = 'g' AND topic = 'users' AND partition = 0 FOR UPDATE`);
    return {
      release: async () => {
        await admin.query('COMMIT');
      },
    };
  }

  /** The pid of our session waiting on a lock in this test's schema. */
  const waitingSession = () =>
    until('the worker session to wait on the lock', 10_000, async () => {
      const { rows } = await observer.query<{ pid: number }>(
        `SELECT pid FROM pg_stat_activity
          WHERE application_name = 'cdc-pipeline' AND wait_event_type = 'Lock' AND position($1 in query) > 0`,
        [schema],
      );
      return rows[0]?.pid;
    });

  async function userCount(): Promise<number> {
    const { rows } = await admin.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${qualified(schema, 'users')}`);
    return rows[0]?.n ?? -1;
  }

  it("sets the limits on every pooled session: statement, lock, idle-in-transaction timeouts and the server's keepalive", async () => {
    const settings = async (config: WorkerConfig) => {
      const pool = new pg.Pool(poolConfig(config));
      try {
        const { rows } = await pool.query<{ name: string; setting: string }>(
          `SELECT name, setting FROM pg_settings
            WHERE name IN ('statement_timeout', 'lock_timeout', 'idle_in_transaction_session_timeout', 'application_name',
                           'tcp_keepalives_idle', 'tcp_keepalives_interval', 'tcp_keepalives_count')`,
        );
        return Object.fromEntries(rows.map((r) => [r.name, r.setting]));
      } finally {
        await pool.end();
      }
    };
    expect(await settings(workerConfig())).to.deep.equal({
      application_name: 'cdc-pipeline',
      statement_timeout: '60000',
      lock_timeout: '30000',
      idle_in_transaction_session_timeout: '10000',
      tcp_keepalives_idle: '10',
      tcp_keepalives_interval: '1',
      tcp_keepalives_count: '10',
    });
    const custom = await settings(
      workerConfig({ pgStatementTimeoutMs: 1500, pgLockTimeoutMs: 700, pgIdleInTransactionTimeoutMs: 0, pgKeepaliveMs: 0 }),
    );
    expect(custom).to.include({ statement_timeout: '1500', lock_timeout: '700' });
    // 0 sets nothing: the session has what a plain session of the same server has.
    const { rows } = await admin.query<{ name: string; setting: string }>(
      "SELECT name, setting FROM pg_settings WHERE name IN ('idle_in_transaction_session_timeout', 'tcp_keepalives_idle')",
    );
    expect(custom).to.include(Object.fromEntries(rows.map((r) => [r.name, r.setting])));
  });

  it('a lock wait past --pg-lock-timeout fails the batch as retryable (55P03), and it applies once the lock is free', async () => {
    const handle = await migratedHandler({ pgLockTimeoutMs: 300 });
    const holder = await lockOffsetRow();
    const failed = (await handle(applyTask(3))) as TaskFailure;
    expect(failed.ok).to.equal(false);
    expect(failed.error).to.include({ sqlState: '55P03', canRetry: true });
    expect(failed.error.fatal).to.equal(undefined);
    await holder.release();
    expect(await handle(applyTask(3))).to.deep.include({ ok: true, status: 'applied', nextOffset: 3 });
    expect(await userCount()).to.equal(3);
  });

  it('a statement past --pg-statement-timeout is canceled by the server (57014) and is retryable', async () => {
    const handle = await migratedHandler({ pgLockTimeoutMs: 0, pgStatementTimeoutMs: 300 });
    const holder = await lockOffsetRow();
    const failed = (await handle(applyTask(3))) as TaskFailure;
    expect(failed.error).to.include({ sqlState: '57014', canRetry: true });
    expect(failed.error.message).to.match(/statement timeout/);
    await holder.release();
    expect(await handle(applyTask(3))).to.deep.include({ ok: true, status: 'applied', nextOffset: 3 });
  });

  it("the schema session too: waiting past --pg-lock-timeout for another process's migration is retryable, not fatal", async () => {
    await admin.query('BEGIN');
    await admin.query('SELECT pg_advisory_xact_lock(hashtext($1), hashtext($2))', ['cdc-pipeline:schema', schema]);
    const handle = createTaskHandler(workerConfig({ pgLockTimeoutMs: 300 }));
    const failed = (await handle({ kind: 'migrate', apply: true })) as TaskFailure;
    expect(failed.ok).to.equal(false);
    expect(failed.error.canRetry).to.equal(true);
    expect(failed.error.message).to.contain('55P03');
    await admin.query('COMMIT');
    expect(await handle({ kind: 'migrate', apply: true })).to.include({ ok: true });
  });

  it('a consumer cut off mid-transaction: the server ends its idle session within the bound, freeing the offset row; the retry applies on a new connection', async () => {
    const idleMs = 1000;
    const handle = await migratedHandler({ pgIdleInTransactionTimeoutMs: idleMs, pgQueryTimeoutMs: 4000 });
    const holder = await lockOffsetRow();
    const cutOff = handle(applyTask(3)) as Promise<TaskFailure>;
    const pid = await waitingSession();
    // The link goes dark while our session waits; once the lock is free the session takes it and answers
    // into the blackhole, then sits idle in its transaction holding the offset row.
    proxy.blackhole();
    await holder.release();
    const releasedAt = Date.now();
    await until('the server to end the idle-in-transaction session', idleMs + 15_000, async () => {
      const { rowCount } = await observer.query('SELECT 1 FROM pg_stat_activity WHERE pid = $1', [pid]);
      return rowCount === 0 ? true : undefined;
    });
    // The server waited for the limit: it was not something else that ended the session.
    expect(Date.now() - releasedAt).to.be.at.least(idleMs - 50);
    // The partition's offset row is free again, and nothing of the cut-off batch was committed.
    await admin.query('BEGIN');
    await admin.query(`SELECT 1 FROM ${qualified(schema, 'cdc_offsets')} WHERE group_id = 'g' FOR UPDATE NOWAIT`);
    await admin.query('COMMIT');
    expect(await userCount()).to.equal(0);
    // The worker gives up on the connection by itself (no answer within --pg-query-timeout): retryable.
    const failed = await cutOff;
    expect(failed.ok).to.equal(false);
    expect(failed.error.canRetry).to.equal(true);
    expect(proxy.counters().droppedDown).to.be.above(0);
    // The link is back: the retry runs on a new connection and applies the batch exactly once.
    proxy.pass();
    const accepted = proxy.counters().accepted;
    expect(await handle(applyTask(3))).to.deep.include({ ok: true, status: 'applied', nextOffset: 3 });
    expect(proxy.counters().accepted).to.equal(accepted + 1);
    expect(await userCount()).to.equal(3);
  });
});
