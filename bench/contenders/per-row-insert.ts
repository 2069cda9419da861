/**
 * per-row-insert: the old design (the Go consumer), written as well as that design allows.
 *
 * One node-rdkafka consumer; each partition has its own sequential worker and its own Postgres
 * connection, as the Go program had a goroutine per partition, so partitions run in parallel and
 * Postgres can group their commits. Per message: JSON.parse, one prepared statement in its own
 * transaction (autocommit), then one offset commit for that message (asynchronous, so the next row
 * does not wait for the broker's answer). A user's soft delete marks their orders deleted through a
 * trigger, as the Go schema did. An order whose user is not there yet is retried after a short wait,
 * blocking only its own partition. It runs for a fixed time on the first events (it is far too slow to
 * drain the whole backlog in a benchmark); the tables are then checked against the model of exactly
 * the offsets it committed.
 */
import type Kafka from 'node-rdkafka';
import pg from 'pg';
import { CdcError } from '../../lib/errors.js';
import { qualified, quoteIdent } from '../../lib/postgres/index.js';
import { connectConsumer, consumeBatch, disconnectConsumer, sleep } from './kafka.js';
import type { Contender, ContenderContext, ContenderRun } from './types.js';
import { decodeEvent, type OrderOp, type UserOp } from './wire.js';

/** Messages queued per partition before its fetching pauses. */
const QUEUE_HIGH = 2000;
const QUEUE_LOW = 500;
/** An order waiting for its user: first retry after this long, doubling up to the cap. */
const ORPHAN_RETRY_MS = 5;
const ORPHAN_RETRY_MAX_MS = 100;
const ORPHAN_GIVE_UP_MS = 120_000;
const RETRYABLE_SQLSTATES = new Set(['40001', '40P01']);

interface Statements {
  userCreate: string;
  userUpdate: string;
  userDelete: string;
  orderCreate: string;
  orderUpdate: string;
  orderDelete: string;
}

function statements(schema: string): Statements {
  const users = qualified(schema, 'users');
  const orders = qualified(schema, 'orders');
  return {
    userCreate: `INSERT INTO ${users} (id, name, dob, created_at, modified_at, is_deleted) VALUES ($1, $2, $3, $4, $4, false)
      ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, dob = EXCLUDED.dob, created_at = EXCLUDED.created_at,
        modified_at = EXCLUDED.modified_at, is_deleted = false`,
    userUpdate: `UPDATE ${users} SET name = $2, modified_at = $3 WHERE id = $1`,
    // The trigger installed below marks the user's orders deleted.
    userDelete: `UPDATE ${users} SET is_deleted = true, modified_at = $2 WHERE id = $1`,
    // FOR SHARE on the user: a concurrent soft delete of that user either commits first (and we copy its
    // is_deleted) or waits for us (and its trigger then sees this order). No row inserted = no user yet.
    orderCreate: `INSERT INTO ${orders} (id, status, user_id, quantity, total_amount, placed_at, modified_at, is_deleted)
      SELECT $1, $2, u.id, $4, $5, $6, $6, u.is_deleted FROM (SELECT id, is_deleted FROM ${users} WHERE id = $3 FOR SHARE) u
      ON CONFLICT (id) DO UPDATE SET status = EXCLUDED.status, user_id = EXCLUDED.user_id, quantity = EXCLUDED.quantity,
        total_amount = EXCLUDED.total_amount, placed_at = EXCLUDED.placed_at, modified_at = EXCLUDED.modified_at,
        is_deleted = EXCLUDED.is_deleted`,
    orderUpdate: `UPDATE ${orders} SET status = $2, modified_at = $3 WHERE id = $1`,
    orderDelete: `UPDATE ${orders} SET status = $2, modified_at = $3, is_deleted = true WHERE id = $1`,
  };
}

/** The Go schema's soft-delete trigger, in this run's schema. */
async function installTrigger(client: pg.ClientBase, schema: string): Promise<void> {
  const fn = qualified(schema, 'cascade_user_soft_delete');
  await client.query(`CREATE FUNCTION ${fn}() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      UPDATE ${qualified(schema, 'orders')} SET is_deleted = true WHERE user_id = NEW.id AND is_deleted IS DISTINCT FROM true;
      RETURN NULL;
    END $$`);
  await client.query(
    `CREATE TRIGGER ${quoteIdent('users_soft_delete')} AFTER UPDATE OF is_deleted ON ${qualified(schema, 'users')}
     FOR EACH ROW WHEN (NEW.is_deleted AND NOT OLD.is_deleted) EXECUTE FUNCTION ${fn}()`,
  );
}

class PartitionWorker {
  readonly queue: Kafka.Message[] = [];
  paused = false;
  /** Next offset to apply (everything below is committed), and next offset to accept from Kafka. */
  nextOffset = 0;
  acceptFrom = 0;
  running: Promise<void> | undefined;

  constructor(
    readonly topic: string,
    readonly partition: number,
    readonly client: pg.Client,
  ) {}
}

