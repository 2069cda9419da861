/**
 * The consumer engine's main thread: a node-rdkafka KafkaConsumer, per-partition accumulation and
 * dispatch to worker threads, and offset commits once a worker reports the rows durable. It does no JSON
 * decoding and no SQL: both happen in the workers.
 *
 *   Kafka ──consume──▶ partition queues ──packed batch (transferred)──▶ worker slot (thread)
 *                                                                      └─ one Postgres transaction:
 *                                                                         rows + dead letters + cdc_offsets
 *   Kafka ◀──commit(next offset)── applied ◀─────────────────────────────┘
 */
import Kafka from 'node-rdkafka';
import { backoffDelayMs, type BackoffPolicy, retryWithBackoff } from '../backoff.js';
import { redactUrl } from '../config/redact.js';
import { CdcError } from '../errors.js';
import { checkKafkaConfig, consumerConfig } from '../kafka/consumer-config.js';
import type { Logger } from '../log.js';
import type { EngineMetrics } from '../metrics/metrics.js';
import { loadMapping, type Mapping, selectSinks } from '../sinks/mapping.js';
import { type ApplyStats, packBatch, type TopicPartition } from '../worker-protocol.js';
import { type Health, HealthCheck } from './health.js';
import { type ConsumerOptions, defaultWorkers } from './options.js';
import { KafkaLinks } from './links.js';
import { addBatch, createEngineStats, type EngineStats, parseStatistics, updateLag } from './stats.js';
import { WorkerSlot } from './worker-pool.js';

export interface EngineHooks {
  log?: Logger;
  metrics?: EngineMetrics;
  /** Called after every committed batch (the benchmark measures per-event latency with it). */
  onBatch?: (tp: TopicPartition, stats: ApplyStats, batch: BatchTiming) => void;
}

/** When a committed batch's messages were produced and when the batch left the main thread. */
export interface BatchTiming {
  /** Each message's Kafka timestamp (epoch ms), in offset order; the engine does not keep it. */
  timestamps: Float64Array;
  /** When the batch was first handed to its worker (epoch ms). */
  dispatchedAt: number;
}

interface Message {
  offset: number;
  timestamp?: number | undefined;
  key?: Buffer | string | null | undefined;
  value: Buffer | null;
}

interface InFlight {
  /**
   * The batch, packed once. Each run transfers a copy to the worker and the main thread keeps this one
   * for a retry: one compact buffer instead of thousands of message objects.
   */
  packed: ArrayBuffer;
  /** Kafka timestamps of the batch's messages, kept only when an onBatch hook wants them. */
  timestamps: Float64Array | undefined;
  dispatchedAt: number;
  /** Its messages' `messageBytes`, as they counted while pending. */
  bytes: number;
  attempt: number;
  running: boolean;
  retryTimer?: NodeJS.Timeout;
  /** First time this batch found orders without their user. */
  orphansSince?: number;
}

class PartitionState {
  readonly key: string;
  pending: Message[] = [];
  pendingBytes = 0;
  firstPendingAt = 0;
  inflight: InFlight | undefined;
  paused = false;
  revoked = false;
  nextOffset: number | undefined;
  /** Lowest offset we may still accept: anything below is a duplicate or left over from an older assignment. */
  acceptFrom = 0;
  /** Resolves when the running task (if any) settles: revocation and shutdown wait on it. */
  settled: Promise<void> = Promise.resolve();
  /** When this partition last logged that its rows wait for their parents, and the waits since. */
  orphansLoggedAt = 0;
  orphanWaitsUnlogged = 0;

  constructor(
    readonly topic: string,
    readonly partition: number,
    readonly sink: string,
    readonly slot: WorkerSlot,
  ) {
    this.key = `${topic}/${partition}`;
  }

  get bytesHeld(): number {
    return this.pendingBytes + (this.inflight?.bytes ?? 0);
  }
}

/**
 * What a message costs the main thread beyond its value: node-rdkafka's message object and its key and
 * value buffers' own allocations. A dispatched batch goes on counting its messages so until it commits
 * (its packed buffer is smaller, but the worker holds a copy and decodes it), so a partition's bytes
 * keep one unit from fetch to commit and --max-bytes-in-flight bounds real memory.
 */
