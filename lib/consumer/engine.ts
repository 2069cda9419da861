/**
 * The consumer engine's main thread: a node-rdkafka KafkaConsumer, per-partition accumulation and
 * dispatch to worker threads, and offset commits once a worker reports the rows durable (no JSON, no
 * SQL: both happen in the workers). This class keeps the life cycle, the rebalance steps, the consume
 * loop and shutdown; its parts each have a file: partition-state.ts (messages, batch cutting),
 * flow-control.ts (backpressure, idleness), offsets.ts (start offsets, Kafka commits), offset-gaps.ts,
 * retry-scheduler.ts (retries, orphan waits).
 *
 *   Kafka ──consume──▶ partition queues ──packed batch (transferred)──▶ worker slot (thread)
 *                                                                      └─ one Postgres transaction:
 *                                                                         rows + dead letters + cdc_offsets
 *   Kafka ◀──commit(next offset)── applied ◀─────────────────────────────┘
 */
import Kafka from 'node-rdkafka';
import { redactUrl } from '../config/redact.js';
import { CdcError } from '../errors.js';
import { checkKafkaConfig, consumerConfig, topicNames } from '../kafka/consumer-config.js';
import { offsetQueries } from '../kafka/offsets.js';
import type { Logger } from '../log.js';
import type { EngineMetrics } from '../metrics/metrics.js';
import { loadMapping, type Mapping, parentTables, requireSchemaRegistry, selectSinks } from '../sinks/mapping.js';
import { SinkRouter } from '../sinks/topic-sinks.js';
import { type ApplyStats, type TopicPartition, workerConfig } from '../worker-protocol.js';
import { type Clock, settlesWithin, systemClock } from './clock.js';
import { engineDefaults } from './defaults.js';
import { Dispatcher } from './dispatcher.js';
import { allPaused, backpressure, isIdle, nextFetchCount } from './flow-control.js';
import { type Health, HealthCheck } from './health.js';
import { KafkaLinks } from './links.js';
import { OffsetGapGuard } from './offset-gaps.js';
import { OffsetCommitter, startOffsets } from './offsets.js';
import { type ConsumerOptions, defaultWorkers } from './options.js';
import { byPartition, partitionKey, PartitionState } from './partition-state.js';
import { RetryScheduler } from './retry-scheduler.js';
import { countPerTopic, createEngineStats, type EngineStats, parseStatistics, updateLag } from './stats.js';
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

export class ConsumerEngine {
  readonly stats: EngineStats;
  readonly #options: ConsumerOptions;
  readonly #log: Logger;
  readonly #hooks: EngineHooks;
  readonly #clock: Clock = systemClock;
  readonly #slots: WorkerSlot[] = [];
  readonly #maxSlots: number;
  readonly #partitions = new Map<string, PartitionState>();
  readonly #mapping: Mapping;
  /** Which sink and table take each topic. */
  readonly #router: SinkRouter;
  #consumer: Kafka.KafkaConsumer | undefined;
  #stopping = false;
  #stopReason = '';
  #fatal: Error | undefined;
  #assignedOnce = false;
  #lastActivity = Date.now();
  #wake: (() => void) | undefined;
  #holding = false; // over the byte budget (flow-control.ts): no messages taken until a batch settles
  #rebalancing: Promise<void> = Promise.resolve();
  /** Settles once the consume call in progress has returned and its messages were taken (see #assign). */
  #consuming: Promise<void> = Promise.resolve();
  /** Between a revocation and the next assignment: not idle, whatever the clock says. */
  #unassigned = true;
  readonly #links: KafkaLinks;
  readonly #offsets: OffsetCommitter;
  readonly #gaps: OffsetGapGuard;
  readonly #retries: RetryScheduler;
  readonly #dispatcher: Dispatcher;
  /** Worker notices already logged (each once per process, whichever worker saw it). */
  readonly #noticed = new Set<string>();
  readonly #health = new HealthCheck(
    () => (this.#stopping ? 'stopping' : this.#assignedOnce && !this.#unassigned ? 'joined' : 'joining'),
    () => this.#slot(0).run({ kind: 'ping' }),
    () => this.#links.unreachable(),
    () => this.#gaps.held(),
    () => this.#retries.registryFailing,
  );