async function applyOne(client: pg.Client, sql: Statements, message: Kafka.Message, stopping: () => boolean): Promise<boolean> {
  const e = decodeEvent(message.value as Buffer);
  const run = async (name: string, text: string, values: unknown[]) => {
    for (let attempt = 0; ; attempt++) {
      try {
        return await client.query({ name, text, values });
      } catch (err) {
        if (!RETRYABLE_SQLSTATES.has((err as { code?: string }).code ?? '') || attempt > 20) throw err;
        await sleep(5 * (attempt + 1));
      }
    }
  };
  if (e.entity === 'user') {
    const u = e as UserOp;
    if (u.op === 'CREATE') await run('uc', sql.userCreate, [u.id, u.name, u.dob, u.createdAt]);
    else if (u.op === 'UPDATE') await run('uu', sql.userUpdate, [u.id, u.name, u.modifiedAt]);
    else await run('ud', sql.userDelete, [u.id, u.modifiedAt]);
    return true;
  }
  const o = e as OrderOp;
  if (o.op === 'UPDATE') {
    await run('ou', sql.orderUpdate, [o.id, o.status, o.modifiedAt]);
    return true;
  }
  if (o.op === 'DELETE') {
    await run('od', sql.orderDelete, [o.id, o.status, o.modifiedAt]);
    return true;
  }
  const started = Date.now();
  for (let wait = ORPHAN_RETRY_MS; ; wait = Math.min(ORPHAN_RETRY_MAX_MS, wait * 2)) {
    const r = await run('oc', sql.orderCreate, [o.id, o.status, o.userId, o.quantity, o.total, o.placedAt]);
    if ((r.rowCount ?? 0) > 0) return true;
    // The user has not been written yet (its topic is behind): wait, as the engine does.
    if (stopping()) return false;
    if (Date.now() - started > ORPHAN_GIVE_UP_MS) throw new CdcError('ERR_CDC_INTERNAL', `order ${o.id}: user ${o.userId} never arrived`);
    await sleep(wait);
  }
}

export const perRowInsert: Contender = {
  name: 'per-row-insert',
  describe: 'node-rdkafka; per partition one worker and one connection; per message one INSERT/UPDATE (autocommit) and one offset commit',

  async run(ctx: ContenderContext): Promise<ContenderRun> {
    const sql = statements(ctx.schema);
    const total = ctx.dataset.total;
    // One connection per partition, opened before the clock starts.
    const clients: pg.Client[] = [];
    const workers = new Map<string, PartitionWorker>();
    try {
      for (const p of ctx.dataset.partitions) {
        const client = new pg.Client({ connectionString: ctx.databaseUrl });
        await client.connect();
        clients.push(client);
        workers.set(`${p.topic}/${p.partition}`, new PartitionWorker(p.topic, p.partition, client));
      }
      await installTrigger(clients[0] as pg.Client, ctx.schema);

      const consumer = await connectConsumer(ctx.brokers, ctx.group, [ctx.topics.users, ctx.topics.orders]);
      let firstAt: number | undefined;
      let lastCommitAt = 0;
      let applied = 0;
      let stopping = false;
      let failure: unknown;
      const isStopping = () => stopping;

      const drain = async (w: PartitionWorker) => {
        while (w.queue.length > 0 && !stopping) {
          const m = w.queue[0] as Kafka.Message;
          if (!(await applyOne(w.client, sql, m, isStopping))) break;
          w.queue.shift();
          // One commit per message: the offset after it.
          consumer.commitMessage(m);
          w.nextOffset = m.offset + 1;
          applied++;
          lastCommitAt = Date.now();
          if (applied >= total || (firstAt !== undefined && lastCommitAt - firstAt >= ctx.plan.perRowMs)) stopping = true;
          if (w.paused && w.queue.length < QUEUE_LOW) {
            w.paused = false;
            consumer.resume([{ topic: w.topic, partition: w.partition }]);
          }
        }
      };
      const kick = (w: PartitionWorker) => {
        if (w.running) return;
        w.running = drain(w)
          .catch((err) => {
            failure ??= err;
            stopping = true;
          })
          .finally(() => {
            w.running = undefined;
            if (!stopping && w.queue.length > 0) kick(w);
          });
      };

      try {
        while (!stopping) {
          const messages = await consumeBatch(consumer, 500);
          if (messages.length > 0) firstAt ??= Date.now();
          for (const m of messages) {
            const w = workers.get(`${m.topic}/${m.partition}`);
            if (!w || m.offset < w.acceptFrom) continue;
            w.acceptFrom = m.offset + 1;
            w.queue.push(m);
            if (!w.paused && w.queue.length > QUEUE_HIGH) {
              w.paused = true;
              consumer.pause([{ topic: w.topic, partition: w.partition }]);
            }
            kick(w);
          }
          if (messages.length === 0) await sleep(1);
        }
        await Promise.all([...workers.values()].map((w) => w.running));
      } finally {
        await disconnectConsumer(consumer);
      }
      if (failure) throw failure;
      const seconds = firstAt === undefined ? 0 : (lastCommitAt - firstAt) / 1000;
      const appliedOffsets = new Map([...workers].map(([key, w]) => [key, w.nextOffset]));
      return {
        events: applied,
        seconds,
        applied: applied >= total ? undefined : appliedOffsets,
        ...(firstAt === undefined ? {} : { span: { from: firstAt, to: lastCommitAt } }),
      };
    } finally {
      await Promise.allSettled(clients.map((c) => c.end()));
    }
  },
};
