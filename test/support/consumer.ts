/** Runs bin/cdc-consume as a child process (so tests can SIGKILL it) against the test stack. */
import type { ChildProcess } from 'node:child_process';
import { consumeBin, spawnNode } from '../../lib/devstack/child.js';
import { testStack } from './stack.js';

export interface ConsumerRun {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
  /** Resolves when stderr has logged a line matching the pattern. */
  waitFor: (pattern: RegExp, timeoutMs?: number) => Promise<void>;
}

/** `wrap`: a command prefix that execs the consumer (see lib/devstack/child.ts SpawnOptions). */
export function startConsumer(args: string[], env: Record<string, string> = {}, wrap: readonly string[] = []): ConsumerRun {
  const stack = testStack();
  const run = spawnNode(consumeBin, args, {
    env: {
      ...process.env,
      KAFKA_BROKERS: stack.brokers,
      DATABASE_URL: stack.databaseUrl,
      CDC_KAFKA_CONFIG: 'session.timeout.ms=6000',
      ...env,
    },
    wrap,
  });
  const { child } = run;
  const waitFor = async (pattern: RegExp, timeoutMs = 60_000) => {
    const deadline = Date.now() + timeoutMs;
    while (!pattern.test(run.stderr())) {
      if (child.exitCode !== null) throw new Error(`consumer exited (${child.exitCode}) before logging ${pattern}:\n${run.stderr()}`);
      if (Date.now() > deadline) throw new Error(`consumer did not log ${pattern} within ${timeoutMs} ms:\n${run.stderr()}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  return { child, stdout: run.stdout, stderr: run.stderr, exited: run.exited.then((e) => e.code), waitFor };
}

/** Kills a consumer that a failed test left behind. */
export async function ensureStopped(run: ConsumerRun | undefined): Promise<void> {
  if (run && run.child.exitCode === null && run.child.signalCode === null) {
    run.child.kill('SIGKILL');
    await run.exited;
  }
}
