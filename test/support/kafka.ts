/** Test-side Kafka helpers: produce exactly these messages (in order per partition) and wait for delivery. */
import Kafka from 'node-rdkafka';

export interface TestMessage {
  topic: string;
  key: string | null;
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
