/**
 * The node-rdkafka plumbing the two INSERT baselines share: a group consumer that starts from the
 * beginning, commits only what it is told to, and hands out messages in batches.
 */
import Kafka from 'node-rdkafka';
import { CdcError } from '../../lib/errors.js';

export async function connectConsumer(brokers: string, group: string, topics: string[]): Promise<Kafka.KafkaConsumer> {
  const consumer = new Kafka.KafkaConsumer(
    {
      'metadata.broker.list': brokers,
      'group.id': group,
      'client.id': `cdc-bench-${group}`,
      // Offsets are committed by the baseline after its rows are written, as the Go consumer did.
      'enable.auto.commit': false,
      'enable.auto.offset.store': false,
      'session.timeout.ms': 10_000,
      'fetch.wait.max.ms': 50,
    },
    { 'auto.offset.reset': 'earliest' },
  );
  await new Promise<void>((resolve, reject) =>
    consumer.connect({ timeout: 30_000 }, (err) =>
      err ? reject(new CdcError('ERR_CDC_KAFKA', `cannot connect: ${err.message}`)) : resolve(),
    ),
  );
  // consume(n) returns after n messages or once the queue stays empty this long.
  consumer.setDefaultConsumeTimeout(10);
  consumer.subscribe(topics);
  return consumer;
}

export function consumeBatch(consumer: Kafka.KafkaConsumer, max: number): Promise<Kafka.Message[]> {
  return new Promise((resolve) => consumer.consume(max, (err, messages) => resolve(err ? [] : messages)));
}

export function disconnectConsumer(consumer: Kafka.KafkaConsumer): Promise<void> {
  return new Promise((resolve) => {
    if (!consumer.isConnected()) return resolve();
    const guard = setTimeout(resolve, 15_000);
    consumer.disconnect(() => {
      clearTimeout(guard);
      resolve();
    });
  });
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
