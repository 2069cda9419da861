/**
 * `npm run bench`: the engine against honest baselines on the same preloaded events.
 *
 *   1. dev stack (or KAFKA_BROKERS + DATABASE_URL), 2. preload two fresh topics once with seed-format
 *   events and read them back (the model), 3. every contender, `--repeat` times, interleaved: fresh schema,
 *   own consumer group, from the beginning; its tables must equal the model, 4. the engine's latency at a
 *   fixed rate, 5. the table on stdout, `--json FILE` and the SVG chart next to it.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { availableParallelism, cpus, loadavg, platform, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { exitCodes, runCli } from '../lib/cli/run.js';
import type { TopicNames } from '../lib/loadgen/generator/index.js';
import { deleteTopics } from '../lib/kafka/index.js';
import { copyCeiling } from './contenders/copy-ceiling.js';
import {
  engine,
  engine2p,
  engine3p,
  engineBaseline,
  engineDebezium,
  engineDebeziumBaseline,
  engineDebeziumAvro,
  engineDebeziumSchemas,
  engineDebeziumSchemasBaseline,
  engineUnix,
} from './contenders/engine.js';
import { multiRowInsert, multiRowInsertDebezium } from './contenders/multi-row-insert.js';
import { perRowInsert } from './contenders/per-row-insert.js';
import type { Contender, ContenderDataset, ContenderRun } from './contenders/types.js';
import { CpuRecorder, type CpuSeconds, cpuSince, settledCpuSnapshot } from './cpu.js';
import { checkWhole, type Dataset, preload, readBack, replayableClock } from './dataset.js';
import { measureKafkaLatency } from './kafka-latency.js';
import { measureLatency } from './latency.js';
import { TcpProxy } from '../lib/devstack/tcp-proxy.js';
import { type BenchPlan, type ContenderName, parseBenchArgs } from './options.js';
import { formatProfile, readProfiles } from './profile.js';
import {
  type BenchReport,
  type ContenderSummary,
  cpuMicrosPerEvent,
  type DelayedRound,
  formatInt,
  formatReport,
  type LatencyReport,
  type MachineInfo,
} from './report.js';
import { Cleanup, dropSchema, freshSchema, openStack, runId, type Stack, withClient } from '../lib/devstack/open-stack.js';
import { renderChart } from './svg.js';
import { compareTables, describeComparison, readTables } from './tables.js';

const CONTENDERS: Record<ContenderName, Contender> = {
  engine,
  'engine-unix': engineUnix,
  'engine-debezium': engineDebezium,
  'engine-debezium-baseline': engineDebeziumBaseline,
  'engine-debezium-avro': engineDebeziumAvro,
  'engine-debezium-schemas': engineDebeziumSchemas,
  'engine-debezium-schemas-baseline': engineDebeziumSchemasBaseline,
  'engine-baseline': engineBaseline,
  'engine-2p': engine2p,
  'engine-3p': engine3p,
  'per-row-insert': perRowInsert,
  'multi-row-insert': multiRowInsert,
  'multi-row-insert-debezium': multiRowInsertDebezium,
  'copy-ceiling': copyCeiling,
};

const log = (line: string) => process.stderr.write(`${line}\n`);

/** The Debezium-form preloads of the seed events, by the dataset a contender reads. */
type Preloads = Partial<Record<Exclude<ContenderDataset, 'seed'>, { topics: TopicNames; messages: number }>>;

interface Measured extends ContenderRun {
  verified: boolean;
  eventsPerSec: number;
  /** CPU from the first consumed message to the last commit (the whole run when a contender gives no span). */
  cpu?: CpuSeconds | undefined;
  /** CPU from the contender's start to its end: start-up, group join and idle wait included. */
  cpuWhole?: CpuSeconds | undefined;
}

async function machineInfo(stack: Stack): Promise<MachineInfo> {
  const postgres = await withClient(
    stack.databaseUrl,
    async (c) => (await c.query<{ v: string }>("SELECT current_setting('server_version') AS v")).rows[0]?.v ?? '?',
  );
  return {
    cpus: availableParallelism(),
    cpuModel: cpus()[0]?.model.replace(/\s+/g, ' ').trim(),
    memoryGB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    postgres: postgres.split(' ')[0] ?? postgres,
    platform: platform(),
    stack: stack.external ? 'external Kafka and Postgres' : 'dev stack: embedded Postgres, librdkafka mock Kafka',
  };
}

