/**
 * cdc-consume's options: declared once, used by the CLI (flags + environment) and the library API.
 */
import { availableParallelism } from 'node:os';
import { connectionOptions, option, parse, schemaRegistryOptions, type SpecValues } from '../config/index.js';
import type { Parser } from '../config/parsers.js';
import { InvalidOptionError } from '../errors.js';
import { consumerDefaults } from './defaults.js';
import { offsetGapPolicies, type OffsetGapPolicy } from './offset-gaps.js';

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
 * to the main thread, which consumes, packs and dispatches every message. On 2 cores one worker drains
 * a backlog about as fast as two with less memory (docs/benchmarks.md): a second worker only adds a
 * thread competing for the two cores with the main thread and Postgres.
 */
export function defaultWorkers(cores = availableParallelism()): number {
  return Math.max(1, Math.min(cores - 1, consumerDefaults.maxWorkers));
}

/**
 * A static member's id as Kafka accepts it (JoinGroup refuses others): 1 to 249 of [a-zA-Z0-9._-],
 * checked here so a bad one fails at start-up naming the flag, not at the first join.
 */
const instanceId: Parser<string> = (value, name) => {
  const id = parse.nonEmptyString(value, name);
  if (id.length <= 249 && /^[a-zA-Z0-9._-]+$/.test(id)) return id;
  throw new InvalidOptionError(
    name,
    `invalid ${name} ${JSON.stringify(id)}: expected 1 to 249 of the characters a-z, A-Z, 0-9, '.', '_' and '-'`,
  );
};

export const consumerOptions = {
  ...connectionOptions,
  group: option<string>({
    flag: 'group',
    env: 'CDC_GROUP',
    describe: 'Kafka consumer group id (also the key of the offsets stored in Postgres)',
    default: consumerDefaults.group,
    parse: parse.nonEmptyString,
  }),
  instanceId: option<string | undefined>({
    flag: 'instance-id',
    env: 'CDC_INSTANCE_ID',
    describe:
      "Static group membership (Kafka's group.instance.id, KIP-345): a consumer restarted with the same id within the session timeout gets its partitions back without a rebalance. Unique per process in the group (a second process with the same id fences the first); see docs/operations.md",
    default: undefined,
    defaultText: 'none (a dynamic member)',
    parse: parse.optional(instanceId),
  }),
  sinks: option<string | undefined>({
    flag: 'sinks',
    env: 'CDC_SINKS',
    describe:
      'Mapping file (YAML or JSON) declaring which topic goes to which table, with key, columns and delete rule; see docs/sinks.md. Default: the shipped seed mapping (the Go pipeline tables)',
    default: undefined,
    defaultText: 'lib/sinks/mappings/seed.yaml',
    parse: parse.optional(parse.nonEmptyString),
  }),
  topics: option<string[] | undefined>({
    flag: 'topics',
    env: 'CDC_TOPICS',
    describe:
      "Which of the mapping's sinks to run, comma-separated, by name (a sink's name is its topic unless the file says otherwise); name=topic reads another topic into that sink, e.g. customers=prod.customers. Default: all of them",
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
    describe:
      'Backpressure: message bytes all partitions hold together (pending + being applied) before the consumer takes no more until a batch finishes; a batch holds at most this over twice the worker threads',
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
  onOffsetGap: option<OffsetGapPolicy>({
    flag: 'on-offset-gap',
    env: 'CDC_ON_OFFSET_GAP',
    describe:
      "A partition whose stored offset is below the log's start (retention deleted events not applied) or above its end (topic recreated): fail = do not consume it, /healthz 503, until restarted with another setting; earliest / latest = continue from the log's start / end. Logged as an error and counted either way",
    default: consumerDefaults.onOffsetGap,
    parse: parse.oneOf(offsetGapPolicies),
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
    describe: 'How long a row whose parent row has not arrived keeps its partition retrying before it becomes a dead letter (duration)',
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
  ...schemaRegistryOptions,
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
    describe: 'Bound on finishing in-flight batches on SIGINT/SIGTERM; a revocation waits at most 2 s of it (duration)',
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
