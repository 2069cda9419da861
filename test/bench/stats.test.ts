import { expect } from 'chai';
import { type BatchSample, latencyFromBatches, percentile } from '../../bench/stats.js';

describe('bench/stats', () => {
  describe('percentile (nearest rank)', () => {
    const values = Array.from({ length: 100 }, (_, i) => i + 1);

    it('gives the smallest value with at least p% of the values at or below it', () => {
      expect(percentile(values, 50)).to.equal(50);
      expect(percentile(values, 99)).to.equal(99);
      expect(percentile(values, 99.5)).to.equal(100);
      expect(percentile(values, 100)).to.equal(100);
      expect(percentile(values, 0)).to.equal(1);
      expect(percentile([1, 2, 3, 4], 50)).to.equal(2);
      expect(percentile([7], 99)).to.equal(7);
    });

    it('is NaN for no values and rejects a p outside 0..100', () => {
      expect(percentile([], 50)).to.be.NaN;
      expect(() => percentile(values, 101)).to.throw(RangeError);
      expect(() => percentile(values, Number.NaN)).to.throw(RangeError);
    });
  });

  describe('latencyFromBatches', () => {
    it('measures every event from its own timestamp to its batch commit, and splits that at dispatch', () => {
      const batches: BatchSample[] = [
        // 98 events at 1000..1097, dispatched at 1100, committed at 1150.
        { committedAt: 1150, dispatchedAt: 1100, timestamps: Array.from({ length: 98 }, (_, i) => 1000 + i) },
        { committedAt: 2500, dispatchedAt: 2020, timestamps: [2000, 2010] },
      ];
      const l = latencyFromBatches(batches);
      expect(l.events).to.equal(100);
      expect(l.batches).to.equal(2);
      // Latencies of the first batch: 150 down to 53; the 50th of 100 sorted values is 53 + 49.
      expect(l.p50Ms).to.equal(102);
      expect(l.p99Ms).to.equal(490);
      expect(l.maxMs).to.equal(500);
      expect(l.beforeDispatchP50Ms).to.equal(50);
      expect(l.applyP50Ms).to.equal(50);
      expect(l.applyP99Ms).to.equal(480);
    });

    it('counts only events produced at or after `since`', () => {
      const l = latencyFromBatches([{ committedAt: 200, dispatchedAt: 150, timestamps: [10, 20, 100, 120] }], 100);
      expect(l.events).to.equal(2);
      expect(l.maxMs).to.equal(100);
      expect(l.p50Ms).to.equal(80);
    });

    it('is NaN without events', () => {
      const l = latencyFromBatches([{ committedAt: 5, dispatchedAt: 4, timestamps: [] }]);
      expect(l.events).to.equal(0);
      expect(l.batches).to.equal(0);
      expect(l.p99Ms).to.be.NaN;
      expect(l.maxMs).to.be.NaN;
    });
  });
});