async function runOnce(
  contender: Contender,
  stack: Stack,
  dataset: Dataset,
  plan: BenchPlan,
  id: string,
  round: number,
  preloads: Preloads,
): Promise<Measured> {
  const dbz = contender.dataset === undefined || contender.dataset === 'seed' ? undefined : preloads[contender.dataset];
  const schema = `bench_${id}_${contender.name.replaceAll('-', '_')}_${round}`;
  const group = `bench-${id}-${contender.name}-${round}`;
  await freshSchema(stack.databaseUrl, schema);
  // A run whose tables differ from the model keeps its schema on an external stack, to look at.
  let keep = false;
  try {
    let run: ContenderRun;
    const cpuBefore = await settledCpuSnapshot(stack.postgresPid);
    const recorder = new CpuRecorder(stack.postgresPid);
    try {
      run = await contender.run({
        brokers: stack.brokers,
        databaseUrl: stack.databaseUrl,
        socketUrl: stack.socketUrl,
        schemaRegistryUrl: stack.schemaRegistryUrl,
        // The Debezium preload holds the same events: the seed dataset's model checks its tables too.
        topics: dbz ? dbz.topics : dataset.topics,
        schema,
        group,
        dataset,
        plan,
        log,
      });
    } catch (err) {
      // One failed run does not end the bench: it counts as a run whose result is not valid.
      log(`  ${contender.name} #${round}: FAILED: ${(err as Error).message}`);
      return { events: 0, seconds: 0, verified: false, eventsPerSec: 0 };
    } finally {
      recorder.stop();
    }
    const cpuWhole = cpuSince(cpuBefore, await settledCpuSnapshot(stack.postgresPid));
    const cpu = run.span ? recorder.between(run.span.from, run.span.to) : cpuWhole;
    const expected = dataset.expected(run.applied);
    const comparison = await withClient(stack.databaseUrl, (c) => readTables(c, schema)).then((actual) => compareTables(expected, actual));
    // The Debezium preload leaves out updates of ids the Go tables never had (no-ops for the model).
    const covered = dbz ? dbz.messages : dataset.eventsIn(run.applied);
    const verified = comparison.equal && covered === run.events;
    const eventsPerSec = run.seconds > 0 ? run.events / run.seconds : 0;
    log(
      `  ${contender.name} #${round}: ${formatInt(run.events)} events in ${run.seconds.toFixed(2)} s = ${formatInt(eventsPerSec)} events/s` +
        `${run.rssMaxMB ? `, peak RSS ${Math.round(run.rssMaxMB)} MB` : ''}${cpu ? `, CPU ${formatCpu(cpu)}` : ''}; tables ${verified ? 'equal the model' : `DIFFER from the model: ${describeComparison(comparison)}${covered !== run.events ? ` (reported ${run.events} events, offsets cover ${covered})` : ''}`}`,
    );
    keep = !verified && stack.external;
    if (keep) log(`  kept schema ${schema} for inspection`);
    return { ...run, verified, eventsPerSec, cpu, cpuWhole };
  } finally {
    if (!keep) await dropSchema(stack.databaseUrl, schema).catch(() => undefined);
  }
}

function formatCpu(cpu: CpuSeconds): string {
  const parts = [`contender ${cpu.children.toFixed(1)} s`];
  if (cpu.postgres !== undefined) parts.push(`Postgres ${cpu.postgres.toFixed(1)} s`);
  parts.push(`runner and mock Kafka ${cpu.runner.toFixed(1)} s`);
  return parts.join(', ');
}

function summarize(name: string, runs: Measured[]): ContenderSummary {
  const good = runs.filter((r) => r.verified);
  const pool = good.length > 0 ? good : runs;
  // The median run by rate (the lower middle one for an even count, so it is a real run).
  const sorted = [...pool].sort((a, b) => a.eventsPerSec - b.eventsPerSec);
  const mid = sorted[Math.floor((sorted.length - 1) / 2)] as Measured;
  const summary: ContenderSummary = {
    name,
    events: mid.events,
    seconds: Number(mid.seconds.toFixed(3)),
    eventsPerSec: good.length > 0 ? Math.round(mid.eventsPerSec) : 0,
    runs: runs.map((r) => Math.round(r.eventsPerSec)),
    ...(runs.some((r) => r.applied !== undefined) ? { subset: true } : {}),
    verified: good.length === runs.length,
    ...(mid.cpu ? { cpuSeconds: mid.cpu } : {}),
    ...(mid.cpuWhole ? { cpuSecondsWholeRun: mid.cpuWhole } : {}),
  };
  const us = cpuMicrosPerEvent(summary);
  if (us) {
    const round = (v: number) => Number(v.toFixed(1));
    summary.cpuMicrosPerEvent = {
      own: round(us.own),
      ...(us.postgres === undefined ? {} : { postgres: round(us.postgres) }),
      runner: round(us.runner),
      total: round(us.total),
    };
  }
  return summary;
}

