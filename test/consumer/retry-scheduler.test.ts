import { expect } from 'chai';
import { retryDefaults } from '../../lib/consumer/defaults.js';
import type { InFlight } from '../../lib/consumer/partition-state.js';
import { RetryScheduler } from '../../lib/consumer/retry-scheduler.js';
import { CdcError } from '../../lib/errors.js';
import { FakeClock } from '../support/fake-clock.js';
import { partition, recordingLog } from '../support/partitions.js';

function scheduler(options: { stopping?: () => boolean } = {}) {
  const clock = new FakeClock();
  const { log, lines } = recordingLog();
  const retries = new RetryScheduler({
    log,
    clock,
    postgres: 'postgres://cdc@db/cdc',
    orphanWaitMs: 30_000,
    orphanLogIntervalMs: 10_000,
    parentsOf: () => 'public.parents',
    stopping: options.stopping ?? (() => false),
    // No jitter: each delay is the whole capped backoff.
    random: () => 1,
  });
  return { retries, clock, lines };
}

const refused = new CdcError('ERR_CDC_POSTGRES', 'connection refused', { canRetry: true });

function flight(): InFlight {
  return { packed: new ArrayBuffer(0), timestamps: undefined, dispatchedAt: 0, bytes: 0, attempt: 0, running: false };
}

describe('consumer/retry-scheduler', () => {
  it('retries a failed batch with the Postgres backoff, logging the outage once and its end once', () => {
    const { retries, clock, lines } = scheduler();
    const p = partition('child');
    const f = flight();
    let runs = 0;
    const rerun = () => runs++;
    retries.failed(p, f, refused, rerun);
    expect(clock.pending()).to.deep.equal([retryDefaults.postgres.initialDelayMs]);
    clock.advance(retryDefaults.postgres.initialDelayMs);
    retries.failed(p, f, refused, rerun);
    expect(clock.pending()).to.deep.equal([2 * retryDefaults.postgres.initialDelayMs]);
    clock.advance(2 * retryDefaults.postgres.initialDelayMs);
    expect(runs).to.equal(2);
    retries.applied(p, f);
    retries.applied(p, f);
    expect(lines.map(([level, message]) => [level, message])).to.deep.equal([
      ['warn', 'Postgres failing (unreachable or a transient error); retrying with backoff'],
      ['info', 'Postgres recovered'],
    ]);
    expect(lines[0]?.[2]).to.deep.equal({ postgres: 'postgres://cdc@db/cdc', during: 'batch child/0', error: 'connection refused' });
  });

  it('retries a batch the schema registry failed, logging that outage once, and its end once every failed partition applied', () => {
    const { retries, clock, lines } = scheduler();
    const unreachable = new CdcError('ERR_CDC_SCHEMA_REGISTRY', 'GET http://sr:8081/schemas/ids/4: the schema registry is unreachable', {
      canRetry: true,
    });
    const a = partition('avro', 0);
    const b = partition('avro', 1);
    const fa = flight();
    const fb = flight();
    retries.failed(a, fa, unreachable, () => {});
    retries.failed(b, fb, unreachable, () => {});
    expect(clock.pending()).to.deep.equal([retryDefaults.postgres.initialDelayMs, retryDefaults.postgres.initialDelayMs]);
    expect(retries.registryFailing).to.equal(true);
    retries.applied(a, fa);
    expect(retries.registryFailing).to.equal(true);
    retries.applied(b, fb);
    expect(retries.registryFailing).to.equal(false);
    expect(lines.map(([level, message]) => [level, message])).to.deep.equal([
      ['warn', 'schema registry failing (unreachable or a transient error); retrying with backoff'],
      ['info', 'schema registry recovered'],
    ]);
    expect(lines[0]?.[2]).to.deep.equal({ during: 'batch avro/0', error: unreachable.message });
  });

  it('retries orphans sooner, and says so at most once per partition per interval with the batches since', () => {
    const { retries, clock, lines } = scheduler();
    const p = partition('child');
    let runs = 0;
    const first = flight();
    retries.orphans(p, first, 3, () => runs++);
    expect(clock.pending()).to.deep.equal([retryDefaults.orphans.initialDelayMs]);
    clock.advance(retryDefaults.orphans.initialDelayMs);
    retries.orphans(p, first, 3, () => runs++);
    // Applied; the next batch of the partition begins waiting within the interval: no new line yet.
    clock.advance(1000);
    retries.applied(p, first);
    const second = flight();
    retries.orphans(p, second, 1, () => runs++);
    expect(lines.map(([, message]) => message)).to.deep.equal([
      'child wait for their public.parents; retrying the partition',
      'orphan child resolved',
    ]);
    clock.advance(10_000);
    retries.orphans(p, second, 1, () => runs++);
    const last = lines.at(-1);
    expect(last?.[1]).to.equal('child wait for their public.parents; retrying the partition');
    expect(last?.[2]).to.include({ partition: 'child/0', orphans: 1, batchesSinceLastLine: 1, deadLetterAfterMs: 30_000 });
    expect(runs).to.be.greaterThan(0);
  });

  it('declares the orphan wait over once --orphan-wait has passed since the batch first waited', () => {
    const { retries, clock } = scheduler();
    const f = flight();
    expect(retries.orphanWaitOver(f)).to.equal(false);
    retries.orphans(partition(), f, 1, () => {});
    clock.advance(29_999);
    expect(retries.orphanWaitOver(f)).to.equal(false);
    clock.advance(1);
    expect(retries.orphanWaitOver(f)).to.equal(true);
  });

  it('schedules nothing for a revoked partition or a stopping engine, and drops the batch', () => {
    let stopping = false;
    const { retries, clock } = scheduler({ stopping: () => stopping });
    const revoked = partition('t', 0);
    revoked.revoked = true;
    revoked.inflight = flight();
    retries.failed(revoked, revoked.inflight, refused, () => {});
    expect(revoked.inflight).to.equal(undefined);
    stopping = true;
    const p = partition('t', 1);
    p.inflight = flight();
    retries.orphans(p, p.inflight, 1, () => {});
    expect(p.inflight).to.equal(undefined);
    expect(clock.pending()).to.deep.equal([]);
  });

  it('withRetry retries what may be retried until it succeeds, and throws the rest at once', async () => {
    const { retries, clock, lines } = scheduler();
    let attempts = 0;
    const result = retries.withRetry('start-up', async () => {
      attempts++;
      if (attempts < 3) throw new CdcError('ERR_CDC_POSTGRES', 'connection refused', { canRetry: true });
      return 'ready';
    });
    // Each wait is a timer on the clock: let the attempt fail, then move time past its delay.
    for (let i = 0; i < 2; i++) {
      await new Promise((resolve) => setImmediate(resolve));
      clock.advance(retryDefaults.postgres.maxDelayMs);
    }
    expect(await result).to.equal('ready');
    expect(attempts).to.equal(3);
    expect(lines.map(([, message]) => message)).to.deep.equal([
      'Postgres failing (unreachable or a transient error); retrying with backoff',
      'Postgres recovered',
    ]);
    let fatalAttempts = 0;
    const fatal = retries.withRetry('start-up', async () => {
      fatalAttempts++;
      throw new CdcError('ERR_CDC_SCHEMA', 'permission denied');
    });
    const err = await fatal.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).to.be.instanceOf(CdcError).and.to.have.property('message', 'permission denied');
    expect(fatalAttempts).to.equal(1);
  });
});
