/**
 * End-to-end latency of the engine at a fixed production rate: per event, from its Kafka timestamp (set
 * by the producer when it sends) to the COMMIT of the transaction that applied it.
 *
 * Fresh topics get a small warm-up load first (so they exist and the engine has joined and drained it),
 * then events are produced at the rate for the duration while the engine (bench/latency-child.ts) runs
 * in its own process and reports every batch. Only batches of the measured events count. The tables
 * are compared with the model of everything produced, as for the throughput runs.
 */
import { fileURLToPath } from 'node:url';
import { CdcError } from '../lib/errors.js';
import { TableModel, type TopicNames } from '../lib/loadgen/generator/index.js';
import { produce, resolveProduceOptions } from '../lib/loadgen/produce/index.js';
import { cleanEnv, spawnNode } from '../lib/devstack/child.js';
import { cpuSince, cpuSnapshot, processSeconds } from './cpu.js';
import type { LatencyChildConfig } from './latency-child.js';
import type { LatencyReport } from './report.js';
import { freshSchema, withClient } from '../lib/devstack/open-stack.js';
import { type BatchSample, latencyFromBatches } from './stats.js';
import { type Comparison, compareTables, readTables } from './tables.js';

const CHILD = fileURLToPath(new URL('./latency-child.js', import.meta.url));
const WARMUP_EVENTS = 500;
const WAIT_MS = 90_000;

export interface LatencyOptions {
  brokers: string;
  databaseUrl: string;
  /** The dev stack's postmaster, for Postgres' CPU (undefined: an external server, not measured). */
  postgresPid: number | undefined;
  topics: TopicNames;
  schema: string;
  group: string;
  rate: number;
  durationMs: number;
  seed: number;
  engineArgs: string[];
  /** Profile the engine's threads (`node --cpu-prof`) into this directory. */
  cpuProfDir: string | undefined;
  verbose: boolean;
  log: (line: string) => void;
}

async function until(what: string, done: () => boolean, failed: () => string | undefined): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  while (!done()) {
    const failure = failed();
    if (failure) throw new CdcError('ERR_CDC_INTERNAL', `latency run: ${failure}`);
    if (Date.now() > deadline) throw new CdcError('ERR_CDC_INTERNAL', `latency run: ${what} did not happen within ${WAIT_MS / 1000} s`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export async function measureLatency(o: LatencyOptions): Promise<{ latency: LatencyReport; comparison: Comparison }> {
  await freshSchema(o.databaseUrl, o.schema);
  const model = new TableModel();
  // The model (the oracle) folds the events after the measurement: it costs the runner about 18 µs per
  // event, CPU the engine and Postgres would otherwise have to share the 2 cores with while measured.
  const produced: Buffer[] = [];
  const onEvent = (e: { value: Buffer }) => void produced.push(e.value);
  const base = { brokers: o.brokers, topics: `${o.topics.users},${o.topics.orders}`, createTimeoutMs: 2000 };
  await produce(resolveProduceOptions({ ...base, count: WARMUP_EVENTS, rate: 0, seed: o.seed + 1 }), { onEvent });

  const batches: Array<BatchSample & { topic: string }> = [];
  let assigned = false;
  let committed = 0;
  const config: LatencyChildConfig = {
    brokers: o.brokers,
    databaseUrl: o.databaseUrl,
    schema: o.schema,
    group: o.group,
    users: o.topics.users,
    orders: o.topics.orders,
    extraArgs: o.engineArgs,
    verbose: o.verbose,
  };
  const child = spawnNode(CHILD, [JSON.stringify(config)], {
    env: cleanEnv(),
    nodeFlags: o.cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${o.cpuProfDir}`] : undefined,
    onStdoutLine: (line) => {
      const msg = JSON.parse(line) as { type: string } & BatchSample & { topic: string };
      if (msg.type === 'assigned') assigned = true;
      if (msg.type === 'batch') {
        committed += msg.timestamps.length;
        batches.push(msg);
      }
    },
    onStderrLine: o.verbose ? (line) => o.log(`  engine | ${line}`) : undefined,
  });
  const exited = () => (child.child.exitCode !== null ? `the engine exited early:\n${child.stderr().trim().slice(-500)}` : undefined);
  try {
    await until('the engine joining its group', () => assigned, exited);
    await until('the warm-up events being applied', () => committed >= WARMUP_EVENTS, exited);
    const startedAt = Date.now();
    const enginePid = child.child.pid as number;
    const engineBefore = processSeconds(enginePid);
    const cpuBefore = cpuSnapshot(o.postgresPid);
    const measured = resolveProduceOptions({ ...base, rate: o.rate, durationMs: o.durationMs, seed: o.seed + 2 });
    const summary = await produce(measured, { onEvent });
    const expected = WARMUP_EVENTS + summary.delivered;
    await until('every event being applied', () => committed >= expected, exited);
    const cpu = cpuSince(cpuBefore, cpuSnapshot(o.postgresPid));
    const engineAfter = processSeconds(enginePid);
    const perEvent = (seconds: number) => Math.round((seconds * 1e6) / summary.delivered);
    const cpuUsPerEvent =
      cpu && engineBefore !== undefined && engineAfter !== undefined && summary.delivered > 0
        ? {
            engine: perEvent(engineAfter - engineBefore),
            postgres: cpu.postgres === undefined ? undefined : perEvent(cpu.postgres),
            runner: perEvent(cpu.runner),
          }
        : undefined;
    if (cpuUsPerEvent) {
      o.log(
        `  CPU µs per event meanwhile: engine ${cpuUsPerEvent.engine}, Postgres ${cpuUsPerEvent.postgres ?? '-'}, runner (producer, mock Kafka) ${cpuUsPerEvent.runner}`,
      );
    }
    await child.stop();
    // The warm-up events were produced before startedAt; only the events produced at the rate count.
    for (const value of produced) model.apply(value);
    const l = latencyFromBatches(batches, startedAt);
    for (const topic of [o.topics.users, o.topics.orders]) {
      const t = latencyFromBatches(
        batches.filter((b) => b.topic === topic),
        startedAt,
      );
      o.log(
        `  ${topic}: ${t.batches} batches, p50 ${Math.round(t.p50Ms)} ms, p99 ${Math.round(t.p99Ms)} ms, max ${Math.round(t.maxMs)} ms` +
          ` (until dispatch p50 ${Math.round(t.beforeDispatchP50Ms)} / p99 ${Math.round(t.beforeDispatchP99Ms)} ms,` +
          ` dispatch to commit p50 ${Math.round(t.applyP50Ms)} / p99 ${Math.round(t.applyP99Ms)} ms)`,
      );
    }
    const comparison = await withClient(o.databaseUrl, (c) => readTables(c, o.schema)).then((actual) =>
      compareTables({ users: model.users(), orders: model.orders() }, actual),
    );
    return {
      latency: {
        rate: o.rate,
        p50Ms: l.p50Ms,
        p99Ms: l.p99Ms,
        maxMs: l.maxMs,
        events: l.events,
        seconds: o.durationMs / 1000,
        method: 'exact: per event, the COMMIT time of its batch minus its own Kafka timestamp',
        beforeDispatchP50Ms: l.beforeDispatchP50Ms,
        beforeDispatchP99Ms: l.beforeDispatchP99Ms,
        applyP50Ms: l.applyP50Ms,
        applyP99Ms: l.applyP99Ms,
        ...(cpuUsPerEvent ? { cpuUsPerEvent } : {}),
      },
      comparison,
    };
  } finally {
    await child.stop();
  }
}
