/**
 * A worker's work on one batch: decode and validate every message, fold per key, COPY the folded rows
 * into a staging table, apply them set-based, record dead letters and advance `cdc_offsets`, all in one
 * transaction. Only a committed transaction is reported back as applied.
 */
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { AvroDecoders } from '../avro/decoder.js';
import { SchemaRegistry } from '../avro/registry.js';
import { CdcError } from '../errors.js';
import { isDataError, sqlState } from '../postgres/errors.js';
import { qualified, quoteIdent } from '../postgres/identifiers.js';
import { foldKey, groupByKey, type StagedKind, type StagedRow } from '../sinks/fold.js';
import { compileMapping, type ParentRelation, type Sink } from '../sinks/sink.js';
import type { DeadLetterCode, DecodeResult, RowEvent, Value } from '../sinks/types.js';
import type { ApplyResult, ApplyStats, ApplyTask, PackedMessage, WorkerConfig } from '../worker-protocol.js';
import { unpackBatch } from '../worker-protocol.js';
import { statisticsGeneration, YoungTableStats } from './table-stats.js';
import { TopicSinks } from './topic-sinks.js';

const { escapeLiteral } = pg;

interface Decoded {
  message: PackedMessage;
  event: RowEvent;
}

interface DeadLetter {
  message: PackedMessage;
  /** One of the engine's DeadLetterCodes, or the orphan code the sink's mapping declares. */
  code: DeadLetterCode | ParentRelation['orphanCode'];
  text: string;
}

/** How many staged rows of each kind a batch has: statements with nothing to do are skipped. */
type StagedCounts = Record<StagedKind, number> & { cascade: number };

/** What one batch transaction's steps share. */
interface BatchContext {
  client: pg.ClientBase;
  sink: Sink;
  /** Dead letters so far; steps add orphans and rejected rows. */
  dead: DeadLetter[];
  deadLetterOrphans: boolean;
  outcome: Outcome;
  /**
   * Apply statements already prepared on this connection, held back to travel in one simple-protocol
   * query with the next statement that must run (the offset update and COMMIT, usually): each round
   * trip wakes Postgres and then this thread, which on a small batch costs more than the statement.
   * Undefined while isolating bad rows: every statement there must fail inside its own savepoint.
   */
  deferred: Deferred[] | undefined;
}

/** A held-back apply statement: `EXECUTE` of its prepared form, and which count its rows add to. */
interface Deferred {
  sql: string;
  counts: 'upserted' | 'patched' | undefined;
}

interface Outcome {
  upserted: number;
  patched: number;
  patchRows: number;
  /** The staging table was filled earlier in this transaction (isolation re-runs) and must be cleared. */
  staged: boolean;
}

/**
 * How a connection's staging table of one sink has been used since it was last reset.
 *
 * A batch empties the table as its transaction begins (in the same round trip as BEGIN), with a row
 * DELETE. Deleted rows keep their pages, and the planner estimates the table's rows from its pages: the
 * named statements, planned at their first run after an invalidation, would take a table of 16 batches'
 * worth of dead rows for one that big, and choose hash joins over sequential scans of the sink's tables
 * instead of an index probe per staged row. So after STAGE_RESET_BATCHES batches (or STAGE_RESET_ROWS
 * rows), and whenever the sink tables' statistics changed (young-table ANALYZE, which invalidates every
 * cached plan), the batch resets the table instead: TRUNCATE to zero pages and ANALYZE, which also
 * invalidates its plans, so they are made again right after this batch's COPY, on exact sizes.
 * (ON COMMIT DELETE ROWS would keep it exact, but truncates every such table of the session at every
 * commit, which costs more than a small batch: see createStage in lib/sinks/sql.ts.)
 */
interface StageUse {
  /** Whether a committed transaction left rows (true until a transaction that deleted them commits). */
  dirty: boolean;
  batches: number;
  rows: number;
  statsGeneration: number;
}