const MESSAGE_OVERHEAD_BYTES = 512;

function messageBytes(value: Buffer | null): number {
  return (value?.length ?? 0) + MESSAGE_OVERHEAD_BYTES;
}

/** Upper bound on one batch's message bytes (values plus overhead). */
const MAX_BATCH_BYTES = 8 * 1024 * 1024;

/**
 * node-rdkafka's consume(count) returns only when it has `count` messages or the queue stays empty for
 * the consume timeout; a large count under a steady stream would hold messages back for a long time.
 * So the count adapts between these: it doubles while calls come back full (a backlog) and shrinks when
 * they do not.
 */
const FETCH_MIN = 64;
const FETCH_MAX = 4096;
const CONSUME_TIMEOUT_MS = 10;
/** How long start-up waits for an unreachable Postgres before giving up. */
const STARTUP_RETRY_MS = 60_000;
/** Jittered, so partitions that failed together do not stampede Postgres when it comes back. */
const POSTGRES_RETRY: BackoffPolicy = { initialDelayMs: 100, maxDelayMs: 10_000, jitter: 'equal' };
/** Orders usually wait for users that are only moments behind: retry those sooner. */
const ORPHAN_RETRY: BackoffPolicy = { initialDelayMs: 25, maxDelayMs: 1000, jitter: 'equal' };
/** How long a release waits for cdc_offsets before committing its own view to Kafka (see #commitStored). */
const RELEASE_READ_MS = 2000;
/** At most one "wait for their parents" line per partition in this time. */
const ORPHAN_LOG_INTERVAL_MS = 10_000;

/** A stored-offsets answer keyed `topic/partition`, as PartitionState.key is. */
function byPartition(offsets: ReadonlyArray<{ topic: string; partition: number; nextOffset: number }>): Map<string, number> {
  return new Map(offsets.map((o) => [`${o.topic}/${o.partition}`, o.nextOffset]));
}

export class ConsumerEngine {
  readonly stats: EngineStats;
  readonly #options: ConsumerOptions;
  readonly #log: Logger;
  readonly #hooks: EngineHooks;
  readonly #slots: WorkerSlot[] = [];
  readonly #maxSlots: number;
  readonly #partitions = new Map<string, PartitionState>();
  readonly #mapping: Mapping;
  /** topic -> sink name */
  readonly #sinkOf: Map<string, string>;
  /** sink name -> its table as the mapping names it (metrics labels, log lines). */
  readonly #tableOf: Map<string, string>;
  /** sink name -> its parents' tables, for the orphan log line. */
  readonly #parentsOf: Map<string, string>;
  #consumer: Kafka.KafkaConsumer | undefined;
  #stopping = false;
  #stopReason = '';
  #fatal: Error | undefined;
  #assignedOnce = false;
  #lastActivity = Date.now();
  #wake: (() => void) | undefined;
  #rebalancing: Promise<void> = Promise.resolve();
  /** Settles once the consume call in progress has returned and its messages were taken (see #assign). */
  #consuming: Promise<void> = Promise.resolve();
  /** Between a revocation and the next assignment: not idle, whatever the clock says. */
  #unassigned = true;
  /** Postgres state as last logged, so a flapping database logs once per change, not per retry. */
  #postgresDown = false;
  readonly #links: KafkaLinks;
  readonly #health = new HealthCheck(
    () => (this.#stopping ? 'stopping' : this.#assignedOnce && !this.#unassigned ? 'joined' : 'joining'),
    () => this.#slot(0).run({ kind: 'ping' }),
    () => this.#links.unreachable(),
  );

