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
    // Spins until it has used 300 ms of CPU (not of wall time: on a loaded machine the two differ).
    let x = 0;
    const start = process.cpuUsage();
    while (process.cpuUsage(start).user < 300_000) x += Math.sqrt(x + 1);
    // A child that does the same, then exits and is reaped.
    spawnSync(process.execPath, [
      '-e',
      'const s = process.cpuUsage(); let y = 0; while (process.cpuUsage(s).user < 300000) y += Math.sqrt(y + 1);',
    ]);
    const d = cpuSince(before, cpuSnapshot(process.pid));
    expect(x).to.be.greaterThan(0);
    expect(d?.runner).to.be.within(0.2, 5);
    expect(d?.children).to.be.within(0.2, 5);
    // Given itself as the "Postgres" process, the runner's own time is found there too.
    expect(d?.postgres).to.be.at.least(0.2);
  });
});
