/**
 * engine: this project with default settings, exactly as a user runs it: bin/cdc-consume as a child
 * process with --json, which reports events/s over the span from its first message to its last commit
 * (start-up, the group join and the --idle wait excluded). The runner samples the process's peak RSS
 * (VmHWM, which covers the worker threads too) while it drains the backlog.
 *
 * engine-debezium: the same engine on the same events as Debezium would have captured them from the
 * Go pipeline's tables (the shipped seed-debezium mapping); engine-debezium-avro: the same events as
 * Debezium's AvroConverter writes them (that mapping with `encoding: avro`, the stack's schema registry,
 * as the Avro demo runs it). engine-unix: the same engine connected to Postgres over its Unix socket
 * instead of loopback TCP. engine-baseline: another build of this project (--baseline DIR), run the same
 * way on the same data, to measure a change side by side; engine-debezium-baseline likewise on the
 * Debezium-form events.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CdcError } from '../../lib/errors.js';
import { cleanEnv, consumeBin, RssSampler, spawnNode } from '../../lib/devstack/child.js';
import { avroSeedMappingFile } from '../../lib/devstack/open-stack.js';
import type { Contender, ContenderContext, ContenderRun } from './types.js';

/** Generous: the engine drains 200,000 events in seconds; this only bounds a hang. */
const RUN_TIMEOUT_MS = 300_000;

interface ConsumeSummary {
  events: number;
  eventsPerSec: number;
  activeSec: number;
  deadLetters: number;
  batches: number;
  firstMessageAt?: number;
  lastCommitAt?: number;
}

const DEBEZIUM_MAPPING = fileURLToPath(new URL('../../../lib/sinks/mappings/seed-debezium.yaml', import.meta.url));

interface EngineVariant {
  name: Contender['name'];
  describe: string;
  /** The bin/cdc-consume to run. */
  bin: (ctx: ContenderContext) => string;
  args: string[];
  dataset?: Contender['dataset'];
  /** Another way to reach the same Postgres; default: the stack's URL. */
  databaseUrl?: (ctx: ContenderContext) => string;
  /** Processes in one consumer group (default 1), started together. */
  processes?: number;
  /**
   * Reads the Avro preload: the seed-debezium mapping with `encoding: avro` on its sinks (written for the
   * run into a temporary directory, as the demo does) and --schema-registry, the stack's.
   */
  avro?: boolean;
}

function engineContender(variant: EngineVariant): Contender {
  return {
    name: variant.name,
    describe: variant.describe,
    ...(variant.dataset ? { dataset: variant.dataset } : {}),
    run: (ctx) => runEngine(ctx, variant),
  };
}

export const engine = engineContender({
  name: 'engine',
  describe: 'this project: bin/cdc-consume with default settings (worker threads, COPY into staging, set-based apply)',
  bin: () => consumeBin,
  args: [],
});

export const engineDebezium = engineContender({
  name: 'engine-debezium',
  describe:
    'this project on the same events in Debezium form (cdc-produce --format debezium, --sinks lib/sinks/mappings/seed-debezium.yaml)',
  bin: () => consumeBin,
  args: ['--sinks', DEBEZIUM_MAPPING],
  dataset: 'debezium',
});

export const engineDebeziumBaseline = engineContender({
  name: 'engine-debezium-baseline',
  describe: 'another build of this project (--baseline DIR) on the Debezium-form events, the same command',
  bin: (ctx) => join(ctx.plan.baselineDir ?? '.', 'bin', 'cdc-consume'),
  args: ['--sinks', DEBEZIUM_MAPPING],
  dataset: 'debezium',
});

export const engineDebeziumAvro = engineContender({
  name: 'engine-debezium-avro',
  describe:
    "this project on the same events as Debezium's AvroConverter writes them (cdc-produce --format debezium --encoding avro, schemas in the stack's schema registry), the seed-debezium mapping with encoding: avro",
  bin: () => consumeBin,
  args: [],
  dataset: 'debezium-avro',
  avro: true,
});

export const engineDebeziumSchemas = engineContender({
  name: 'engine-debezium-schemas',
  describe:
    "this project on the same events as Debezium's JsonConverter writes them with schemas.enable=true (cdc-produce --format debezium --schemas), the seed-debezium mapping",
  bin: () => consumeBin,
  args: ['--sinks', DEBEZIUM_MAPPING],
  dataset: 'debezium-schemas',
});

export const engineDebeziumSchemasBaseline = engineContender({
  name: 'engine-debezium-schemas-baseline',
  describe: 'another build of this project (--baseline DIR) on the schema-envelope events, the same command',
  bin: (ctx) => join(ctx.plan.baselineDir ?? '.', 'bin', 'cdc-consume'),
  args: ['--sinks', DEBEZIUM_MAPPING],
  dataset: 'debezium-schemas',
});

export const engineUnix = engineContender({
  name: 'engine-unix',
  describe: 'this project, default settings, connected to Postgres over its Unix socket instead of loopback TCP',
  bin: () => consumeBin,
  args: [],
  databaseUrl: (ctx) => {
    if (!ctx.socketUrl)
      throw new CdcError('ERR_CDC_INVALID_OPTION', 'engine-unix needs the dev stack: an external Postgres has no socket here');
    return ctx.socketUrl;
  },
});

/**
 * engine-2p, engine-3p: two or three engine processes in one consumer group, started together on the
 * same backlog; the run spans from the first message any of them received to the last commit of any,
 * so the group's rebalances as members join are part of it (as they are when a group scales out).
 */