const STAGE_RESET_ROWS = 4096;
const STAGE_RESET_BATCHES = 16;

/** What lives as long as one connection; a broken connection is dropped with it. */
interface ConnectionState {
  /** Staging tables are temporary, created once per connection, by sink name. */
  stages: Map<string, StageUse>;
  /**
   * The named statements this connection has prepared (a named query that succeeded once): only those
   * may be deferred as `EXECUTE name`. Prepared statements outlive a rollback.
   */
  prepared: Set<string>;
}

const connections = new WeakMap<pg.ClientBase, ConnectionState>();

function connectionState(client: pg.ClientBase): ConnectionState {
  let state = connections.get(client);
  if (!state) {
    state = { stages: new Map(), prepared: new Set() };
    connections.set(client, state);
  }
  return state;
}

/**
 * COPY FROM STDIN of one buffer. Not stream.pipeline: it allocates an AbortController per call and
 * aborts it when done, a DOMException with its stack trace on every batch.
 */
function copyIn(client: pg.ClientBase, sql: string, data: Buffer): Promise<void> {
  const copy = client.query(copyFrom(sql));
  return new Promise((resolve, reject) => {
    copy.once('finish', resolve);
    // Kept attached: destroying may report a second error (a connection already gone).
    copy.on('error', (err) => {
      reject(err);
      // Lets go of the batch's data. A connection that died mid-COPY keeps its client, and so this
      // stream, until its socket closes, which over a dead link can take minutes: one batch each.
      if (!copy.destroyed) copy.destroy();
    });
    copy.end(data);
  });
}

/** Runs the held-back statements, then `then` (statements, or empty), in one round trip. */
async function sendDeferred(ctx: BatchContext, then: string): Promise<void> {
  const held = ctx.deferred ?? [];
  ctx.deferred = ctx.deferred && [];
  if (held.length === 0 && then === '') return;
  const text = `${held.map((d) => d.sql).join('; ')}${held.length > 0 && then !== '' ? '; ' : ''}${then}`;
  const result = (await ctx.client.query(text)) as unknown as pg.QueryResult | pg.QueryResult[];
  const results = Array.isArray(result) ? result : [result];
  for (const [i, d] of held.entries()) if (d.counts) ctx.outcome[d.counts] += results[i]?.rowCount ?? 0;
}

/** The sink's staging table on this connection, created on the connection's first batch of the sink. */
async function stageOf(client: pg.ClientBase, sink: Sink): Promise<StageUse> {
  const { stages } = connectionState(client);
  let use = stages.get(sink.name);
  if (!use) {
    await client.query(sink.sql.createStage);
    use = { dirty: false, batches: 0, rows: 0, statsGeneration: statisticsGeneration() };
    stages.set(sink.name, use);
  }
  return use;
}

/** The statements (ending in `;`) that empty the staging table as a transaction begins (see StageUse). */
function clearStatements(use: StageUse, sink: Sink): string {
  const generation = statisticsGeneration();
  if (use.rows < STAGE_RESET_ROWS && use.batches < STAGE_RESET_BATCHES && use.statsGeneration === generation) {
    return use.dirty ? `${sink.sql.clearStage}; ` : '';
  }
  use.batches = 0;
  use.rows = 0;
  use.statsGeneration = generation;
  return `${sink.sql.resetStage}; `;
}

/** A replay's one transaction on one partition: see BatchApplier#replay. */
export interface ReplayRequest {
  topic: string;
  partition: number;
  sink: string;
  /** The dead letters and their keys' later events, in offset order. */
  messages: PackedMessage[];
  /** The partition's stored next offset the later events were read up to. */
  nextOffset: number;
  /** The replayed dead letters: offset -> id. */
  deadLetters: ReadonlyMap<number, number>;
  /** false: do everything, then roll back (--dry-run). */
  commit: boolean;
}

