/**
 * A worker's work on one batch: decode and validate every message, fold per key, COPY the folded rows
 * into a staging table, apply them set-based, record dead letters and advance `cdc_offsets`, all in one
 * transaction. Only a committed transaction is reported back as applied.
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { CdcError } from '../errors.js';
import { isDataError, sqlState } from '../postgres/errors.js';
import { qualified, quoteIdent } from '../postgres/identifiers.js';
import { columnDefinitions, columnNames } from '../sinks/copy-text.js';
import { groupByKey } from '../sinks/fold.js';
import { sinkFor, sinks } from '../sinks/registry.js';
import type { Sink, SinkTables, StagedCounts } from '../sinks/sink.js';
import type { BaseEvent, DeadLetterCode } from '../sinks/types.js';
import type { ApplyResult, ApplyTask, PackedMessage, WorkerConfig } from './protocol.js';
import { unpackBatch } from './protocol.js';

interface Decoded {
  message: PackedMessage;
  event: BaseEvent;
}

interface DeadLetter {
  message: PackedMessage;
  code: DeadLetterCode;
  text: string;
}

/** What one batch transaction's steps share. */
interface BatchContext {
  client: pg.ClientBase;
  sink: Sink;
  tables: SinkTables;
  /** Dead letters so far; steps add orphans and rejected rows. */
  dead: DeadLetter[];
  deadLetterOrphans: boolean;
  outcome: Outcome;
}

interface Outcome {
  upserted: number;
  patched: number;
  patchRows: number;
  /** The staging table was filled earlier in this transaction (isolation re-runs) and must be cleared. */
  staged: boolean;
}

/** Staging tables are temporary (per connection), created once per connection, emptied on commit. */
const stageName = (sink: Sink) => `cdc_stage_${sink.name}`;
const preparedConnections = new WeakSet<pg.ClientBase>();

async function prepareConnection(client: pg.ClientBase): Promise<void> {
  if (preparedConnections.has(client)) return;
  for (const sink of Object.values(sinks)) {
    await client.query(
      `CREATE TEMP TABLE IF NOT EXISTS ${quoteIdent(stageName(sink))} (${columnDefinitions(sink.stageColumns)}) ON COMMIT DELETE ROWS`,
    );
  }
  preparedConnections.add(client);
}

export class BatchApplier {
  readonly #config: WorkerConfig;
  readonly #pool: pg.Pool;
  readonly #tables: (sink: Sink) => SinkTables;
  readonly #offsetsTable: string;
  readonly #deadLettersTable: string;

  constructor(config: WorkerConfig, pool: pg.Pool) {
    this.#config = config;
    this.#pool = pool;
    const schema = config.dbSchema;
    const users = qualified(schema, 'users');
    const orders = qualified(schema, 'orders');
    this.#tables = (sink) => ({ stage: `pg_temp.${quoteIdent(stageName(sink))}`, users, orders });
    this.#offsetsTable = qualified(schema, 'cdc_offsets');
    this.#deadLettersTable = qualified(schema, 'cdc_dead_letters');
  }

  async apply(task: ApplyTask): Promise<ApplyResult> {
    const started = performance.now();
    const sink = sinkFor(task.sink);
    if (!sink) throw new CdcError('ERR_CDC_INTERNAL', `no sink named ${JSON.stringify(task.sink)}`);
    const messages = unpackBatch(task.batch);
    // Decoding is CPU work: do it before the transaction so row locks are held as briefly as possible.
    const good: Decoded[] = [];
    const dead: DeadLetter[] = [];
    for (const message of messages) {
      if (message.value !== null && message.value.length > this.#config.maxValueBytes) {
        dead.push({
          message,
          code: 'VALUE_TOO_LARGE',
          text: `value is ${message.value.length} bytes, the limit is ${this.#config.maxValueBytes}`,
        });
        continue;
      }
      const result = sink.decode(message.value);
      if (result.ok) good.push({ message, event: result.event });
      else dead.push({ message, code: result.code, text: result.message });
    }
    try {
      return await this.#transaction(task, sink, messages, good, dead, false, started);
    } catch (err) {
      if (!isDataError(err)) throw err;
      // Postgres refused something validation let through: redo the batch, isolating the bad rows.
      return await this.#transaction(task, sink, messages, good, dead, true, started);
    }
  }

