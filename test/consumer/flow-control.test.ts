import { expect } from 'chai';
import { engineDefaults } from '../../lib/consumer/defaults.js';
import { allPaused, backpressure, isIdle, nextFetchCount } from '../../lib/consumer/flow-control.js';
import type { PartitionState } from '../../lib/consumer/partition-state.js';
import { message, partition } from '../support/partitions.js';

/** A partition holding `bytes` pending bytes. */
function holding(index: number, bytes: number, paused = false): PartitionState {
  const p = partition('t', index);
  p.pendingBytes = bytes;
  p.paused = paused;
  return p;
}

describe('consumer/flow-control', () => {
  describe('backpressure', () => {
    /** A batch dispatched and waiting to be retried (rows waiting for their parents, a failure), or running. */
    const inFlight = (p: PartitionState, bytes: number, running: boolean) => {
      p.inflight = { packed: new ArrayBuffer(0), timestamps: undefined, dispatchedAt: 0, bytes, attempt: 0, running };
      return p;
    };

    it('pauses a stuck partition over its equal share alone, and resumes it below half the share', () => {
      const quiet = holding(0, 100);
      const stuck = inFlight(holding(1, 300), 300, false);
      expect(backpressure([quiet, stuck], 1000)).to.deep.equal({ pause: [stuck], resume: [], hold: false });
      const recovering = inFlight(holding(1, 300, true), 0, true);
      expect(backpressure([quiet, recovering], 1000)).to.deep.equal({ pause: [], resume: [], hold: false });
      const drained = holding(1, 249, true);
      expect(backpressure([quiet, drained], 1000)).to.deep.equal({ pause: [], resume: [drained], hold: false });
    });

    it('never pauses a partition whose batch is running or that only waits for its turn, however much it holds', () => {
      const running = inFlight(holding(0, 400), 500, true);
      const waiting = holding(1, 900);
      expect(backpressure([running, waiting], 4000)).to.deep.equal({ pause: [], resume: [], hold: false });
    });

    it('holds while the partitions together hold the budget, with bytes in flowing ones that a batch will free', () => {
      const a = inFlight(holding(0, 300), 300, true);
      const b = holding(1, 400);
      expect(backpressure([a, b], 1000)).to.deep.equal({ pause: [], resume: [], hold: true });
      expect(backpressure([a, b], 1001).hold).to.equal(false);
      // The budget all in a paused (stuck) partition: the others must fetch, their parents may be among it.
      const stuck = inFlight(holding(0, 600, true), 600, false);
      expect(backpressure([stuck, holding(1, 0)], 1000)).to.deep.equal({ pause: [], resume: [], hold: false });
    });

    it('leaves revoked partitions alone, and decides without changing the states', () => {
      const p = inFlight(holding(0, 100), 500, false);
      const revoked = holding(1, 10_000);
      revoked.revoked = true;
      const decision = backpressure([p, revoked], 1000);
      expect(decision).to.deep.equal({ pause: [p], resume: [], hold: false });
      expect(p.paused).to.equal(false);
      expect(backpressure([], 1000)).to.deep.equal({ pause: [], resume: [], hold: false });
    });
  });

  it('is all paused only with partitions, every one paused', () => {
    expect(allPaused([])).to.equal(false);
    expect(allPaused([holding(0, 0, true), holding(1, 0, false)])).to.equal(false);
    expect(allPaused([holding(0, 0, true), holding(1, 0, true)])).to.equal(true);
  });

  describe('isIdle', () => {
    const clock = { now: 10_000, lastActivity: 5_000, idleMs: 5_000, holdingAssignment: true };

    it('is idle after idleMs of quiet with nothing pending, in flight or paused', () => {
      expect(isIdle([holding(0, 0)], clock)).to.equal(true);
      expect(isIdle([holding(0, 0)], { ...clock, now: 9_999 })).to.equal(false);
    });

    it('is never idle with --idle 0, without an assignment, or while a partition has work or is paused', () => {
      expect(isIdle([], { ...clock, idleMs: 0 })).to.equal(false);
      expect(isIdle([], { ...clock, holdingAssignment: false })).to.equal(false);
      const pending = partition();
      pending.accept(message(0), 0);
      expect(isIdle([pending], clock)).to.equal(false);
      const inFlight = partition();
      inFlight.inflight = { packed: new ArrayBuffer(0), timestamps: undefined, dispatchedAt: 0, bytes: 0, attempt: 0, running: false };
      expect(isIdle([inFlight], clock)).to.equal(false);
      expect(isIdle([holding(0, 0, true)], clock)).to.equal(false);
    });
  });

  it('doubles the fetch count while calls come back full at once and halves it otherwise, within bounds', () => {
    const { fetchMinMessages: min, fetchMaxMessages: max, fetchFullWithinMs: quick } = engineDefaults;
    expect(nextFetchCount(min, min, 0)).to.equal(2 * min);
    expect(nextFetchCount(min, min, quick)).to.equal(2 * min);
    expect(nextFetchCount(max, max, 1)).to.equal(max);
    expect(nextFetchCount(4 * min, min, 1)).to.equal(2 * min);
    expect(nextFetchCount(min, 0, 10)).to.equal(min);
    // Full, but only by waiting for a stream's messages to arrive: the first waited, so fewer next time.
    expect(nextFetchCount(4 * min, 4 * min, quick + 1)).to.equal(2 * min);
    expect(nextFetchCount(min, min, 50)).to.equal(min);
  });
});
