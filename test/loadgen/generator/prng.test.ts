import { expect } from 'chai';
import { createPrng } from '../../../lib/loadgen/generator/prng.js';

describe('generator/prng', () => {
  it('gives the same stream for the same seed and different streams for nearby and large seeds', () => {
    const draw = (seed: number) => {
      const p = createPrng(seed);
      return Array.from({ length: 8 }, () => p.u32());
    };
    expect(draw(7)).to.deep.equal(draw(7));
    const streams = [0, 1, 2, 2 ** 32, 2 ** 32 + 1, Number.MAX_SAFE_INTEGER].map((s) => draw(s).join());
    expect(new Set(streams).size).to.equal(streams.length);
  });

  it('draws in range and roughly uniformly', () => {
    const p = createPrng(3);
    const buckets = new Array(10).fill(0);
    for (let i = 0; i < 100_000; i++) {
      const u = p.u32();
      expect(u >= 0 && u < 2 ** 32 && Number.isInteger(u)).to.equal(true);
      const f = p.float53();
      expect(f >= 0 && f < 1).to.equal(true);
      const b = p.below(10);
      buckets[b]++;
    }
    for (const n of buckets) expect(n).to.be.within(9500, 10_500);
  });

  it('rejects seeds that are not non-negative safe integers', () => {
    expect(() => createPrng(-1)).to.throw(RangeError);
    expect(() => createPrng(1.5)).to.throw(RangeError);
  });
});
