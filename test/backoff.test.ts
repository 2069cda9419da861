import { expect } from 'chai';
import { backoffDelayMs, retryWithBackoff } from '../lib/backoff.js';

class Retriable extends Error {}

function fakeTime() {
  let now = 0;
  const waits: number[] = [];
  return {
    waits,
    now: () => now,
    sleep: async (ms: number) => {
      waits.push(ms);
      now += ms;
    },
    advance: (ms: number) => {
      now += ms;
    },
  };
}

describe('backoff', () => {
  it('doubles the delay per retry up to the ceiling; equal jitter draws between half of it and all of it', () => {
    const policy = { initialDelayMs: 100, maxDelayMs: 1000 };
    expect([0, 1, 2, 3, 4, 40].map((n) => backoffDelayMs(n, policy))).to.deep.equal([100, 200, 400, 800, 1000, 1000]);
    const jittered = { ...policy, jitter: 'equal' as const };
    expect(backoffDelayMs(2, jittered, () => 0)).to.equal(200);
    expect(backoffDelayMs(2, jittered, () => 0.999999)).to.equal(400);
    expect(backoffDelayMs(5, jittered, () => 0.5)).to.equal(750);
  });

  it('retries retriable failures with doubling delays up to the cap, then succeeds', async () => {
    const t = fakeTime();
    let calls = 0;
    const result = await retryWithBackoff(
      async () => {
        calls++;
        if (calls < 6) throw new Retriable('not yet');
        return 'done';
      },
      { initialDelayMs: 100, maxDelayMs: 500, totalMs: 60_000, isRetriable: (e) => e instanceof Retriable, sleep: t.sleep, now: t.now },
    );
    expect(result).to.equal('done');
    expect(t.waits).to.deep.equal([100, 200, 400, 500, 500]);
  });

  it('gives up once the total time has passed, with the error giveUp builds', async () => {
    const t = fakeTime();
    let attempts = 0;
    const err = await retryWithBackoff(
      async () => {
        attempts++;
        t.advance(50);
        throw new Retriable('still warming up');
      },
      {
        initialDelayMs: 100,
        maxDelayMs: 1000,
        totalMs: 2000,
        isRetriable: () => true,
        sleep: t.sleep,
        now: t.now,
        giveUp: ({ attempts: n, elapsedMs, error }) =>
          new Error(`gave up after ${n} attempts, ${elapsedMs} ms: ${(error as Error).message}`),
      },
    ).catch((e: Error) => e);
    expect((err as Error).message).to.match(/^gave up after \d+ attempts, \d+ ms: still warming up$/);
    // Never waits past the bound: the last wait is cut to what is left.
    expect(t.now()).to.be.at.most(2000 + 50);
    expect(attempts).to.equal(t.waits.length + 1);
  });

  it('throws a non-retriable error at once', async () => {
    const t = fakeTime();
    const err = await retryWithBackoff(
      async () => {
        throw new Error('message too large');
      },
      { initialDelayMs: 100, maxDelayMs: 1000, totalMs: 10_000, isRetriable: (e) => e instanceof Retriable, sleep: t.sleep, now: t.now },
    ).catch((e: Error) => e);
    expect((err as Error).message).to.equal('message too large');
    expect(t.waits).to.deep.equal([]);
  });

  it('stops when aborted', async () => {
    const controller = new AbortController();
    let attempts = 0;
    const err = await retryWithBackoff(
      async () => {
        attempts++;
        if (attempts === 2) controller.abort();
        throw new Retriable('x');
      },
      { initialDelayMs: 1, maxDelayMs: 1, totalMs: 10_000, isRetriable: () => true, signal: controller.signal },
    ).catch((e: Error) => e);
    expect(attempts).to.equal(2);
    expect((err as Error).message).to.equal('x');
  });
});
