/**
 * Every default of the consumer in one place, each with why: the option defaults a flag or environment
 * variable changes (`consumerDefaults`), and the fixed tunables of the main thread, the worker threads,
 * the health check, the Kafka links and the librdkafka consumer. Measurements behind the values are in
 * docs/benchmarks.md and docs/operations.md; the comments keep the reasons.
 */
import type Kafka from 'node-rdkafka';
import type { BackoffPolicy } from '../backoff.js';
import type { OffsetGapPolicy } from './offset-gaps.js';

/** The defaults of cdc-consume's options (lib/consumer/options.ts): a flag or variable changes each. */
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
  /**
   * Bytes of messages held by the engine (pending + in flight) across partitions before it takes no more
   * (flow-control.ts). 8 MiB keeps a backlog drain within 200 MB of RSS (docs/benchmarks.md).
   */
  maxBytesInFlight: 8 * 1024 * 1024,
  from: 'beginning' as 'beginning' | 'end',
  /**
   * A partition whose stored offset is outside the log (retention deleted events never applied, or the
   * topic was recreated) is held, not started somewhere else: either way rows are missing or wrong in
   * Postgres, and only a person can say whether to reload, skip or investigate. Starting at the log's
   * start or end silently is what librdkafka did before; an operator chooses that with earliest/latest.
   */
  onOffsetGap: 'fail' as OffsetGapPolicy,
  /** How long a child row may wait for its parent row before it becomes a dead letter. */
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
   * Bounds a lock wait. A child table's batches wait for the parent batches whose rows they reference, and a
   * partition's new owner waits for the old owner's last batch: one batch transaction each, seconds at
   * most. 30 s is far above that, so normal contention never becomes errors, and above the idle-in-
   * transaction limit, so a waiter behind a frozen session of ours gets the lock when the server ends
   * that session instead of failing first. Below the statement limit, so a lock wait ends with its
   * own error (55P03) rather than as a slow statement.
   */
  pgLockTimeoutMs: 30_000,
  /**
   * Bounds one statement on the server. A whole batch, a full COPY with its apply statements, takes tens
   * of milliseconds from dispatch to commit (docs/benchmarks.md); a loaded machine or a checkpoint
   * stretches a statement to seconds. A minute is far above the slowest legitimate one, and still ends
   * a runaway statement that holds its partition's lock.
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

const MiB = 1024 * 1024;

/** The main thread's fixed tunables (lib/consumer). */
export const engineDefaults = {
  /**
   * What a message costs the main thread beyond its value: node-rdkafka's message object and its key and
   * value buffers' own allocations. A dispatched batch goes on counting its messages so until it commits
   * (its packed buffer is smaller, but the worker holds a copy and decodes it), so a partition's bytes
   * keep one unit from fetch to commit and --max-bytes-in-flight bounds real memory.
   */
  messageOverheadBytes: 512,
  /** Upper bound on one batch's message bytes (values plus overhead), so a worker's memory per batch is bounded. */
  maxBatchBytes: 8 * MiB,
  /**
   * node-rdkafka's consume(count) returns only when it has `count` messages or the queue stays empty for
   * the consume timeout; a large count under a steady stream would hold messages back for a long time.
   * So the count adapts between these: it doubles while calls come back full (a backlog) and shrinks
   * when they do not.
   */
  fetchMinMessages: 64,
  fetchMaxMessages: 4096,
  /**
   * A full consume call that took longer than this waited for its messages to arrive rather than
   * finding them fetched: its count is not a backlog's. A backlog's calls take a few milliseconds
   * even at the largest count.
   */
  fetchFullWithinMs: 5,
  /** A consume call returns after `count` messages or once the queue stays empty this long. */
  consumeTimeoutMs: 10,
  /** With every partition paused (backpressure), the loop sleeps until a batch settles, at most this long. */
  pausedPollMs: 50,
  /** Bound on the first connection to the brokers: a wrong address fails start-up instead of hanging. */
  kafkaConnectTimeoutMs: 30_000,
  /** Bound on asking Kafka for a partition's watermarks or the group's committed offsets at assignment. */
  kafkaQueryTimeoutMs: 10_000,
  /** How long start-up waits for an unreachable Postgres (still starting, say) before giving up. */
  startupRetryMs: 60_000,
  /**
   * How long a revocation waits for the revoked partitions' running batches (a shutdown waits up to
   * --shutdown-timeout). The whole group waits for this member to rejoin, and a broker drops a member
   * that rejoins too late (the mock cluster after its join window, the session timeout less 1 s). A batch
   * still running after it, parked on another session's lock, is left to commit or roll back on its
   * own: its offset row fences it like any other owner's, so nothing is applied twice.
   */
  revokeWaitMs: 2000,
  /** How long a release waits for cdc_offsets before committing its own view to Kafka (lib/consumer/offsets.ts). */
  releaseReadMs: 2000,
  /**
   * Applied offsets go to Kafka together at most this often: Kafka's committed offset only serves lag
   * tools (cdc_offsets is the truth), and a commit per batch cost as much main-thread time as consuming
   * in a steady stream of small batches (docs/benchmarks.md). Kafka's own auto-commit default is 5 s.
   */
  kafkaCommitIntervalMs: 500,
  /**
   * At most one "wait for their parents" line per partition in this time: during a catch-up nearly every
   * batch of a child topic may wait a moment for its parents, and one line per batch floods the log.
   */
  orphanLogIntervalMs: 10_000,
} as const;

