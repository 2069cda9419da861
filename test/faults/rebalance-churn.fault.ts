/**
 * Rebalance churn: three consumer processes in one group while events keep arriving; one joins
 * late, one leaves by SIGTERM, one by SIGKILL.
 */
import { expect } from 'chai';
import { chunks, FaultScenario } from './harness.js';
import { withPoison } from './poison.js';

describe('rebalance-churn', function () {
  this.timeout(300_000);
  let s: FaultScenario;

  beforeEach(async () => {
    s = await FaultScenario.create(2, 'rebalance-churn');
  });
  afterEach(async () => s.cleanup());

  it('three consumers, one joining late, one SIGTERMed, one SIGKILLed: state equals the model', async () => {
    const events = withPoison(s.goodEvents(36_000), 0.005, s.prng);
    const parts = chunks(events, 6);
    const flags = ['--batch-max-rows', '1000', '--json'];
    await s.produce(parts[0] ?? []);
    const a = s.consume(flags);
    const b = s.consume(flags);
    await Promise.all([a.waitFor(/partitions assigned/), b.waitFor(/partitions assigned/)]);
    await s.produce(parts[1] ?? []);
    await s.waitCommittedAbove(4000);
    const c = s.consume(flags);
    await c.waitFor(/partitions assigned/);
    // Each departure happens with fresh events in flight.
    await s.produce(parts[2] ?? []);
    a.signal('SIGTERM');
    expect(await a.exited, s.logs()).to.equal(0);
    await s.produce(parts[3] ?? []);
    b.signal('SIGKILL');
    await b.exited;
    await s.produce(parts[4] ?? []);
    await s.produce(parts[5] ?? []);
    await s.waitAllCommitted(180_000, [c]);
    c.signal('SIGTERM');
    expect(await c.exited, s.logs()).to.equal(0);

    // Each process really took part.
    expect(a.summary().events, 'events applied by the consumer that left by SIGTERM').to.be.greaterThan(0);
    expect(c.summary().events, 'events applied by the late joiner').to.be.greaterThan(0);
    expect(b.stderr()).to.match(/partitions assigned/);
    const skipped = [a, c].flatMap((r) => r.summary().topics).reduce((n, t) => n + t.skippedAlreadyApplied, 0);
    await s.finish(
      `A SIGTERM exit ${a.exitMs} ms; events A ${a.summary().events}, C ${c.summary().events}, B killed; ${skipped} skipped as already applied`,
    );
  });
});
