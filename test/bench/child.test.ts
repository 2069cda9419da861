import { expect } from 'chai';
import { cleanEnv, parseProcStatus } from '../../lib/devstack/child.js';

describe('bench/child', () => {
  it('reads the peak and current RSS from /proc/<pid>/status', () => {
    const status = 'Name:\tnode\nVmPeak:\t 1234567 kB\nVmHWM:\t  307200 kB\nVmRSS:\t  204800 kB\nThreads:\t11\n';
    expect(parseProcStatus(status)).to.deep.equal({ hwmKb: 307_200, rssKb: 204_800 });
    expect(parseProcStatus('Name:\tkthreadd\n')).to.equal(undefined);
  });

  it("drops the project's own variables so a child runs with its defaults", () => {
    expect(cleanEnv({ PATH: '/bin', CDC_WORKERS: '1', KAFKA_BROKERS: 'x:1', DATABASE_URL: 'postgres://', PGHOST: 'h' })).to.deep.equal({
      PATH: '/bin',
      PGHOST: 'h',
    });
  });
});
