/**
 * cdc-consume's options: declared once, used by the CLI (flags + environment) and the library API.
 */
import { availableParallelism } from 'node:os';
import { connectionOptions, option, parse, type SpecValues } from '../config/index.js';
import type { Parser } from '../config/parsers.js';
import { InvalidOptionError } from '../errors.js';

/** Defaults in one place, each with why. */
export const consumerDefaults = {
  group: 'cdc-pipeline',
  /** undefined: every sink of the mapping file. */
  topics: undefined as string[] | undefined,
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
  /** Bound on finishing in-flight batches at shutdown or revocation. */
  shutdownTimeoutMs: 30_000,
  /*
   * Postgres session limits (0 = not set). Why each has its value: a batch
   * transaction normally lasts milliseconds to a few seconds, its statements are a COPY and a few
   * set-based statements, and nothing in it waits on anything but Postgres and its own worker thread.
   * So anything much longer means a frozen, paused or cut-off consumer, or a stuck server; every one of
   * these limits, when it fires, is retried on a fresh connection like any transient fault.
   */
  /**
   * Ends a session idle inside a transaction: what frees a frozen consumer's offset-row and row locks.
   * Between statements our transactions only wait for their worker thread (folding and encoding a
   * batch: milliseconds; the thread's other batches and GC: well under a second on a loaded 2-core
   * machine). 10 s matches the Kafka session timeout (lib/kafka/consumer-config.ts): by the time the group hands the frozen
   * consumer's partitions to a new owner, the server is ending its transactions.
   */
  pgIdleInTransactionTimeoutMs: 10_000,
  /**
   * Bounds a lock wait. Orders batches wait for the users batches whose rows they reference, and a
   * partition's new owner waits for the old owner's last batch: one batch transaction each, seconds at
   * most. 30 s is far above that, so normal contention never becomes errors, and above the idle-in-
   * transaction limit, so a waiter behind a frozen session of ours gets the lock when the server ends
   * that session instead of failing first. Below the statement limit, so a lock wait ends with its
   * own error (55P03) rather than as a slow statement.
   */
  pgLockTimeoutMs: 30_000,
  /**
   * Bounds one statement on the server. A whole batch, a 5,000-row COPY with its apply statements, took
   * 23 ms at the median and 97 ms at p99 from dispatch to commit in the benchmark; a loaded machine or
   * a checkpoint stretches a statement to seconds. A minute is over ten times the slowest legitimate
   * one, and still ends a runaway statement that holds its partition's lock.
   */
  pgStatementTimeoutMs: 60_000,
  /**
   * The client's own bound on one query, for when the server cannot answer at all: a request lost in
   * a partition is retransmitted by the kernel for about 15 minutes, and keepalive does not run while
   * data is unacknowledged. Above the statement limit (with room for a COPY payload's transfer), so a
   * slow statement is ended by the server, which keeps the session usable, before the client gives up
   * on the connection.
   */
  pgQueryTimeoutMs: 90_000,
  /**
   * TCP keepalive idle time on both ends of our connections. After it, probes go every second and 10
   * unanswered ones end the connection (libuv's fixed interval and count, set to match on the server),
   * so a vanished peer is noticed in about 20 s instead of the kernels' default of over two hours. The
   * server's end matters while it reads COPY data: Postgres takes no statement timeout there, so a
   * client host that dies mid-COPY would otherwise hold its locks until the kernel gives up.
   */
  pgKeepaliveMs: 10_000,
} as const;

/** Postgres takes its timeouts as a 32-bit count of milliseconds; a day is far beyond any use. */
const PG_TIMEOUT_MAX_MS = 24 * 3_600_000;
/** Keepalive idle time is whole seconds on both ends (Linux caps it at about 9 hours). */
const KEEPALIVE_MAX_MS = 3_600_000;

/**
 * 0 (not set), or a duration in [minMs, maxMs]: out-of-range values would otherwise surface only as
 * errors from Postgres or the socket at every connection attempt.
 */