export type ReplayResult =
  /** cdc_offsets moved on since the later events were read: nothing was done; read up to `nextOffset` and try again. */
  | { status: 'moved'; nextOffset: number }
  | {
      status: 'committed' | 'rolled-back';
      /** Messages of the request that failed (dead letters again, or later events that no longer apply). */
      failed: Array<{ offset: number; code: string; message: string }>;
      upserted: number;
      patched: number;
      ignored: number;
    };

/** A message as replay sees it: a row event of a key, an event that changes no row, or one that does not decode. */
export type DecodedKey = { kind: 'row'; key: string } | { kind: 'skip' | 'truncate' } | { kind: 'invalid'; code: string; message: string };

/** A batch after decoding. */
interface BatchInput {
  messages: PackedMessage[];
  /** Decoded row events (after the last truncate, if any). */
  good: Decoded[];
  dead: DeadLetter[];
  /** Events that change nothing (tombstones, skipped truncates, messages) or that a later truncate undid. */
  ignored: number;
  /** The batch's last truncate event, applied before the rest. */
  truncate: PackedMessage | undefined;
}

/** A grouping key as messages show it: the value, or `(a, b)` for a composite key (see lib/sinks/layout.ts keyOf). */
function displayKey(key: string): string {
  return key.includes('\u0001') ? `(${key.split('\u0001').join(', ')})` : key;
}

/** Messages an earlier owner already applied: their offsets are below the stored next offset. */
function countBelow(messages: readonly PackedMessage[], offset: number): number {
  let n = 0;
  for (const m of messages) if (m.offset < offset) n++;
  return n;
}

/**
 * One message through the size limit and the sink's decoder. A decoder that throws is a bug, but the
 * message that made it throw must not fail its batch over and over (its partition would never move
 * again): it becomes a DECODER_FAILED dead letter carrying the error, and the rest of the batch goes on.
 */
export function decodeMessage(sink: Pick<Sink, 'decode'>, message: PackedMessage, maxValueBytes: number): DecodeResult<RowEvent> {
  if (message.value !== null && message.value.length > maxValueBytes) {
    return { ok: false, code: 'VALUE_TOO_LARGE', message: `value is ${message.value.length} bytes, the limit is ${maxValueBytes}` };
  }
  try {
    return sink.decode(message.key, message.value);
  } catch (err) {
    return {
      ok: false,
      code: 'DECODER_FAILED',
      message: `the decoder failed on this value (please report it): ${String((err as Error)?.message ?? err)}`,
    };
  }
}

export class BatchApplier {
  readonly #config: WorkerConfig;
  readonly #pool: pg.Pool;
  readonly #sinks: Sink[];
  readonly #byName: Map<string, Sink>;
  readonly #offsetsTable: string;
  readonly #deadLettersTable: string;
  readonly #groupLiteral: string;
  readonly #tableStats: YoungTableStats;
  readonly #topicSinks: TopicSinks;

  constructor(config: WorkerConfig, pool: pg.Pool) {
    this.#config = config;
    this.#pool = pool;
    const schema = config.dbSchema;
    // One registry client and one set of compiled readers per worker thread: each schema id is fetched
    // and compiled once here, whichever of the thread's sinks meets it.
    const avro =
      config.schemaRegistry === undefined
        ? undefined
        : new AvroDecoders(new SchemaRegistry({ url: config.schemaRegistry, auth: config.schemaRegistryAuth }));
    this.#sinks = compileMapping(config.mapping, schema, avro);
    this.#byName = new Map(this.#sinks.map((s) => [s.name, s]));
    this.#offsetsTable = qualified(schema, 'cdc_offsets');
    this.#deadLettersTable = qualified(schema, 'cdc_dead_letters');
    this.#groupLiteral = escapeLiteral(config.groupId);
    this.#tableStats = new YoungTableStats(pool);
    this.#topicSinks = new TopicSinks(config, pool, avro);
  }

