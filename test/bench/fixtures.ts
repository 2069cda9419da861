/** A report with every part measured, for the rendering tests. */
import type { BenchReport } from '../../bench/report.js';

export function sampleReport(): BenchReport {
  return {
    machine: { cpus: 2, node: 'v20.20.2', postgres: '18.4', cpuModel: 'Test CPU', stack: 'dev stack' },
    contenders: [
      { name: 'engine', events: 200_000, seconds: 4, eventsPerSec: 50_000, runs: [48_000, 50_000, 51_000], verified: true },
      { name: 'per-row-insert', events: 20_000, seconds: 20, eventsPerSec: 1000, subset: true, verified: true },
      { name: 'multi-row-insert', events: 200_000, seconds: 10, eventsPerSec: 20_000, verified: true },
      { name: 'copy-ceiling', events: 200_000, seconds: 1, eventsPerSec: 200_000, verified: true },
    ],
    latency: {
      rate: 5000,
      p50Ms: 80.4,
      p99Ms: 240.6,
      maxMs: 300,
      events: 75_000,
      beforeDispatchP50Ms: 30,
      beforeDispatchP99Ms: 150,
      applyP50Ms: 50,
      applyP99Ms: 90,
    },
    engineRssMaxMB: 310,
  };
}
