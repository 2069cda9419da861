/**
 * `npm run demo`: the whole pipeline in one command, on the embedded dev stack.
 *
 * Starts the dev stack (or uses KAFKA_BROKERS + DATABASE_URL), produces change events at a rate for a
 * few seconds while `cdc-consume --idle` loads them into Postgres, and ends with a summary: events
 * produced, rows per table, dead letters, throughput, and a check that every row equals what the
 * events say it should be (the same model the tests use). Exit status 1 if the check fails.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { exitCodes, runCli } from '../lib/cli/run.js';
import { TableModel } from '../lib/loadgen/generator/index.js';
import { qualified } from '../lib/postgres/index.js';
import { produce, resolveProduceOptions } from '../lib/loadgen/produce/index.js';
import { type ChildRun, cleanEnv, consumeBin, spawnNode } from '../lib/devstack/child.js';
import { type DemoPlan, demoDefaults, parseDemoArgs } from './options.js';
import { alignColumns, formatInt } from './report.js';
import { avroSeedMappingFile, Cleanup, freshSchema, openStack, runId, withClient } from '../lib/devstack/open-stack.js';
import { compareTables, countDeadLetters, readTables } from './tables.js';

const out = (line = '') => process.stdout.write(`${line}\n`);
const DEBEZIUM_MAPPING = fileURLToPath(new URL('../../lib/sinks/mappings/seed-debezium.yaml', import.meta.url));
const tty = process.stdout.isTTY === true;
const bold = (s: string) => (tty ? `\x1b[1m${s}\x1b[0m` : s);
const dim = (s: string) => (tty ? `\x1b[2m${s}\x1b[0m` : s);
const good = (s: string) => (tty ? `\x1b[32m${s}\x1b[0m` : s);
const bad = (s: string) => (tty ? `\x1b[31m${s}\x1b[0m` : s);
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const mix = (t: { CREATE: number; UPDATE: number; DELETE: number }) =>
  `${formatInt(t.CREATE)} create, ${formatInt(t.UPDATE)} update, ${formatInt(t.DELETE)} delete`;

interface ConsumeSummary {
  events: number;
  eventsPerSec: number;
  activeSec: number;
  rowsApplied: number;
  deadLetters: number;
  batches: number;
}

/** The engine's log lines a newcomer should see, in plain words (stderr is JSON when not a terminal). */
function explain(line: string, seen: Set<string>): string | undefined {
  let entry: { msg?: string; level?: string; partitions?: string; workers?: number; error?: string };
  try {
    entry = JSON.parse(line);
  } catch {
    return line.trim() === '' ? undefined : line;
  }
  const once = (key: string, text: string) => {
    if (seen.has(key)) return undefined;
    seen.add(key);
    return text;
  };
  switch (entry.msg) {
    case 'partitions assigned':
      return `cdc-consume joined its consumer group: ${entry.partitions?.split(' ').length ?? '?'} partitions, ${entry.workers ?? '?'} worker threads`;
    case 'orders wait for their users; retrying the partition':
      return once(
        'orphans',
        'some orders arrived before their users (the two topics are read independently): their partitions retry until the users land, nothing is lost',
      );
    default:
      return entry.level === 'warn' || entry.level === 'error'
        ? `cdc-consume ${entry.level}: ${entry.msg}${entry.error ? `: ${entry.error}` : ''}`
        : undefined;
  }
}

