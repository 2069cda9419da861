import { expect } from 'chai';
import { type GroupState, HealthCheck } from '../../lib/consumer/health.js';

describe('consumer/health', () => {
  it('is ok only when joined and Postgres answers, and says why otherwise', async () => {
    expect(
      await new HealthCheck(
        () => 'joined',
        async () => undefined,
      ).check(),
    ).to.deep.equal({ ok: true, kafka: 'joined', postgres: 'up' });
    expect(
      await new HealthCheck(
        () => 'joining',
        async () => undefined,
      ).check(),
    ).to.deep.equal({
      ok: false,
      kafka: 'joining',
      postgres: 'up',
      reason: 'Kafka: consumer group joining',
    });
    const down = await new HealthCheck(
      () => 'joined',
      async () => {
        throw new Error('connect ECONNREFUSED');
      },
    ).check();
    expect(down).to.deep.equal({ ok: false, kafka: 'joined', postgres: 'down', reason: 'Postgres: connect ECONNREFUSED' });
  });

  it('is not ok while the schema registry fails the batches that need it, and says so', async () => {
    const h = new HealthCheck(
      () => 'joined',
      async () => undefined,
      () => [],
      () => [],
      () => true,
    );
    expect(await h.check()).to.deep.equal({
      ok: false,
      kafka: 'joined',
      postgres: 'up',
      schemaRegistry: 'down',
      reason: 'schema registry: failing; the batches that need it are retried',
    });
  });

  it('names brokers it lost without turning unhealthy for them alone', async () => {
    const h = new HealthCheck(
      () => 'joined',
      async () => undefined,
      () => ['127.0.0.1:9093'],
    );
    expect(await h.check()).to.deep.equal({ ok: true, kafka: 'joined', postgres: 'up', brokersUnreachable: ['127.0.0.1:9093'] });
  });

  it('is unhealthy while a partition is held at an offset gap, naming it', async () => {
    const gap =
      'users/1: stored offset 3 (cdc_offsets) is below the log start 8: offsets 3-7 (5 events) were deleted before they were applied';
    const h = new HealthCheck(
      () => 'joined',
      async () => undefined,
      () => [],
      () => [gap],
    );
    expect(await h.check()).to.deep.equal({ ok: false, kafka: 'joined', postgres: 'up', reason: `offset gap: ${gap}`, offsetGaps: [gap] });
  });

  it('answers from its cache for a second instead of pinging Postgres per request', async () => {
    let pings = 0;
    let state: GroupState = 'joined';
    const health = new HealthCheck(
      () => state,
      async () => {
        pings++;
      },
    );
    await health.check();
    state = 'stopping';
    expect((await health.check()).kafka).to.equal('joined');
    expect(pings).to.equal(1);
  });
});
