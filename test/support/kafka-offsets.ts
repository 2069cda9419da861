/** Reads a group's committed offsets from Kafka (what lag tools see), without joining the group. */
import Kafka from 'node-rdkafka';

export async function kafkaCommitted(
  brokers: string,
  group: string,
  partitions: Array<{ topic: string; partition: number }>,
): Promise<Map<string, number>> {
  const consumer = new Kafka.KafkaConsumer({ 'metadata.broker.list': brokers, 'group.id': group, 'enable.auto.commit': false }, {});
  await new Promise<void>((resolve, reject) => consumer.connect({ timeout: 10_000 }, (err) => (err ? reject(err) : resolve())));
  try {
    const offsets = await new Promise<Kafka.TopicPartitionOffset[]>((resolve, reject) =>
      consumer.committed(partitions, 10_000, (err, tps) => (err ? reject(err) : resolve(tps))),
    );
    // A partition with nothing committed reads as a negative offset (OFFSET_INVALID).
    return new Map(offsets.filter((o) => o.offset >= 0).map((o) => [`${o.topic}/${o.partition}`, o.offset]));
  } finally {
    await new Promise<void>((resolve) => consumer.disconnect(() => resolve()));
  }
}

/** Each partition's log as the broker holds it: its oldest offset (low) and one past its newest (high). */
export async function logRanges(
  brokers: string,
  partitions: Array<{ topic: string; partition: number }>,
): Promise<Map<string, { low: number; high: number }>> {
  const consumer = new Kafka.KafkaConsumer({ 'metadata.broker.list': brokers, 'group.id': 'cdc-test-watermarks' }, {});
  await new Promise<void>((resolve, reject) => consumer.connect({ timeout: 10_000 }, (err) => (err ? reject(err) : resolve())));
  try {
    const out = new Map<string, { low: number; high: number }>();
    for (const { topic, partition } of partitions) {
      const range = await new Promise<{ low: number; high: number }>((resolve, reject) =>
        consumer.queryWatermarkOffsets(topic, partition, 10_000, (err, w) =>
          err ? reject(err) : resolve({ low: w.lowOffset, high: w.highOffset }),
        ),
      );
      out.set(`${topic}/${partition}`, range);
    }
    return out;
  } finally {
    await new Promise<void>((resolve) => consumer.disconnect(() => resolve()));
  }
}

/** Each partition's high watermark: one past the last message the log holds. */
export async function highWatermarks(
  brokers: string,
  partitions: Array<{ topic: string; partition: number }>,
): Promise<Map<string, number>> {
  const ranges = await logRanges(brokers, partitions);
  return new Map([...ranges].map(([k, r]) => [k, r.high]));
}
