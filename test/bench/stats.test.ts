import { expect } from 'chai';
import { type BatchSample, latencyFromBatches, percentile, weightedPercentile } from '../../bench/stats.js';

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

    it('with weights, equals the percentile of the values repeated weight times', () => {
      const samples = [
        { value: 30, weight: 5 },
        { value: 10, weight: 90 },
        { value: 20, weight: 4 },
        { value: 99, weight: 1 },
        { value: 1000, weight: 0 },
      ];
      const expanded = samples.flatMap((s) => Array<number>(s.weight).fill(s.value)).sort((a, b) => a - b);
      for (const p of [0, 1, 50, 90, 94, 95, 98, 99, 99.9, 100]) {
        expect(weightedPercentile(samples, p), `p${p}`).to.equal(percentile(expanded, p));
      }
      expect(weightedPercentile([], 50)).to.be.NaN;
    });
  });

  describe('latencyFromBatches', () => {
    it("charges every event its batch's worst case: commit minus the earliest timestamp", () => {
      const batches: BatchSample[] = [
        { committedAt: 1100, minTimestamp: 1000, maxTimestamp: 1080, events: 98 },
        { committedAt: 2500, minTimestamp: 2000, maxTimestamp: 2010, events: 2 },
      ];
      const l = latencyFromBatches(batches);
      expect(l.events).to.equal(100);
      expect(l.batches).to.equal(2);
      expect(l.p50Ms).to.equal(100);
      expect(l.p99Ms).to.equal(500);
      expect(l.maxMs).to.equal(500);
    });

    it('also estimates percentiles with events spread evenly over each batch, never above the bounds', () => {
      const l = latencyFromBatches([{ committedAt: 200, minTimestamp: 0, maxTimestamp: 100, events: 101 }]);
      expect(l.p50Ms).to.equal(200);
      expect(l.spreadP50Ms).to.equal(150);
      expect(l.spreadP99Ms).to.equal(199);
      expect(l.maxMs).to.equal(200);
    });

    it('ignores empty batches and is NaN without any', () => {
      const l = latencyFromBatches([{ committedAt: 5, minTimestamp: 1, maxTimestamp: 1, events: 0 }]);
      expect(l.events).to.equal(0);
      expect(l.p99Ms).to.be.NaN;
      expect(l.maxMs).to.be.NaN;
    });
  });
});