export const engine2p = engineContender({
  name: 'engine-2p',
  describe: 'two engine processes in one consumer group, default settings',
  bin: () => consumeBin,
  args: [],
  processes: 2,
});

export const engine3p = engineContender({
  name: 'engine-3p',
  describe: 'three engine processes in one consumer group, default settings',
  bin: () => consumeBin,
  args: [],
  processes: 3,
});

export const engineBaseline = engineContender({
  name: 'engine-baseline',
  describe: 'another build of this project (--baseline DIR), the same command on the same data',
  bin: (ctx) => join(ctx.plan.baselineDir ?? '.', 'bin', 'cdc-consume'),
  args: [],
});

async function runEngine(ctx: ContenderContext, variant: EngineVariant): Promise<ContenderRun> {
  if (!variant.avro) return runProcesses(ctx, variant, []);
  if (ctx.schemaRegistryUrl === undefined)
    throw new CdcError('ERR_CDC_INVALID_OPTION', `${variant.name} needs a schema registry: the dev stack's, or SCHEMA_REGISTRY_URL's`);
  const dir = mkdtempSync(join(tmpdir(), 'cdc-bench-'));
  try {
    return await runProcesses(ctx, variant, ['--sinks', avroSeedMappingFile(dir), '--schema-registry', ctx.schemaRegistryUrl]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function runProcesses(ctx: ContenderContext, variant: EngineVariant, extraArgs: string[]): Promise<ContenderRun> {
  const runs = await Promise.all(Array.from({ length: variant.processes ?? 1 }, (_, i) => runOneEngine(ctx, variant, extraArgs, i)));
  if (runs.length === 1) {
    const [only] = runs as [ProcessRun];
    const { firstMessageAt: from, lastCommitAt: to } = only.summary;
    return {
      events: only.summary.events,
      seconds: only.summary.activeSec,
      rssMaxMB: only.rssMaxMB,
      ...(from !== undefined && to !== undefined ? { span: { from, to } } : {}),
    };
  }
  const first = Math.min(...runs.map((r) => r.summary.firstMessageAt ?? Number.POSITIVE_INFINITY));
  const last = Math.max(...runs.map((r) => r.summary.lastCommitAt ?? 0));
  if (!Number.isFinite(first) || last === 0)
    throw new CdcError('ERR_CDC_INTERNAL', `${variant.name}: a process reported no span (an older cdc-consume without firstMessageAt?)`);
  return {
    events: runs.reduce((n, r) => n + r.summary.events, 0),
    seconds: (last - first) / 1000,
    span: { from: first, to: last },
    // Each process's own peak: the figure compares with one engine's.
    rssMaxMB: Math.max(...runs.map((r) => r.rssMaxMB ?? 0)),
  };
}

interface ProcessRun {
  summary: ConsumeSummary;
  rssMaxMB: number | null;
}

async function runOneEngine(ctx: ContenderContext, variant: EngineVariant, extraArgs: string[], index: number): Promise<ProcessRun> {
  const args = [
    '--brokers',
    ctx.brokers,
    '--database-url',
    variant.databaseUrl ? variant.databaseUrl(ctx) : ctx.databaseUrl,
    '--topics',
    `users=${ctx.topics.users},orders=${ctx.topics.orders}`,
    '--group',
    ctx.group,
    '--db-schema',
    ctx.schema,
    '--idle',
    '2s',
    '--json',
    ...variant.args,
    ...extraArgs,
    ...ctx.plan.engineArgs,
  ];
  // One process profiles into the group's directory (the runner reads it from there); several, each into its own.
  const profDir = ctx.plan.cpuProfDir && join(ctx.plan.cpuProfDir, ctx.group, ...((variant.processes ?? 1) > 1 ? [String(index)] : []));
  const nodeFlags = profDir ? ['--cpu-prof', '--cpu-prof-dir', profDir] : [];
  const run = spawnNode(variant.bin(ctx), args, {
    env: cleanEnv(),
    nodeFlags,
    onStderrLine: ctx.plan.verbose ? (line) => ctx.log(`  ${variant.name}${index > 0 ? `[${index}]` : ''} | ${line}`) : undefined,
  });
  const rss = new RssSampler(run.pid);
  const timer = setTimeout(() => void run.stop(5000), RUN_TIMEOUT_MS);
  const { code, signal } = await run.exited;
  clearTimeout(timer);
  const rssMaxMB = rss.stop();
  if (code !== 0) {
    const tail = run.stderr().trim().split('\n').slice(-5).join('\n');
    throw new CdcError('ERR_CDC_INTERNAL', `cdc-consume exited with ${signal ?? `code ${code}`}:\n${tail}`);
  }
  const line = run.stdout().trim().split('\n').at(-1) ?? '';
  let summary: ConsumeSummary;
  try {
    summary = JSON.parse(line) as ConsumeSummary;
  } catch {
    throw new CdcError('ERR_CDC_INTERNAL', `cdc-consume printed no JSON summary: ${line.slice(0, 200)}`);
  }
  if (summary.deadLetters > 0) ctx.log(`  ${variant.name}: ${summary.deadLetters} dead letters (the preloaded events are all valid)`);
  if (ctx.plan.verbose)
    ctx.log(
      `  ${variant.name}${index > 0 ? `[${index}]` : ''}: ${summary.batches} batches, ${Math.round(summary.events / Math.max(1, summary.batches))} events each on average`,
    );
  return { summary, rssMaxMB };
}
