/**
 * Test-side Kafka helpers: topics a test names and removes afterwards, and producing exactly these
 * messages (in order per partition) with a wait for delivery.
 */
import Kafka from 'node-rdkafka';
import { deleteTopics } from '../../lib/kafka/admin.js';
import { testStack, uniqueName } from './stack.js';

/** Set once a DeleteTopics request went unanswered: the cluster (the mock one) cannot delete topics. */
let deletionUnsupported = false;

/**
 * Deletes topics a test created, where the cluster supports it. librdkafka's mock cluster does not: the
 * first request times out (500 ms), after which this run skips deletion quietly (the mock's topics go
 * with it when the dev stack stops). A topic that was never written (never created) is fine too.
 */
export async function deleteTestTopics(names: readonly string[]): Promise<void> {
  if (names.length === 0 || deletionUnsupported) return;
  for (const o of await deleteTopics(testStack().brokers, names, 500)) {
    if (o.unanswered) deletionUnsupported = true;
    else if (!o.deleted && !/unknown topic/i.test(o.error ?? '')) console.warn(`could not delete test topic ${o.topic}: ${o.error}`);
  }
}

/** Unique topic names for one test, and their removal: `name()` in the test, `remove()` in afterEach. */
export class TestTopics {
  readonly #names: string[] = [];

  name(prefix: string): string {
    const topic = uniqueName(prefix);
    this.#names.push(topic);
    return topic;
  }

  async remove(): Promise<void> {
    await deleteTestTopics(this.#names.splice(0));
  }
}

export interface TestMessage {
  topic: string;
  /** Text, or bytes (an Avro key in the Confluent wire format). */
  key: string | Buffer | null;
  value: Buffer | null;
  /** Kafka timestamp (epoch ms); default: the time of sending. */
  timestamp?: number;
}

export async function produceAll(brokers: string, messages: readonly TestMessage[]): Promise<void> {
  const producer = new Kafka.Producer({
    'metadata.broker.list': brokers,
    'enable.idempotence': true,
    'linger.ms': 5,
    dr_cb: true,
  });
  await new Promise<void>((resolve, reject) => producer.connect({}, (err) => (err ? reject(err) : resolve())));
  try {
    let delivered = 0;
    let failed: Error | undefined;
    producer.on('delivery-report', (err) => {
      if (err) failed ??= new Error(`delivery failed: ${err.message}`);
      delivered++;
    });
    producer.setPollInterval(10);
    for (const m of messages) {
      for (;;) {
        try {
          producer.produce(m.topic, null, m.value, m.key ?? undefined, m.timestamp);
          break;
        } catch (err) {
          // Local queue full: let it drain.
          if ((err as { code?: number }).code !== Kafka.CODES.ERRORS.ERR__QUEUE_FULL) throw err;
          await new Promise((r) => setTimeout(r, 10));
        }
      }
    }
    const deadline = Date.now() + 60_000;
    while (delivered < messages.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    if (failed) throw failed;
    if (delivered < messages.length) throw new Error(`only ${delivered} of ${messages.length} messages delivered`);
  } finally {
    await new Promise<void>((resolve) => producer.disconnect(() => resolve()));
  }
}
