/**
 * Where a run's CPU time went, by process: the contender's own processes, the Postgres server (all its
 * backends and helpers) and this runner (which hosts the mock Kafka brokers and in-process contenders).
 * On a 2-core machine these share the cores, so a contender that needs less Postgres or Kafka work leaves
 * more for itself. Read from /proc (Linux); elsewhere, or for an external Postgres, the parts are absent.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/** CPU seconds (user + system) used so far. */
export interface CpuSnapshot {
  /** Child processes of the runner that have exited (each contender's process, once it ends). */
  children: number;
  /** The Postgres server: the postmaster, its exited backends, and its live processes. */
  postgres: number | undefined;
  /** The runner itself: the mock Kafka brokers and any contender running in-process. */
  runner: number;
}

export type CpuSeconds = CpuSnapshot;

let ticksPerSecond: number | undefined;

function clockTicks(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

/** Fields of /proc/<pid>/stat after the command name (which may hold spaces and parentheses). */
function statFields(pid: number | 'self'): string[] | undefined {
  try {
    const line = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return line.slice(line.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

// After the command name: state(0) ppid(1) ... utime(11) stime(12) cutime(13) cstime(14).
const own = (f: string[]) => Number(f[11]) + Number(f[12]);
const reaped = (f: string[]) => Number(f[13]) + Number(f[14]);

function postgresSeconds(postmaster: number): number | undefined {
  const main = statFields(postmaster);
  if (!main) return undefined;
  let ticks = own(main) + reaped(main);
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const f = statFields(Number(entry));
    if (f && Number(f[1]) === postmaster) ticks += own(f);
  }
  return ticks / clockTicks();
}

/** CPU seconds a live process (all its threads) has used so far, or undefined when it is gone. */
export function processSeconds(pid: number): number | undefined {
  const f = statFields(pid);
  return f ? own(f) / clockTicks() : undefined;
}

export function cpuSnapshot(postgresPid: number | undefined): CpuSnapshot | undefined {
  const self = statFields('self');
  if (!self) return undefined;
  const usage = process.cpuUsage();
  return {
    children: reaped(self) / clockTicks(),
    postgres: postgresPid === undefined ? undefined : postgresSeconds(postgresPid),
    runner: (usage.user + usage.system) / 1e6,
  };
}

/**
 * A snapshot once the server has reaped the backends of connections closed just before: a backend
 * counts while it lives and, once reaped, in the postmaster's children's time, but one exiting while
 * the snapshot is taken could be missed (or land in the next run's share).
 */
export async function settledCpuSnapshot(postgresPid: number | undefined, settleMs = 300): Promise<CpuSnapshot | undefined> {
  await new Promise((resolve) => setTimeout(resolve, settleMs));
  return cpuSnapshot(postgresPid);
}

export function cpuSince(before: CpuSnapshot | undefined, after: CpuSnapshot | undefined): CpuSeconds | undefined {
  if (!before || !after) return undefined;
  const round = (n: number) => Math.round(n * 100) / 100;
  return {
    children: round(after.children - before.children),
    postgres: before.postgres === undefined || after.postgres === undefined ? undefined : round(after.postgres - before.postgres),
    runner: round(after.runner - before.runner),
  };
}