  async apply(task: ApplyTask): Promise<ApplyResult> {
    const started = performance.now();
    const { sink, input, extra } = await this.#decode(task.sink, task.topic, unpackBatch(task.batch));
    const result = await this.#isolatingOnDataError((isolate) => this.#transaction(task, sink, input, isolate, started));
    if (result.status === 'applied') {
      if (extra.notices?.length) result.stats.notices = extra.notices;
      if (extra.ignoredFields && Object.keys(extra.ignoredFields).length > 0) result.stats.ignoredFields = extra.ignoredFields;
    }
    return result;
  }

  /**
   * Re-applies dead letters with the later events of their keys (cdc-dead-letters replay, see
   * lib/dead-letters/replay.ts) in one transaction that also removes the replayed dead letters, so each
   * is either applied and gone or still there. It holds the partition's offset row for its whole
   * transaction and goes on only while `cdc_offsets` still says `nextOffset`: the later events were read
   * up to there, and a consumer that moved on since may have applied more of the key's events.
   */
  async replay(request: ReplayRequest): Promise<ReplayResult> {
    const { sink, input } = await this.#decode(request.sink, request.topic, request.messages);
    return this.#isolatingOnDataError((isolate) => this.#replayTransaction(request, sink, input, isolate));
  }

  /**
   * What each message decodes to with the current mapping, with the row key batches group by: what
   * replay uses to find a dead letter's later events.
   */
  async keysOf(sinkName: string, topic: string, messages: PackedMessage[]): Promise<DecodedKey[]> {
    const { decoder } = await this.#decoderOf(sinkName, topic, messages);
    return messages.map((m) => {
      const result = decodeMessage(decoder, m, this.#config.maxValueBytes);
      if (!result.ok) return { kind: 'invalid', code: result.code, message: result.message };
      const { op } = result.event;
      return op === 'skip' || op === 'truncate' ? { kind: op } : { kind: 'row', key: result.event.key };
    });
  }

  async #decoderOf(
    sinkName: string,
    topic: string,
    messages: PackedMessage[],
  ): Promise<{ sink: Sink; decoder: Pick<Sink, 'decode'>; extra: Pick<ApplyStats, 'notices' | 'ignoredFields'> }> {
    const sink = this.#byName.get(sinkName);
    if (!sink) {
      if (!this.#topicSinks.has(sinkName)) throw new CdcError('ERR_CDC_INTERNAL', `no sink named ${JSON.stringify(sinkName)}`);
      // A topic's table is made or extended for this batch's schemas first, in a transaction of its own.
      const prepared = await this.#topicSinks.prepare(sinkName, topic, messages);
      return {
        sink: prepared.sink,
        decoder: prepared.decoder,
        extra: { notices: prepared.notices, ignoredFields: prepared.ignoredFields },
      };
    }
    // The batch's Avro schema ids, fetched and compiled before the synchronous decode (a topic sink
    // does it in its prepare). A registry that cannot answer rejects with a retryable error: the batch
    // is tried again, nothing is dead-lettered.
    if (sink.avro !== undefined) await sink.avro.prepareBatch(messages);
    return { sink, decoder: sink, extra: {} };
  }

  async #decode(
    sinkName: string,
    topic: string,
    messages: PackedMessage[],
  ): Promise<{ sink: Sink; input: BatchInput; extra: Pick<ApplyStats, 'notices' | 'ignoredFields'> }> {
    const { sink, decoder, extra } = await this.#decoderOf(sinkName, topic, messages);
    // Decoding is CPU work: do it before the transaction so row locks are held as briefly as possible.
    let good: Decoded[] = [];
    const dead: DeadLetter[] = [];
    let ignored = 0;
    let truncateAt = -1;
    for (const message of messages) {
      const result = decodeMessage(decoder, message, this.#config.maxValueBytes);
      if (!result.ok) dead.push({ message, code: result.code, text: result.message });
      else if (result.event.op === 'skip') ignored++;
      else {
        if (result.event.op === 'truncate') truncateAt = good.length;
        good.push({ message, event: result.event });
      }
    }
    // Everything before the batch's last truncate is gone once it is applied: apply only what follows.
    let truncate: PackedMessage | undefined;
    if (truncateAt >= 0) {
      truncate = (good[truncateAt] as Decoded).message;
      ignored += truncateAt;
      good = good.slice(truncateAt + 1);
    }
    return {
      sink,
      input: { messages, good, dead, ignored, truncate },
      extra: this.#byName.has(sinkName) ? sink.drainObservations() : extra,
    };
  }

  /** Runs a transaction; when Postgres refuses something validation let through, runs it again isolating the bad rows. */
  async #isolatingOnDataError<T>(transaction: (isolate: boolean) => Promise<T>): Promise<T> {
    try {
      return await transaction(false);
    } catch (err) {
      if (!isDataError(err)) throw err;
      return transaction(true);
    }
  }

