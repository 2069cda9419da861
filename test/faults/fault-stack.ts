/**
 * The fault suite's own dev stack: an embedded Postgres on a fixed data directory and port (so a
 * scenario can stop it and start it again, or freeze it with SIGSTOP) and a Kafka mock cluster. It is
 * never the stack other test runs use, so stopping or pausing its Postgres disturbs nobody else.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type MockKafka, startMockKafka } from '../../lib/devstack/kafka-mock.js';
import { findFreePort } from '../../lib/devstack/ports.js';
import { type EmbeddedPostgres, startEmbeddedPostgres } from '../../lib/devstack/postgres.js';
import { setStack } from '../support/stack.js';

interface State {
  root: string;
  dataDir: string;
  port: number;
  kafka: MockKafka;
  postgres: EmbeddedPostgres | undefined;
  paused: number[];
}

let state: State | undefined;
const log = process.env.CDC_TEST_VERBOSE ? (line: string) => console.error(line) : undefined;

function current(): State {
  if (!state) throw new Error('fault stack not started: run the fault suite through .mocharc.faults.json');
  return state;
}

export async function startFaultStack(): Promise<void> {
  // The parent must be traversable by the `postgres` user the server runs as when we are root.
  const root = await mkdtemp(join(tmpdir(), 'cdc-faults-'));
  await chmod(root, 0o755);
  const dataDir = join(root, 'pgdata');
  const port = await findFreePort();
  const [postgres, kafka] = await Promise.all([startEmbeddedPostgres({ dataDir, port, log }), startMockKafka()]);
  state = { root, dataDir, port, kafka, postgres, paused: [] };
  setStack({ brokers: kafka.brokers, databaseUrl: postgres.url, external: false, postgres });
}

export async function stopFaultStack(): Promise<void> {
  const s = state;
  if (!s) return;
  state = undefined;
  resumePostgres(s);
  await Promise.allSettled([s.kafka.stop(), s.postgres?.stop()]);
  await rm(s.root, { recursive: true, force: true });
}

/** Fast shutdown of the server (open sessions are terminated, as in a real restart). */
export async function stopPostgres(): Promise<void> {
  const s = current();
  resumePostgres(s);
  await s.postgres?.stop();
  s.postgres = undefined;
}

/** Starts the server again on the same data directory and port: the same URL works again. */
export async function startPostgres(): Promise<void> {
  const s = current();
  if (s.postgres) return;
  s.postgres = await startEmbeddedPostgres({ dataDir: s.dataDir, port: s.port, log });
  setStack({ brokers: s.kafka.brokers, databaseUrl: s.postgres.url, external: false, postgres: s.postgres });
}

/** The postmaster and every process below it (backends, checkpointer, WAL writer, ...). */
export function postgresProcesses(): number[] {
  const root = current().postgres?.pid;
  if (root === undefined) return [];
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // The command name may hold spaces and parentheses: the fields after the last ')' are fixed.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const list = children.get(ppid) ?? [];
      list.push(Number(entry));
      children.set(ppid, list);
    } catch {
      // exited while we looked
    }
  }
  const out = [root];
  for (let i = 0; i < out.length; i++) out.push(...(children.get(out[i] as number) ?? []));
  return out;
}

/**
 * SIGSTOPs the whole server: connections stay open, but nothing answers. The postmaster goes first, so
 * it forks nothing new; a child forked just before is caught by the next scan. Returns the pids stopped.
 */
export function pausePostgres(): number[] {
  const s = current();
  for (let round = 0; round < 5; round++) {
    const running = postgresProcesses().filter((pid) => !s.paused.includes(pid) && !['T', 'Z'].includes(processState(pid)));
    if (running.length === 0) break;
    for (const pid of running) {
      try {
        process.kill(pid, 'SIGSTOP');
        s.paused.push(pid);
      } catch {
        // exited meanwhile
      }
    }
  }
  return [...s.paused];
}

export function resumePostgres(s: State | undefined = state): void {
  if (!s) return;
  for (const pid of s.paused.splice(0).reverse()) {
    try {
      process.kill(pid, 'SIGCONT');
    } catch {
      // exited meanwhile
    }
  }
}

/** One-letter state of a process (R, S, T stopped, Z, ...), `?` once it is gone. */
export function processState(pid: number): string {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0] as string;
  } catch {
    return '?';
  }
}

/** One-letter process states of the server's processes: T stopped, Z exited (a stopped parent cannot reap it). */
export function postgresProcessStates(): string[] {
  return postgresProcesses().map(processState);
}
