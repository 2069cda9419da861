/**
 * The worker thread's task handler: everything that touches Postgres runs here, never on the main
 * thread. Results and errors go back as plain objects (see lib/worker-protocol.ts).
 */
import pg from 'pg';
import { redactSecrets } from '../config/redact.js';
import { workerDefaults } from '../consumer/defaults.js';
import { CdcError, toPlainError } from '../errors.js';
import { fatalReason } from '../postgres/errors.js';
import { qualified } from '../postgres/identifiers.js';
import { serverKeepaliveSql, sessionConfig } from '../postgres/session.js';
import { applySchema } from '../postgres/schema.js';
import { prepareSinkTables } from '../sinks/tables.js';
import { BatchApplier } from './batch.js';
import type {
  MigrateResult,
  MoveOffsetsTask,
  PingResult,
  StoredOffsetsResult,
  StoredOffsetsTask,
  TaskFailure,
  WorkerConfig,
  WorkerTask,
} from '../worker-protocol.js';

/**
 * The configuration of the one pool all of a worker's tasks use (schema application included), so
 * every session carries the limits that keep a frozen or cut-off consumer from holding its locks
 * (lib/postgres/session.ts). The server's keepalive is set once per new connection, before the
 * connection is handed out.
 */
export function poolConfig(config: WorkerConfig): pg.PoolConfig {
  const keepalive = serverKeepaliveSql(config);
  return {
    ...sessionConfig(config, 'cdc-pipeline'),
    max: config.maxConnections,
    idleTimeoutMillis: workerDefaults.poolIdleTimeoutMs,
    connectionTimeoutMillis: workerDefaults.connectTimeoutMs,
    onConnect:
      keepalive === undefined
        ? undefined
        : async (client) => {
            await client.query(keepalive);
          },
  };
}

export function createTaskHandler(config: WorkerConfig): (task: WorkerTask) => Promise<unknown> {
  const pool = new pg.Pool(poolConfig(config));
  // An idle connection that dies (server restart) is dropped by the pool; the next batch reconnects.
  pool.on('error', () => {});
  const applier = new BatchApplier(config, pool);

  async function migrate(apply: boolean): Promise<MigrateResult> {
    const client = await pool.connect();
    let broken: Error | undefined;
    const onError = (err: Error) => {
      broken = err; // see batch.ts: keep a server-ended session from killing the thread
    };
    client.on('error', onError);
    try {
      if (apply) {
        const result = await applySchema(client, config.dbSchema);
        const tables = await prepareSinkTables(client, config.mapping, config.dbSchema, true);
        return { ok: true, version: result.version, applied: result.applied, createdTables: tables.created };
      }
      const { rows } = await client.query<{ missing: string[] }>(
        `SELECT array_agg(t) FILTER (WHERE to_regclass(format('%I.%I', $1::text, t)) IS NULL) AS missing
           FROM unnest(ARRAY['cdc_offsets', 'cdc_dead_letters']) AS t`,
        [config.dbSchema],
      );
      const missing = rows[0]?.missing ?? [];
      if (missing && missing.length > 0) {
        throw new CdcError(
          'ERR_CDC_SCHEMA',
          `--no-migrate: schema "${config.dbSchema}" lacks ${missing.join(', ')}; run once without --no-migrate`,
        );
      }
      await prepareSinkTables(client, config.mapping, config.dbSchema, false);
      return { ok: true, version: 0, applied: [], createdTables: [] };
    } catch (err) {
      // Not reused: after a client-side query timeout the connection still waits for the lost answer.
      broken ??= err as Error;
      throw err;
    } finally {
      client.off('error', onError);
      client.release(broken);
    }
  }

  async function storedOffsets(task: StoredOffsetsTask): Promise<StoredOffsetsResult> {
    const { rows } = await pool.query<{ topic: string; partition: number; next_offset: string }>(
      `SELECT topic, partition, next_offset FROM ${qualified(config.dbSchema, 'cdc_offsets')}
        WHERE group_id = $1 AND (topic, partition) IN (SELECT * FROM unnest($2::text[], $3::int[]))`,
      [config.groupId, task.partitions.map((p) => p.topic), task.partitions.map((p) => p.partition)],
    );
    return { ok: true, offsets: rows.map((r) => ({ topic: r.topic, partition: r.partition, nextOffset: Number(r.next_offset) })) };
  }

  async function moveOffsets(task: MoveOffsetsTask): Promise<PingResult> {
    const m = task.moves;
    await pool.query(
      `UPDATE ${qualified(config.dbSchema, 'cdc_offsets')} AS o SET next_offset = m.next_offset, updated_at = now()
         FROM unnest($2::text[], $3::int[], $4::bigint[], $5::bigint[]) AS m(topic, partition, from_offset, next_offset)
        WHERE o.group_id = $1 AND (o.topic, o.partition, o.next_offset) = (m.topic, m.partition, m.from_offset)`,
      [config.groupId, m.map((x) => x.topic), m.map((x) => x.partition), m.map((x) => x.from), m.map((x) => x.to)],
    );
    return { ok: true };
  }

  return async (task: WorkerTask) => {
    try {
      switch (task.kind) {
        case 'migrate':
          return await migrate(task.apply);
        case 'stored-offsets':
          return await storedOffsets(task);
        case 'move-offsets':
          return await moveOffsets(task);
        case 'apply':
          return await applier.apply(task);
        case 'ping':
          await pool.query('SELECT 1');
          return { ok: true };
      }
    } catch (err) {
      return failure(err, config);
    }
  };
}

function failure(err: unknown, config: WorkerConfig): TaskFailure {
  // What the worker runs into that is not our own is Postgres' or the network's on the way to it.
  const plain = toPlainError(err, 'ERR_CDC_POSTGRES');
  const fatal = fatalReason(err);
  // Connection errors can carry the URL; never let a password reach a log line.
  plain.message = redactSecrets(plain.message, config.databaseUrl);
  if (fatal) {
    plain.fatal = fatal;
    plain.canRetry = false;
  } else {
    plain.canRetry = isTransient(err);
  }
  return { ok: false, error: plain };
}

/**
 * Anything Postgres or the network throws that is not known to be fatal is worth retrying: a server
 * restart ("Connection terminated unexpectedly", no SQLSTATE), a reset socket, admin shutdown (57P01),
 * serialization failures, deadlocks. Our own errors say for themselves; a programming error (TypeError
 * and the like) would fail the same way again, so it is not retried.
 */
function isTransient(err: unknown): boolean {
  if (err instanceof CdcError) return err.canRetry;
  if (err instanceof TypeError || err instanceof RangeError || err instanceof ReferenceError || err instanceof SyntaxError) return false;
  return err instanceof Error;
}
