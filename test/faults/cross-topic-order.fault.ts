/**
 * Cross-topic order: the consumer is already running (its topics do not even exist yet) when
 * every order is produced, and only then every user. Orders must wait for their users, neither lost nor
 * dead-lettered, and other partitions must not stall.
 */
import { expect } from 'chai';
import { FaultScenario } from './harness.js';
import { withPoison } from './poison.js';

describe('cross-topic-order', function () {
  this.timeout(300_000);
  let s: FaultScenario;

  beforeEach(async () => {
    s = await FaultScenario.create(6, 'cross-topic-order');
  });
  afterEach(async () => s.cleanup());

  it('all orders before any user, consumer already running: orders wait, then everything loads', async () => {
    const events = withPoison(s.goodEvents(20_000), 0.005, s.prng);
    const run = s.consume(['--orphan-wait', '120s', '--json']);
    await run.waitFor(/schema ready/);
    const ordersAt = Date.now();
    await s.produce(events.filter((m) => m.topic === s.orders));
    await run.waitFor(/orders wait for their users/, 90_000);
    const waitedMs = Date.now() - ordersAt;
    await s.produce(events.filter((m) => m.topic === s.users));
    await s.waitAllCommitted(180_000, [run]);
    run.signal('SIGTERM');
    expect(await run.exited, s.logs()).to.equal(0);
    const log = run.stderr();
    expect(log).to.match(/orphan orders resolved/);
    await s.finish(
      `orders first (${s.sent.filter((m) => m.topic === s.orders).length}); orphan wait seen after ${(waitedMs / 1000).toFixed(1)} s; no ORPHAN_ORDER`,
    );
  });
});
