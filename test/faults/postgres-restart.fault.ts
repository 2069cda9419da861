/**
 * Postgres restart: the database is shut down mid-run for several seconds and started again
 * on the same data directory and port. The consumer keeps running, retries, and loses nothing. It runs
 * as a role with a long password and with SASL settings in --kafka-config: neither secret may appear
 * in anything it prints while connections fail.
 */
import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { createLoginRole } from '../support/stack.js';
import { startPostgres, stopPostgres } from './fault-stack.js';
import { chunks, FaultScenario, sleep } from './harness.js';
import { withPoison } from './poison.js';

const OUTAGE_MS = 5000;

describe('postgres-restart', function () {
  this.timeout(300_000);
  let s: FaultScenario;
  let roleUrl: string;
  let dropRole: () => Promise<void>;
  const role = `fault_role_${randomBytes(4).toString('hex')}`;
  const password = `pg-Secret-${randomBytes(8).toString('hex')}`;
  const kafkaSecret = `kafka-Secret-${randomBytes(8).toString('hex')}`;

  beforeEach(async () => {
    s = await FaultScenario.create(3, 'postgres-restart');
    ({ url: roleUrl, drop: dropRole } = await createLoginRole(role, password, s.schema));
  });
  afterEach(async () => {
    await startPostgres(); // in case the test failed while it was down
    await s.cleanup();
    await dropRole();
  });

  it(`is stopped for ${OUTAGE_MS / 1000} s mid-run: the consumer retries, finishes with nothing lost, and never prints a secret`, async () => {
    const events = withPoison(s.goodEvents(30_000), 0.005, s.prng);
    const parts = chunks(events, 3);
    await s.produce(parts[0] ?? []);
    const run = s.consume(['--batch-max-rows', '1000', '--json'], {
      DATABASE_URL: roleUrl,
      CDC_KAFKA_CONFIG: `session.timeout.ms=6000,sasl.username=fault,sasl.password=${kafkaSecret}`,
    });
    await s.waitCommittedAbove(3000);
    const producing = s.produce(parts[1] ?? []);
    const downAt = Date.now();
    await stopPostgres();
    await sleep(OUTAGE_MS);
    expect(run.child.exitCode, `the consumer exited while Postgres was down:\n${s.logs()}`).to.equal(null);
    await startPostgres();
    const downMs = Date.now() - downAt;
    await producing;
    await s.produce(parts[2] ?? []);
    await s.waitAllCommitted(180_000, [run]);
    run.signal('SIGTERM');
    expect(await run.exited, s.logs()).to.equal(0);

    const log = run.stderr();
    const downs = log.match(/retrying with backoff/g)?.length ?? 0;
    const ups = log.match(/Postgres recovered/g)?.length ?? 0;
    expect(downs, log).to.be.at.least(1);
    expect(ups, log).to.be.at.least(1);
    // Logged once per state change, not once per retry (8 partitions retry many times in 5 s).
    expect(downs, log)
      .to.be.at.most(ups + 1)
      .and.at.most(4);
    for (const secret of [password, kafkaSecret]) {
      expect(log + run.stdout(), 'a secret was printed').to.not.contain(secret);
    }
    await s.finish(`Postgres down ${(downMs / 1000).toFixed(1)} s; ${downs} "retrying" / ${ups} "recovered" log lines; no secret printed`);
  });
});
