/**
 * What the consumer asks Kafka about a partition's offsets outside the consume loop: its log range (the
 * watermarks) and the group's committed offsets, as promises.
 */
import type Kafka from 'node-rdkafka';
import { CdcError } from '../errors.js';
import type { LogRange, OffsetGapDeps } from '../consumer/offset-gaps.js';
import { partitionKey } from '../consumer/partition-state.js';
import type { TopicPartition } from '../worker-protocol.js';

/** The partition's low and high watermarks, asked of its leader. */
export function logRange(consumer: Kafka.KafkaConsumer, tp: TopicPartition, timeoutMs: number): Promise<LogRange> {
  return new Promise((resolve, reject) =>
    consumer.queryWatermarkOffsets(tp.topic, tp.partition, timeoutMs, (err, w) =>
      err ? reject(err) : resolve({ low: w.lowOffset, high: w.highOffset }),
    ),
  );
}

/** The group's committed offsets for these partitions, keyed topic/partition; those with none are left out. */
export function committedOffsets(
  consumer: Kafka.KafkaConsumer,
  partitions: TopicPartition[],
  timeoutMs: number,
): Promise<Map<string, number>> {
  return new Promise((resolve, reject) =>
    consumer.committed(partitions, timeoutMs, (err, tps) =>
      // Nothing committed reads as a negative offset (OFFSET_INVALID).
      err ? reject(err) : resolve(new Map(tps.filter((o) => o.offset >= 0).map((o) => [partitionKey(o.topic, o.partition), o.offset]))),
    ),
  );
}

/** The gap check's questions to Kafka, asked of the consumer connected now. */
export function offsetQueries(
  consumer: () => Kafka.KafkaConsumer | undefined,
  timeoutMs: number,
): Pick<OffsetGapDeps, 'watermarks' | 'committed'> {
  const connected = () => {
    const c = consumer();
    if (!c) throw new CdcError('ERR_CDC_KAFKA', 'the Kafka consumer is not connected');
    return c;
  };
  return {
    watermarks: async (tp) => logRange(connected(), tp, timeoutMs),
    committed: async (tps) => committedOffsets(connected(), tps, timeoutMs),
  };
}