  async #transaction(
    task: ApplyTask,
    sink: Sink,
    messages: PackedMessage[],
    good: Decoded[],
    deadIn: DeadLetter[],
    isolate: boolean,
    started: number,
  ): Promise<ApplyResult> {
    const client = await this.#pool.connect();
    let broken: Error | undefined;
    // A session the server ends (restart, admin shutdown) emits 'error' on the client; unhandled, that
    // would take the whole worker thread down. The running query rejects as well, which is what we act on.
    const onError = (err: Error) => {
      broken = err;
    };
    client.on('error', onError);
    try {
      await prepareConnection(client);
      await client.query('BEGIN');
      // Locks this partition's offset row: a second owner (a zombie after a rebalance) waits here and
      // then sees how far we got, so no message is ever applied twice.
      const { rows } = await client.query<{ next_offset: string }>(
        `INSERT INTO ${this.#offsetsTable} AS o (group_id, topic, partition, next_offset) VALUES ($1, $2, $3, 0)
         ON CONFLICT (group_id, topic, partition) DO UPDATE SET next_offset = o.next_offset
         RETURNING next_offset`,
        [this.#config.groupId, task.topic, task.partition],
      );
      const stored = Number(rows[0]?.next_offset ?? 0);
      const fresh = good.filter((d) => d.message.offset >= stored);
      const dead = deadIn.filter((d) => d.message.offset >= stored);
      const tables = this.#tables(sink);
      const outcome: Outcome = { upserted: 0, patched: 0, patchRows: 0, staged: false };
      if (fresh.length > 0) {
        const ctx: BatchContext = { client, sink, tables, dead, deadLetterOrphans: task.deadLetterOrphans, outcome };
        const orphans = isolate ? await this.#applyIsolating(ctx, fresh) : await this.#stageAndApply(ctx, fresh);
        if (orphans > 0) {
          await client.query('ROLLBACK');
          return { ok: true, status: 'orphans', orphans };
        }
      }
      if (dead.length > 0) {
        // Isolation may have recorded an event twice (a half rolled back after a dead letter was noted).
        const unique = [...new Map(dead.map((d) => [d.message.offset, d])).values()];
        dead.length = 0;
        dead.push(...unique);
        await this.#insertDeadLetters(client, task, dead);
      }
      const last = messages.at(-1)?.offset ?? stored - 1;
      const nextOffset = Math.max(stored, last + 1);
      await client.query(
        `UPDATE ${this.#offsetsTable} SET next_offset = $4, updated_at = now() WHERE group_id = $1 AND topic = $2 AND partition = $3`,
        [this.#config.groupId, task.topic, task.partition, nextOffset],
      );
      await client.query('COMMIT');
      const committedAt = Date.now();
      return {
        ok: true,
        status: 'applied',
        nextOffset,
        stats: {
          events: messages.length,
          skipped: messages.length - fresh.length - dead.length,
          upserted: outcome.upserted,
          patched: outcome.patched,
          noops: outcome.patchRows - outcome.patched,
          deadLetters: dead.length,
          durationMs: performance.now() - started,
          committedAt,
        },
      };
    } catch (err) {
      // A connection that failed mid-transaction is not reused; a rejected statement only needs a rollback.
      if (sqlState(err) === undefined) broken = err as Error;
      else await client.query('ROLLBACK').catch((e: Error) => (broken = e));
      throw err;
    } finally {
      client.off('error', onError);
      client.release(broken);
    }
  }

  /** Returns the number of orphans that block the batch (0 when it was applied). */
  async #stageAndApply(ctx: BatchContext, events: Decoded[]): Promise<number> {
    const { client, sink, tables, dead, outcome } = ctx;
    const groups = groupByKey(events.map((d) => d.event));
    let payload = '';
    const staged: StagedCounts = { full: 0, patch: 0, cascade: 0 };
    for (const group of groups.values()) {
      const row = sink.fold(group);
      staged[row.kind]++;
      if (row.cascade) staged.cascade++;
      payload += sink.encodeRow(row);
    }
    // Empty at the start of a transaction (ON COMMIT DELETE ROWS); only a re-run inside one must clear it.
    if (outcome.staged) await client.query(`TRUNCATE ${tables.stage}`);
    outcome.staged = true;
    await pipeline(
      Readable.from([Buffer.from(payload)]),
      client.query(copyFrom(`COPY ${tables.stage} (${columnNames(sink.stageColumns)}) FROM STDIN`)),
    );
    if (sink.findOrphans) {
      const orphanIds = await sink.findOrphans(client, tables, staged);
      if (orphanIds.length > 0) {
        if (!ctx.deadLetterOrphans) return orphanIds.length;
        // The wait is over: these orders become dead letters (every event of theirs in the batch) and
        // the rest of the batch goes on.
        const ids = new Set(orphanIds);
        await client.query(`DELETE FROM ${tables.stage} WHERE id = ANY($1::uuid[])`, [orphanIds]);
        staged.full -= orphanIds.length;
        for (const d of events) {
          if (ids.has(d.event.id)) {
            dead.push({
              message: d.message,
              code: 'ORPHAN_ORDER',
              text: `order ${d.event.id}: its user never arrived within the orphan wait`,
            });
          }
        }
      }
    }
    const result = await sink.apply(client, tables, staged);
    outcome.upserted += result.upserted;
    outcome.patched += result.patched;
    outcome.patchRows += staged.patch;
    return 0;
  }

  /**
   * Applies events under savepoints, halving on a data error until the offending events stand alone;
   * those become REJECTED_BY_POSTGRES dead letters. Halves keep offset order, so per-key order holds.
   */
  async #applyIsolating(ctx: BatchContext, events: Decoded[]): Promise<number> {
    const { client } = ctx;
    await client.query('SAVEPOINT cdc_isolate');
    try {
      const orphans = await this.#stageAndApply(ctx, events);
      await client.query('RELEASE SAVEPOINT cdc_isolate');
      return orphans;
    } catch (err) {
      if (!isDataError(err)) throw err;
      await client.query('ROLLBACK TO SAVEPOINT cdc_isolate');
      await client.query('RELEASE SAVEPOINT cdc_isolate');
      if (events.length === 1) {
        const e = err as Error & { code?: string };
        ctx.dead.push({ message: (events[0] as Decoded).message, code: 'REJECTED_BY_POSTGRES', text: `${e.message} (SQLSTATE ${e.code})` });
        return 0;
      }
      const mid = events.length >>> 1;
      const left = await this.#applyIsolating(ctx, events.slice(0, mid));
      if (left > 0) return left;
      return this.#applyIsolating(ctx, events.slice(mid));
    }
  }

  async #insertDeadLetters(client: pg.ClientBase, task: ApplyTask, dead: DeadLetter[]): Promise<void> {
    // Unique on (group, topic, partition, offset): a replayed batch cannot record a dead letter twice.
    await client.query(
      `INSERT INTO ${this.#deadLettersTable} (group_id, topic, partition, "offset", key, value, error_code, error_message)
       SELECT $1, $2, $3, d.o, d.k, d.v, d.c, d.m FROM unnest($4::bigint[], $5::bytea[], $6::bytea[], $7::text[], $8::text[]) AS d(o, k, v, c, m)
       ON CONFLICT (group_id, topic, partition, "offset") DO NOTHING`,
      [
        this.#config.groupId,
        task.topic,
        task.partition,
        dead.map((d) => d.message.offset),
        dead.map((d) => (d.message.key ? Buffer.from(d.message.key) : null)),
        dead.map((d) => (d.message.value ? Buffer.from(d.message.value) : null)),
        dead.map((d) => d.code),
        dead.map((d) => d.text),
      ],
    );
  }
}
