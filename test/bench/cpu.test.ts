import { spawnSync } from 'node:child_process';
import { expect } from 'chai';
import { cpuSince, cpuSnapshot } from '../../bench/cpu.js';

describe('bench/cpu', () => {
  it('subtracts snapshots per process group, rounding to 10 ms', () => {
    const d = cpuSince({ children: 1, postgres: 2, runner: 3 }, { children: 4.004, postgres: 2.5, runner: 3.25 });
    expect(d).to.deep.equal({ children: 3, postgres: 0.5, runner: 0.25 });
    expect(cpuSince({ children: 0, postgres: undefined, runner: 0 }, { children: 1, postgres: 9, runner: 1 })?.postgres).to.equal(
      undefined,
    );
    expect(cpuSince(undefined, { children: 0, postgres: 0, runner: 0 })).to.equal(undefined);
  });

  it('on Linux, counts this process and its exited children as they use CPU', function () {
    if (process.platform !== 'linux') this.skip(); // /proc is Linux's.
    const before = cpuSnapshot(process.pid);
    let x = 0;
    const until = performance.now() + 300;
    while (performance.now() < until) x += Math.sqrt(x + 1);
    // A child that spins for 300 ms, then exits and is reaped.
    spawnSync(process.execPath, ['-e', 'const t = Date.now() + 300; while (Date.now() < t);']);
    const d = cpuSince(before, cpuSnapshot(process.pid));
    expect(x).to.be.greaterThan(0);
    expect(d?.runner).to.be.within(0.2, 5);
    expect(d?.children).to.be.within(0.2, 5);
    // Given itself as the "Postgres" process, the runner's own time is found there too.
    expect(d?.postgres).to.be.at.least(0.2);
  });
});