async function demo(plan: DemoPlan, cleanup: Cleanup): Promise<number> {
  out(bold('cdc-pipeline demo: Kafka -> worker threads -> COPY -> Postgres'));
  out();
  out(`1. Starting the dev stack: an embedded Postgres and a 3-broker Kafka (librdkafka's mock cluster) ...`);
  const stack = await openStack();
  cleanup.add(() => stack.stop());
  out(stack.external ? `   using KAFKA_BROKERS=${stack.brokers} and DATABASE_URL` : `   ready in ${seconds(stack.startMs)}`);

  // On the dev stack everything is fresh: plain names, so `--keep` leaves tables one can simply query.
  const id = runId();
  const topics = stack.external ? { users: `demo-${id}-users`, orders: `demo-${id}-orders` } : { users: 'users', orders: 'orders' };
  const schema = stack.external ? `demo_${id}` : 'public';
  const group = stack.external ? `demo-${id}` : 'cdc-demo';
  if (stack.external) await freshSchema(stack.databaseUrl, schema);
  const avro = plan.encoding === 'avro';
  if (avro && stack.schemaRegistryUrl === undefined) {
    out(bad('   --encoding avro on an external stack needs SCHEMA_REGISTRY_URL (a Schema Registry for the schemas)'));
    return exitCodes.usage;
  }
  let mapping = plan.format === 'debezium' ? DEBEZIUM_MAPPING : undefined;
  if (avro) {
    const dir = mkdtempSync(join(tmpdir(), 'cdc-demo-'));
    cleanup.add(() => rmSync(dir, { recursive: true, force: true }));
    mapping = avroSeedMappingFile(dir);
  }

  const model = new TableModel();
  const abort = new AbortController();
  cleanup.onInterrupt = () => abort.abort();
  let consumer: ChildRun | undefined;
  let joinedAt: number | undefined;
  const seen = new Set<string>();
  const startConsumer = () => {
    out(
      `   started cdc-consume --idle ${demoDefaults.idleMs / 1000}s as soon as both topics existed (it exits once no event has arrived for that long)`,
    );
    consumer = spawnNode(
      consumeBin,
      [
        '--brokers',
        stack.brokers,
        '--database-url',
        stack.databaseUrl,
        '--topics',
        `users=${topics.users},orders=${topics.orders}`,
        '--group',
        group,
        '--db-schema',
        schema,
        '--idle',
        `${demoDefaults.idleMs}ms`,
        '--json',
        ...(mapping !== undefined ? ['--sinks', mapping] : []),
        ...(avro ? ['--schema-registry', stack.schemaRegistryUrl as string] : []),
      ],
      {
        env: cleanEnv(),
        onStderrLine: (line) => {
          if (line.includes('"partitions assigned"')) joinedAt ??= performance.now();
          const text = plan.verbose ? line : explain(line, seen);
          if (text) out(dim(`   ${text}`));
        },
      },
    );
    const child = consumer;
    cleanup.add(() => child.stop());
  };

  const limit = [
    plan.rate > 0 ? `${formatInt(plan.rate)} events/s` : 'as fast as possible',
    plan.durationMs !== undefined ? `for ${seconds(plan.durationMs)}` : '',
    plan.count !== undefined ? `${plan.durationMs !== undefined ? 'or ' : ''}up to ${formatInt(plan.count)} events` : '',
  ]
    .filter((s) => s !== '')
    .join(' ');
  const form =
    plan.format === 'debezium'
      ? ` in Debezium form${avro ? ' (Avro, schemas in the registry)' : plan.schemas ? ' (with schemas)' : ''}`
      : '';
  out(
    `2. Producing User and Order change events${form} to topics ${topics.users} and ${topics.orders}, ${limit}, while cdc-consume loads them`,
  );
  let userSeen = false;
  let orderSeen = false;
  // The consumer starts once both topics exist (the first write creates them), so it finds them at once.
  const summary = await produce(
    resolveProduceOptions({
      brokers: stack.brokers,
      topics: `${topics.users},${topics.orders}`,
      rate: plan.rate,
      ...(plan.count !== undefined ? { count: plan.count } : { count: 0 }),
      ...(plan.durationMs !== undefined ? { durationMs: plan.durationMs } : {}),
      ...(plan.seed !== undefined ? { seed: plan.seed } : {}),
      format: plan.format,
      schemas: plan.schemas,
      encoding: plan.encoding,
      ...(avro ? { schemaRegistry: stack.schemaRegistryUrl } : {}),
      // The mock cluster never answers CreateTopics (it creates topics on first write): do not wait long.
      createTimeoutMs: 1000,
    }),
    {
      signal: abort.signal,
      log: plan.verbose ? (line) => out(dim(`   producer: ${line}`)) : undefined,
      onEvent: (e) => {
        model.apply(e.value);
        if (e.entity === 'user') userSeen = true;
        else orderSeen = true;
        if (!consumer && userSeen && orderSeen) startConsumer();
      },
    },
  );
  if (!consumer) startConsumer();
  const producedAt = performance.now();
  out(
    `   sent ${formatInt(summary.sent)} events in ${seconds(summary.elapsedMs)} (seed ${summary.seed}); ${formatInt(summary.delivered)} delivered, ${formatInt(summary.failed)} failed`,
  );
  if (abort.signal.aborted) return exitCodes.failure;

  out(`3. Waiting for cdc-consume to apply everything and exit ...`);
  const run = consumer as ChildRun;
  const stopTimer = setTimeout(() => void run.stop(), 120_000);
  const exit = await run.exited;
  clearTimeout(stopTimer);
  const finishedMs = performance.now() - producedAt;
  if (exit.code !== 0) {
    out(bad(`   cdc-consume exited with ${exit.signal ?? `code ${exit.code}`}:`));
    out(run.stderr().trim().split('\n').slice(-5).join('\n'));
    return exitCodes.failure;
  }
  const consumed = JSON.parse(run.stdout().trim().split('\n').at(-1) ?? '{}') as ConsumeSummary;
  out(`   done ${seconds(finishedMs)} after the last event was sent (including the ${demoDefaults.idleMs / 1000} s idle wait)`);

  const { actual, deadLetters } = await withClient(stack.databaseUrl, async (c) => ({
    actual: await readTables(c, schema),
    deadLetters: await countDeadLetters(c, schema),
  }));
  const expected = { users: model.users(), orders: model.orders() };
  const comparison = compareTables(expected, actual);
  const deletedUsers = actual.users.filter((u) => u.is_deleted).length;
  const deletedOrders = actual.orders.filter((o) => o.is_deleted).length;
  const u = summary.topics.users;
  const o = summary.topics.orders;

  out();
  out(bold('Summary'));
  const rows = [
    [
      'events produced',
      formatInt(summary.delivered),
      `users ${formatInt(u.delivered)} (${mix(u)}), orders ${formatInt(o.delivered)} (${mix(o)})`,
    ],
    [
      'events consumed',
      formatInt(consumed.events),
      `in ${formatInt(consumed.batches)} batches (each one Postgres transaction with its Kafka offsets)`,
    ],
    ['rows in users', formatInt(actual.users.length), `${formatInt(deletedUsers)} soft-deleted (is_deleted = true)`],
    ['rows in orders', formatInt(actual.orders.length), `${formatInt(deletedOrders)} deleted (cancelled, or their user was deleted)`],
    ['dead letters', formatInt(deadLetters), deadLetters === 0 ? 'no event was rejected' : `see ${qualified(schema, 'cdc_dead_letters')}`],
    [
      'throughput',
      `${formatInt(consumed.eventsPerSec)}/s`,
      `events applied per second, its first message to its last commit; ${
        joinedAt !== undefined && joinedAt < producedAt
          ? `it caught up with what was sent before it joined, then kept pace with the producer, so this shows the production pace more than the engine's`
          : 'it joined after the producer had finished, so this is how fast it drained that backlog'
      } (npm run bench measures the engine)`,
    ],
  ];
  const aligned = alignColumns(rows.map(([name, value]) => [`  ${name}`, value as string]));
  aligned.forEach((line, i) => {
    out(`${line}  ${dim(rows[i]?.[2] ?? '')}`);
  });
  out();
  const users = comparison.tables[0];
  const orders = comparison.tables[1];
  if (comparison.equal && consumed.events === summary.delivered) {
    out(
      good(
        `  check: tables match what was produced: all ${formatInt(users?.expectedRows ?? 0)} users and ${formatInt(orders?.expectedRows ?? 0)} orders equal the model, field by field`,
      ),
    );
  } else {
    out(bad('  check FAILED: the tables differ from what the events say'));
    for (const t of comparison.tables) {
      out(
        bad(
          `    ${t.table}: ${t.actualRows} rows, expected ${t.expectedRows}; ${t.differences} differ${t.first ? ` (first: ${t.first})` : ''}`,
        ),
      );
    }
    if (consumed.events !== summary.delivered) out(bad(`    consumed ${consumed.events} events, produced ${summary.delivered}`));
  }
  const ok = comparison.equal && consumed.events === summary.delivered;

  if (plan.keep && !stack.external) {
    out();
    out('The dev stack keeps running until Ctrl-C. Connect with:');
    out(`  export KAFKA_BROKERS=${stack.brokers}`);
    out(`  export DATABASE_URL=${stack.databaseUrl}`);
    out('  psql "$DATABASE_URL" -c "SELECT * FROM users LIMIT 5"');
    out('  ./bin/cdc-produce --count 1000 && ./bin/cdc-consume --idle 3s --group cdc-demo');
    await new Promise<void>(() => {});
  } else if (!plan.keep) {
    out(dim('  (npm run demo -- --keep leaves the stack running to explore; --help lists the flags)'));
  }
  return ok ? exitCodes.ok : exitCodes.failure;
}

export async function main(argv: string[]): Promise<void> {
  await runCli('demo', async () => {
    const plan = await parseDemoArgs(argv);
    if (!plan) return exitCodes.ok;
    const cleanup = new Cleanup();
    try {
      return await demo(plan, cleanup);
    } finally {
      await cleanup.run();
    }
  });
}

await main(process.argv.slice(2));
