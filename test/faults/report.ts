/**
 * The per-scenario figures the issue asks for (events, rows, dead letters, time, peak RSS of the
 * consumer), collected as scenarios finish and printed as one table when the run ends.
 */
import { writeFileSync } from 'node:fs';

export interface ScenarioFigures {
  /** Scenario number in issue 5 (graceful and security checks come after the seven). */
  order: number;
  name: string;
  /** Messages produced, good and bad. */
  events: number;
  /** Rows in users + orders at the end. */
  rows: number;
  deadLetters: number;
  seconds: number;
  /** Highest peak RSS of any consumer process the scenario ran, MiB. */
  peakRssMb: number;
  /** What the fault was, as measured (kills, outage length, memory growth while stalled, ...). */
  notes: string;
}

const figures: ScenarioFigures[] = [];

/** A known engine bug a scenario hit and tolerated (see harness.ts, `knownEngineBugs`). */
export function recordScenario(f: ScenarioFigures): void {
  figures.push(f);
}

export function formatReport(seed: number): string {
  const rows = [...figures].sort((a, b) => a.order - b.order || a.name.localeCompare(b.name));
  const header = ['scenario', 'events', 'rows', 'dead letters', 'time', 'peak RSS', 'notes'];
  const body = rows.map((f) => [
    f.name,
    String(f.events),
    String(f.rows),
    String(f.deadLetters),
    `${f.seconds.toFixed(1)} s`,
    `${Math.round(f.peakRssMb)} MiB`,
    f.notes,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => (r[i] as string).length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i] as number)).join(' | ')} |`;
  return [
    `Fault suite (seed ${seed}; CDC_FAULTS_SEED=${seed} repeats the data and kill points)`,
    '',
    line(header),
    `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`,
    ...body.map(line),
  ].join('\n');
}

/** Prints the table; also writes it to $CDC_FAULTS_REPORT when set. */
export function printReport(seed: number): void {
  if (figures.length === 0) return;
  const text = formatReport(seed);
  console.log(`\n${text}\n`);
  if (process.env.CDC_FAULTS_REPORT) writeFileSync(process.env.CDC_FAULTS_REPORT, `${text}\n`);
}
