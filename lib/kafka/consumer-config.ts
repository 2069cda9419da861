/**
 * The librdkafka settings of the engine's consumer: the engine's tuned defaults, then the user's
 * `--kafka-config` (TLS, SASL, timeouts, fetch tuning...), then the settings the exactly-once design
 * depends on, which `--kafka-config` may not name at all.
 */
import type Kafka from 'node-rdkafka';
import { kafkaConsumerDefaults } from '../consumer/defaults.js';
import { CdcError, InvalidOptionError } from '../errors.js';

/** Settings the exactly-once design depends on: --kafka-config may not change them. */
export const ENGINE_OWNED_SETTINGS: ReadonlySet<string> = new Set([
  'metadata.broker.list',
  'bootstrap.servers',
  'group.id',
  // Set by --instance-id, so the one way to set it is validated and documented (docs/operations.md).
  'group.instance.id',
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
    if (key === 'group.instance.id') {
      throw new InvalidOptionError('--kafka-config', `invalid --kafka-config: set ${key} with --instance-id (CDC_INSTANCE_ID)`);
    }
    if (ENGINE_OWNED_SETTINGS.has(key)) {
      throw new InvalidOptionError(
        '--kafka-config',
        `invalid --kafka-config: ${key} is set by the engine (exactly-once commits depend on it) and cannot be overridden`,
      );
    }
  }
}

export interface ConsumerConfigInput {
  brokers: string;
  group: string;
  /** Static group membership (KIP-345): librdkafka's group.instance.id; none = a dynamic member. */
  instanceId?: string | undefined;
  kafkaConfig: Readonly<Record<string, string>>;
  /** librdkafka debug contexts (CDC_RDKAFKA_DEBUG), logged at debug level. */
  debug?: string | undefined;
  rebalance: (err: Kafka.LibrdKafkaError, assignment: Kafka.Assignment[]) => void;
}

export function consumerConfig(input: ConsumerConfigInput): Kafka.ConsumerGlobalConfig {
  checkKafkaConfig(input.kafkaConfig);
  return {
    ...kafkaConsumerDefaults,
    ...(input.kafkaConfig as Kafka.ConsumerGlobalConfig),
    'metadata.broker.list': input.brokers,
    'group.id': input.group,
    ...(input.instanceId === undefined ? {} : { 'group.instance.id': input.instanceId }),
    ...(input.debug ? { debug: input.debug, event_cb: true } : {}),
    // Offsets are committed only after the rows are durable in Postgres, by this engine.
    'enable.auto.commit': false,
    'enable.auto.offset.store': false,
    'partition.assignment.strategy': 'roundrobin',
    rebalance_cb: input.rebalance,
  };
}

/** The names of the cluster's topics, as the consumer's metadata lists them. */
export function topicNames(consumer: Kafka.KafkaConsumer, timeoutMs = 30_000): Promise<string[]> {
  return new Promise((resolve, reject) =>
    consumer.getMetadata({ timeout: timeoutMs }, (err, m) =>
      err
        ? reject(new CdcError('ERR_CDC_KAFKA', `cannot list Kafka's topics: ${err.message}`, { canRetry: true }))
        : resolve(m.topics.map((t) => t.name)),
    ),
  );
}
