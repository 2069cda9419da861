/**
 * The bench's results: the JSON report's shape, the issue's targets checked against it, and the text
 * table printed on stdout. Pure; the chart is in svg.ts.
 */
import type { CpuSeconds } from './cpu.js';

export interface MachineInfo {
  cpus: number;
  node: string;
  postgres: string;
  cpuModel?: string;
  memoryGB?: number;
  platform?: string;
  /** 'dev stack' (embedded Postgres + librdkafka mock cluster) or 'external'. */
  stack?: string;
  /** 1-minute load average when the bench started and ended: other work on the machine skews the figures. */
  loadAverage?: { start: number; end: number };
}

export interface ContenderSummary {
  name: string;
  /** Events applied in the run reported (the median run). */
  events: number;
  seconds: number;
  eventsPerSec: number;
  /** events/s of every run, in the order they ran. */
  runs?: number[];
  /** The contender ran on the first part of the events only (its rate is what compares). */
  subset?: boolean;
  /** Every run's final tables equalled the model of the events it applied. */
  verified?: boolean;
  /** Arguments beyond the defaults it ran with (experiments; absent for a default run). */
  extraArgs?: string;
  /**
   * CPU seconds the reported run used, by process (bench/cpu.ts): the contender's own processes, the
   * Postgres server, and the runner (mock Kafka brokers; in-process contenders such as copy-ceiling).
   */
  cpuSeconds?: CpuSeconds;
}

export interface LatencyReport {
  rate: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  events?: number;
  seconds?: number;
  /** How p50/p99 were measured (see stats.ts). */
  method?: string;
  /** Where the time went: Kafka timestamp to dispatch, and dispatch to COMMIT (see stats.ts). */
  beforeDispatchP50Ms?: number;
  beforeDispatchP99Ms?: number;
  applyP50Ms?: number;
  applyP99Ms?: number;
}

export interface BenchReport {
  machine: MachineInfo;
  contenders: ContenderSummary[];
  latency: LatencyReport | null;
  engineRssMaxMB: number | null;
  mode?: 'quick' | 'full';
  /** Events preloaded, and the seed. */
  dataset?: { events: number; users: number; orders: number; seed: number };
  generatedAt?: string;
}

export interface TargetCheck {
  /** `engine >= 30x per-row-insert` */
  target: string;
  /** `41.2x`, `180 ms`; `n/a` when not measured. */
  actual: string;
  met: boolean | null;
}

/** The issue's targets on a 2-core machine. */
export const targets = {
  minRatio: { 'per-row-insert': 30, 'multi-row-insert': 1.5, 'copy-ceiling': 0.5 } as Record<string, number>,
  maxP99Ms: 250,
  maxRssMB: 300,
} as const;

/** How many times the engine's rate this contender's is: engine / contender. */
export function ratioToEngine(report: BenchReport, name: string): number | undefined {
  const engine = report.contenders.find((c) => c.name === 'engine');
  const other = report.contenders.find((c) => c.name === name);
  if (!engine || !other || !(other.eventsPerSec > 0) || !(engine.eventsPerSec > 0)) return undefined;
  return engine.eventsPerSec / other.eventsPerSec;
}

export function formatRatio(r: number): string {
  return `${r >= 10 ? r.toFixed(1) : r.toFixed(2)}x`;
}

export function checkTargets(report: BenchReport): TargetCheck[] {
  const out: TargetCheck[] = [];
  for (const [name, min] of Object.entries(targets.minRatio)) {
    const r = ratioToEngine(report, name);
    out.push({
      target: `engine >= ${min}x ${name}`,
      actual: r === undefined ? 'n/a' : formatRatio(r),
      met: r === undefined ? null : r >= min,
    });
  }
  const l = report.latency;
  out.push({
    target: `p99 latency <= ${targets.maxP99Ms} ms at ${l?.rate ?? 5000} events/s`,
    actual: l ? `${Math.round(l.p99Ms)} ms` : 'n/a',
    met: l ? l.p99Ms <= targets.maxP99Ms : null,
  });
  const rss = report.engineRssMaxMB;
  out.push({
    target: `engine peak RSS <= ${targets.maxRssMB} MB`,
    actual: rss === null ? 'n/a' : `${Math.round(rss)} MB`,
    met: rss === null ? null : rss <= targets.maxRssMB,
  });
  return out;
}

const int = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

export function formatInt(n: number): string {
  return Number.isFinite(n) ? int.format(n) : 'n/a';
}