  constructor(options: ConsumerOptions, hooks: EngineHooks = {}) {
    this.#options = options;
    this.#hooks = hooks;
    this.#log = hooks.log ?? (() => {});
    this.#links = new KafkaLinks(this.#log);
    // The mapping file is read and validated here, once, before anything connects.
    this.#mapping = loadMapping(options.sinks);
    this.#sinkOf = selectSinks(this.#mapping, options.topics);
    this.#tableOf = new Map(this.#mapping.sinks.map((s) => [s.name, s.schema === undefined ? s.table : `${s.schema}.${s.table}`]));
    this.#parentsOf = new Map(
      this.#mapping.sinks.map((s) => [
        s.name,
        [...new Set(s.columns.flatMap((c) => (c.references ? [c.references.parentTable] : [])))].join(' and '),
      ]),
    );
    checkKafkaConfig(options.kafkaConfig);
    this.#maxSlots = options.workers ?? defaultWorkers();
    this.stats = createEngineStats(this.#sinkOf.keys());
  }

  /** topic -> target table, for metrics labels. */
  tables(): Array<{ topic: string; table: string }> {
    return [...this.#sinkOf].map(([topic, sink]) => ({ topic, table: this.#tableOf.get(sink) ?? sink }));
  }

  /** Requests a graceful stop: fetching stops, in-flight batches finish (bounded), offsets are committed. */
  stop(reason = 'stop requested'): void {
    if (this.#stopping) return;
    this.#stopping = true;
    this.#stopReason = reason;
    this.#wake?.();
  }

  /** Runs until idle (--idle), stop(), or a fatal error (thrown). */
  async run(): Promise<{ reason: string }> {
    const o = this.#options;
    this.#log('info', 'starting', {
      brokers: o.brokers,
      group: o.group,
      sinks: this.#mapping.source,
      topics: [...this.#sinkOf].map(([topic, sink]) => (topic === sink ? topic : `${sink}=${topic}`)).join(','),
      workers: o.workers ?? `auto (max ${this.#maxSlots})`,
      database: redactUrl(o.databaseUrl),
      schema: o.dbSchema,
    });
    try {
      // Fatal database problems (credentials, permissions, a schema it cannot use) surface here,
      // before anything is consumed.
      // Postgres still starting up (connection refused) is retried for a while; a wrong address then
      // fails with the last error instead of waiting forever.
      const migrated = await this.#withRetry('start-up', () => this.#slot(0).run({ kind: 'migrate', apply: o.migrate }), STARTUP_RETRY_MS);
      if (o.migrate) {
        this.#log('info', 'schema ready', {
          schema: o.dbSchema,
          version: migrated.version,
          applied: migrated.applied.join(',') || 'none',
          createdTables: migrated.createdTables.join(', ') || 'none',
        });
      }
      if (this.#stopping) return { reason: this.#stopReason };
      await this.#connect();
      await this.#loop();
      return { reason: this.#stopReason };
    } catch (err) {
      throw this.#asFatal(err);
    } finally {
      await this.#shutdown();
    }
  }

  /**
   * The error the run ends with. Worker errors arrive rebuilt with their own code (lib/errors.ts): a
   * schema or mapping problem speaks for itself; a Postgres one says so, with the reason an operator
   * must act when there is one.
   */
  #asFatal(err: unknown): Error {
    if (err instanceof CdcError && err.code !== 'ERR_CDC_POSTGRES') return err;
    const e = err as Error & { fatal?: string; sqlState?: string };
    const detail = e.fatal ? `${e.fatal}: ${e.message}` : e.message;
    return new CdcError('ERR_CDC_POSTGRES', `Postgres: ${detail}`, { cause: err });
  }

  #slot(index: number): WorkerSlot {
    while (this.#slots.length <= index) {
      this.#slots.push(
        new WorkerSlot(this.#slots.length, {
          databaseUrl: this.#options.databaseUrl,
          dbSchema: this.#options.dbSchema,
          groupId: this.#options.group,
          maxValueBytes: this.#options.maxValueBytes,
          mapping: this.#mapping,
          pgIdleInTransactionTimeoutMs: this.#options.pgIdleInTransactionTimeoutMs,
          pgLockTimeoutMs: this.#options.pgLockTimeoutMs,
          pgStatementTimeoutMs: this.#options.pgStatementTimeoutMs,
          pgQueryTimeoutMs: this.#options.pgQueryTimeoutMs,
          pgKeepaliveMs: this.#options.pgKeepaliveMs,
        }),
      );
    }
    return this.#slots[index] as WorkerSlot;
  }

  async #connect(): Promise<void> {
    const o = this.#options;
    const consumer = new Kafka.KafkaConsumer(
      consumerConfig({
        brokers: o.brokers,
        group: o.group,
        kafkaConfig: o.kafkaConfig,
        debug: process.env.CDC_RDKAFKA_DEBUG,
        rebalance: (err, assignment) => this.#onRebalance(err, assignment),
      }),
      { 'auto.offset.reset': o.from === 'end' ? 'latest' : 'earliest' },
    );
    consumer.on('event.error', (err) => this.#links.clientError(err.message));
    consumer.on('event.log', (e) => this.#log('debug', 'rdkafka', { fac: e.fac, message: e.message }));
    // Lag on the progress line and in the metrics comes from librdkafka's statistics.
    consumer.on('event.stats', (event) => {
      const parsed = parseStatistics(event.message);
      if (parsed === undefined) return;
      updateLag(this.stats, parsed, this.#partitions.values());
      this.#links.statistics(parsed);
    });
    await new Promise<void>((resolve, reject) => {
      consumer.connect({ timeout: 30_000 }, (err) =>
        err
          ? reject(new CdcError('ERR_CDC_KAFKA', `cannot connect to Kafka at ${o.brokers}: ${err.message}`, { canRetry: true }))
          : resolve(),
      );
    });
    // A consume call returns after `count` messages or once the queue stays empty this long.
    consumer.setDefaultConsumeTimeout(CONSUME_TIMEOUT_MS);
    consumer.subscribe([...this.#sinkOf.keys()]);
    this.#consumer = consumer;
  }

  #onRebalance(err: Kafka.LibrdKafkaError, assignment: Kafka.Assignment[]): void {
    // Rebalance steps run one after another; librdkafka waits for our assign()/unassign() call.
    this.#rebalancing = this.#rebalancing.then(async () => {
      try {
        if (err.code === Kafka.CODES.ERRORS.ERR__ASSIGN_PARTITIONS) await this.#assign(assignment);
        else if (err.code === Kafka.CODES.ERRORS.ERR__REVOKE_PARTITIONS) await this.#revoke(assignment);
        else this.#log('warn', 'rebalance error', { error: err.message });
      } catch (e) {
        this.#fatal ??= e as Error;
        this.stop('fatal error during rebalance');
      }
    });
  }

  async #assign(assignment: Kafka.Assignment[]): Promise<void> {
    const consumer = this.#consumer;
    if (!consumer) return;
    // Start offsets: cdc_offsets in Postgres first (it is written with the rows, so it is exact), then
    // Kafka's committed offset, then --from (both of which librdkafka applies when no offset is given).
    const stored = await this.#withRetry('read stored offsets', () =>
      this.#slot(0).run({ kind: 'stored-offsets', partitions: assignment.map((a) => ({ topic: a.topic, partition: a.partition })) }),
    );
    const byKey = byPartition(stored.offsets);
    // node-rdkafka gathers a consume call's messages on a libuv thread and hands them over when the
    // call returns: one that began before the revocation's unassign can still carry messages of the
    // old assignment, fetched ahead of what was applied. Taken after the new states exist, they would
    // be accepted (their offsets are above the stored one) and the partition's fetch from the stored
    // offset then dropped as duplicates up to them: a gap. So the call in progress (it returns within
    // the consume timeout: nothing is assigned) is taken, and its messages dropped, first.
    await this.#consuming;
    const sorted = [...assignment].sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition);
    const slotCount = Math.min(this.#maxSlots, Math.max(1, sorted.length));
    const withOffsets = sorted.map((a, i) => {
      const key = `${a.topic}/${a.partition}`;
      const state = new PartitionState(a.topic, a.partition, this.#sinkOf.get(a.topic) ?? a.topic, this.#slot(i % slotCount));
      const next = byKey.get(key);
      state.nextOffset = next;
      state.acceptFrom = next ?? 0;
      this.#partitions.set(key, state);
      return next === undefined ? { topic: a.topic, partition: a.partition } : { topic: a.topic, partition: a.partition, offset: next };
    });
    if (this.#stopping) return;
    consumer.assign(withOffsets);
    // Kafka's committed offsets are for the tools that watch a group's lag; cdc_offsets decides. Make
    // them agree at once: a partition with nothing left to read would otherwise keep whatever was
    // committed last, possibly from an owner's view that was already behind (see #commitStored).
    this.#commitKafka([...this.#partitions.values()].filter((p) => byKey.has(p.key) && !p.revoked));
    this.#assignedOnce = true;
    this.#unassigned = false;
    this.#lastActivity = Date.now();
    this.#log('info', 'partitions assigned', {
      partitions: withOffsets.map((a) => `${a.topic}/${a.partition}@${'offset' in a ? a.offset : 'committed'}`).join(' '),
      workers: slotCount,
    });
  }

  async #revoke(assignment: Kafka.Assignment[]): Promise<void> {
    const revoked = assignment.map((a) => this.#partitions.get(`${a.topic}/${a.partition}`)).filter((p): p is PartitionState => !!p);
    this.#unassigned = true;
    await this.#release(revoked);
    this.#consumer?.unassign();
    if (revoked.length > 0) this.#log('info', 'partitions revoked', { partitions: revoked.map((p) => p.key).join(' ') });
  }

  /**
   * Stops dispatching these partitions, drops what was not dispatched (the next owner re-reads it from
   * cdc_offsets), lets a running batch finish within the shutdown bound, and commits what is applied.
   */
  async #release(states: PartitionState[]): Promise<void> {
    // librdkafka keeps a partition's pause across unassign and assign: one paused here by backpressure
    // and given back to this consumer later would never be fetched again (the new state is unpaused,
    // so nothing would resume it). Resume before letting go.
    const paused = states.filter((p) => p.paused && !p.revoked);
    if (paused.length > 0 && this.#consumer?.isConnected()) {
      try {
        this.#consumer.resume(paused.map((p) => ({ topic: p.topic, partition: p.partition })));
      } catch (err) {
        this.#log('debug', 'resume before release failed', { error: (err as Error).message });
      }
    }
    for (const p of states) {
      p.paused = false;
      p.revoked = true;
      p.pending = [];
      p.pendingBytes = 0;
      if (p.inflight && !p.inflight.running) {
        clearTimeout(p.inflight.retryTimer);
        p.inflight = undefined;
      }
    }
    const running = Promise.all(states.map((p) => p.settled));
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      running.then(() => false),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(true), this.#options.shutdownTimeoutMs);
      }),
    ]);
    clearTimeout(timer);
    if (timedOut) {
      this.#log('warn', 'in-flight batches did not finish in time; the next owner resumes from cdc_offsets', {
        timeoutMs: this.#options.shutdownTimeoutMs,
      });
    }
    await this.#commitStored(states);
    for (const p of states) this.#partitions.delete(p.key);
  }

  /**
   * Commits to Kafka what cdc_offsets holds for these partitions now, not what this consumer last saw:
   * another owner may have moved them on since our assignment (a zombie's transaction that was open
   * when we read them, then committed), and a consumer that let go without applying a batch of its
   * own would otherwise leave its stale view as the group's committed offset for good (lag tools would
   * report a lag that is not there). Bounded: with Postgres unreachable, what this consumer saw is
   * committed instead.
   */
  async #commitStored(states: PartitionState[]): Promise<void> {
    if (states.length === 0 || !this.#consumer?.isConnected()) return;
    let timer: NodeJS.Timeout | undefined;
    const stored = await Promise.race([
      this.#slot(0)
        .run({ kind: 'stored-offsets', partitions: states.map((p) => ({ topic: p.topic, partition: p.partition })) })
        .then((r) => byPartition(r.offsets))
        .catch((err: Error) => {
          this.#log('debug', 'stored offsets unreadable at release', { error: err.message });
          return new Map<string, number>();
        }),
      new Promise<Map<string, number>>((resolve) => {
        timer = setTimeout(() => resolve(new Map()), RELEASE_READ_MS);
      }),
    ]);
    clearTimeout(timer);
    for (const p of states) {
      const now = stored.get(p.key);
      if (now !== undefined && (p.nextOffset === undefined || now > p.nextOffset)) p.nextOffset = now;
    }
    this.#commitKafka(states.filter((p) => p.nextOffset !== undefined));
  }

  #commitKafka(states: PartitionState[]): void {
    const consumer = this.#consumer;
    if (!consumer || states.length === 0 || !consumer.isConnected()) return;
    try {
      consumer.commit(states.map((p) => ({ topic: p.topic, partition: p.partition, offset: p.nextOffset as number })));
    } catch (err) {
      // Kafka's committed offset is for lag tools; cdc_offsets already holds the truth.
      this.#log('debug', 'kafka commit failed', { error: (err as Error).message });
    }
  }

  async #withRetry<T>(what: string, fn: () => Promise<T>, giveUpAfterMs = Number.POSITIVE_INFINITY): Promise<T> {
    const result = await retryWithBackoff(fn, {
      ...POSTGRES_RETRY,
      totalMs: giveUpAfterMs,
      isRetriable: (err) => (err as { canRetry?: boolean }).canRetry === true && !this.#stopping,
      onRetry: ({ error }) => this.#postgresDownOnce(what, (error as Error).message),
    });
    this.#postgresUp();
    return result;
  }

  #postgresDownOnce(what: string, message: string): void {
    if (this.#postgresDown) return;
    this.#postgresDown = true;
    this.#log('warn', 'Postgres failing (unreachable or a transient error); retrying with backoff', {
      postgres: redactUrl(this.#options.databaseUrl),
      during: what,
      error: message,
    });
  }

  #postgresUp(): void {
    if (!this.#postgresDown) return;
    this.#postgresDown = false;
    this.#log('info', 'Postgres recovered', { postgres: redactUrl(this.#options.databaseUrl) });
  }

  async #loop(): Promise<void> {
    const consumer = this.#consumer as Kafka.KafkaConsumer;
    let fetch = FETCH_MIN;
    while (!this.#stopping) {
      const count = fetch;
      let taken!: () => void;
      this.#consuming = new Promise<void>((resolve) => {
        taken = resolve;
      });
      const messages = await new Promise<Kafka.Message[]>((resolve) => {
        consumer.consume(count, (err, batch) => {
          if (err) {
            this.#log('debug', 'consume error', { error: err.message });
            resolve([]);
          } else resolve(batch);
        });
      });
      fetch = messages.length >= count ? Math.min(FETCH_MAX, count * 2) : Math.max(FETCH_MIN, count >>> 1);
      const now = Date.now();
      try {
        for (const m of messages) this.#accept(m, now);
      } finally {
        taken();
      }
      if (this.#hooks.metrics && messages.length > 0) this.#countConsumed(messages);
      this.#dispatchReady(now);
      this.#applyBackpressure();
      if (this.#fatal) throw this.#fatal;
      if (this.#isIdle(now)) {
        this.stop(`idle for ${this.#options.idleMs} ms with everything committed`);
      }
      // Everything paused (backpressure): wait for a batch to finish instead of spinning.
      if (messages.length === 0 && this.#allPaused()) {
        await new Promise<void>((resolve) => {
          this.#wake = resolve;
          setTimeout(resolve, 50);
        });
        this.#wake = undefined;
      }
    }
  }

  #countConsumed(messages: Kafka.Message[]): void {
    // One counter update per topic per consume call, not one per message.
    let topic = messages[0]?.topic as string;
    let run = 0;
    for (const m of messages) {
      if (m.topic !== topic) {
        this.#hooks.metrics?.messagesConsumed(topic, run);
        topic = m.topic;
        run = 0;
      }
      run++;
    }
    this.#hooks.metrics?.messagesConsumed(topic, run);
  }

  /** For /healthz: joined the group (holding an assignment) and Postgres answers. */
  health(): Promise<Health> {
    return this.#health.check();
  }

  #accept(m: Kafka.Message, now: number): void {
    const p = this.#partitions.get(`${m.topic}/${m.partition}`);
    // A message of a partition no longer ours (revoked meanwhile) is dropped: its next owner reads it.
    if (!p || p.revoked) return;
    // librdkafka drops messages of a previous assignment itself (unassign purges its queues); this only
    // guards against a duplicate. Offsets go up per partition; a gap (compaction, transaction markers) is fine.
    if (m.offset < p.acceptFrom) return;
    p.acceptFrom = m.offset + 1;
    const value = (m.value as Buffer | null) ?? null;
    p.pending.push({ offset: m.offset, timestamp: m.timestamp, key: m.key as Buffer | string | null | undefined, value });
    if (p.pending.length === 1) p.firstPendingAt = now;
    p.pendingBytes += messageBytes(value);
    this.stats.consumed[m.topic] = (this.stats.consumed[m.topic] ?? 0) + 1;
    this.stats.firstMessageAt ??= now;
    this.#lastActivity = now;
  }

  #dispatchReady(now: number): void {
    for (const p of this.#partitions.values()) {
      if (p.revoked || p.inflight || p.pending.length === 0) continue;
      const full = p.pending.length >= this.#options.batchMaxRows;
      const lingered = now - p.firstPendingAt >= this.#options.batchMaxMs;
      if (full || lingered) this.#dispatch(p);
    }
  }

  #dispatch(p: PartitionState): void {
    // A batch is bounded in rows and in bytes, so a worker's memory per batch is bounded too.
    const maxBytes = Math.min(MAX_BATCH_BYTES, this.#options.maxBytesInFlight / Math.max(1, this.#partitions.size));
    let take = 0;
    let takeBytes = 0;
    while (take < p.pending.length && take < this.#options.batchMaxRows && (take === 0 || takeBytes < maxBytes)) {
      takeBytes += messageBytes((p.pending[take] as Message).value);
      take++;
    }
    const messages = p.pending.splice(0, take);
    const timestamps = this.#hooks.onBatch ? Float64Array.from(messages, (m) => m.timestamp ?? 0) : undefined;
    p.pendingBytes -= takeBytes;
    const now = Date.now();
    p.firstPendingAt = p.pending.length > 0 ? now : 0;
    p.inflight = { packed: packBatch(messages), timestamps, dispatchedAt: now, bytes: takeBytes, attempt: 0, running: false };
    this.#runBatch(p);
  }

  #runBatch(p: PartitionState): void {
    const flight = p.inflight;
    if (!flight || p.revoked) return;
    flight.running = true;
    this.stats.inflightBatches++;
    let settle!: () => void;
    p.settled = new Promise<void>((resolve) => {
      settle = resolve;
    });
    const deadLetterOrphans = flight.orphansSince !== undefined && Date.now() - flight.orphansSince >= this.#options.orphanWaitMs;
    const batch = flight.packed.slice(0);
    p.slot
      .run({ kind: 'apply', topic: p.topic, partition: p.partition, sink: p.sink, batch, deadLetterOrphans }, [batch])
      .then(
        (result) => {
          if (result.status === 'applied') this.#onApplied(p, flight, result.nextOffset, result.stats);
          else this.#onOrphans(p, flight, result.orphans);
        },
        (err: Error & { canRetry?: boolean; fatal?: string }) => this.#onFailed(p, flight, err),
      )
      .finally(() => {
        flight.running = false;
        this.stats.inflightBatches--;
        settle();
        this.#wake?.();
      });
  }

  #onApplied(p: PartitionState, flight: InFlight, nextOffset: number, stats: ApplyStats): void {
    this.#postgresUp();
    if (flight.orphansSince !== undefined)
      this.#log('info', `orphan ${this.#tableOf.get(p.sink) ?? p.sink} resolved`, { partition: p.key });
    p.nextOffset = nextOffset;
    p.inflight = undefined;
    if (stats.skipped > 0)
      this.#log('info', 'skipped messages another owner had applied', { partition: p.key, skipped: stats.skipped, events: stats.events });
    addBatch(this.stats, p.topic, p.partition, stats);
    this.#hooks.metrics?.batchApplied(
      p.topic,
      this.#tableOf.get(p.sink) ?? p.sink,
      stats.upserted + stats.patched,
      stats.deadLetters,
      stats.durationMs / 1000,
    );
    if (flight.timestamps) {
      this.#hooks.onBatch?.({ topic: p.topic, partition: p.partition }, stats, {
        timestamps: flight.timestamps,
        dispatchedAt: flight.dispatchedAt,
      });
    }
    if (!p.revoked) {
      this.#commitKafka([p]);
      // Whatever accumulated while this batch ran goes out now: back-to-back batches under load.
      if (p.pending.length > 0 && !this.#stopping) this.#dispatch(p);
    }
  }

  #onOrphans(p: PartitionState, flight: InFlight, orphans: number): void {
    const now = Date.now();
    if (flight.orphansSince === undefined) {
      flight.orphansSince = now;
      p.orphanWaitsUnlogged++;
    }
    // During a catch-up nearly every batch of a child topic may wait a moment for its parents (802
    // lines in a 20-minute soak when each one logged): at most one line per partition per interval,
    // counting the batches that began waiting since the last one. A batch still waiting logs again
    // each interval, so a partition that waits is never silent for longer.
    if (now - p.orphansLoggedAt >= ORPHAN_LOG_INTERVAL_MS) {
      // Named by the tables, e.g. "orders wait for their users": a row's parent has not landed yet.
      this.#log(
        'warn',
        `${this.#tableOf.get(p.sink) ?? p.sink} wait for their ${this.#parentsOf.get(p.sink) ?? 'parents'}; retrying the partition`,
        {
          partition: p.key,
          orphans,
          waitingMs: now - flight.orphansSince,
          batchesSinceLastLine: p.orphanWaitsUnlogged,
          deadLetterAfterMs: this.#options.orphanWaitMs,
        },
      );
      p.orphansLoggedAt = now;
      p.orphanWaitsUnlogged = 0;
    }
    this.#scheduleRetry(p, flight, ORPHAN_RETRY);
  }

  #onFailed(p: PartitionState, flight: InFlight, err: Error & { canRetry?: boolean; fatal?: string }): void {
    if (!err.canRetry) {
      this.#fatal ??= this.#asFatal(err);
      this.stop('fatal error');
      return;
    }
    this.#postgresDownOnce(`batch ${p.key}`, err.message);
    this.#scheduleRetry(p, flight);
  }

  #scheduleRetry(p: PartitionState, flight: InFlight, policy: BackoffPolicy = POSTGRES_RETRY): void {
    if (p.revoked || this.#stopping) {
      p.inflight = undefined;
      return;
    }
    const delay = backoffDelayMs(flight.attempt++, policy);
    flight.retryTimer = setTimeout(() => this.#runBatch(p), delay);
  }

  #applyBackpressure(): void {
    const consumer = this.#consumer;
    if (!consumer || this.#partitions.size === 0) return;
    // Each partition gets an equal share of the byte budget, so one stuck partition (e.g. orders waiting
    // for users) pauses alone while the others keep flowing.
    const share = this.#options.maxBytesInFlight / this.#partitions.size;
    const pause: TopicPartition[] = [];
    const resume: TopicPartition[] = [];
    for (const p of this.#partitions.values()) {
      if (p.revoked) continue;
      if (!p.paused && p.bytesHeld > share) {
        p.paused = true;
        pause.push({ topic: p.topic, partition: p.partition });
      } else if (p.paused && p.bytesHeld < share / 2) {
        p.paused = false;
        resume.push({ topic: p.topic, partition: p.partition });
      }
    }
    if (pause.length > 0) consumer.pause(pause);
    if (resume.length > 0) {
      consumer.resume(resume);
      // Fetching restarts only now: the quiet time while paused was ours, not the topic's.
      this.#lastActivity = Date.now();
    }
  }

  #allPaused(): boolean {
    if (this.#partitions.size === 0) return false;
    for (const p of this.#partitions.values()) if (!p.paused) return false;
    return true;
  }

  #isIdle(now: number): boolean {
    // The idle clock runs only while we hold an assignment: a slow join or rebalance is not idleness.
    if (this.#options.idleMs <= 0 || !this.#assignedOnce || this.#unassigned) return false;
    if (now - this.#lastActivity < this.#options.idleMs) return false;
    for (const p of this.#partitions.values()) {
      // A paused partition is quiet because we stopped fetching it (backpressure), not because it is done.
      if (p.pending.length > 0 || p.inflight || p.paused) return false;
    }
    return true;
  }

  async #shutdown(): Promise<void> {
    this.#stopping = true;
    const consumer = this.#consumer;
    try {
      await this.#rebalancing;
      if (this.#partitions.size > 0) await this.#release([...this.#partitions.values()]);
      if (consumer?.isConnected()) {
        await new Promise<void>((resolve) => consumer.disconnect(() => resolve()));
      }
    } finally {
      await Promise.allSettled(this.#slots.map((s) => s.close()));
    }
  }
}
