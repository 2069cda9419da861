import { expect } from 'chai';
import { createPrng } from '../../../lib/loadgen/generator/prng.js';
import { RateLimiter } from '../../../lib/loadgen/produce/rate-limiter.js';

describe('produce/rate-limiter', () => {
  it('grants rate x time, within one event, however irregularly it is asked', () => {
    let now = 0;
    const limiter = new RateLimiter(1000, { now: () => now });
    const prng = createPrng(1);
    let granted = 0;
    while (now < 10_000) {
      granted += limiter.take(prng.below(50) + 1);
      // The next event is never due later than delayMs says.
      const delay = limiter.delayMs();
      expect(delay).to.be.at.most(1);
      now += prng.float53() * 3;
      // At every moment the count matches the schedule: floor(t * rate) + 1 at most, and never far behind.
      expect(granted).to.be.at.most(Math.floor(now) + 1);
    }
    expect(granted).to.be.within(9990, 10_001);
  });

  it('holds the count over any 10 s window at a low rate with timer-like wake-ups', () => {
    let now = 0;
    const limiter = new RateLimiter(7, { now: () => now });
    const log: number[] = [];
    while (now < 60_000) {
      const n = limiter.take(1000);
      for (let i = 0; i < n; i++) log.push(now);
      now += Math.max(1, limiter.delayMs()) + 0.4;
    }
    for (let start = 0; start + 10_000 <= 60_000; start += 1000) {
      const inWindow = log.filter((t) => t >= start && t < start + 10_000).length;
      expect(inWindow).to.be.within(69, 71);
    }
  });

  it('forgives debt beyond maxDebtMs instead of bursting after a stall', () => {
    let now = 0;
    const limiter = new RateLimiter(1000, { now: () => now, maxDebtMs: 100 });
    expect(limiter.take(10_000)).to.equal(1);
    now = 5000;
    // 5 s behind: only 100 ms worth is owed.
    expect(limiter.take(10_000)).to.equal(100);
    expect(limiter.take(10_000)).to.equal(0);
    now += 10;
    expect(limiter.take(10_000)).to.equal(10);
  });

  it('says how long to wait for the next event', () => {
    let now = 0;
    const limiter = new RateLimiter(100, { now: () => now });
    expect(limiter.take(1000)).to.equal(1);
    expect(limiter.delayMs()).to.be.closeTo(10, 1e-9);
    now = 4;
    expect(limiter.delayMs()).to.be.closeTo(6, 1e-9);
  });

  it('does not limit at rate 0 and rejects a negative rate', () => {
    const limiter = new RateLimiter(0);
    expect(limiter.take(123_456)).to.equal(123_456);
    expect(limiter.delayMs()).to.equal(0);
    expect(() => new RateLimiter(-1)).to.throw(RangeError);
  });
});
