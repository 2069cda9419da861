import { expect } from 'chai';
import type Kafka from 'node-rdkafka';
import { CdcError } from '../../../lib/errors.js';
import { DeliveryTracker, type Pending } from '../../../lib/loadgen/kafka/delivery.js';

const timedOut = { origin: 'local', message: 'message timed out' } as unknown as Kafka.LibrdKafkaError;

function report(topic: string, opaque?: Pending): Kafka.DeliveryReport {
  return { topic, partition: 0, offset: 0, key: null, size: 1, opaque } as unknown as Kafka.DeliveryReport;
}

function pending(): Pending & { outcome: Promise<unknown> } {
  let resolve!: () => void;
  let reject!: (e: Error) => void;
  const outcome = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  }).then(
    () => 'delivered',
    (e: unknown) => e,
  );
  const p = {
    settled: false,
    outcome,
    resolve: () => {
      p.settled = true;
      resolve();
    },
    reject: (e: Error) => {
      p.settled = true;
      reject(e);
    },
  };
  return p;
}

function fakeClient(flushed = true) {
  const client = { polls: 0, flushes: 0, poll: () => void client.polls++, flush: async () => (client.flushes++, flushed) };
  return client;
}

describe('kafka/delivery', () => {
  describe("deliveryReports 'all'", () => {
    it('counts every report, per topic, and settles the sender waiting for it', async () => {
      const t = new DeliveryTracker(fakeClient(), { mode: 'all', maxInFlight: 10, deliveryTimeoutMs: 1000 });
      const ok = pending();
      const bad = pending();
      for (const topic of ['a', 'a', 'b']) t.sentTo(topic);
      t.onReport(null, report('a', ok));
      t.onReport(timedOut, report('b', bad));
      expect({ sent: t.sent, delivered: t.delivered, failed: t.failed }).to.deep.equal({ sent: 3, delivered: 1, failed: 1 });
      expect(Object.fromEntries(t.byTopic())).to.deep.equal({
        a: { sent: 2, delivered: 1, failed: 0 },
        b: { sent: 1, delivered: 0, failed: 1 },
      });
      expect(t.errors()).to.deep.equal([{ message: 'Local: Message timed out', count: 1 }]);
      expect(await ok.outcome).to.equal('delivered');
      const err = (await bad.outcome) as CdcError;
      expect(err).to.be.instanceOf(CdcError);
      expect(err.message).to.equal('delivery to topic b failed: Local: Message timed out');
      expect(err.canRetry).to.equal(true);
    });

    it('makes senders wait while maxInFlight messages have no report, and lets them go as reports arrive', async () => {
      const t = new DeliveryTracker(fakeClient(), { mode: 'all', maxInFlight: 4, deliveryTimeoutMs: 1000 });
      for (let i = 0; i < 4; i++) t.sentTo('a');
      expect(t.mustWait()).to.equal(true);
      const started = performance.now();
      const waited = t.waitForRoom(5000);
      for (let i = 0; i < 2; i++) t.onReport(null, report('a'));
      await waited;
      expect(performance.now() - started).to.be.below(1000);
      expect(t.mustWait()).to.equal(false);
    });

    it('drains once every message has a report, or says it could not in time', async () => {
      const client = fakeClient();
      const t = new DeliveryTracker(client, { mode: 'all', maxInFlight: 10, deliveryTimeoutMs: 1000 });
      t.sentTo('a');
      expect(await t.drain(30)).to.equal(false);
      setTimeout(() => t.onReport(null, report('a')), 5);
      expect(await t.drain(5000)).to.equal(true);
      expect(client.polls).to.be.greaterThan(0);
      expect(client.flushes).to.equal(0);
    });
  });

  describe("deliveryReports 'errors'", () => {
    it('counts failures as reported and everything else as delivered once a drain completes', async () => {
      const t = new DeliveryTracker(fakeClient(), { mode: 'errors', maxInFlight: 1, deliveryTimeoutMs: 1000 });
      for (let i = 0; i < 5; i++) t.sentTo(i < 3 ? 'a' : 'b');
      t.onReport(timedOut, report('a'));
      expect(t.mustWait()).to.equal(false);
      expect(t.delivered).to.equal(0);
      t.onStats(JSON.stringify({ topics: { a: { partitions: { '0': { acked_msgid: 2 }, '-1': { acked_msgid: 9 } } } } }));
      expect(t.delivered).to.equal(2);
      expect(t.byTopic().get('a')).to.deep.equal({ sent: 3, delivered: 2, failed: 1 });
      expect(await t.drain(1000)).to.equal(true);
      expect({ sent: t.sent, delivered: t.delivered, failed: t.failed }).to.deep.equal({ sent: 5, delivered: 4, failed: 1 });
      expect(Object.fromEntries(t.byTopic())).to.deep.equal({
        a: { sent: 3, delivered: 2, failed: 1 },
        b: { sent: 2, delivered: 2, failed: 0 },
      });
    });

    it('settles a waiting sender by draining, and refuses to call a message without an outcome delivered', async () => {
      const delivered = pending();
      new DeliveryTracker(fakeClient(true), { mode: 'errors', maxInFlight: 1, deliveryTimeoutMs: 1000 }).follow(delivered, 'a');
      expect(await delivered.outcome).to.equal('delivered');
      const lost = pending();
      new DeliveryTracker(fakeClient(false), { mode: 'errors', maxInFlight: 1, deliveryTimeoutMs: 1000 }).follow(lost, 'a');
      const err = (await lost.outcome) as CdcError;
      expect(err.message).to.equal('a message to topic a had no outcome within 6000 ms');
      expect(err.canRetry).to.equal(false);
    });
  });
});
