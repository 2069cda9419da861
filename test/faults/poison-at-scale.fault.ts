/**
 * Poison at scale: about 4 % of the events are malformed in every way issue 4 lists, plus
 * random bytes and randomly mutated JSON. Each bad event is a copy of a real event with one thing wrong
 * and the same key, so it sits in its entity's partition among that entity's good events.
 */
import { expect } from 'chai';
import { FaultScenario } from './harness.js';
import { poisonKinds, withPoison } from './poison.js';

describe('poison-at-scale', function () {
  this.timeout(300_000);
  let s: FaultScenario;

  beforeEach(async () => {
    s = await FaultScenario.create(5, 'poison-at-scale');
  });
  afterEach(async () => s.cleanup());

  it('dead-letters every malformed event exactly once with its code, and loads all of its neighbours', async () => {
    const events = withPoison(s.goodEvents(24_000), 0.04, s.prng);
    await s.produce(events);
    const run = s.consume(['--json']);
    await s.waitAllCommitted(180_000, [run]);
    run.signal('SIGTERM');
    expect(await run.exited, s.logs()).to.equal(0);

    const perKind = new Map<string, number>();
    for (const m of s.sent) if (m.bad) perKind.set(m.bad.kind, (perKind.get(m.bad.kind) ?? 0) + 1);
    expect([...perKind.keys()].sort(), 'every kind of malformation produced').to.deep.equal([...poisonKinds].sort());
    const bad = s.sent.filter((m) => m.bad).length;
    expect(bad / s.sent.length).to.be.within(0.02, 0.06);
    const { deadLetters } = await s.finish(
      `${bad} bad (${((100 * bad) / s.sent.length).toFixed(1)} %) in ${perKind.size} kinds, ~${Math.round(bad / perKind.size)} each`,
    );
    expect(deadLetters).to.equal(bad);
  });
});
