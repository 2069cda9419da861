/**
 * Security: secrets never reach logs, progress lines or summaries. The consumer runs as a role with a
 * long password and with SASL credentials in --kafka-config, at --log-level debug with librdkafka's
 * own configuration, security and broker debug output passed through.
 */
import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { createLoginRole } from '../support/stack.js';
import { FaultScenario } from './harness.js';
import { withPoison } from './poison.js';

describe('secrets: never printed', function () {
  this.timeout(300_000);
  let s: FaultScenario;
  let roleUrl: string;
  let dropRole: () => Promise<void>;
  const role = `fault_secret_${randomBytes(4).toString('hex')}`;
  // Characters that URLs percent-encode, so both spellings are looked for.
  const password = `pg/Secret@${randomBytes(8).toString('hex')}`;
  const kafkaSecret = `kafka-Secret-${randomBytes(8).toString('hex')}`;

  beforeEach(async () => {
    s = await FaultScenario.create(10, 'secrets: at debug level');
    ({ url: roleUrl, drop: dropRole } = await createLoginRole(role, password, s.schema));
  });
  afterEach(async () => {
    await s.cleanup();
    await dropRole();
  });

  it('no database password or SASL password in anything the consumer prints, even at debug level', async () => {
    await s.produce(withPoison(s.goodEvents(3000), 0.01, s.prng));
    const run = s.consume(['--idle', '2s', '--log-level', 'debug'], {
      DATABASE_URL: roleUrl,
      CDC_KAFKA_CONFIG: `session.timeout.ms=6000,sasl.username=fault,sasl.password=${kafkaSecret}`,
      CDC_RDKAFKA_DEBUG: 'conf,security,generic,broker',
    });
    expect(await run.exited, s.logs()).to.equal(0);
    const printed = run.stdout() + run.stderr();
    // librdkafka dumps its configuration at debug level: the SASL password is where a leak would be.
    expect(printed, 'librdkafka configuration dump').to.contain('sasl.password = [redacted]');
    for (const secret of [password, encodeURIComponent(password), kafkaSecret]) {
      expect(printed.includes(secret), `${secret} printed`).to.equal(false);
    }
    await s.finish(`${printed.split('\n').length} lines at debug level incl. librdkafka's configuration dump: neither password printed`);
  });
});
