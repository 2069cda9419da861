/**
 * Node child processes for the demo, the bench (cdc-consume, the latency runner) and the tests' consumer
 * runs (test/support/consumer.ts): output collected line by line, exit awaited, and the peak resident
 * memory sampled from /proc while it runs.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

/** The package root (this file is dist/lib/devstack/child.js once compiled). */
export const packageRoot = fileURLToPath(new URL('../../../', import.meta.url));

/** bin/cdc-consume, run with the current node. */
export const consumeBin = fileURLToPath(new URL('../../../bin/cdc-consume', import.meta.url));

export interface ChildRun {
  child: ChildProcess;
  pid: number;
  stdout(): string;
  stderr(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once it has exited. */
  stop(graceMs?: number): Promise<void>;
}

export interface SpawnOptions {
  env: NodeJS.ProcessEnv;
  nodeFlags?: string[];
  /**
   * A command prefix that execs node (e.g. `setpriv --groups=G --`, for netfilter rules that match the
   * process): the child's pid is then still node's.
   */
  wrap?: readonly string[];
  onStdoutLine?: (line: string) => void;
  onStderrLine?: (line: string) => void;
}

/** The environment minus the project's own variables, so a child runs with defaults plus what we pass. */
export function cleanEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(env)) {
    if (k.startsWith('CDC_') || k === 'KAFKA_BROKERS' || k === 'DATABASE_URL') continue;
    out[k] = v;
  }
  return out;
}

function lines(onLine: ((line: string) => void) | undefined, sink: { text: string }) {
  let partial = '';
  return (chunk: Buffer) => {
    const s = chunk.toString();
    sink.text += s;
    if (!onLine) return;
    partial += s;
    const parts = partial.split('\n');
    partial = parts.pop() ?? '';
    for (const line of parts) onLine(line);
  };
}

export function spawnNode(script: string, args: string[], options: SpawnOptions): ChildRun {
  const command = [...(options.wrap ?? []), process.execPath, ...(options.nodeFlags ?? []), script, ...args];
  const child = spawn(command[0] as string, command.slice(1), {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: options.env,
  });
  const out = { text: '' };
  const err = { text: '' };
  child.stdout?.on('data', lines(options.onStdoutLine, out));
  child.stderr?.on('data', lines(options.onStderrLine, err));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('exit', (code, signal) => resolve({ code, signal }));
    child.on('error', () => resolve({ code: -1, signal: null }));
  });
  return {
    child,
    pid: child.pid ?? -1,
    stdout: () => out.text,
    stderr: () => err.text,
    exited,
    stop: async (graceMs = 10_000) => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

export interface ProcMemory {
  /** Peak resident set size so far (VmHWM), kB. */
  hwmKb: number;
  /** Current resident set size (VmRSS), kB. */
  rssKb: number;
}

/** Parses /proc/<pid>/status; undefined when the fields are missing. */
export function parseProcStatus(text: string): ProcMemory | undefined {
  const hwm = /^VmHWM:\s+(\d+)\s+kB/m.exec(text);
  const rss = /^VmRSS:\s+(\d+)\s+kB/m.exec(text);
  if (!hwm || !rss) return undefined;
  return { hwmKb: Number(hwm[1]), rssKb: Number(rss[1]) };
}

/**
 * Samples a process's peak RSS. VmHWM is the kernel's own high-water mark for the whole process (all
 * threads, so the worker threads too), so sampling only has to happen before the process exits.
 */
export class RssSampler {
  readonly #pid: number;
  readonly #timer: NodeJS.Timeout;
  #peakKb = 0;
  #available = false;

  constructor(pid: number, intervalMs = 100) {
    this.#pid = pid;
    this.#timer = setInterval(() => void this.sample(), intervalMs);
    void this.sample();
  }

  async sample(): Promise<void> {
    try {
      const m = parseProcStatus(await readFile(`/proc/${this.#pid}/status`, 'utf8'));
      if (m) {
        this.#available = true;
        this.#peakKb = Math.max(this.#peakKb, m.hwmKb, m.rssKb);
      }
    } catch {
      // The process has exited (or there is no /proc): keep what was seen.
    }
  }

  /** Stops sampling; the peak in MB, or null when nothing could be read (no /proc). */
  stop(): number | null {
    clearInterval(this.#timer);
    return this.#available ? this.#peakKb / 1024 : null;
  }
}