  constructor(options: ConsumerOptions, hooks: EngineHooks = {}) {
    this.#options = options;
    this.#hooks = hooks;
    this.#log = hooks.log ?? (() => {});
    this.#links = new KafkaLinks(this.#log);
    this.#mapping = loadMapping(options.sinks); // read and validated once, before anything connects
    const selection = requireSchemaRegistry(this.#mapping, selectSinks(this.#mapping, options.topics), options.schemaRegistry);
    this.#router = new SinkRouter(this.#mapping, selection);
    const parentsOf = parentTables(this.#mapping);
    checkKafkaConfig(options.kafkaConfig);
    this.#maxSlots = options.workers ?? defaultWorkers();
    this.stats = createEngineStats(this.#router.literalTopics());
    this.#offsets = new OffsetCommitter({
      consumer: () => this.#consumer,
      readStored: async (partitions) => (await this.#slot(0).run({ kind: 'stored-offsets', partitions })).offsets,
      log: this.#log,
      clock: this.#clock,
    });
    this.#gaps = new OffsetGapGuard({
      policy: options.onOffsetGap,
      log: this.#log,
      ...offsetQueries(() => this.#consumer, engineDefaults.kafkaQueryTimeoutMs),
      moveStored: (moves) => this.#retries.withRetry('move stored offsets', () => this.#slot(0).run({ kind: 'move-offsets', moves })),
      countGap: (gap) => hooks.metrics?.offsetGap(gap.topic, gap.partition, gap.kind),
    });
    this.#retries = new RetryScheduler({
      log: this.#log,
      clock: this.#clock,
      postgres: redactUrl(options.databaseUrl),
      orphanWaitMs: options.orphanWaitMs,
      orphanLogIntervalMs: engineDefaults.orphanLogIntervalMs,
      parentsOf: (sink) => parentsOf.get(sink) || 'parents',
      stopping: () => this.#stopping,
    });
    this.#dispatcher = new Dispatcher({
      options,
      partitions: () => this.#partitions,
      stats: this.stats,
      hooks,
      log: this.#log,
      clock: this.#clock,
      offsets: this.#offsets,
      retries: this.#retries,
      stopping: () => this.#stopping,
      fatal: (err) => this.#fail(err, 'fatal error'),
      settled: () => this.#wake?.(),
      notice: (n) => {
        if (this.#noticed.has(n.key)) return;
        this.#noticed.add(n.key);
        this.#log(n.level, n.message, n.fields);
      },
    });
  }

  /** topic -> target table of the topics known at start-up, for metrics labels. */
  tables(): Array<{ topic: string; table: string }> {
    return this.#router.literalTopics().map((topic) => ({ topic, table: this.#router.route(topic).tableName }));
  }

  /** Requests a graceful stop: fetching stops, in-flight batches finish (bounded), offsets are committed. */
  stop(reason = 'stop requested'): void {
    if (this.#stopping) return;
    this.#stopping = true;
    this.#stopReason = reason;
    this.#wake?.();
  }

  /** For /healthz: joined the group (holding an assignment) and Postgres answers. */
  health(): Promise<Health> {
    return this.#health.check();
  }

  /** Runs until idle (--idle), stop(), or a fatal error (thrown). */
  async run(): Promise<{ reason: string }> {
    const o = this.#options;
    this.#log('info', 'starting', {
      brokers: o.brokers,
      group: o.group,
      instanceId: o.instanceId,
      sinks: this.#mapping.source,
      topics: this.#router.describe(),
      workers: o.workers ?? `auto (max ${this.#maxSlots})`,
      database: redactUrl(o.databaseUrl),
      ...(o.schemaRegistry === undefined ? {} : { schemaRegistry: redactUrl(o.schemaRegistry) }),
      schema: o.dbSchema,
    });
    try {
      // Fatal database problems (credentials, permissions, a schema it cannot use) surface here, before
      // anything is consumed; Postgres still starting is retried for a while, then its last error fails.
      const migrated = await this.#retries.withRetry(
        'start-up',
        () => this.#slot(0).run({ kind: 'migrate', apply: o.migrate }),
        engineDefaults.startupRetryMs,
      );
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
    const message = err instanceof Error ? err.message : String(err);
    const detail = err instanceof CdcError && err.fatal ? `${err.fatal}: ${message}` : message;
    return new CdcError('ERR_CDC_POSTGRES', `Postgres: ${detail}`, { cause: err });
  }

  #fail(err: unknown, reason: string): void {
    this.#fatal ??= this.#asFatal(err);
    this.stop(reason);
  }

  #slot(index: number): WorkerSlot {
    while (this.#slots.length <= index)
      this.#slots.push(new WorkerSlot(this.#slots.length, workerConfig(this.#options, this.#options.group, this.#mapping)));
    return this.#slots[index] as WorkerSlot;
  }

  async #connect(): Promise<void> {
    const o = this.#options;
    const consumer = new Kafka.KafkaConsumer(
      consumerConfig({
        brokers: o.brokers,
        group: o.group,
        instanceId: o.instanceId,
        kafkaConfig: o.kafkaConfig,
        debug: process.env.CDC_RDKAFKA_DEBUG,
        rebalance: (err, assignment) => this.#onRebalance(err, assignment),
      }),
      { 'auto.offset.reset': o.from === 'end' ? 'latest' : 'earliest' },
    );
    consumer.on('event.error', (err) => {
      const fatal = this.#links.error(err);
      if (fatal) this.#fail(fatal, 'fatal Kafka error');
    });
    consumer.on('event.log', (e) => this.#log('debug', 'rdkafka', { fac: e.fac, message: e.message }));
    // Lag on the progress line and in the metrics comes from librdkafka's statistics.
    consumer.on('event.stats', (event) => {
      const parsed = parseStatistics(event.message);
      if (parsed === undefined) return;
      updateLag(this.stats, parsed, this.#partitions.values());
      this.#links.statistics(parsed);
    });
    await new Promise<void>((resolve, reject) => {
      consumer.connect({ timeout: engineDefaults.kafkaConnectTimeoutMs }, (err) =>
        err
          ? reject(new CdcError('ERR_CDC_KAFKA', `cannot connect to Kafka at ${o.brokers}: ${err.message}`, { canRetry: true }))
          : resolve(),
      );
    });
    consumer.setDefaultConsumeTimeout(engineDefaults.consumeTimeoutMs);
    // Topics a pattern matches now: two sinks taking one, or two topics one table, fail the start-up.
    if (this.#router.hasPatterns()) for (const t of await topicNames(consumer)) if (this.#router.takes(t)) this.#router.route(t);
    consumer.subscribe(this.#router.subscription());
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
        this.#fail(e, 'fatal error during rebalance');
      }
    });
  }

  async #assign(assignment: Kafka.Assignment[]): Promise<void> {
    const consumer = this.#consumer;
    if (!consumer) return;
    // Start offsets: cdc_offsets in Postgres first (it is written with the rows, so it is exact), then
    // Kafka's committed offset, then --from (librdkafka applies both when no offset is given); one
    // outside the log is an offset gap (offset-gaps.ts).
    const stored = await this.#retries.withRetry('read stored offsets', () =>
      this.#slot(0).run({ kind: 'stored-offsets', partitions: assignment.map((a) => ({ topic: a.topic, partition: a.partition })) }),
    );
    const byKey = byPartition(stored.offsets);
    const starts = await this.#gaps.check(startOffsets(assignment, byKey));
    // node-rdkafka gathers a consume call's messages on a libuv thread and hands them over when the
    // call returns: one that began before the revocation's unassign can still carry messages of the
    // old assignment, fetched ahead of what was applied. Taken after the new states exist, they would
    // be accepted (their offsets are above the stored one) and the partition's fetch from the stored
    // offset then dropped as duplicates up to them: a gap. So the call in progress (it returns within
    // the consume timeout: nothing is assigned) is taken, and its messages dropped, first.
    await this.#consuming;
    const slotCount = Math.min(this.#maxSlots, Math.max(1, starts.length));
    starts.forEach((a, i) => {
      const route = this.#router.route(a.topic);
      const state = new PartitionState(a.topic, a.partition, route.sink, this.#slot(i % slotCount), route.tableName);
      state.nextOffset = a.offset;
      state.acceptFrom = a.offset ?? 0;
      this.#partitions.set(state.key, state);
    });
    if (this.#stopping) return;
    consumer.assign(starts);
    // Kafka's committed offsets are for the tools that watch a group's lag; cdc_offsets decides. Make
    // them agree at once: a partition with nothing left to read would otherwise keep whatever was
    // committed last, possibly from an owner's view that was already behind (see OffsetCommitter.commitStored).
    this.#offsets.commit([...this.#partitions.values()].filter((p) => byKey.has(p.key) && !p.revoked));
    this.#assignedOnce = true;
    this.#unassigned = false;
    this.#lastActivity = this.#clock.now();
    this.#log('info', 'partitions assigned', {
      partitions: starts.map((a) => `${a.topic}/${a.partition}@${a.offset ?? 'committed'}`).join(' '),
      workers: slotCount,
    });
  }

  async #revoke(assignment: Kafka.Assignment[]): Promise<void> {
    const revoked = assignment.map((a) => this.#partitions.get(partitionKey(a.topic, a.partition))).filter((p): p is PartitionState => !!p);
    this.#unassigned = true;
    this.#gaps.release(assignment);
    await this.#release(revoked, Math.min(engineDefaults.revokeWaitMs, this.#options.shutdownTimeoutMs));
    this.#consumer?.unassign();
    if (revoked.length > 0) this.#log('info', 'partitions revoked', { partitions: revoked.map((p) => p.key).join(' ') });
  }

  /**
   * Stops dispatching these partitions, drops what was not dispatched (the next owner re-reads it from
   * cdc_offsets), lets a running batch finish within `waitMs` (revokeWaitMs or the shutdown bound), and commits what is applied.
   */
  async #release(states: PartitionState[], waitMs = this.#options.shutdownTimeoutMs): Promise<void> {
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
    for (const p of states) p.release(this.#clock);
    if (!(await settlesWithin(Promise.all(states.map((p) => p.settled)), waitMs, this.#clock))) {
      const why = 'in-flight batches still running: each commits or rolls back alone, the next owner resumes from cdc_offsets';
      this.#log('warn', why, { timeoutMs: waitMs });
    }
    await this.#offsets.commitStored(states);
    for (const p of states) this.#partitions.delete(p.key);
  }

  async #loop(): Promise<void> {
    const consumer = this.#consumer as Kafka.KafkaConsumer;
    let fetch: number = engineDefaults.fetchMinMessages;
    while (!this.#stopping) {
      const count = fetch;
      const asked = this.#clock.now();
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
      const now = this.#clock.now();
      fetch = nextFetchCount(count, messages.length, now - asked);
      try {
        for (const m of messages) this.#accept(m, now);
      } finally {
        taken();
      }
      const metrics = this.#hooks.metrics;
      if (metrics) countPerTopic(messages, (topic, n) => metrics.messagesConsumed(topic, n));
      this.#dispatcher.dispatchReady(this.#partitions.values(), now);
      this.#applyBackpressure();
      if (this.#fatal) throw this.#fatal;
      const states = [...this.#partitions.values()];
      const idle = isIdle(states, {
        now,
        lastActivity: this.#lastActivity,
        idleMs: this.#options.idleMs,
        holdingAssignment: this.#assignedOnce && !this.#unassigned,
      });
      if (idle) this.#gaps.throwIfHeld();
      if (idle) this.stop(`idle for ${this.#options.idleMs} ms with everything committed`);
      // Over the byte budget, or everything paused: wait for a batch to finish instead of spinning.
      if (this.#holding || (messages.length === 0 && allPaused(states))) {
        await new Promise<void>((resolve) => {
          this.#wake = resolve;
          this.#clock.setTimeout(resolve, engineDefaults.pausedPollMs);
        });
        this.#wake = undefined;
      }
    }
  }

  #accept(m: Kafka.Message, now: number): void {
    const p = this.#partitions.get(partitionKey(m.topic, m.partition));
    // A message of a partition no longer ours (revoked meanwhile) is dropped: its next owner reads it.
    if (!p) return;
    const message = { offset: m.offset, timestamp: m.timestamp, key: m.key as Buffer | string | null | undefined, value: m.value ?? null };
    if (!p.accept(message, now)) return;
    this.stats.consumed[m.topic] = (this.stats.consumed[m.topic] ?? 0) + 1;
    this.stats.firstMessageAt ??= now;
    this.#lastActivity = now;
  }

  #applyBackpressure(): void {
    const consumer = this.#consumer;
    if (!consumer) return;
    const { pause, resume, hold } = backpressure([...this.#partitions.values()], this.#options.maxBytesInFlight);
    this.#holding = hold;
    const tp = (p: PartitionState): TopicPartition => ({ topic: p.topic, partition: p.partition });
    if (pause.length > 0) {
      for (const p of pause) p.paused = true;
      consumer.pause(pause.map(tp));
    }
    if (resume.length > 0) {
      for (const p of resume) p.paused = false;
      consumer.resume(resume.map(tp));
      // Fetching restarts only now: the quiet time while paused was ours, not the topic's.
      this.#lastActivity = this.#clock.now();
    }
  }

  async #shutdown(): Promise<void> {
    this.#stopping = true;
    const consumer = this.#consumer;
    try {
      await this.#rebalancing;
      if (this.#partitions.size > 0) await this.#release([...this.#partitions.values()]);
      // Nothing is left to gather (the release committed from cdc_offsets); this stops the timer.
      this.#offsets.flush();
      if (consumer?.isConnected()) {
        await new Promise<void>((resolve) => consumer.disconnect(() => resolve()));
      }
    } finally {
      await Promise.allSettled(this.#slots.map((s) => s.close()));
    }
  }
}
