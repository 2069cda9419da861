import { expect } from 'chai';
import { startConsumer } from '../support/consumer.js';
import { testStack } from '../support/stack.js';

describe('cli/consume (integration)', () => {
  it('rejects a bad flag with exit 2 and a message naming it', async () => {
    const run = startConsumer(['--idle', 'soon']);
    expect(await run.exited).to.equal(2);
    expect(run.stderr()).to.match(/invalid --idle "soon": expected a duration such as 500ms, 10s, 5m/);
  });

  it('exits non-zero with a clear message, before consuming, on bad credentials, without printing the password', async () => {
    const url = new URL(testStack().databaseUrl);
    url.password = 'wrong-secret-password';
    const run = startConsumer(['--idle', '1s'], { DATABASE_URL: url.toString() });
    expect(await run.exited).to.equal(1);
    expect(run.stderr()).to.match(/password authentication failed/);
    expect(run.stderr()).to.not.contain('wrong-secret-password');
    expect(run.stderr()).to.not.match(/partitions assigned/);
  });

  it('--help explains every flag with its default', async () => {
    const run = startConsumer(['--help']);
    expect(await run.exited).to.equal(0);
    for (const flag of [
      '--brokers',
      '--database-url',
      '--group',
      '--topics',
      '--idle',
      '--workers',
      '--batch-max-rows',
      '--batch-max-ms',
      '--from',
      '--migrate',
      '--orphan-wait',
      '--kafka-config',
      '--json',
    ]) {
      expect(run.stdout()).to.contain(flag);
    }
    expect(run.stdout()).to.contain('[default: cdc-pipeline]').and.contain('postgres://cdc:***@localhost:5432/cdc');
  });
});
