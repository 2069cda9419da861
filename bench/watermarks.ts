/** Each partition's low and high watermark, read from Kafka without joining a group. */
import Kafka from 'node-rdkafka';

export interface Watermarks {
  topic: string;
  partition: number;
  /** The oldest offset the cluster still holds (above 0: retention dropped the start). */
  low: number;
  /** One past the last message. */
  high: number;
}

function promised<T>(fn: (cb: (err: Kafka.LibrdKafkaError | null | undefined, value: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => fn((err, value) => (err ? reject(err) : resolve(value))));
}

export async function readWatermarks(brokers: string, topics: readonly string[]): Promise<Watermarks[]> {
  const consumer = new Kafka.KafkaConsumer(
    { 'metadata.broker.list': brokers, 'group.id': `cdc-watermarks-${Date.now()}`, 'enable.auto.commit': false },
    {},
  );
  await promised<Kafka.Metadata>((cb) => consumer.connect({ timeout: 20_000 }, cb));
  try {
    const metadata = await promised<Kafka.Metadata>((cb) => consumer.getMetadata({ allTopics: true, timeout: 10_000 }, cb));
    const out: Watermarks[] = [];
    for (const topic of topics) {
      const t = metadata.topics.find((x) => x.name === topic);
      if (!t) throw new Error(`topic ${topic} does not exist`);
      for (const { id } of [...t.partitions].sort((a, b) => a.id - b.id)) {
        const w = await promised<Kafka.WatermarkOffsets>((cb) => consumer.queryWatermarkOffsets(topic, id, 10_000, cb));
        out.push({ topic, partition: id, low: w.lowOffset, high: w.highOffset });
      }
    }
    return out;
  } finally {
    await new Promise<void>((resolve) => consumer.disconnect(() => resolve()));
  }
}