function limitDuration(minMs: number, maxMs: number, range: string): Parser<number> {
  return (value, name) => {
    const ms = parse.duration(value, name);
    if (ms === 0 || (ms >= minMs && ms <= maxMs)) return ms;
    const shown = typeof value === 'string' ? JSON.stringify(value) : String(value);
    throw new InvalidOptionError(name, `invalid ${name} ${shown}: expected 0 (not set) or a duration from ${range}, such as 10s or 5m`);
  };
}

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
  sinks: option<string | undefined>({
    flag: 'sinks',
    env: 'CDC_SINKS',
    describe:
      'Mapping file (YAML or JSON) declaring which topic goes to which table, with key, columns and delete rule; see docs/sinks.md. Default: the shipped seed mapping (users and orders of the Go pipeline)',
    default: undefined,
    defaultText: 'lib/sinks/mappings/seed.yaml',
    parse: parse.optional(parse.nonEmptyString),
  }),
  topics: option<string[] | undefined>({
    flag: 'topics',
    env: 'CDC_TOPICS',
    describe:
      "Which of the mapping's sinks to run, comma-separated, by name (a sink's name is its topic unless the file says otherwise); name=topic reads another topic into that sink, e.g. users=prod.users. Default: all of them",
    default: consumerDefaults.topics,
    defaultText: 'all sinks of the mapping',
    parse: parse.optional(parse.nameList),
  }),
  idleMs: option<number>({
    flag: 'idle',
    env: 'CDC_IDLE',
    describe: 'Exit 0 once no message has arrived for this long and everything received is committed; 0 runs until signalled',
    default: consumerDefaults.idleMs,
    unit: 'ms',
    parse: parse.duration,
  }),
  workers: option<number | undefined>({
    flag: 'workers',
    env: 'CDC_WORKERS',
    describe: `Worker threads; default: one per assigned partition, at most the cores available less one for the main thread (at least 1) and ${consumerDefaults.maxWorkers}`,
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
    unit: 'ms',
    parse: parse.duration,
  }),
  maxBytesInFlight: option<number>({
    flag: 'max-bytes-in-flight',
    env: 'CDC_MAX_BYTES_IN_FLIGHT',
    describe: 'Backpressure: message bytes held (pending + being applied) before fetching pauses',
    default: consumerDefaults.maxBytesInFlight,
    unit: 'bytes',
    parse: parse.bytes(65_536),
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
    unit: 'ms',
    parse: parse.duration,
  }),
  maxValueBytes: option<number>({
    flag: 'max-value-bytes',
    env: 'CDC_MAX_VALUE_BYTES',
    describe: 'Larger message values become dead letters without being decoded',
    default: consumerDefaults.maxValueBytes,
    unit: 'bytes',
    parse: parse.bytes(1),
  }),
  kafkaConfig: option<Record<string, string>>({
    flag: 'kafka-config',
    env: 'CDC_KAFKA_CONFIG',
    describe:
      "Extra librdkafka consumer settings, key=value,... (e.g. security.protocol=SASL_SSL, fetch.wait.max.ms=100). They override the engine's tuned defaults; its own commit, group and assignment settings cannot be overridden",
    default: {},
    parse: parse.keyValues,
  }),
  shutdownTimeoutMs: option<number>({
    flag: 'shutdown-timeout',
    env: 'CDC_SHUTDOWN_TIMEOUT',
    describe: 'Bound on finishing in-flight batches on SIGINT/SIGTERM or partition revocation (duration)',
    default: consumerDefaults.shutdownTimeoutMs,
    unit: 'ms',
    parse: parse.duration,
  }),
  pgIdleInTransactionTimeoutMs: option<number>({
    flag: 'pg-idle-in-transaction-timeout',
    env: 'CDC_PG_IDLE_IN_TRANSACTION_TIMEOUT',
    describe:
      "Postgres ends a session of ours left idle inside a transaction this long (a frozen or cut-off consumer), releasing its locks; the batch is retried (idle_in_transaction_session_timeout; 0 leaves the server's setting)",
    default: consumerDefaults.pgIdleInTransactionTimeoutMs,
    unit: 'ms',
    parse: limitDuration(1, PG_TIMEOUT_MAX_MS, '1ms to 24h'),
  }),
  pgLockTimeoutMs: option<number>({
    flag: 'pg-lock-timeout',
    env: 'CDC_PG_LOCK_TIMEOUT',
    describe: "Longest wait for a lock before the batch is retried (lock_timeout; 0 leaves the server's setting)",
    default: consumerDefaults.pgLockTimeoutMs,
    unit: 'ms',
    parse: limitDuration(1, PG_TIMEOUT_MAX_MS, '1ms to 24h'),
  }),
  pgStatementTimeoutMs: option<number>({
    flag: 'pg-statement-timeout',
    env: 'CDC_PG_STATEMENT_TIMEOUT',
    describe:
      "Longest run of one statement before Postgres cancels it and the batch is retried (statement_timeout; 0 leaves the server's setting)",
    default: consumerDefaults.pgStatementTimeoutMs,
    unit: 'ms',
    parse: limitDuration(1, PG_TIMEOUT_MAX_MS, '1ms to 24h'),
  }),
  pgQueryTimeoutMs: option<number>({
    flag: 'pg-query-timeout',
    env: 'CDC_PG_QUERY_TIMEOUT',
    describe:
      'Client-side bound on one query: with no answer by then the connection is dropped and the batch retried on a new one; keep it above --pg-statement-timeout (0 = none)',
    default: consumerDefaults.pgQueryTimeoutMs,
    unit: 'ms',
    parse: limitDuration(1, PG_TIMEOUT_MAX_MS, '1ms to 24h'),
  }),
  pgKeepaliveMs: option<number>({
    flag: 'pg-keepalive',
    env: 'CDC_PG_KEEPALIVE',
    describe:
      'TCP keepalive on Postgres connections, client and server end: idle time before probes, 1 s apart; 10 unanswered end the connection (whole seconds; 0 = off)',
    default: consumerDefaults.pgKeepaliveMs,
    unit: 'ms',
    parse: limitDuration(1000, KEEPALIVE_MAX_MS, '1s to 1h'),
  }),
};

export type ConsumerOptions = SpecValues<typeof consumerOptions>;
