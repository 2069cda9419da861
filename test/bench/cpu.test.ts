import { spawnSync } from 'node:child_process';
import { expect } from 'chai';
import { CpuRecorder, cpuSince, cpuSnapshot, interpolate } from '../../bench/cpu.js';

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
    // It spins for CPU time, not wall time: on a busy machine that takes longer than mocha's default 2 s.
    this.timeout(20_000);
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

  it('reads the CPU of a span between samples, linearly, and nothing outside the recording', () => {
    const samples = [
      { at: 1000, children: 0, postgres: 10, runner: 1 },
      { at: 1100, children: 2, postgres: 11, runner: 1 },
      { at: 1300, children: 2, postgres: 13, runner: 3 },
    ];
    expect(interpolate(samples, 1050)).to.deep.equal({ children: 1, postgres: 10.5, runner: 1 });
    expect(interpolate(samples, 1100)).to.deep.equal({ children: 2, postgres: 11, runner: 1 });
    expect(interpolate(samples, 1200)).to.deep.equal({ children: 2, postgres: 12, runner: 2 });
    expect(interpolate(samples, 1300)).to.deep.equal({ children: 2, postgres: 13, runner: 3 });
    expect(interpolate(samples, 999)).to.equal(undefined);
    expect(interpolate(samples, 1301)).to.equal(undefined);
    expect(interpolate([{ at: 5, children: 1, postgres: undefined, runner: 0 }], 5)?.postgres).to.equal(undefined);
  });

  it('on Linux, records a live child: its work inside a span counts, its start and idle time outside do not', async function () {
    if (process.platform !== 'linux') this.skip(); // /proc is Linux's.
    this.timeout(30_000);
    const recorder = new CpuRecorder(undefined, 20);
    // The child idles 300 ms, spins 400 ms of CPU, idles 300 ms; it prints when its spin starts and ends.
    // (It reads its CPU time now and then: a getrusage call per iteration would be mostly system time.)
    const script =
      'setTimeout(() => { console.log(Date.now()); const s = process.cpuUsage(); let y = 0; for (let i = 0; ; i++) { y += Math.sqrt(y + 1); if (i % 100000 === 0 && process.cpuUsage(s).user >= 400000) break; } console.log(Date.now()); setTimeout(() => {}, 300); }, 300);';
    const { spawn } = await import('node:child_process');
    const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    await new Promise((resolve) => child.on('close', resolve));
    recorder.stop();
    const [from, to] = out.trim().split('\n').map(Number) as [number, number];
    const span = recorder.between(from, to);
    const whole = recorder.between(from - 250, to + 250);
    expect(span?.children).to.be.within(0.3, 1.5);
    // The idle time around the spin adds little: the child's start-up is before the span.
    expect((whole?.children ?? 0) - (span?.children ?? 0)).to.be.below(0.2);
    expect(recorder.between(from - 60_000, to)).to.equal(undefined);
  });
});
