/**
 * Test helper: reads topics from the beginning with a node-rdkafka consumer in a group of its own,
 * until the expected number of messages has arrived, then a little longer to catch any extra.
 */
import Kafka from 'node-rdkafka';
import { uniqueName } from '../support/stack.js';

export interface ReadBackOptions {
  expected: number;
  /** Give up waiting for `expected` after this long. */
  timeoutMs?: number;
  /** Keep reading this long after `expected` arrived, so duplicates would be seen. */
  settleMs?: number;
}

export async function readBack(brokers: string, topics: string[], options: ReadBackOptions): Promise<Kafka.Message[]> {
  const consumer = new Kafka.KafkaConsumer(
    {
      'metadata.broker.list': brokers,
      'group.id': uniqueName('readback'),
      'enable.auto.commit': false,
      'enable.partition.eof': false,
      'fetch.wait.max.ms': 50,
    },
    { 'auto.offset.reset': 'earliest' },
  );
  await new Promise<void>((resolve, reject) => consumer.connect({ timeout: 10_000 }, (err) => (err ? reject(err) : resolve())));
  const messages: Kafka.Message[] = [];
  try {
    consumer.subscribe(topics);
    const deadline = Date.now() + (options.timeoutMs ?? 60_000);
    let settleUntil = Number.POSITIVE_INFINITY;
    while (Date.now() < Math.min(deadline, settleUntil)) {
      const batch = await new Promise<Kafka.Message[]>((resolve, reject) =>
        consumer.consume(5000, (err, m) => (err ? reject(err) : resolve(m))),
      );
      messages.push(...batch);
      if (messages.length >= options.expected && settleUntil === Number.POSITIVE_INFINITY)
        settleUntil = Date.now() + (options.settleMs ?? 1500);
    }
  } finally {
    await new Promise<void>((resolve) => consumer.disconnect(() => resolve()));
  }
  return messages;
}
