/**
 * `npm run soak`: a long run under churn, for what short tests cannot show (leaks, drift, a rebalance
 * that goes wrong only the twentieth time). Not run in CI.
 *
 *   1. dev stack (or KAFKA_BROKERS + DATABASE_URL), fresh topics, group and schema;
 *   2. produce at --rate for --duration, feeding the model (TableModel) every event;
 *   3. --max-consumers cdc-consume processes in one group: one long-lived, never touched, and extras;
 *      every --change-every alternately kill a random extra (SIGKILL, SIGTERM in turn) and start one;
 *      every consumer's RSS sampled from /proc every --sample-every;
 *   4. production stops: the survivors drain (cdc_offsets reach Kafka's high watermarks), then SIGTERM;
 *   5. checks: tables equal the model, no dead letters, cdc_offsets at every partition's end, no
 *      partition standing still while production ran (bench/soak/stalls.ts), every exit as intended,
 *      and the long-lived consumer's RSS flat after the warm-up (bench/soak/trend.ts). Exit status 1 on
 *      any failure.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { exitCodes, runCli } from '../../lib/cli/run.js';
import { deleteTopics } from '../../lib/kafka/index.js';
import { createPrng, type Prng, randomSeed, TableModel } from '../../lib/loadgen/generator/index.js';
import { qualified } from '../../lib/postgres/index.js';
import { produce, type ProduceSummary, resolveProduceOptions } from '../../lib/loadgen/produce/index.js';
import { type ChildRun, cleanEnv, consumeBin, parseProcStatus, spawnNode } from '../../lib/devstack/child.js';
import { formatInt } from '../report.js';
import { type Change, killSignal, nextChange } from './churn.js';
import { parseSoakArgs, soakDefaults, type SoakPlan } from './options.js';
import { findStalls } from './stalls.js';
import { clock, formatSeries, type RssSample, type RssVerdict, rssVerdict } from './trend.js';
import { Cleanup, dropSchema, freshSchema, openStack, runId } from '../../lib/devstack/open-stack.js';
import { compareTables, countDeadLetters, describeComparison, readTables } from '../tables.js';
import { readWatermarks, type Watermarks } from '../watermarks.js';

const out = (line = '') => process.stdout.write(`${line}\n`);
const mb = (n: number) => (Number.isFinite(n) ? n.toFixed(1) : 'n/a');
const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
/** cdc-consume's default --shutdown-timeout plus leaving the group: a SIGTERMed consumer still running after this is stuck. */
const SIGTERM_BACKSTOP_MS = 45_000;
const PROGRESS_EVERY_MS = 60_000;
/** Longer than any planned pause (a SIGKILLed owner's partitions wait 10 s for the session timeout, then a rebalance). */
const STALL_MIN_SEC = 120;

interface ConsumeSummary {
  events: number;
  deadLetters: number;
  batches: number;
  topics: Array<{ skippedAlreadyApplied: number }>;
}

type Ending = 'SIGKILL' | 'SIGTERM' | 'stopped at the end' | 'exited on its own';

interface SoakConsumer {
  name: string;
  longLived: boolean;
  run: ChildRun;
  startedSec: number;
  /** Partitions held now, from its own "partitions assigned" / "partitions revoked" log lines. */
  partitions: number;
  samples: Array<RssSample & { partitions: number }>;
  /** Why it ended: set when it is signalled, so an exit without it is unplanned. */
  ending?: Ending;
  signalledAt?: number;
  endedSec?: number;
  exit?: { code: number | null; signal: NodeJS.Signals | null; afterSignalMs?: number };
  summary?: ConsumeSummary;
  /** Distinct warn/error log messages and how often each came. */
  warnings: Map<string, number>;
}

const alive = (c: SoakConsumer) => c.run.child.exitCode === null && c.run.child.signalCode === null;

/** The consumer processes: starts, kills and samples them, and remembers every one that ever ran. */
class Fleet {
  readonly all: SoakConsumer[] = [];
  readonly #args: string[];
  readonly #t0: number;
  readonly #verbose: boolean;
  readonly #backstops = new Set<NodeJS.Timeout>();

