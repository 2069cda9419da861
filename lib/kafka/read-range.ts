/**
 * Reads a range of one partition's offsets outside any consumer group's assignment (cdc-dead-letters
 * replay re-reads a key's later events with it): one connection, assigned a partition and offset at a
 * time, committing nothing.
 */
import Kafka from 'node-rdkafka';
import { kafkaConsumerDefaults } from '../consumer/defaults.js';
import { CdcError } from '../errors.js';
import type { PackedMessage, TopicPartition } from '../worker-protocol.js';
import { checkKafkaConfig } from './consumer-config.js';
import { errorText } from './errors.js';
import { logRange } from './offsets.js';

export interface RangeReaderSettings {
  brokers: string;
  kafkaConfig: Readonly<Record<string, string>>;
  /** Bound on connecting, on a watermark query, and on a read that stops making progress. */
  timeoutMs: number;
}

/** What a partition holds of a requested range: the log's bounds when read, and the messages in [from, to) still there. */
export interface RangeRead {
  low: number;
  high: number;
  messages: PackedMessage[];
}

const MESSAGES_PER_CALL = 1000;

export class RangeReader {
  readonly #consumer: Kafka.KafkaConsumer;
  readonly #timeoutMs: number;
  #eof: string | undefined;

  private constructor(consumer: Kafka.KafkaConsumer, timeoutMs: number) {
    this.#consumer = consumer;
    this.#timeoutMs = timeoutMs;
    consumer.on('partition.eof', (e) => {
      this.#eof = `${e.topic}\u0000${e.partition}`;
    });
  }

  static async connect(settings: RangeReaderSettings): Promise<RangeReader> {
    checkKafkaConfig(settings.kafkaConfig);
    const consumer = new Kafka.KafkaConsumer(
      {
        ...kafkaConsumerDefaults,
        ...(settings.kafkaConfig as Kafka.ConsumerGlobalConfig),
        'metadata.broker.list': settings.brokers,
        // A group of its own that never joins (assign, not subscribe) and never commits: the consumers'
        // groups and offsets are untouched.
        'group.id': `cdc-range-reader-${process.pid}-${Date.now()}`,
        'enable.auto.commit': false,
        'enable.auto.offset.store': false,
        'enable.partition.eof': true,
      },
      { 'auto.offset.reset': 'error' },
    );
    await new Promise<void>((resolve, reject) =>
      consumer.connect({ timeout: settings.timeoutMs }, (err) =>
        err ? reject(new CdcError('ERR_CDC_KAFKA', `cannot connect to Kafka at ${settings.brokers}: ${errorText(err)}`)) : resolve(),
      ),
    );
    return new RangeReader(consumer, settings.timeoutMs);
  }

  /** The messages of [from, to) the log still holds, with the log's bounds (a `low` above `from` means some are gone). */
  async read(tp: TopicPartition, from: number, to: number): Promise<RangeRead> {
    const { low, high } = await logRange(this.#consumer, tp, this.#timeoutMs).catch((err: unknown) => {
      throw new CdcError('ERR_CDC_KAFKA', `cannot read the offsets of ${tp.topic}/${tp.partition}: ${errorText(err)}`, { canRetry: true });
    });
    const start = Math.max(from, low);
    const end = Math.min(to, high);
    const messages: PackedMessage[] = [];
    if (start >= end) return { low, high, messages };
    const key = `${tp.topic}\u0000${tp.partition}`;
    this.#eof = undefined;
    this.#consumer.assign([{ topic: tp.topic, partition: tp.partition, offset: start }]);
    try {
      let next = start;
      let progressAt = Date.now();
      while (next < end && this.#eof !== key) {
        const batch = await new Promise<Kafka.Message[]>((resolve, reject) =>
          this.#consumer.consume(MESSAGES_PER_CALL, (err, m) => (err ? reject(err) : resolve(m))),
        );
        for (const m of batch) {
          if (m.topic !== tp.topic || m.partition !== tp.partition || m.offset < next || m.offset >= end) continue;
          messages.push({
            offset: m.offset,
            timestamp: m.timestamp ?? 0,
            key: m.key == null ? null : typeof m.key === 'string' ? Buffer.from(m.key) : m.key,
            value: m.value ?? null,
          });
          next = m.offset + 1;
          progressAt = Date.now();
        }
        if (Date.now() - progressAt > this.#timeoutMs)
          throw new CdcError(
            'ERR_CDC_KAFKA',
            `reading ${tp.topic}/${tp.partition}: no message past offset ${next - 1} within ${this.#timeoutMs} ms (the range ends at ${end - 1})`,
            { canRetry: true },
          );
      }
    } finally {
      this.#consumer.unassign();
    }
    return { low, high, messages };
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.#consumer.disconnect(() => resolve()));
  }
}
