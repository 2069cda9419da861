/** Runs bin/cdc-consume as a child process (so tests can SIGKILL it) and collects its output. */
import { type ChildProcess, spawn } from 'node:child_process';
import { testStack } from './stack.js';

export interface ConsumerRun {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
  /** Resolves when stderr has logged a line matching the pattern. */
  waitFor: (pattern: RegExp, timeoutMs?: number) => Promise<void>;
}

/**
 * `wrap` is a command prefix that execs the consumer (e.g. `setpriv --groups=G --`, for netfilter rules
 * that match the process): the child's pid is then still the consumer's.
 */
export function startConsumer(args: string[], env: Record<string, string> = {}, wrap: readonly string[] = []): ConsumerRun {
  const stack = testStack();
  const command = [...wrap, process.execPath, 'bin/cdc-consume', ...args];
  const child = spawn(command[0] as string, command.slice(1), {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      KAFKA_BROKERS: stack.brokers,
      DATABASE_URL: stack.databaseUrl,
      CDC_KAFKA_CONFIG: 'session.timeout.ms=6000',
      ...env,
    },
  });
  let out = '';
  let err = '';
  child.stdout?.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (err += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const waitFor = async (pattern: RegExp, timeoutMs = 60_000) => {
    const deadline = Date.now() + timeoutMs;
    while (!pattern.test(err)) {
      if (child.exitCode !== null) throw new Error(`consumer exited (${child.exitCode}) before logging ${pattern}:\n${err}`);
      if (Date.now() > deadline) throw new Error(`consumer did not log ${pattern} within ${timeoutMs} ms:\n${err}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  return { child, stdout: () => out, stderr: () => err, exited, waitFor };
}

/** Kills a consumer that a failed test left behind. */
export async function ensureStopped(run: ConsumerRun | undefined): Promise<void> {
  if (run && run.child.exitCode === null && run.child.signalCode === null) {
    run.child.kill('SIGKILL');
    await run.exited;
  }
}