/** Columns padded to their widest cell; the first left-aligned, the rest right-aligned. */
export function alignColumns(rows: readonly string[][]): string[] {
  const widths: number[] = [];
  for (const r of rows) {
    r.forEach((cell, i) => {
      widths[i] = Math.max(widths[i] ?? 0, [...cell].length);
    });
  }
  return rows.map((r) =>
    r
      .map((cell, i) => {
        const pad = (widths[i] ?? 0) - [...cell].length;
        return i === 0 ? cell + ' '.repeat(pad) : ' '.repeat(pad) + cell;
      })
      .join('  ')
      .trimEnd(),
  );
}

function verdict(met: boolean | null): string {
  return met === null ? '-' : met ? 'met' : 'MISSED';
}

/** The stdout table: events/s per contender with the engine's ratio to each, then latency, RSS, targets. */
export function formatReport(report: BenchReport): string {
  const rows: string[][] = [['contender', 'events', 'seconds', 'events/s', 'engine is', 'runs (events/s)', 'tables = model']];
  for (const c of report.contenders) {
    const r = c.name === 'engine' ? 1 : ratioToEngine(report, c.name);
    rows.push([
      c.name + (c.subset ? ' *' : ''),
      formatInt(c.events),
      c.seconds.toFixed(2),
      formatInt(c.eventsPerSec),
      r === undefined ? 'n/a' : c.name === 'engine' ? '-' : `${formatRatio(r)} this`,
      (c.runs ?? [c.eventsPerSec]).map(formatInt).join(' / '),
      c.verified === undefined ? '?' : c.verified ? 'yes' : 'NO',
    ]);
  }
  const lines = alignColumns(rows);
  if (report.contenders.some((c) => c.subset)) lines.push('* ran on the first events only (for a limited time); its rate is what compares');
  for (const c of report.contenders) if (c.extraArgs) lines.push(`${c.name} ran with non-default arguments: ${c.extraArgs}`);
  const withCpu = report.contenders.filter((c) => c.cpuSeconds && c.events > 0);
  if (withCpu.length > 0) {
    lines.push('', 'CPU time per 1,000 events (reported run), by process:');
    const cpuRows = [['  contender', 'its processes', 'Postgres', 'runner + mock Kafka', 'total']];
    for (const c of withCpu) {
      const cpu = c.cpuSeconds as CpuSeconds;
      const per = (s: number | undefined) => (s === undefined ? 'n/a' : `${((s * 1e6) / c.events).toFixed(0)} ms`);
      cpuRows.push([
        `  ${c.name}`,
        per(cpu.children),
        per(cpu.postgres),
        per(cpu.runner),
        per(cpu.children + (cpu.postgres ?? 0) + cpu.runner),
      ]);
    }
    lines.push(...alignColumns(cpuRows));
  }
  lines.push('');
  const l = report.latency;
  if (l) {
    lines.push(
      `latency at ${formatInt(l.rate)} events/s (Kafka timestamp -> commit of the batch${l.events ? `, ${formatInt(l.events)} events` : ''}): p50 ${Math.round(l.p50Ms)} ms, p99 ${Math.round(l.p99Ms)} ms, max ${Math.round(l.maxMs)} ms`,
    );
    if (l.beforeDispatchP99Ms !== undefined && l.applyP99Ms !== undefined) {
      lines.push(
        `  of which Kafka timestamp -> batch dispatched: p50 ${Math.round(l.beforeDispatchP50Ms ?? Number.NaN)} ms, p99 ${Math.round(l.beforeDispatchP99Ms)} ms;` +
          ` dispatched -> committed: p50 ${Math.round(l.applyP50Ms ?? Number.NaN)} ms, p99 ${Math.round(l.applyP99Ms)} ms`,
      );
    }
  }
  if (report.engineRssMaxMB !== null) lines.push(`engine peak RSS while draining the backlog: ${Math.round(report.engineRssMaxMB)} MB`);
  lines.push('');
  lines.push('targets (2-core machine):');
  lines.push(...alignColumns(checkTargets(report).map((t) => [`  ${t.target}`, t.actual, verdict(t.met)])));
  const m = report.machine;
  lines.push('');
  lines.push(
    `machine: ${m.cpus} CPUs${m.cpuModel ? ` (${m.cpuModel})` : ''}${m.memoryGB ? `, ${m.memoryGB} GB` : ''}, Node ${m.node}, PostgreSQL ${m.postgres}${m.stack ? `, ${m.stack}` : ''}`,
  );
  if (m.loadAverage) {
    lines.push(
      `load average (1 min) at start ${m.loadAverage.start.toFixed(2)}, at end ${m.loadAverage.end.toFixed(2)}, on ${m.cpus} CPUs`,
    );
  }
  return lines.join('\n');
}
