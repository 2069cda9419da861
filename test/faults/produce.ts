/**
 * A producer for the fault scenarios that records where every message landed (partition, offset), so
 * each bad event can be matched to its dead-letter row by position rather than by a marker in its key:
 * bad events carry their entity's real key and sit in its partition among its good events.
 */
import Kafka from 'node-rdkafka';

/** What a dead letter of a bad event must say: one of these codes. */
export interface BadExpectation {
  /** Which malformation (for messages and the per-kind counts). */
  kind: string;
  codes: readonly string[];
}

export interface Outgoing {
  topic: string;
  key: string | null;
  value: Buffer | null;
  /** Explicit partition (large values are spread by hand: the mock keeps only ~5 MiB per partition). */
  partition?: number;
  /** Set on events the consumer must dead-letter. */
  bad?: BadExpectation;
}

export interface Sent extends Outgoing {
  partition: number;
  offset: number;
}

export const producerDefaults = {
  /** Above the broker's own limit: the broker, not this client, decides what is too large. */
  messageMaxBytes: 4 * 1024 * 1024,
  deliveryTimeoutMs: 60_000,
} as const;

/**
 * The message with its JSON value padded to `bytes` with whitespace after the opening brace: the same
 * event to the consumer and the model, but as large as a fault needs (the mock keeps ~5 MiB per partition).
 */
export function padValue(m: Outgoing, bytes: number): Outgoing {
  const v = m.value as Buffer;
  if (v.length >= bytes) return m;
  return { ...m, value: Buffer.concat([v.subarray(0, 1), Buffer.alloc(bytes - v.length, 0x20), v.subarray(1)]) };
}

export class TrackedProducer {
  readonly #producer: Kafka.Producer;
  readonly #pending = new Map<number, { resolve: (s: Sent) => void; reject: (e: Error) => void; message: Outgoing }>();
  #next = 0;

  private constructor(producer: Kafka.Producer) {
    this.#producer = producer;
    producer.on('delivery-report', (err, report) => {
      const id = report.opaque as number;
      const entry = this.#pending.get(id);
      if (!entry) return;
      this.#pending.delete(id);
      if (err) entry.reject(new Error(`delivery to ${entry.message.topic} failed: ${err.message}`));
      else entry.resolve({ ...entry.message, partition: report.partition, offset: report.offset });
    });
  }

  static async connect(brokers: string): Promise<TrackedProducer> {
    const producer = new Kafka.Producer({
      'metadata.broker.list': brokers,
      // Per-partition order is the order the model applies events in.
      'enable.idempotence': true,
      'linger.ms': 5,
      'message.max.bytes': producerDefaults.messageMaxBytes,
      dr_cb: true,
    });
    await new Promise<void>((resolve, reject) => producer.connect({}, (err) => (err ? reject(err) : resolve())));
    producer.setPollInterval(10);
    return new TrackedProducer(producer);
  }

  /** Sends the messages in order; resolves with each one's partition and offset, in the same order. */
  async send(messages: readonly Outgoing[]): Promise<Sent[]> {
    const deliveries: Array<Promise<Sent>> = [];
    for (const m of messages) {
      const id = this.#next++;
      deliveries.push(new Promise<Sent>((resolve, reject) => this.#pending.set(id, { resolve, reject, message: m })));
      for (;;) {
        try {
          this.#producer.produce(m.topic, m.partition ?? null, m.value, m.key ?? undefined, null, id);
          break;
        } catch (err) {
          // Local queue full: let it drain.
          if ((err as { code?: number }).code !== Kafka.CODES.ERRORS.ERR__QUEUE_FULL) {
            this.#pending.delete(id);
            throw err;
          }
          await new Promise((r) => setTimeout(r, 10));
        }
      }
    }
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`${this.#pending.size} messages not delivered within ${producerDefaults.deliveryTimeoutMs} ms`)),
        producerDefaults.deliveryTimeoutMs,
      );
    });
    try {
      return await Promise.race([Promise.all(deliveries), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.#producer.disconnect(() => resolve()));
  }
}
