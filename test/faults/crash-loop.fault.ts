/**
 * Crash loop: the consumer is SIGKILLed at random points (during start-up and group join as
 * well as mid-stream) six times while events keep arriving, and restarted each time.
 */
import { expect } from 'chai';
import { chunks, FaultScenario, sleep } from './harness.js';
import { withPoison } from './poison.js';

/** A short session, so each restart gets the dead process's partitions back in about 3 s, not 10. */
const FAST_REJOIN = { CDC_KAFKA_CONFIG: 'session.timeout.ms=3000,heartbeat.interval.ms=500' };
const KILLS = 6;

describe('crash-loop', function () {
  this.timeout(300_000);
  let s: FaultScenario;

  beforeEach(async () => {
    s = await FaultScenario.create(1, 'crash-loop');
  });
  afterEach(async () => s.cleanup());

  it(`survives ${KILLS} SIGKILLs at random points: state equals the model, each dead letter exactly once`, async () => {
    const events = withPoison(s.goodEvents(36_000), 0.005, s.prng);
    const parts = chunks(events, KILLS + 1);
    let next = 0;
    const kills: Array<{ phase: string; at: string; committed: number; outstanding: boolean }> = [];
    for (let k = 0; k < KILLS; k++) {
      // More events before each start: a backlog to be killed in the middle of.
      await s.produce(parts[next++] ?? []);
      const run = s.consume(['--batch-max-rows', '500'], FAST_REJOIN);
      // Every third kill lands at a random time in start-up (schema, group join); the others at a
      // random point of the backlog, while batches are being applied.
      const phase = k % 3 === 2 ? 'start-up' : 'consuming';
      let at: string;
      if (phase === 'start-up') {
        const afterMs = 200 + s.prng.below(1800);
        await sleep(afterMs);
        at = `${afterMs}ms`;
      } else {
        const from = await s.committedCount();
        const share = 0.1 + 0.4 * s.prng.float53();
        await s.waitCommittedAbove(from + Math.floor((s.sent.length - from) * share), 90_000);
        at = `${Math.round(share * 100)}%`;
      }
      expect(run.child.exitCode, `consumer exited on its own before kill ${k + 1}:\n${s.logs()}`).to.equal(null);
      run.signal('SIGKILL');
      await run.exited;
      const committed = await s.committedCount();
      kills.push({ phase, at, committed, outstanding: committed < s.sent.length });
    }
    while (next < parts.length) await s.produce(parts[next++] ?? []);
    const last = s.consume(['--batch-max-rows', '500'], FAST_REJOIN);
    await s.waitAllCommitted(180_000, [last]);
    last.signal('SIGTERM');
    expect(await last.exited, s.logs()).to.equal(0);

    // The kills were real: killed with work outstanding, and progress made between kills.
    const midStream = kills.filter((k, i) => k.outstanding && k.committed > (kills[i - 1]?.committed ?? 0));
    expect(kills.length).to.equal(KILLS);
    expect(midStream.length, JSON.stringify(kills)).to.be.at.least(3);
    await s.finish(
      `${KILLS} SIGKILLs (${kills.map((k) => `${k.phase === 'start-up' ? 'start-up +' : 'at '}${k.at}`).join(', ')}); ${midStream.length} mid-stream`,
    );
  });
});