/** Summarizes the CPU profiles of one engine process: thread 0 is the main thread, the others workers. */
async function logProfiles(name: string, dir: string, log: (line: string) => void): Promise<void> {
  try {
    for (const { file, summary } of await readProfiles(dir)) {
      log(formatProfile(`${name} ${file.split('.').at(-3) === '0' ? 'main thread' : 'worker thread'} (${join(dir, file)})`, summary));
    }
  } catch (err) {
    log(`no CPU profiles in ${dir}: ${(err as Error).message}`);
  }
}

/** The engine's latency at --latency-rate on fresh topics (none when skipped or the engine is not run). */
async function latencyRound(
  stack: Stack,
  plan: BenchPlan,
  id: string,
  tag: string,
  created: string[],
  /** Also measure the plain consumer on the same load (not through the Postgres proxy: it has no Postgres). */
  withKafkaAlone = true,
): Promise<{ latency: LatencyReport | null; ok: boolean }> {
  let latency: LatencyReport | null = null;
  let latencyOk = true;
  if (plan.latencyMs > 0 && plan.contenders.includes('engine')) {
    log(`latency: producing ${formatInt(plan.latencyRate)} events/s for ${plan.latencyMs / 1000} s with the engine running`);
    const lt = { users: `bench-${id}-${tag}-users`, orders: `bench-${id}-${tag}-orders` };
    created.push(lt.users, lt.orders);
    const schema = `bench_${id}_${tag}`;
    try {
      const result = await measureLatency({
        brokers: stack.brokers,
        databaseUrl: stack.databaseUrl,
        postgresPid: stack.postgresPid,
        topics: lt,
        schema,
        group: `bench-${id}-${tag}`,
        rate: plan.latencyRate,
        durationMs: plan.latencyMs,
        seed: plan.seed,
        engineArgs: plan.engineArgs,
        cpuProfDir: plan.cpuProfDir && join(plan.cpuProfDir, `bench-${id}-${tag}`),
        verbose: plan.verbose,
        log,
      });
      latency = result.latency;
      latencyOk = result.comparison.equal;
      log(
        `  p50 ${Math.round(latency.p50Ms)} ms, p99 ${Math.round(latency.p99Ms)} ms, max ${Math.round(latency.maxMs)} ms over ${formatInt(latency.events ?? 0)} events; tables ${latencyOk ? 'equal the model' : `DIFFER: ${describeComparison(result.comparison)}`}`,
      );
    } finally {
      await dropSchema(stack.databaseUrl, schema).catch(() => undefined);
    }
    if (!withKafkaAlone) return { latency, ok: latencyOk };
    // The same load read by a plain consumer: the part of the figure that is the producer's and Kafka's.
    const kt = { users: `bench-${id}-${tag}-k-users`, orders: `bench-${id}-${tag}-k-orders` };
    created.push(kt.users, kt.orders);
    const kafka = await measureKafkaLatency({
      brokers: stack.brokers,
      topics: kt,
      group: `bench-${id}-${tag}-k`,
      rate: plan.latencyRate,
      durationMs: plan.latencyMs,
      seed: plan.seed,
    });
    latency = { ...latency, kafkaAlone: kafka };
    log(
      `  Kafka alone (producer, broker, fetch): p50 ${Math.round(kafka.p50Ms)} ms, p99 ${Math.round(kafka.p99Ms)} ms, max ${Math.round(kafka.maxMs)} ms`,
    );
  }

  return { latency, ok: latencyOk };
}

