import { expect } from 'chai';
import { addBatch, createEngineStats, updateLag } from '../../lib/consumer/stats.js';

const applied = { events: 5, skipped: 1, upserted: 2, patched: 1, noops: 1, ignored: 0, deadLetters: 1, durationMs: 7, committedAt: 1234 };

describe('consumer/stats', () => {
  it('starts every topic at 0 and adds committed batches per topic', () => {
    const stats = createEngineStats(['users', 'orders']);
    expect(stats.consumed).to.deep.equal({ users: 0, orders: 0 });
    addBatch(stats, 'users', 3, applied);
    addBatch(stats, 'users', 3, applied);
    expect(stats.totals.users).to.deep.equal({ events: 10, upserted: 4, patched: 2, noops: 2, deadLetters: 2, skipped: 2, ignored: 0 });
    expect(stats.totals.orders?.events).to.equal(0);
    expect(stats.batches).to.equal(2);
    expect(stats.lastCommitAt).to.equal(1234);
    expect(stats.lastBatch).to.deep.equal({ topic: 'users', partition: 3, durationMs: 7, committedAt: 1234 });
  });

  it("takes lag from librdkafka's statistics: high watermark minus the next offset, never below 0", () => {
    const stats = createEngineStats(['t']);
    const json = JSON.stringify({
      topics: { t: { partitions: { '0': { hi_offset: 100 }, '1': { hi_offset: 5 }, '-1': { hi_offset: -1 } } } },
    });
    updateLag(stats, json, [
      { topic: 't', partition: 0, key: 't/0', nextOffset: 40 },
      { topic: 't', partition: 1, key: 't/1', nextOffset: 9 },
      { topic: 't', partition: 2, key: 't/2', nextOffset: 1 },
      { topic: 't', partition: 0, key: 'u/0', nextOffset: undefined },
    ]);
    expect(stats.lag).to.deep.equal({ 't/0': 60, 't/1': 0 });
    updateLag(stats, 'not json', [{ topic: 't', partition: 0, key: 't/0', nextOffset: 0 }]);
    expect(stats.lag['t/0']).to.equal(60);
  });
});