  constructor(args: string[], t0: number, verbose: boolean) {
    this.#args = args;
    this.#t0 = t0;
    this.#verbose = verbose;
  }

  now(): number {
    return (performance.now() - this.#t0) / 1000;
  }

  log(line: string): void {
    out(`[${clock(this.now()).padStart(5)}] ${line}`);
  }

  start(longLived: boolean): SoakConsumer {
    const name = `c${this.all.length + 1}`;
    // Log lines arrive asynchronously, so the callback never runs before `c` exists.
    const run = spawnNode(consumeBin, this.#args, { env: cleanEnv(), onStderrLine: (line) => this.#onLogLine(c, line) });
    const c: SoakConsumer = { name, longLived, run, startedSec: this.now(), partitions: 0, samples: [], warnings: new Map() };
    this.all.push(c);
    void c.run.exited.then((exit) => {
      c.endedSec = this.now();
      c.exit = { ...exit, ...(c.signalledAt === undefined ? {} : { afterSignalMs: Math.round(performance.now() - c.signalledAt) }) };
      c.summary = lastJson(c.run.stdout());
      if (c.ending === undefined) {
        c.ending = 'exited on its own';
        this.log(`${c.name} EXITED ON ITS OWN with ${exit.signal ?? `code ${exit.code}`}:\n${tail(c.run.stderr())}`);
      } else if (c.ending === 'SIGTERM') {
        this.log(`${c.name} exited ${exit.signal ?? `with code ${exit.code}`} ${c.exit.afterSignalMs} ms after SIGTERM`);
      }
    });
    return c;
  }

  /** Alive extras not already on their way out: what a kill may choose from. */
  extras(): SoakConsumer[] {
    return this.all.filter((c) => !c.longLived && c.ending === undefined && alive(c));
  }

  alive(): SoakConsumer[] {
    return this.all.filter(alive);
  }

  signal(c: SoakConsumer, signal: 'SIGKILL' | 'SIGTERM', ending: Ending): void {
    c.ending = ending;
    c.signalledAt = performance.now();
    c.run.child.kill(signal);
    if (signal === 'SIGTERM') {
      const timer = setTimeout(() => {
        this.#backstops.delete(timer);
        if (alive(c)) {
          this.log(`${c.name} still running ${SIGTERM_BACKSTOP_MS / 1000} s after SIGTERM: SIGKILL`);
          c.run.child.kill('SIGKILL');
        }
      }, SIGTERM_BACKSTOP_MS);
      this.#backstops.add(timer);
    }
  }

  async sample(): Promise<void> {
    const t = this.now();
    await Promise.all(
      this.alive().map(async (c) => {
        try {
          const m = parseProcStatus(await readFile(`/proc/${c.run.pid}/status`, 'utf8'));
          if (m) c.samples.push({ tSec: Math.round(t * 10) / 10, mb: Math.round((m.rssKb / 1024) * 10) / 10, partitions: c.partitions });
        } catch {
          // It exited between the check and the read.
        }
      }),
    );
  }

  /** SIGTERM to every survivor; resolves once all consumers that ever ran have exited. */
  async stopAll(): Promise<void> {
    for (const c of this.alive()) if (c.ending === undefined) this.signal(c, 'SIGTERM', 'stopped at the end');
    await Promise.all(this.all.map((c) => c.run.exited));
    for (const t of this.#backstops) clearTimeout(t);
  }

  /** Ctrl-C: no grace, the stack is about to go. */
  killAll(): void {
    for (const c of this.alive()) c.run.child.kill('SIGKILL');
    for (const t of this.#backstops) clearTimeout(t);
  }

  #onLogLine(c: SoakConsumer, line: string): void {
    if (this.#verbose) this.log(`${c.name} | ${line}`);
    let entry: { msg?: string; level?: string; partitions?: string; error?: string };
    try {
      entry = JSON.parse(line);
    } catch {
      return;
    }
    if (entry.msg === 'partitions assigned') c.partitions = entry.partitions ? entry.partitions.split(' ').length : 0;
    else if (entry.msg === 'partitions revoked') c.partitions = 0;
    else if (entry.level === 'warn' || entry.level === 'error') {
      const key = `${entry.level}: ${entry.msg}${entry.error ? `: ${entry.error}` : ''}`;
      const seen = c.warnings.get(key) ?? 0;
      c.warnings.set(key, seen + 1);
      if (seen === 0 && !this.#verbose) this.log(`${c.name} ${key}`);
    }
  }
}

function lastJson(stdout: string): ConsumeSummary | undefined {
  try {
    return JSON.parse(stdout.trim().split('\n').at(-1) ?? '') as ConsumeSummary;
  } catch {
    return undefined;
  }
}

function tail(text: string, lines = 5): string {
  return text
    .trim()
    .split('\n')
    .slice(-lines)
    .map((l) => `    ${l}`)
    .join('\n');
}

async function storedOffsets(client: pg.Client, schema: string, group: string): Promise<Map<string, number>> {
  const { rows } = await client.query<{ topic: string; partition: number; next_offset: string }>(
    `SELECT topic, partition, next_offset FROM ${qualified(schema, 'cdc_offsets')} WHERE group_id = $1`,
    [group],
  );
  return new Map(rows.map((r) => [`${r.topic}/${r.partition}`, Number(r.next_offset)]));
}

const sum = (m: Map<string, number>) => [...m.values()].reduce((a, b) => a + b, 0);

interface Check {
  name: string;
  ok: boolean;
  /** Not run (the run was too short for it): neither a pass nor a failure. */
  skipped?: boolean;
  detail: string;
}

/** One churn step: kill a random extra or start one, as the schedule says. */
function churn(fleet: Fleet, plan: SoakPlan, prng: Prng, state: { previous?: Change; kills: number; adds: number }): void {
  const extras = fleet.extras();
  const change = nextChange(state.previous, extras.length, plan.maxConsumers - 1);
  if (change === undefined) return;
  state.previous = change;
  if (change === 'kill') {
    const victim = extras[prng.below(extras.length)] as SoakConsumer;
    const signal = killSignal(state.kills);
    state.kills++;
    fleet.log(`${signal} ${victim.name} (pid ${victim.run.pid}, up since ${clock(victim.startedSec)}, ${victim.partitions} partitions)`);
    fleet.signal(victim, signal, signal);
  } else {
    state.adds++;
    const c = fleet.start(false);
    fleet.log(`started ${c.name} (pid ${c.run.pid})`);
  }
}

interface Progress {
  tSec: number;
  produced: number;
  /** Messages covered by committed batches (the sum of cdc_offsets: topics start at 0). */
  committed: number | undefined;
  offsets: Record<string, number>;
  consumers: number;
  load1: number;
}

function progress(
  fleet: Fleet,
  produced: number,
  stored: Map<string, number> | undefined,
  churned: { kills: number; adds: number },
): Progress {
  const committed = stored === undefined ? undefined : sum(stored);
  const consumers = fleet
    .alive()
    .map((c) => {
      const last = c.samples.at(-1);
      return `${c.name}${c.longLived ? '*' : ''} ${last ? `${mb(last.mb)} MB` : '?'} ${c.partitions}p`;
    })
    .join(', ');
  const applied = committed === undefined ? '?' : `${formatInt(committed)} (lag ${formatInt(produced - committed)})`;
  fleet.log(
    `produced ${formatInt(produced)}, applied ${applied} | ${fleet.alive().length} consumers: ${consumers} | killed ${churned.kills}, started ${churned.adds} | load ${load()}`,
  );
  const offsets = Object.fromEntries(stored ?? []);
  return { tSec: Math.round(fleet.now()), produced, committed, offsets, consumers: fleet.alive().length, load1: loadavg()[0] ?? 0 };
}

async function soak(plan: SoakPlan, cleanup: Cleanup): Promise<number> {
  const seed = plan.seed ?? randomSeed();
  const loadAtStart = loadavg();
  out(
    `soak: ${formatInt(plan.rate)} events/s for ${clock(plan.durationMs / 1000)}, a consumer killed or started every ${clock(plan.changeEveryMs / 1000)}, at most ${plan.maxConsumers} consumers, seed ${seed}`,
  );
  out(`load average at the start: ${load()}`);
  const stack = await openStack();
  cleanup.add(() => stack.stop());
  const id = runId();
  const topics = { users: `soak-${id}-users`, orders: `soak-${id}-orders` };
  const schema = `soak_${id}`;
  const group = `soak-${id}`;
  await freshSchema(stack.databaseUrl, schema);
  if (stack.external) {
    cleanup.add(async () => {
      await dropSchema(stack.databaseUrl, schema);
      await deleteTopics(stack.brokers, [topics.users, topics.orders]);
    });
  }
  out(
    `stack: ${stack.external ? 'KAFKA_BROKERS and DATABASE_URL' : `dev stack, ready in ${(stack.startMs / 1000).toFixed(1)} s`}; topics ${topics.users}, ${topics.orders}; schema ${schema}`,
  );
  const db = new pg.Client({ connectionString: stack.databaseUrl });
  await db.connect();
  cleanup.add(() => db.end());

  const consumerArgs = [
    ...['--brokers', stack.brokers, '--database-url', stack.databaseUrl],
    ...['--topics', `users=${topics.users},orders=${topics.orders}`, '--group', group, '--db-schema', schema, '--json'],
  ];
  const prng = createPrng(seed);
  const model = new TableModel();
  const abort = new AbortController();
  cleanup.onInterrupt = () => abort.abort();
  const churned: { previous?: Change; kills: number; adds: number } = { kills: 0, adds: 0 };
  const timers: NodeJS.Timeout[] = [];
  let fleet: Fleet | undefined;
  let produced = 0;
  const minutes: Progress[] = [];
  const seen = { user: false, order: false };

  // The consumers start once both topics exist (the first write creates them), as the demo's does.
  const startFleet = () => {
    const f = new Fleet(consumerArgs, performance.now(), plan.verbose);
    fleet = f;
    cleanup.add(() => f.killAll());
    const first = f.start(true);
    for (let i = 1; i < plan.maxConsumers; i++) f.start(false);
    f.log(
      `started ${plan.maxConsumers} consumers: ${first.name} (pid ${first.run.pid}) is the long-lived one, ${f
        .extras()
        .map((c) => `${c.name} (pid ${c.run.pid})`)
        .join(', ')} the extras`,
    );
    timers.push(setInterval(() => void f.sample(), plan.sampleEveryMs));
    timers.push(setInterval(() => churn(f, plan, prng, churned), plan.changeEveryMs));
    timers.push(
      setInterval(() => {
        void storedOffsets(db, schema, group)
          .catch(() => undefined)
          .then((committed) => minutes.push(progress(f, produced, committed, churned)));
      }, PROGRESS_EVERY_MS),
    );
  };

  let summary: ProduceSummary;
  try {
    summary = await produce(
      resolveProduceOptions({
        brokers: stack.brokers,
        topics: `${topics.users},${topics.orders}`,
        rate: plan.rate,
        count: 0,
        durationMs: plan.durationMs,
        seed,
        // The mock cluster never answers CreateTopics (it creates topics on first write): do not wait long.
        createTimeoutMs: 1000,
      }),
      {
        signal: abort.signal,
        log: (line) => out(`producer: ${line}`),
        // librdkafka's mock cluster finds a fetch's offset by scanning the partition's message sets from the
        // oldest (rd_kafka_mock_msgset_find), up to 100,000 of them: with the default 10 ms linger that scan
        // grows all run long until the mock broker, not the consumers, sets the pace. Fewer, larger batches
        // keep it short; a real broker has an offset index, so an external cluster gets the defaults.
        ...(stack.external ? {} : { producer: { lingerMs: soakDefaults.devStackLingerMs } }),
        onEvent: (e) => {
          model.apply(e.value);
          produced++;
          seen[e.entity] = true;
          if (!fleet && seen.user && seen.order) startFleet();
        },
      },
    );
  } finally {
    for (const t of timers) clearInterval(t);
  }
  if (abort.signal.aborted) return exitCodes.failure;
  if (!fleet) startFleet();
  const f = fleet as unknown as Fleet;
  const productionEndSec = f.now();
  await f.sample();
  const atEnd = await storedOffsets(db, schema, group);
  minutes.push({
    tSec: Math.round(productionEndSec),
    produced,
    committed: sum(atEnd),
    offsets: Object.fromEntries(atEnd),
    consumers: f.alive().length,
    load1: loadavg()[0] ?? 0,
  });
  const lagAtEnd = summary.sent - sum(atEnd);
  f.log(
    `production stopped: ${formatInt(summary.sent)} events sent in ${(summary.elapsedMs / 1000).toFixed(1)} s (${formatInt(summary.sendRate)}/s), ${formatInt(summary.delivered)} delivered, ${formatInt(summary.failed)} failed; lag ${formatInt(lagAtEnd)} (${(lagAtEnd / plan.rate).toFixed(1)} s of production); ${f.alive().length} consumers draining`,
  );

  const checks: Check[] = [];
  const check = (name: string, ok: boolean, detail: string) => checks.push({ name, ok, detail });
  check(
    'producer',
    summary.failed === 0 && summary.unreported === 0 && summary.error === undefined,
    `${formatInt(summary.delivered)} delivered, ${formatInt(summary.failed)} failed, ${formatInt(summary.unreported)} unreported${summary.error ? `; ${summary.error}` : ''}`,
  );

  // Everything delivered is in the high watermarks now; the survivors are drained when cdc_offsets reaches them.
  const marks: Watermarks[] = await readWatermarks(stack.brokers, [topics.users, topics.orders]);
  const deadline = performance.now() + soakDefaults.drainTimeoutMs;
  let stored = new Map<string, number>();
  let drained = false;
  for (;;) {
    stored = await storedOffsets(db, schema, group);
    if (marks.every((m) => (stored.get(`${m.topic}/${m.partition}`) ?? 0) >= m.high)) {
      drained = true;
      break;
    }
    if (f.alive().length === 0 || performance.now() > deadline) break;
    await sleep(500);
  }
  const drainSec = f.now() - productionEndSec;
  f.log(
    drained ? `drained ${drainSec.toFixed(1)} s after production stopped; stopping the survivors` : 'NOT drained: stopping the survivors',
  );
  await f.stopAll();
  stored = await storedOffsets(db, schema, group);

  const actual = await readTables(db, schema);
  const deadLetters = await countDeadLetters(db, schema);
  const comparison = compareTables({ users: model.users(), orders: model.orders() }, actual);
  const highSum = marks.reduce((n, m) => n + m.high, 0);
  const behind = marks.filter((m) => (stored.get(`${m.topic}/${m.partition}`) ?? 0) !== m.high);
  const trimmed = marks.filter((m) => m.low > 0);
  check(
    'kafka',
    highSum === summary.delivered,
    `${marks.length} partitions hold offsets 0..${formatInt(highSum)} in all (${formatInt(summary.delivered)} delivered)`,
  );
  check(
    'cdc_offsets',
    behind.length === 0,
    behind.length === 0
      ? `every partition's stored offset is at its end (${drained ? `drained in ${drainSec.toFixed(1)} s` : 'not drained'})`
      : behind.map((m) => `${m.topic}/${m.partition} at ${stored.get(`${m.topic}/${m.partition}`) ?? 'none'} of ${m.high}`).join(', '),
  );
  const stalls = findStalls(
    minutes.filter((m) => m.committed !== undefined),
    new Map(marks.map((m) => [`${m.topic}/${m.partition}`, m.high])),
    STALL_MIN_SEC,
  );
  check(
    'partitions kept moving',
    stalls.length === 0,
    stalls.length === 0
      ? `no partition's stored offset stood still for ${STALL_MIN_SEC / 60} minutes while production ran`
      : stalls.map((x) => `${x.partition} stood at ${formatInt(x.offset)} from ${clock(x.fromSec)} to ${clock(x.toSec)}`).join('; '),
  );
  check('dead letters', deadLetters === 0, `${formatInt(deadLetters)}`);
  check('tables', comparison.equal, describeComparison(comparison));

  const exitProblems: string[] = [];
  for (const c of f.all) {
    const how = c.exit?.signal ?? `code ${c.exit?.code}`;
    if (c.ending === 'exited on its own') exitProblems.push(`${c.name} exited on its own (${how})`);
    else if (c.ending === 'SIGKILL' ? c.exit?.signal !== 'SIGKILL' : c.exit?.code !== 0)
      exitProblems.push(`${c.name} ended by ${c.ending} with ${how}`);
    if (c.longLived && c.ending !== 'stopped at the end') exitProblems.push(`the long-lived ${c.name} did not last the run`);
  }
  const termMs = f.all.filter((c) => c.ending === 'SIGTERM' || c.ending === 'stopped at the end').map((c) => c.exit?.afterSignalMs ?? 0);
  check(
    'consumer exits',
    exitProblems.length === 0,
    exitProblems.length > 0
      ? exitProblems.join('; ')
      : `${churned.kills} killed (${f.all.filter((c) => c.ending === 'SIGKILL').length} SIGKILL, ${f.all.filter((c) => c.ending === 'SIGTERM').length} SIGTERM), ${churned.adds} started; every SIGTERM exited 0 within ${Math.max(0, ...termMs)} ms`,
  );

  const longLived = f.all.find((c) => c.longLived) as SoakConsumer;
  const verdict: RssVerdict = rssVerdict(longLived.samples, {
    warmUpSec: plan.warmUpMs / 1000,
    endSec: productionEndSec,
    minSpanSec: soakDefaults.minJudgedSpanMs / 1000,
    maxSlopeMbPerMin: plan.maxSlopeMbPerMin,
  });
  if (!verdict.judged) checks.push({ name: 'RSS flat', ok: true, skipped: true, detail: `not judged: ${verdict.notJudged}` });
  else check('RSS flat', verdict.ok, verdict.failures.join('; ') || `slope ${verdict.slopeMbPerMin.toFixed(3)} MB/min`);

  report(f, plan, verdict, productionEndSec);
  out();
  out('Checks');
  for (const c of checks) out(`  ${c.skipped ? 'skip  ' : c.ok ? 'ok    ' : 'FAILED'}  ${c.name}: ${c.detail}`);
  if (trimmed.length > 0) {
    out(
      `  note: the cluster no longer holds the start of ${trimmed.map((m) => `${m.topic}/${m.partition} (from ${m.low})`).join(', ')} (retention)`,
    );
  }
  const lags = minutes
    .filter((m) => m.committed !== undefined)
    .map((m) => `${clock(m.tSec)} ${formatInt(m.produced - (m.committed ?? 0))}`);
  out(`  lag each minute (events produced, not yet applied): ${lags.join(', ')}; at the end of production ${formatInt(lagAtEnd)}`);
  const skipped = f.all.reduce((n, c) => n + (c.summary?.topics.reduce((k, t) => k + t.skippedAlreadyApplied, 0) ?? 0), 0);
  out(`  ${formatInt(skipped)} events skipped as already applied by an earlier owner (reported by the consumers that exited cleanly)`);
  const ok = checks.every((c) => c.ok);
  const loadAtEnd = loadavg();
  out(`load average at the end: ${load()}; the soak process itself: ${mb(process.memoryUsage().rss / 2 ** 20)} MB RSS (the model)`);
  out(ok ? 'soak PASSED' : 'soak FAILED');

  if (plan.jsonPath) {
    await mkdir(dirname(plan.jsonPath), { recursive: true });
    const json = {
      plan: { ...plan, seed },
      loadAverage: { start: loadAtStart, end: loadAtEnd },
      produced: {
        sent: summary.sent,
        delivered: summary.delivered,
        failed: summary.failed,
        sendRate: summary.sendRate,
        elapsedMs: summary.elapsedMs,
      },
      productionEndSec,
      lagAtEnd,
      drainSec: drained ? drainSec : null,
      churn: { kills: churned.kills, adds: churned.adds },
      progress: minutes,
      consumers: f.all.map((c) => ({
        name: c.name,
        pid: c.run.pid,
        longLived: c.longLived,
        startedSec: c.startedSec,
        endedSec: c.endedSec,
        ending: c.ending,
        exit: c.exit,
        events: c.summary?.events,
        warnings: Object.fromEntries(c.warnings),
        rss: c.samples.map((s) => [s.tSec, s.mb, s.partitions]),
      })),
      rssSeriesColumns: ['seconds', 'MB', 'partitions held'],
      verdict,
      watermarks: marks,
      stalls,
      checks,
      ok,
    };
    await writeFile(plan.jsonPath, `${JSON.stringify(json, null, 1)}\n`);
    out(`wrote ${plan.jsonPath}`);
  }
  return ok ? exitCodes.ok : exitCodes.failure;
}

function report(f: Fleet, plan: SoakPlan, v: RssVerdict, endSec: number): void {
  const longLived = f.all.find((c) => c.longLived) as SoakConsumer;
  out();
  const events = longLived.summary ? `; it applied ${formatInt(longLived.summary.events)} events` : '';
  out(
    `RSS of the long-lived consumer ${longLived.name} (pid ${longLived.run.pid}), every ${plan.sampleEveryMs / 1000} s (time, MB)${events}:`,
  );
  for (const line of formatSeries(longLived.samples)) out(`  ${line}`);
  const partitions = longLived.samples.map((s) => s.partitions);
  out(`  it held ${Math.min(...partitions)}-${Math.max(...partitions)} partitions as consumers came and went`);
  out(
    `  after the ${clock(plan.warmUpMs / 1000)} warm-up, to ${clock(endSec)}: ${v.samples} samples, start ${mb(v.startMb)}, end ${mb(v.endMb)}, min ${mb(v.minMb)}, max ${mb(v.maxMb)} MB; slope ${v.slopeMbPerMin >= 0 ? '+' : ''}${v.slopeMbPerMin.toFixed(3)} MB/min (bound ${plan.maxSlopeMbPerMin})`,
  );
  out(
    `  mean of the second quarter ${mb(v.secondQuarterMeanMb)} MB, of the last ${mb(v.lastQuarterMeanMb)} MB: ${v.quarterRiseMb >= 0 ? '+' : ''}${mb(v.quarterRiseMb)} MB (bound ${mb(v.quarterRiseBoundMb)})`,
  );
  out(`  verdict: ${!v.judged ? `not judged (${v.notJudged})` : v.ok ? 'flat' : `NOT FLAT: ${v.failures.join('; ')}`}`);
  out();
  out('The other consumers (RSS samples, MB):');
  for (const c of f.all.filter((x) => !x.longLived)) {
    const exit =
      c.ending === 'SIGTERM' || c.ending === 'stopped at the end' ? `, exit ${c.exit?.code} after ${c.exit?.afterSignalMs} ms` : '';
    const events = c.summary ? `, ${formatInt(c.summary.events)} events` : '';
    out(
      `  ${c.name} ${clock(c.startedSec)}-${clock(c.endedSec ?? f.now())} ${c.ending ?? 'running'}${exit}${events}: ${c.samples.map((s) => s.mb.toFixed(0)).join(' ')}`,
    );
  }
  const warned = f.all.flatMap((c) => [...c.warnings].map(([msg, n]) => `${c.name} ${msg} (${n}x)`));
  if (warned.length > 0) {
    out('Warnings logged by the consumers:');
    for (const w of warned) out(`  ${w}`);
  }
}

export async function main(argv: string[]): Promise<void> {
  await runCli('soak', async () => {
    const plan = await parseSoakArgs(argv);
    if (!plan) return exitCodes.ok;
    const cleanup = new Cleanup();
    try {
      return await soak(plan, cleanup);
    } finally {
      await cleanup.run();
    }
  });
}

await main(process.argv.slice(2));