async function bench(plan: BenchPlan, cleanup: Cleanup): Promise<number> {
  const started = performance.now();
  const loadAtStart = loadavg()[0] ?? 0;
  log(`cdc-pipeline bench (${plan.mode}): ${plan.contenders.join(', ')}`);
  const stack = await openStack();
  cleanup.add(() => stack.stop());
  log(stack.external ? `using Kafka at ${stack.brokers} and the given Postgres` : `dev stack up in ${(stack.startMs / 1000).toFixed(1)} s`);
  if (!stack.socketUrl && plan.contenders.includes('engine-unix')) {
    log('engine-unix left out: the given Postgres is not reachable over a Unix socket from here');
    plan = { ...plan, contenders: plan.contenders.filter((c) => c !== 'engine-unix') };
  }
  if (stack.schemaRegistryUrl === undefined && plan.contenders.includes('engine-debezium-avro')) {
    log('engine-debezium-avro left out: no schema registry for its schemas (set SCHEMA_REGISTRY_URL with an external stack)');
    plan = { ...plan, contenders: plan.contenders.filter((c) => c !== 'engine-debezium-avro') };
  }
  const id = runId();
  const topics = { users: `bench-${id}-users`, orders: `bench-${id}-orders` };
  // On an external cluster, remove the bench's topics afterwards (the dev stack goes away as a whole).
  const created: string[] = [topics.users, topics.orders];
  if (stack.external) cleanup.add(async () => void (await deleteTopics(stack.brokers, created, 3000)));

  log(`preloading ${formatInt(plan.events)} events (seed ${plan.seed}) into ${topics.users}, ${topics.orders}`);
  const clockStart = Date.now();
  const loaded = await preload({
    brokers: stack.brokers,
    topics,
    events: plan.events,
    seed: plan.seed,
    now: replayableClock(clockStart),
    log: plan.verbose ? log : undefined,
  });
  const dataset = await readBack(stack.brokers, topics, plan.events);
  const model = dataset.expected();
  log(
    `  produced in ${(loaded.elapsedMs / 1000).toFixed(1)} s, read back ${formatInt(dataset.total)} events from ${dataset.partitions.length} partitions; model: ${formatInt(model.users.length)} users, ${formatInt(model.orders.length)} orders`,
  );
  const preloads: Preloads = {};
  for (const [form, short, schemas, encoding] of [
    ['debezium', 'dbz', false, 'json'],
    ['debezium-schemas', 'dbzs', true, 'json'],
    ['debezium-avro', 'avro', false, 'avro'],
  ] as const) {
    if (!plan.contenders.some((c) => CONTENDERS[c].dataset === form)) continue;
    // Avro's names are [A-Za-z_][A-Za-z0-9_]*, and the generated schemas are named after the topic
    // (`<topic>.Key`, as Debezium names them): no hyphens there.
    const sep = encoding === 'avro' ? '_' : '-';
    const dbzTopics = { users: ['bench', id, short, 'users'].join(sep), orders: ['bench', id, short, 'orders'].join(sep) };
    created.push(dbzTopics.users, dbzTopics.orders);
    log(
      `preloading the same events in Debezium form${schemas ? ' with the schema envelope' : ''}${encoding === 'avro' ? " as AvroConverter writes them (schemas in the stack's registry)" : ''} into ${dbzTopics.users}, ${dbzTopics.orders}`,
    );
    const dbz = await preload({
      brokers: stack.brokers,
      topics: dbzTopics,
      events: plan.events,
      seed: plan.seed,
      format: 'debezium',
      schemas,
      encoding,
      ...(encoding === 'avro' ? { schemaRegistry: stack.schemaRegistryUrl } : {}),
      now: replayableClock(clockStart),
    });
    // Not read back: the contender's tables are checked against the seed events' model; this proves the
    // cluster still holds all of them.
    await checkWhole(stack.brokers, dbzTopics, dbz.delivered);
    preloads[form] = { topics: dbzTopics, messages: dbz.delivered };
    log(
      `  produced ${formatInt(dbz.delivered)} messages in ${(dbz.elapsedMs / 1000).toFixed(1)} s (the model is the seed events'), all in the log`,
    );
  }
  const machine = await machineInfo(stack);

  const runs = new Map<ContenderName, Measured[]>(plan.contenders.map((c) => [c, []]));
  let engineRss: number | null = null;
  for (let round = 1; round <= plan.repeat; round++) {
    log(`round ${round} of ${plan.repeat}`);
    for (const name of plan.contenders) {
      const m = await runOnce(CONTENDERS[name], stack, dataset, plan, id, round, preloads);
      runs.get(name)?.push(m);
      if (name === 'engine' && m.rssMaxMB != null) engineRss = Math.max(engineRss ?? 0, m.rssMaxMB);
    }
  }

  if (plan.cpuProfDir) {
    // Each engine contender's last run (one process each): thread 0 is the main thread, the others the
    // worker threads. The forms side by side say where one spends more than another.
    for (const name of plan.contenders.filter((c) => c.startsWith('engine') && c !== 'engine-2p' && c !== 'engine-3p')) {
      await logProfiles(name, join(plan.cpuProfDir, `bench-${id}-${name}-${plan.repeat}`), log);
    }
  }

  const direct = await latencyRound(stack, plan, id, 'lat', created);
  if (plan.cpuProfDir && plan.latencyMs > 0) await logProfiles('latency engine', join(plan.cpuProfDir, `bench-${id}-lat`), log);
  let delayed: DelayedRound | undefined;
  let delayedOk = true;
  if (plan.pgDelayMs > 0) {
    // The same contenders again with Postgres that far away: the proxy holds every chunk in each direction.
    const target = new URL(stack.databaseUrl);
    const proxy = await TcpProxy.start({ host: target.hostname, port: Number(target.port || 5432) });
    cleanup.add(() => proxy.close());
    proxy.delay({ upMs: plan.pgDelayMs, downMs: plan.pgDelayMs });
    const via = new URL(stack.databaseUrl);
    via.host = `127.0.0.1:${proxy.port}`;
    const far: Stack = { ...stack, databaseUrl: via.toString(), socketUrl: undefined };
    // A Unix socket bypasses the proxy: engine-unix has nothing to show here.
    const names = plan.contenders.filter((c) => c !== 'engine-unix');
    log(`with Postgres ${plan.pgDelayMs} ms away each way (TCP proxy on port ${proxy.port}): ${names.join(', ')}`);
    const farRuns = new Map<ContenderName, Measured[]>(names.map((c) => [c, []]));
    for (let round = 1; round <= plan.repeat; round++) {
      log(`delayed round ${round} of ${plan.repeat}`);
      for (const name of names) farRuns.get(name)?.push(await runOnce(CONTENDERS[name], far, dataset, plan, id, 100 + round, preloads));
    }
    const farLatency = await latencyRound(far, plan, id, 'dlat', created, false);
    delayedOk = farLatency.ok;
    delayed = {
      oneWayMs: plan.pgDelayMs,
      contenders: names.map((name) => summarize(name, farRuns.get(name) ?? [])),
      latency: farLatency.latency,
    };
  }
  const latency = direct.latency;
  const latencyOk = direct.ok && delayedOk;

  const report: BenchReport = {
    machine: { ...machine, loadAverage: { start: Number(loadAtStart.toFixed(2)), end: Number((loadavg()[0] ?? 0).toFixed(2)) } },
    contenders: plan.contenders.map((name) => ({
      ...summarize(name, runs.get(name) ?? []),
      ...(name === 'engine' && plan.engineArgs.length > 0 ? { extraArgs: plan.engineArgs.join(' ') } : {}),
    })),
    latency,
    ...(delayed ? { delayed } : {}),
    engineRssMaxMB: engineRss === null ? null : Math.round(engineRss),
    mode: plan.mode,
    dataset: { events: dataset.total, users: dataset.count(topics.users), orders: dataset.count(topics.orders), seed: plan.seed },
    generatedAt: new Date().toISOString(),
  };
  process.stdout.write(`\n${formatReport(report)}\n`);
  if (plan.jsonPath) {
    await mkdir(dirname(plan.jsonPath), { recursive: true });
    await writeFile(plan.jsonPath, `${JSON.stringify(report, null, 2)}\n`);
    log(`wrote ${plan.jsonPath}`);
  }
  if (plan.svgPath) {
    await mkdir(dirname(plan.svgPath), { recursive: true });
    await writeFile(plan.svgPath, renderChart(report));
    log(`wrote ${plan.svgPath}`);
  }
  log(`bench finished in ${((performance.now() - started) / 1000).toFixed(0)} s`);
  const allVerified = [...report.contenders, ...(delayed?.contenders ?? [])].every((c) => c.verified !== false) && latencyOk;
  return allVerified ? exitCodes.ok : exitCodes.failure;
}

export async function main(argv: string[]): Promise<void> {
  await runCli('bench', async () => {
    const plan = await parseBenchArgs(argv);
    if (!plan) return exitCodes.ok;
    const cleanup = new Cleanup();
    try {
      return await bench(plan, cleanup);
    } finally {
      await cleanup.run();
    }
  });
}

await main(process.argv.slice(2));
