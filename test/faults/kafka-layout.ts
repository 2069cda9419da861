/**
 * Where things live in the Kafka cluster, for faults that cut one broker: every broker's advertised
 * address (what clients really connect to, beyond the bootstrap list), each partition's leader, and
 * which broker librdkafka's mock cluster makes a group's coordinator.
 */
import { crc32 } from 'node:zlib';
import Kafka from 'node-rdkafka';

export interface KafkaLayout {
  /** By id, as advertised in metadata. */
  brokers: Array<{ id: number; host: string; port: number }>;
  /** `topic/partition` -> id of the leader broker. */
  leaders: Map<string, number>;
}

/** Brokers and partition leaders of these topics, from one metadata request (a client of its own). */
export async function kafkaLayout(bootstrap: string, topics: readonly string[]): Promise<KafkaLayout> {
  const client = new Kafka.Producer({ 'metadata.broker.list': bootstrap, 'client.id': 'cdc-fault-layout' });
  await new Promise<void>((resolve, reject) => client.connect({ timeout: 10_000 }, (err) => (err ? reject(err) : resolve())));
  try {
    const metadata = await new Promise<Kafka.Metadata>((resolve, reject) =>
      client.getMetadata({ allTopics: true, timeout: 10_000 }, (err, data) => (err ? reject(err) : resolve(data))),
    );
    const leaders = new Map<string, number>();
    for (const topic of topics) {
      const t = metadata.topics.find((x) => x.name === topic);
      if (!t || t.partitions.length === 0) throw new Error(`topic ${topic} is not in the cluster's metadata`);
      for (const p of t.partitions) leaders.set(`${topic}/${p.id}`, p.leader);
    }
    const brokers = metadata.brokers.map((b) => ({ id: b.id, host: b.host, port: b.port })).sort((a, b) => a.id - b.id);
    return { brokers, leaders };
  } finally {
    await new Promise<void>((resolve) => client.disconnect(() => resolve()));
  }
}

/**
 * The broker the mock cluster makes the coordinator of a group: the CRC-32 of the group id modulo the
 * broker count indexes its broker list, which is in id order (rd_kafka_mock_cluster_get_coord; brokers
 * are created with ids 1..n in turn). A real cluster hashes onto __consumer_offsets' partition leaders.
 */
export function mockCoordinator(group: string, brokerIds: readonly number[]): number {
  const ids = [...brokerIds].sort((a, b) => a - b);
  if (ids.length === 0) throw new Error('no brokers');
  return ids[crc32(Buffer.from(group, 'utf8')) % ids.length] as number;
}
