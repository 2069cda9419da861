import { expect } from 'chai';
import { startMockKafka } from '../../../lib/devstack/kafka-mock.js';
import { CdcError } from '../../../lib/errors.js';
import { KafkaProducer } from '../../../lib/loadgen/kafka/index.js';
import { deleteTestTopics } from '../../support/kafka.js';
import { testStack, uniqueName } from '../../support/stack.js';
import { readBack } from '../../kafka/read-back.js';

describe('kafka/producer (integration)', () => {
  const created: string[] = [];
  after(async function () {
    this.timeout(30_000);
    await deleteTestTopics(created);
  });

  for (const deliveryReports of ['errors', 'all'] as const) {
    describe(`delivery reports: ${deliveryReports}`, () => {
      it('sends, waits for room when the local queue is full, and accounts for every message', async () => {
        const topic = uniqueName('kp');
        created.push(topic);
        // A queue of 100 messages forces QUEUE_FULL many times over.
        const producer = await KafkaProducer.connect({
          brokers: testStack().brokers,
          deliveryReports,
          queueMaxMessages: 100,
          maxInFlight: 100,
        });
        try {
          await producer.sendAndWait(topic, 'first', Buffer.from('0'));
          let fullAt = 0;
          for (let i = 1; i < 5000; i++) {
            const value = Buffer.from(String(i));
            while (!producer.trySend(topic, `k${i % 50}`, value)) {
              fullAt++;
              await producer.waitForRoom();
            }
          }
          expect(fullAt).to.be.greaterThan(0);
          expect(await producer.drain(30_000)).to.equal(true);
          expect({
            sent: producer.sent,
            delivered: producer.delivered,
            failed: producer.failed,
            inFlight: producer.inFlight,
          }).to.deep.equal({
            sent: 5000,
            delivered: 5000,
            failed: 0,
            inFlight: 0,
          });
          expect(producer.byTopic().get(topic)).to.deep.equal({ sent: 5000, delivered: 5000, failed: 0 });
        } finally {
          await producer.close();
        }
        // Nothing lost or duplicated, and each key's messages in the order sent.
        const messages = await readBack(testStack().brokers, [topic], { expected: 5000, settleMs: 500 });
        expect(messages).to.have.length(5000);
        const last = new Map<string, number>();
        for (const m of messages) {
          const key = m.key?.toString() ?? '';
          const n = Number(m.value?.toString());
          expect(n > (last.get(key) ?? -1), `${key}: ${n} after ${last.get(key)}`).to.equal(true);
          last.set(key, n);
        }
      });

      it('counts each failed delivery when the brokers go away, and gives up the first write within its bound', async function () {
        this.timeout(60_000);
        const mock = await startMockKafka();
        const producer = await KafkaProducer.connect({ brokers: mock.brokers, deliveryReports, deliveryTimeoutMs: 1000 });
        try {
          await producer.sendAndWait('t', 'first', Buffer.from('v'));
          await mock.stop();
          for (let i = 0; i < 300; i++) expect(producer.trySend('t', `k${i}`, Buffer.from('v'))).to.equal(true);
          expect(await producer.drain(20_000)).to.equal(true);
          expect({
            sent: producer.sent,
            delivered: producer.delivered,
            failed: producer.failed,
            inFlight: producer.inFlight,
          }).to.deep.equal({
            sent: 301,
            delivered: 1,
            failed: 300,
            inFlight: 0,
          });
          expect(producer.deliveryErrors()).to.deep.equal([{ message: 'Local: Message timed out', count: 300 }]);

          const started = Date.now();
          const err = await producer.sendWithRetry('t', 'again', Buffer.from('v'), { totalMs: 1500 }).catch((e: unknown) => e);
          expect(err).to.be.instanceOf(CdcError);
          expect((err as CdcError).message).to.match(
            /^Kafka at .+ did not accept a write to topic t within \d+ ms \(\d+ attempts; last error: /,
          );
          // One attempt may take up to the delivery timeout plus librdkafka's timeout scan; the loop stops after totalMs.
          expect(Date.now() - started).to.be.below(1500 + 1000 + 8000);
        } finally {
          await producer.close(100);
          await mock.stop();
        }
      });
    });
  }
});
