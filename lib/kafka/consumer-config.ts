/**
 * The librdkafka settings of the engine's consumer: the engine's tuned defaults, then the user's
 * `--kafka-config` (TLS, SASL, timeouts, fetch tuning...), then the settings the exactly-once design
 * depends on, which `--kafka-config` may not name at all.
 */
import type Kafka from 'node-rdkafka';
import { InvalidOptionError } from '../errors.js';

/** Settings the exactly-once design depends on: --kafka-config may not change them. */
export const ENGINE_OWNED_SETTINGS: ReadonlySet<string> = new Set([
  'metadata.broker.list',
  'bootstrap.servers',
  'group.id',
  'enable.auto.commit',
  'enable.auto.offset.store',
  'auto.commit.enable',
  'partition.assignment.strategy',
  'group.protocol',
  'rebalance_cb',
  'offset_commit_cb',
  'isolation.level',
]);

/** Refuses a --kafka-config that names a setting the engine owns. */
export function checkKafkaConfig(kafkaConfig: Readonly<Record<string, string>>): void {
  for (const key of Object.keys(kafkaConfig)) {
    if (ENGINE_OWNED_SETTINGS.has(key)) {
      throw new InvalidOptionError(
        '--kafka-config',
        `invalid --kafka-config: ${key} is set by the engine (exactly-once commits depend on it) and cannot be overridden`,
      );
    }
  }
}

/** Defaults the user may change with --kafka-config. */
const TUNED_DEFAULTS = {
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
  'fetch.wait.max.ms': 50,
  // librdkafka doubles the wait before reconnecting to a broker at each failed attempt up to this cap
  // (default 10 s), and shrinks it back only once the last attempt is a whole cap old: links reset every
  // few seconds (fault scenario 15) kept brokers unreachable 3-6 s after a 300 ms outage, and the
  // partitions they lead idle. 1 s, the Java client's default, costs at most one attempt a second.
  'reconnect.backoff.max.ms': 1000,
  // librdkafka's prefetch queue (one for the whole consumer) is bounded too, so memory stays bounded
  // while we pause. 1 MiB rather than 4: draining 100,000 events the peak RSS was 204-217 MB against
  // 235-238 MB, at the same CPU and wall time (the queue refills within fetch.queue.backoff.ms).
  'queued.max.messages.kbytes': 1024,
  // librdkafka waits this long before fetching a partition whose queue was full (default 1 s):
  // with a small queue that idles the pipeline, so retry fetching almost at once.
  'fetch.queue.backoff.ms': 10,
  // One fetch response is held on top of the queue: keep it small so memory stays bounded when paused.
  'fetch.max.bytes': 2 * 1024 * 1024,
  // Notice topics created after we subscribed (e.g. a parent table's topic after its child's) within seconds.
  'topic.metadata.refresh.interval.ms': 5000,
} satisfies Kafka.ConsumerGlobalConfig;

export interface ConsumerConfigInput {
  brokers: string;
  group: string;
  kafkaConfig: Readonly<Record<string, string>>;
  /** librdkafka debug contexts (CDC_RDKAFKA_DEBUG), logged at debug level. */
  debug?: string | undefined;
  rebalance: (err: Kafka.LibrdKafkaError, assignment: Kafka.Assignment[]) => void;
}

export function consumerConfig(input: ConsumerConfigInput): Kafka.ConsumerGlobalConfig {
  checkKafkaConfig(input.kafkaConfig);
  return {
    ...TUNED_DEFAULTS,
    ...(input.kafkaConfig as Kafka.ConsumerGlobalConfig),
    'metadata.broker.list': input.brokers,
    'group.id': input.group,
    ...(input.debug ? { debug: input.debug, event_cb: true } : {}),
    // Offsets are committed only after the rows are durable in Postgres, by this engine.
    'enable.auto.commit': false,
    'enable.auto.offset.store': false,
    'partition.assignment.strategy': 'roundrobin',
    rebalance_cb: input.rebalance,
  };
}
