/**
 * The part of the latency figure that is not the engine's: the same events at the same rate, produced
 * the same way, read by a plain node-rdkafka consumer with the engine's librdkafka settings and consume
 * loop, per event from its Kafka timestamp to the moment the consume call handed it over. It holds the
 * producer's linger, the broker and the fetch; the engine's figure adds batching, the worker and
 * Postgres on top. Runs in the runner, as the producer and the mock brokers do.
 */
import Kafka from 'node-rdkafka';
import { engineDefaults, kafkaConsumerDefaults } from '../lib/consumer/defaults.js';
import { nextFetchCount } from '../lib/consumer/flow-control.js';
import { CdcError } from '../lib/errors.js';
import type { TopicNames } from '../lib/loadgen/generator/index.js';
import { produce, resolveProduceOptions } from '../lib/loadgen/produce/index.js';
import { disconnectConsumer } from './contenders/kafka.js';
import { percentile } from './stats.js';

export interface KafkaLatencyOptions {
  brokers: string;
  topics: TopicNames;
  group: string;
  rate: number;
  durationMs: number;
  seed: number;
}

export interface KafkaLatency {
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  events: number;
}

export async function measureKafkaLatency(o: KafkaLatencyOptions): Promise<KafkaLatency> {
  const base = { brokers: o.brokers, topics: `${o.topics.users},${o.topics.orders}`, createTimeoutMs: 2000 };
  // The topics exist before the consumer joins, so it is assigned every partition from the start.
  await produce(resolveProduceOptions({ ...base, count: 100, rate: 0, seed: o.seed + 1 }));
  const consumer = new Kafka.KafkaConsumer(
    {
      ...kafkaConsumerDefaults,
      'metadata.broker.list': o.brokers,
      'group.id': o.group,
      'enable.auto.commit': false,
    } as Kafka.ConsumerGlobalConfig,
    { 'auto.offset.reset': 'earliest' },
  );
  await new Promise<void>((resolve, reject) =>
    consumer.connect({ timeout: 30_000 }, (err) =>
      err ? reject(new CdcError('ERR_CDC_KAFKA', `latency (Kafka alone): cannot connect: ${err.message}`)) : resolve(),
    ),
  );
  consumer.setDefaultConsumeTimeout(engineDefaults.consumeTimeoutMs);
  let assigned = false;
  consumer.on('rebalance', () => void (assigned = true));
  consumer.subscribe([o.topics.users, o.topics.orders]);
  const latencies: number[] = [];
  let startedAt = Number.POSITIVE_INFINITY;
  let stopping = false;
  const loop = (async () => {
    let count: number = engineDefaults.fetchMinMessages;
    while (!stopping) {
      const asked = Date.now();
      const messages = await new Promise<Kafka.Message[]>((resolve) => consumer.consume(count, (err, m) => resolve(err ? [] : m)));
      const now = Date.now();
      count = nextFetchCount(count, messages.length, now - asked);
      for (const m of messages) if ((m.timestamp ?? 0) >= startedAt) latencies.push(now - (m.timestamp as number));
    }
  })();
  try {
    const deadline = Date.now() + 30_000;
    while (!assigned && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    // Past the warm-up events, then the measured ones.
    await new Promise((r) => setTimeout(r, 1000));
    startedAt = Date.now();
    const summary = await produce(resolveProduceOptions({ ...base, rate: o.rate, durationMs: o.durationMs, seed: o.seed + 2 }));
    const until = Date.now() + 10_000;
    while (latencies.length < summary.delivered && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    if (latencies.length < summary.delivered)
      throw new CdcError('ERR_CDC_INTERNAL', `latency (Kafka alone): ${latencies.length} of ${summary.delivered} events received`);
  } finally {
    stopping = true;
    await loop;
    await disconnectConsumer(consumer);
  }
  const sorted = latencies.sort((a, b) => a - b);
  return { p50Ms: percentile(sorted, 50), p99Ms: percentile(sorted, 99), maxMs: sorted.at(-1) ?? Number.NaN, events: sorted.length };
}
