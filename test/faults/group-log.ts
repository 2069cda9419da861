/**
 * What a consumer's own log says about its place in the group and about batches another owner had
 * already applied: the scenarios that split a group (a partition, a frozen member, a lost broker) read
 * ownership and fencing from these lines rather than guess them from timing.
 */
import { type LogEntry, logEntries, type WatchedRun } from './harness.js';

/** The `partitions assigned` line's partitions as `topic/partition` (without the start offsets). */
export function partitionsOf(entry: LogEntry): string[] {
  return String(entry.partitions ?? '')
    .split(' ')
    .filter((p) => p !== '')
    .map((p) => (p.includes('@') ? p.slice(0, p.lastIndexOf('@')) : p));
}

/** The run's `partitions assigned` and `partitions revoked` lines logged at or after `after` (epoch ms). */
export function groupEvents(run: WatchedRun, after = 0): Array<{ kind: 'assigned' | 'revoked'; time: number; partitions: string[] }> {
  return logEntries(run.stderr())
    .filter((e) => e.time >= after && (e.msg === 'partitions assigned' || e.msg === 'partitions revoked'))
    .map((e) => ({ kind: e.msg === 'partitions assigned' ? 'assigned' : 'revoked', time: e.time, partitions: partitionsOf(e) }));
}

/** The partitions of the run's latest assignment logged at or after `after`; [] if none. */
export function latestAssignment(run: WatchedRun, after = 0): string[] {
  return (
    groupEvents(run, after)
      .filter((e) => e.kind === 'assigned')
      .at(-1)?.partitions ?? []
  );
}

/** The engine's line for a batch part or all of whose messages the partition's offset row showed applied. */
export const SKIPPED_MSG = 'skipped messages another owner had applied';

export interface Fenced {
  /** Batches that found the stored next offset beyond some of their messages. */
  batches: number;
  /** Of those, batches wholly below it: they applied nothing. */
  whole: number;
  /** Messages skipped in all. */
  messages: number;
  /** When each was committed (epoch ms), in order. */
  times: number[];
}

/** The batches of this run that the offset row fenced off (in part or whole) at or after `after`. */
export function fencedBatches(run: WatchedRun, after = 0): Fenced {
  const lines = logEntries(run.stderr()).filter((e) => e.msg === SKIPPED_MSG && e.time >= after);
  return {
    batches: lines.length,
    whole: lines.filter((e) => e.skipped === e.events).length,
    messages: lines.reduce((n, e) => n + Number(e.skipped), 0),
    times: lines.map((e) => e.time),
  };
}

/** Resolves with the first log entry at or after `after` that matches, polling the run's stderr. */
export async function waitForEntry(
  run: WatchedRun,
  match: (e: LogEntry) => boolean,
  after: number,
  timeoutMs: number,
  what: string,
): Promise<LogEntry> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = logEntries(run.stderr()).find((e) => e.time >= after && match(e));
    if (found) return found;
    if (Date.now() > deadline) throw new Error(`${run.name} did not log ${what} within ${timeoutMs} ms`);
    if (run.child.exitCode !== null) throw new Error(`${run.name} exited (${run.child.exitCode}) before logging ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