  /**
   * `group, topic, partition` of a batch's offset row as SQL literals, for the two statements that share
   * a simple-protocol query with BEGIN or COMMIT (which takes no bind parameters). The strings are
   * quoted by node-postgres' escapeLiteral (doubled quotes, and the E'' form when there is a backslash);
   * the partition is checked to be an integer, and nextOffset is one computed here.
   */
  #offsetRow(task: { topic: string; partition: number }): string {
    if (!Number.isSafeInteger(task.partition))
      throw new CdcError('ERR_CDC_INTERNAL', `partition ${String(task.partition)} is not an integer`);
    return `${this.#groupLiteral}, ${escapeLiteral(task.topic)}, ${task.partition}`;
  }

  /**
   * Runs `work` on a pooled connection. A connection that failed mid-transaction is not reused; after a
   * statement Postgres rejected, a rollback is all it needs.
   */
  async #session<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await this.#pool.connect();
    let broken: Error | undefined;
    // A session the server ends (restart, admin shutdown) emits 'error' on the client; unhandled, that
    // would take the whole worker thread down. The running query rejects as well, which is what we act on.
    const onError = (err: Error) => {
      broken = err;
    };
    client.on('error', onError);
    try {
      return await work(client);
    } catch (err) {
      if (sqlState(err) === undefined) broken = err as Error;
      else await client.query('ROLLBACK').catch((e: Error) => (broken = e));
      throw err;
    } finally {
      client.off('error', onError);
      client.release(broken);
    }
  }

  /**
   * BEGIN, empty the staging table, and lock this partition's offset row, in one round trip; returns
   * the stored next offset. The lock makes a second owner (a zombie after a rebalance, or a replay)
   * wait here and then see how far we got, so no message is ever applied twice.
   */
  async #begin(client: pg.ClientBase, stage: StageUse, sink: Sink, tp: { topic: string; partition: number }): Promise<number> {
    const opened = (await client.query(
      `BEGIN; ${clearStatements(stage, sink)}INSERT INTO ${this.#offsetsTable} AS o (group_id, topic, partition, next_offset) VALUES (${this.#offsetRow(tp)}, 0)
       ON CONFLICT (group_id, topic, partition) DO UPDATE SET next_offset = o.next_offset
       RETURNING next_offset`,
    )) as unknown as Array<pg.QueryResult<{ next_offset: string }>>;
    return Number(opened.at(-1)?.rows[0]?.next_offset ?? 0);
  }

  /**
   * The batch's truncate and row events, applied; returns the orphans that block it (0 when applied).
   * Dead letters found on the way (orphans past their wait, rows Postgres rejected) join `ctx.dead`.
   */
  async #applyEvents(
    ctx: BatchContext,
    stage: StageUse,
    truncate: PackedMessage | undefined,
    events: Decoded[],
    isolate: boolean,
  ): Promise<number> {
    if (truncate) {
      const { rowCount } = await ctx.client.query(ctx.sink.sql.truncate);
      ctx.outcome.patched += rowCount ?? 0;
    }
    if (events.length === 0) return 0;
    // Counted before the COPY: rolled back or not, the rows take pages until the next reset.
    stage.rows += events.length;
    stage.batches++;
    stage.dirty = true;
    const orphans = isolate ? await this.#applyIsolating(ctx, events) : await this.#stageAndApply(ctx, events);
    // Isolation may have recorded an event twice (a half rolled back after a dead letter was noted).
    const unique = [...new Map(ctx.dead.map((d) => [d.message.offset, d])).values()];
    ctx.dead.length = 0;
    ctx.dead.push(...unique);
    return orphans;
  }

  async #transaction(task: ApplyTask, sink: Sink, input: BatchInput, isolate: boolean, started: number): Promise<ApplyResult> {
    const { messages, good } = input;
    return this.#session(async (client) => {
      const stage = await stageOf(client, sink);
      const stored = await this.#begin(client, stage, sink, task);
      const fresh = good.filter((d) => d.message.offset >= stored);
      const dead = input.dead.filter((d) => d.message.offset >= stored);
      const outcome: Outcome = { upserted: 0, patched: 0, patchRows: 0, staged: false };
      const ctx: BatchContext = {
        client,
        sink,
        dead,
        deadLetterOrphans: task.deadLetterOrphans,
        outcome,
        deferred: isolate ? undefined : [],
      };
      const truncate = input.truncate && input.truncate.offset >= stored ? input.truncate : undefined;
      const orphans = await this.#applyEvents(ctx, stage, truncate, fresh, isolate);
      if (orphans > 0) {
        await client.query('ROLLBACK');
        return { ok: true, status: 'orphans', orphans };
      }
      if (dead.length > 0) {
        // Its insert takes bind parameters, which a multi-statement query cannot: the held-back statements go first.
        await sendDeferred(ctx, '');
        await this.#insertDeadLetters(client, task, dead, 'keep');
      }
      const last = messages.at(-1)?.offset ?? stored - 1;
      const nextOffset = Math.max(stored, last + 1);
      // The held-back apply statements, the offset and COMMIT in one round trip: if any fails, Postgres
      // skips the rest, COMMIT included, and the transaction is aborted, which #session rolls back.
      await sendDeferred(
        ctx,
        `UPDATE ${this.#offsetsTable} SET next_offset = ${nextOffset}, updated_at = now()
          WHERE (group_id, topic, partition) = (${this.#offsetRow(task)}); COMMIT`,
      );
      const committedAt = Date.now();
      // Only a commit makes the DELETE at BEGIN stick: after a rollback the rows of the last committed
      // batch are back in the table, and the next transaction must delete them again.
      stage.dirty = outcome.staged;
      this.#tableStats.written(sink, outcome.upserted + outcome.patched);
      return {
        ok: true,
        status: 'applied',
        nextOffset,
        stats: {
          events: messages.length,
          skipped: countBelow(messages, stored),
          ignored: input.ignored,
          upserted: outcome.upserted,
          patched: outcome.patched,
          noops: outcome.patchRows - outcome.patched,
          deadLetters: dead.length,
          durationMs: performance.now() - started,
          committedAt,
        },
      };
    });
  }

  async #replayTransaction(request: ReplayRequest, sink: Sink, input: BatchInput, isolate: boolean): Promise<ReplayResult> {
    return this.#session(async (client) => {
      const stage = await stageOf(client, sink);
      const stored = await this.#begin(client, stage, sink, request);
      if (stored !== request.nextOffset) {
        await client.query('ROLLBACK');
        return { status: 'moved', nextOffset: stored };
      }
      const dead = [...input.dead];
      const outcome: Outcome = { upserted: 0, patched: 0, patchRows: 0, staged: false };
      // No waiting here: a row whose parent is still missing fails again, as an orphan dead letter.
      const ctx: BatchContext = { client, sink, dead, deadLetterOrphans: true, outcome, deferred: isolate ? undefined : [] };
      await this.#applyEvents(ctx, stage, input.truncate, input.good, isolate);
      await sendDeferred(ctx, '');
      // Those that failed again keep their row (and id) with the new error; the rest are removed.
      await this.#insertDeadLetters(client, request, dead, 'update');
      const replayed = [...request.deadLetters].filter(([offset]) => !dead.some((d) => d.message.offset === offset)).map(([, id]) => id);
      await client.query(`DELETE FROM ${this.#deadLettersTable} WHERE group_id = $1 AND id = ANY($2::bigint[])`, [
        this.#config.groupId,
        replayed,
      ]);
      await client.query(request.commit ? 'COMMIT' : 'ROLLBACK');
      stage.dirty = request.commit ? outcome.staged : stage.dirty;
      if (request.commit) this.#tableStats.written(sink, outcome.upserted + outcome.patched);
      return {
        status: request.commit ? 'committed' : 'rolled-back',
        failed: dead.map((d) => ({ offset: d.message.offset, code: d.code, message: d.text })),
        upserted: outcome.upserted,
        patched: outcome.patched,
        ignored: input.ignored,
      };
    });
  }

  /** Returns the number of orphans that block the batch (0 when it was applied). */
  async #stageAndApply(ctx: BatchContext, events: Decoded[]): Promise<number> {
    const { client, sink, dead, outcome } = ctx;
    const sql = sink.sql;
    const groups = groupByKey(events.map((d) => d.event));
    const rows: StagedRow[] = [];
    const keys: string[] = [];
    const staged: StagedCounts = { full: 0, merge: 0, patch: 0, delete: 0, cascade: 0 };
    for (const [key, group] of groups) {
      const row = foldKey(group);
      staged[row.kind]++;
      if (row.cascade) staged.cascade++;
      rows.push(row);
      keys.push(key);
    }
    // COPY binary, or text for a batch holding a value Postgres must parse itself (lib/sinks/sink.ts).
    const stage = sink.encodeStage(rows);
    // Emptied as the transaction began; only a re-run inside one must clear it.
    if (outcome.staged) await client.query(sql.clearStage);
    outcome.staged = true;
    await copyIn(client, stage.sql, stage.data);
    if (sink.parents.length > 0 && staged.full + staged.merge > 0) {
      const orphans = new Map<number, Pick<DeadLetter, 'code' | 'text'>>();
      for (const [r, relation] of sink.parents.entries()) {
        const { rows: found } = await client.query<{ cdc_row: number }>({
          name: `${sink.statementPrefix}-orphans-${r}`,
          text: relation.orphans,
        });
        for (const { cdc_row } of found) {
          if (orphans.has(cdc_row)) continue;
          const row = rows[cdc_row] as StagedRow;
          const parentKey = relation.childColumns
            .map((c, i) => `${c} = ${String(row.values[relation.childIndexes[i] as number] as Value)}`)
            .join(', ');
          orphans.set(cdc_row, {
            code: relation.orphanCode,
            text: `${sink.tableName} ${displayKey(keys[cdc_row] as string)}: its parent in ${relation.parentName} (${parentKey}) never arrived within the orphan wait`,
          });
        }
      }
      if (orphans.size > 0) {
        if (!ctx.deadLetterOrphans) return orphans.size;
        // The wait is over: these rows become dead letters (every event of theirs in the batch) and the
        // rest of the batch goes on.
        await client.query(sql.deleteStaged, [[...orphans.keys()]]);
        const byKey = new Map<string, Pick<DeadLetter, 'code' | 'text'>>();
        for (const [index, letter] of orphans) {
          const row = rows[index] as StagedRow;
          staged[row.kind]--;
          if (row.cascade) staged.cascade--;
          byKey.set(keys[index] as string, letter);
        }
        for (const d of events) {
          const letter = byKey.get(d.event.key);
          if (letter !== undefined) dead.push({ message: d.message, ...letter });
        }
      }
    }
    // Named statements: parsed and planned once per connection, not once per batch.
    const steps: Array<{ what: string; text: string; counts: Deferred['counts'] }> = [];
    if (staged.full > 0) steps.push({ what: 'upsert', text: sql.upsert, counts: 'upserted' });
    if (staged.merge > 0) {
      steps.push({ what: 'merge-update', text: sql.mergeUpdate, counts: 'upserted' });
      steps.push({ what: 'merge-insert', text: sql.mergeInsert, counts: 'upserted' });
    }
    if (staged.patch > 0 && sql.patch !== undefined) steps.push({ what: 'patch', text: sql.patch, counts: 'patched' });
    if (staged.delete > 0) steps.push({ what: 'delete', text: sql.delete, counts: 'patched' });
    outcome.patchRows += staged.patch + staged.delete;
    if (staged.cascade > 0 && sql.lockCascading !== undefined) {
      // Locked only now, just before the cascade: held from here to COMMIT, the lock keeps child batches
      // waiting as briefly as possible (see lib/sinks/sql.ts for the protocol).
      steps.push({ what: 'lock-cascading', text: sql.lockCascading, counts: undefined });
      for (const [i, cascade] of sql.cascades.entries()) steps.push({ what: `cascade-${i}`, text: cascade.update, counts: undefined });
    }
    const { prepared } = connectionState(client);
    const named = steps.map((step) => ({ ...step, name: `${sink.statementPrefix}-${step.what}` }));
    if (ctx.deferred !== undefined && named.every((step) => prepared.has(step.name))) {
      for (const step of named) ctx.deferred.push({ sql: `EXECUTE ${quoteIdent(step.name)}`, counts: step.counts });
      return 0;
    }
    // In order, one round trip each: a statement's first run on a connection prepares it.
    await sendDeferred(ctx, '');
    for (const step of named) {
      const { rowCount } = await client.query({ name: step.name, text: step.text });
      prepared.add(step.name);
      if (step.counts) outcome[step.counts] += rowCount ?? 0;
    }
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
        const text = `${(err as Error).message} (SQLSTATE ${sqlState(err)})`;
        ctx.dead.push({ message: (events[0] as Decoded).message, code: 'REJECTED_BY_POSTGRES', text });
        return 0;
      }
      const mid = events.length >>> 1;
      const left = await this.#applyIsolating(ctx, events.slice(0, mid));
      if (left > 0) return left;
      return this.#applyIsolating(ctx, events.slice(mid));
    }
  }

  /**
   * Records dead letters, unique on (group, topic, partition, offset). `keep`: a batch run again cannot
   * record one twice. `update`: a replayed dead letter that failed again keeps its row, with the new error.
   */
  async #insertDeadLetters(
    client: pg.ClientBase,
    tp: { topic: string; partition: number },
    dead: DeadLetter[],
    onConflict: 'keep' | 'update',
  ): Promise<void> {
    if (dead.length === 0) return;
    const conflict =
      onConflict === 'keep'
        ? 'DO NOTHING'
        : 'DO UPDATE SET error_code = excluded.error_code, error_message = excluded.error_message, failed_at = excluded.failed_at';
    await client.query(
      `INSERT INTO ${this.#deadLettersTable} (group_id, topic, partition, "offset", key, value, error_code, error_message)
       SELECT $1, $2, $3, d.o, d.k, d.v, d.c, d.m FROM unnest($4::bigint[], $5::bytea[], $6::bytea[], $7::text[], $8::text[]) AS d(o, k, v, c, m)
       ON CONFLICT (group_id, topic, partition, "offset") ${conflict}`,
      [
        this.#config.groupId,
        tp.topic,
        tp.partition,
        dead.map((d) => d.message.offset),
        dead.map((d) => (d.message.key ? Buffer.from(d.message.key) : null)),
        dead.map((d) => (d.message.value ? Buffer.from(d.message.value) : null)),
        dead.map((d) => d.code),
        dead.map((d) => d.text),
      ],
    );
  }
}
