/**
 * cdc-consume's options: declared once, used by the CLI (flags + environment) and the library API.
 */
import { availableParallelism } from 'node:os';
import { connectionOptions, option, parse, type SpecValues } from '../config/index.js';

/** Defaults in one place, each with why. */
export const consumerDefaults = {
  group: 'cdc-pipeline',
  topics: ['users', 'orders'],
  /** Exit after this long without a new message; 0 = run until signalled. */
  idleMs: 0,
  /** Workers are capped by the cores less the main thread's (see defaultWorkers) and by this. */
  maxWorkers: 8,
  /** Large enough to amortise a transaction over many rows, small enough to keep latency low. */
  batchMaxRows: 5000,
  /** How long a partition's first pending message may wait for more before a batch goes out anyway. */
  batchMaxMs: 20,
  /** Bytes of messages held by the engine (pending + in flight) across partitions before fetching pauses. */
  maxBytesInFlight: 16 * 1024 * 1024,
  from: 'beginning' as 'beginning' | 'end',
  /** How long an order may wait for its user before it becomes a dead letter. */
  orphanWaitMs: 30_000,
  /** Larger values are dead-lettered before decoding (Kafka's default max message size is 1 MiB). */
  maxValueBytes: 1024 * 1024,
  /**
   * librdkafka's default (45 s) makes a restarted consumer wait that long for its dead predecessor's
   * partitions; 10 s still rides out ordinary network hiccups.
   */
  sessionTimeoutMs: 10_000,
  /** Bound on finishing in-flight batches at shutdown or revocation. */
  shutdownTimeoutMs: 30_000,
} as const;

/**
 * Worker threads when --workers is not given (fewer if fewer partitions are assigned): one core is left
 * to the main thread, which consumes, packs and dispatches every message. On the 2-core development
 * machine one worker drained the benchmark backlog about as fast as two (interleaved runs: 36,600-37,800
 * events/s against 32,000-40,200, within this machine's noise) with 20-50 MB less peak memory (233-262
 * MB against 260-306 MB, where the target is 300): a second worker only adds a thread competing for the
 * two cores with the main thread and Postgres.
 */
export function defaultWorkers(cores = availableParallelism()): number {
  return Math.max(1, Math.min(cores - 1, consumerDefaults.maxWorkers));
}

export const consumerOptions = {
  ...connectionOptions,
  group: option<string>({
    flag: 'group',
    env: 'CDC_GROUP',
    describe: 'Kafka consumer group id (also the key of the offsets stored in Postgres)',
    default: consumerDefaults.group,
    parse: parse.nonEmptyString,
  }),
  topics: option<string[]>({
    flag: 'topics',
    env: 'CDC_TOPICS',
    describe:
      'Topics to consume, comma-separated. A topic is loaded by the sink (users, orders) of the same name; write sink=topic to map another topic name, e.g. users=prod.users',
    default: [...consumerDefaults.topics],
    parse: parse.nameList,
  }),
  idleMs: option<number>({
    flag: 'idle',
    env: 'CDC_IDLE',
    describe: 'Exit 0 once no message has arrived for this long and everything received is committed; 0 runs until signalled',
    default: consumerDefaults.idleMs,
    defaultText: '0',
    parse: parse.duration,
  }),
  workers: option<number | undefined>({
    flag: 'workers',
    env: 'CDC_WORKERS',
    describe: `Worker threads; default: one per assigned partition, at most the cores available less one for the main thread (${defaultWorkers()} here, at least 1) and ${consumerDefaults.maxWorkers}`,
    default: undefined,
    defaultText: 'auto',
    parse: parse.optional(parse.integer(1, 64)),
  }),
  batchMaxRows: option<number>({
    flag: 'batch-max-rows',
    env: 'CDC_BATCH_MAX_ROWS',
    describe: 'Most messages in one batch (one transaction)',
    default: consumerDefaults.batchMaxRows,
    parse: parse.integer(1, 1_000_000),
  }),
  batchMaxMs: option<number>({
    flag: 'batch-max-ms',
    env: 'CDC_BATCH_MAX_MS',
    describe: 'Linger: how long a partition waits for more messages before sending a smaller batch (duration)',
    default: consumerDefaults.batchMaxMs,
    defaultText: '20ms',
    parse: parse.duration,
  }),
  maxBytesInFlight: option<number>({
    flag: 'max-bytes-in-flight',
    env: 'CDC_MAX_BYTES_IN_FLIGHT',
    describe: 'Backpressure: message bytes held (pending + being applied) before fetching pauses',
    default: consumerDefaults.maxBytesInFlight,
    defaultText: '16777216 (16 MiB)',
    parse: parse.integer(65_536),
  }),
  from: option<'beginning' | 'end'>({
    flag: 'from',
    env: 'CDC_FROM',
    describe: 'Where to start a partition that has no stored offset (neither in Postgres nor in Kafka)',
    default: consumerDefaults.from,
    parse: parse.oneOf(['beginning', 'end'] as const),
  }),
  migrate: option<boolean>({
    flag: 'migrate',
    env: 'CDC_MIGRATE',
    describe: 'Apply the schema at start (idempotent); --no-migrate only checks that the tables exist',
    default: true,
    kind: 'boolean',
    parse: parse.boolean,
  }),
  orphanWaitMs: option<number>({
    flag: 'orphan-wait',
    env: 'CDC_ORPHAN_WAIT',
    describe: 'How long an order whose user has not arrived keeps its partition retrying before it becomes a dead letter (duration)',
    default: consumerDefaults.orphanWaitMs,
    defaultText: '30s',
    parse: parse.duration,
  }),
  maxValueBytes: option<number>({
    flag: 'max-value-bytes',
    env: 'CDC_MAX_VALUE_BYTES',
    describe: 'Larger message values become dead letters without being decoded',
    default: consumerDefaults.maxValueBytes,
    defaultText: '1048576 (1 MiB)',
    parse: parse.integer(1),
  }),
  kafkaConfig: option<Record<string, string>>({
    flag: 'kafka-config',
    env: 'CDC_KAFKA_CONFIG',
    describe:
      "Extra librdkafka consumer settings, key=value,... (e.g. security.protocol=SASL_SSL, fetch.wait.max.ms=100). They override the engine's tuned defaults; its own commit, group and assignment settings cannot be overridden",
    default: {},
    defaultText: 'none',
    parse: parse.keyValues,
  }),
  shutdownTimeoutMs: option<number>({
    flag: 'shutdown-timeout',
    env: 'CDC_SHUTDOWN_TIMEOUT',
    describe: 'Bound on finishing in-flight batches on SIGINT/SIGTERM or partition revocation (duration)',
    default: consumerDefaults.shutdownTimeoutMs,
    defaultText: '30s',
    parse: parse.duration,
  }),
};

export type ConsumerOptions = SpecValues<typeof consumerOptions>;
