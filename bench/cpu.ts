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
export type { Sample as CpuSample };

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

/** Live processes descended from `root`, as a parent -> children map read from /proc. */
function processTree(): Map<number, number[]> {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const f = statFields(Number(entry));
    if (!f) continue;
    const ppid = Number(f[1]);
    const list = children.get(ppid);
    if (list) list.push(Number(entry));
    else children.set(ppid, [Number(entry)]);
  }
  return children;
}

function descendants(tree: Map<number, number[]>, root: number, skip: number | undefined): number[] {
  const out: number[] = [];
  const stack = [...(tree.get(root) ?? [])];
  while (stack.length > 0) {
    const pid = stack.pop() as number;
    if (pid === skip) continue;
    out.push(pid);
    stack.push(...(tree.get(pid) ?? []));
  }
  return out;
}

interface Sample extends CpuSnapshot {
  at: number;
}

/**
 * CPU by process group sampled through a run, so the share of any wall-clock span can be read afterwards:
 * a contender's work from its first consumed message to its last commit, without its process start-up,
 * group join or idle wait before exiting. Every contender is measured the same way. The recorder's own
 * reading of /proc is taken out of the runner's share. Between samples the rate is taken as constant.
 */
export class CpuRecorder {
  readonly #samples: Sample[] = [];
  readonly #postgresPid: number | undefined;
  readonly #timer: ReturnType<typeof setInterval>;
  #overhead = 0;
  #pids: { contender: number[]; postgres: number[] } = { contender: [], postgres: [] };
  #pidsAt = 0;

  constructor(postgresPid: number | undefined, intervalMs = 50) {
    this.#postgresPid = postgresPid;
    this.#sample();
    this.#timer = setInterval(() => this.#sample(), intervalMs);
  }

  #sample(): void {
    const before = process.cpuUsage();
    const now = Date.now();
    // New processes (a contender's, a Postgres backend) appear rarely: the tree is read again every 250 ms.
    if (now - this.#pidsAt >= 250) {
      const tree = processTree();
      this.#pids = {
        contender: descendants(tree, process.pid, this.#postgresPid),
        postgres: this.#postgresPid === undefined ? [] : descendants(tree, this.#postgresPid, undefined),
      };
      this.#pidsAt = now;
    }
    const sum = (pids: number[]) => pids.reduce((n, pid) => n + (processSeconds(pid) ?? 0), 0);
    const self = statFields('self');
    const main = this.#postgresPid === undefined ? undefined : statFields(this.#postgresPid);
    const usage = process.cpuUsage();
    this.#samples.push({
      at: now,
      // Exited and reaped children count in this process's children's time; live ones by their own.
      children: (self ? reaped(self) / clockTicks() : 0) + sum(this.#pids.contender),
      postgres: main ? (own(main) + reaped(main)) / clockTicks() + sum(this.#pids.postgres) : undefined,
      runner: (usage.user + usage.system) / 1e6 - this.#overhead,
    });
    const spent = process.cpuUsage(before);
    this.#overhead += (spent.user + spent.system) / 1e6;
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#sample();
  }

  /** CPU seconds used between two wall-clock times (epoch ms) within the recording. */
  between(from: number, to: number): CpuSeconds | undefined {
    const a = interpolate(this.#samples, from);
    const b = interpolate(this.#samples, to);
    return cpuSince(a, b);
  }
}

/** The snapshot at `at`, linear between the samples around it; undefined outside the recording. */
export function interpolate(samples: readonly Sample[], at: number): CpuSnapshot | undefined {
  const first = samples[0];
  const last = samples.at(-1);
  if (!first || !last || at < first.at || at > last.at) return undefined;
  let i = 1;
  while (i < samples.length - 1 && (samples[i] as Sample).at < at) i++;
  const lo = samples[i - 1] as Sample;
  const hi = samples[i] ?? lo;
  const t = hi.at === lo.at ? 1 : (at - lo.at) / (hi.at - lo.at);
  const mix = (x: number, y: number) => x + (y - x) * t;
  return {
    children: mix(lo.children, hi.children),
    postgres: lo.postgres === undefined || hi.postgres === undefined ? undefined : mix(lo.postgres, hi.postgres),
    runner: mix(lo.runner, hi.runner),
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