export const retryDefaults = {
  /** Jittered, so partitions that failed together do not stampede Postgres when it comes back. */
  postgres: { initialDelayMs: 100, maxDelayMs: 10_000, jitter: 'equal' } satisfies BackoffPolicy,
  /** Child rows usually wait for parents that are only moments behind: retry those sooner. */
  orphans: { initialDelayMs: 25, maxDelayMs: 1000, jitter: 'equal' } satisfies BackoffPolicy,
} as const;

/** The worker threads (lib/consumer/worker-pool.ts starts them, lib/apply runs in them). */
export const workerDefaults = {
  /**
   * Concurrent tasks per thread; also the thread's Postgres connection limit (connections are opened as
   * batches need them). Enough for every partition of a usual assignment to have its batch running on
   * one thread (on 2 cores the engine runs one worker): fewer queue batches behind each other and
   * raise the latency's tail.
   */
  tasksPerWorker: 8,
  /**
   * A batch's garbage is short-lived (decoded events, the COPY payload): a small young generation keeps
   * each worker's memory low at little cost in throughput.
   */
  youngGenerationMb: 8,
  /**
   * Caps each worker's heap so V8 collects instead of growing (a batch's live data is a few MB, bounded
   * by the engine's batch byte limit); a thread that still runs out is replaced and its batch retried.
   */
  oldGenerationMb: 64,
  /** An idle Postgres connection of a worker is closed after this long; the next batch opens another. */
  poolIdleTimeoutMs: 30_000,
  /** Bound on opening a Postgres connection; a failure is retried like any transient fault. */
  connectTimeoutMs: 10_000,
} as const;

/** GET /healthz (lib/consumer/health.ts). */
export const healthDefaults = {
  /** How long an answer is reused, so a scraper polling often does not queue a ping per request. */
  cacheMs: 1000,
  /** Postgres is down when `SELECT 1` takes longer than this. */
  postgresTimeoutMs: 2000,
} as const;

/** Broker and client-error logging (lib/consumer/links.ts). */
export const linkDefaults = {
  /** The same client error text is logged again only after this long without it. */
  errorQuietMs: 60_000,
  /** Distinct error texts remembered; past it the memory is cleared (a text may then log once more). */
  maxErrorTexts: 1000,
} as const;

/** librdkafka settings of the consumer that --kafka-config may change (lib/kafka/consumer-config.ts). */
export const kafkaConsumerDefaults = {
  'client.id': 'cdc-pipeline',
  // Lag on the progress line and in the metrics comes from these statistics.
  'statistics.interval.ms': 1000,
  // librdkafka's default (45 s) makes a restarted consumer wait that long for its dead predecessor's
  // partitions; 10 s still rides out ordinary network hiccups.
  'session.timeout.ms': 10_000,
  'socket.keepalive.enable': true,
  // A request unanswered this long fails and the connection is closed and retried (librdkafka's default
  // is 60 s): a broker that went silent (a partition, a blackhole) is noticed, logged and reconnected
  // within 10 s instead of a minute. Our requests are short: fetches wait at most fetch.wait.max.ms, and
  // librdkafka gives JoinGroup its own longer timeout.
  'socket.timeout.ms': 10_000,
  // How long a broker may hold a fetch that finds nothing new. A real broker answers as soon as data
  // arrives, so there this only paces an idle consumer's fetches (100 small requests a second per
  // broker at 10 ms); librdkafka's mock cluster holds the fetch for the whole wait, which at 50 ms was
  // most of the dev stack's latency before dispatch (docs/benchmarks.md).
  'fetch.wait.max.ms': 10,
  // An end-of-partition event tells node-rdkafka's consume(count) that nothing more is fetched: it
  // returns what it has after 1 ms instead of waiting for `count` messages or an empty consume timeout.
  'enable.partition.eof': true,
  // librdkafka doubles the wait before reconnecting to a broker at each failed attempt up to this cap
  // (default 10 s), and shrinks it back only once the last attempt is a whole cap old: links that reset
  // every few seconds (test/faults/flapping-links.fault.ts) kept brokers unreachable for seconds after a
  // short outage, and the partitions they lead idle. 1 s, the Java client's default, costs at most one
  // attempt a second.
  'reconnect.backoff.max.ms': 1000,
  // librdkafka's prefetch queue (one for the whole consumer) is bounded too, so memory stays bounded
  // while we pause. 1 MiB rather than 4 lowers the peak RSS at the same CPU and wall time (the queue
  // refills within fetch.queue.backoff.ms; docs/benchmarks.md).
  'queued.max.messages.kbytes': 1024,
  // librdkafka waits this long before fetching a partition whose queue was full (default 1 s):
  // with a small queue that idles the pipeline, so retry fetching almost at once.
  'fetch.queue.backoff.ms': 10,
  // One fetch response is held on top of the queue: keep it small so memory stays bounded when paused.
  'fetch.max.bytes': 2 * MiB,
  // Notice topics created after we subscribed (a parent topic arriving after its child) within seconds.
  'topic.metadata.refresh.interval.ms': 5000,
} satisfies Kafka.ConsumerGlobalConfig;
