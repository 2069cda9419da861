/**
 * What every fault scenario shares: its own topics, consumer group and Postgres schema; produced
 * events recorded with their partition and offset; consumer processes watched for memory; and the
 * final check: the tables equal the model of the good events, every bad event is in cdc_dead_letters
 * exactly once with its code and bytes, no good event is, and every partition's offset is at its end.
 * Scenarios of offset gaps say which messages were never to be applied (neverApplied) and when the topics
 * were deleted and created again (recreateTopics).
 */
import { createHash } from 'node:crypto';
import pg from 'pg';
import { qualified } from '../../lib/postgres/index.js';
import {
  createGenerator,
  createPrng,
  describeDifference,
  diffRows,
  expectedTables,
  type Prng,
  randomSeed,
  type RowDifference,
} from '../../lib/loadgen/generator/index.js';
import { type ConsumerRun, ensureStopped, startConsumer } from '../support/consumer.js';
import { testStack, uniqueName, withTestSchema } from '../support/stack.js';
import { highWatermarks } from '../support/kafka-offsets.js';
import { readTables } from '../support/tables.js';
import { MemorySampler } from './memory.js';
import { type Outgoing, type Sent, TrackedProducer } from './produce.js';
import { recordScenario } from './report.js';

let seed: number | undefined;

/** The run's base seed: $CDC_FAULTS_SEED, else random (printed with the report, to repeat a run). */
export function faultSeed(): number {
  seed ??= process.env.CDC_FAULTS_SEED ? Number(process.env.CDC_FAULTS_SEED) : randomSeed();
  return seed;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls `check` every 20 ms until it holds; after `timeoutMs`, fails naming `what` (and `logs()`). */
export async function until(check: () => Promise<boolean> | boolean, timeoutMs: number, what: string, logs?: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms${logs ? `\n${logs()}` : ''}`);
    await sleep(20);
  }
}

/** A consumer process with its memory watched. */
export interface WatchedRun extends ConsumerRun {
  name: string;
  memory: MemorySampler;
  startedAt: number;
  /** Milliseconds from the signal (see `signal`) to exit, once exited. */
  exitMs?: number;
  signal(sig: NodeJS.Signals): void;
  /** The --json summary, once exited with it. */
  summary(): ConsumerSummary;
}

export interface ConsumerSummary {
  events: number;
  rowsApplied: number;
  deadLetters: number;
  topics: Array<{ topic: string; events: number; skippedAlreadyApplied: number }>;
}

interface DeadLetterRow {
  group_id: string;
  topic: string;
  partition: number;
  offset: number;
  error_code: string;
  error_message: string;
  value_md5: string | null;
}

export interface Verified {
  rows: number;
  deadLetters: number;
}

const md5 = (b: Buffer) => createHash('md5').update(b).digest('hex');
const at = (m: { topic: string; partition: number; offset: number }) => `${m.topic}/${m.partition}@${m.offset}`;

export class FaultScenario {
  readonly users = uniqueName('fu');
  readonly orders = uniqueName('fo');
  group = uniqueName('fg');
  readonly sent: Sent[] = [];
  /** Messages of the topics' earlier incarnation (see recreateTopics): applied before those in `sent`, from a log that is gone. */
  readonly replaced: Sent[] = [];
  readonly runs: WatchedRun[] = [];
  readonly prng: Prng;
  readonly seed: number;
  readonly startedAt = Date.now();
  #schema: string;
  #drop: () => Promise<void>;
  #producer: TrackedProducer | undefined;
  #generatorSeed: number;
  readonly #neverApplied = new Set<Sent>();

  private constructor(
    readonly order: number,
    readonly name: string,
    schema: { schema: string; drop: () => Promise<void> },
  ) {
    this.seed = faultSeed() + order * 1000;
    this.prng = createPrng(this.seed);
    // Not the scenario's own seed: the generator draws its ids from the same kind of stream, so a
    // scenario's hand-made ids (uuid(prng)) would repeat the generator's, re-creating its users.
    this.#generatorSeed = this.seed + 1;
    this.#schema = schema.schema;
    this.#drop = schema.drop;
  }

  /** `order`: the scenario's fixed place in the report and its seed's offset, so a failure replays with the same events. */
  static async create(order: number, name: string): Promise<FaultScenario> {
    return new FaultScenario(order, name, await withTestSchema(`fault${order}`));
  }

  get schema(): string {
    return this.#schema;
  }

  /** Runs the scenario against another (e.g. hostile) schema name; the engine creates it. */
  useSchema(schema: string, drop: () => Promise<void>): void {
    const old = this.#drop;
    this.#schema = schema;
    this.#drop = async () => {
      await old();
      await drop();
    };
  }

  /** The flags that point a consumer at this scenario's topics, group and schema. */
  args(): string[] {
    return ['--topics', `users=${this.users},orders=${this.orders}`, '--group', this.group, '--db-schema', this.schema];
  }

  /** `count` good events from the seed-format generator (a fresh stream per call). */
  goodEvents(count: number): Outgoing[] {
    const gen = createGenerator({ seed: this.#generatorSeed++, topics: { users: this.users, orders: this.orders } });
    const out: Outgoing[] = [];
    for (let i = 0; i < count; i++) {
      const e = gen.next();
      // Copies: the generator reuses its buffers.
      out.push({ topic: e.topic, key: e.key.toString('latin1'), value: Buffer.from(e.value) });
    }
    return out;
  }

  /** Produces in order and records where each message landed. */
  async produce(messages: readonly Outgoing[]): Promise<void> {
    this.#producer ??= await TrackedProducer.connect(testStack().brokers);
    this.sent.push(...(await this.#producer.send(messages)));
  }

  /** `wrap`: a command prefix that execs the consumer (see startConsumer). */
  consume(extra: string[], env: Record<string, string> = {}, wrap: readonly string[] = []): WatchedRun {
    const run = startConsumer([...this.args(), ...extra], env, wrap);
    const memory = new MemorySampler(run.child.pid as number);
    let signalledAt: number | undefined;
    const watched: WatchedRun = {
      ...run,
      name: `consumer ${this.runs.length + 1}`,
      memory,
      startedAt: Date.now(),
      signal: (sig) => {
        signalledAt ??= Date.now();
        run.child.kill(sig);
      },
      summary: () => {
        const line = run
          .stdout()
          .split('\n')
          .find((l) => l.startsWith('{'));
        if (!line) throw new Error(`no --json summary on stdout:\n${run.stdout()}\n${tail(run.stderr())}`);
        return JSON.parse(line) as ConsumerSummary;
      },
    };
    watched.exited = run.exited.then((code) => {
      memory.stop();
      if (signalledAt !== undefined) watched.exitMs = Date.now() - signalledAt;
      return code;
    });
    this.runs.push(watched);
    return watched;
  }

  /**
   * Messages of `sent` the consumer must never apply: deleted by retention before it read them, or passed
   * over by --on-offset-gap latest. They leave the model and the dead-letter expectations; their offsets
   * still count where each partition must end (the log's offsets go on past them).
   */
  neverApplied(messages: readonly Sent[]): void {
    for (const m of messages) this.#neverApplied.add(m);
  }

  /**
   * The topics deleted and created again under the same names: what was sent so far was in a log that is
   * gone. Those messages stay in the model (what they did to the tables stays) but leave the offset and
   * dead-letter checks, whose positions the new log reuses. The next produce connects again, to the
   * brokers testStack() names then. An old incarnation with bad events is refused: their dead letters
   * would sit at positions of the new log.
   */
  async recreateTopics(): Promise<void> {
    if (this.sent.some((m) => m.bad)) throw new Error('recreateTopics: the old incarnation of the topics must hold no bad events');
    this.replaced.push(...this.sent.splice(0));
    await this.#producer?.close();
    this.#producer = undefined;
  }

  /** Next offset stored in Postgres per `topic/partition` for this group ({} before the schema exists). */
  async storedOffsets(): Promise<Map<string, number>> {
    const c = new pg.Client({ connectionString: testStack().databaseUrl });
    await c.connect();
    try {
      const { rows } = await c.query<{ topic: string; partition: number; next_offset: string }>(
        `SELECT topic, partition, next_offset FROM ${qualified(this.schema, 'cdc_offsets')} WHERE group_id = $1`,
        [this.group],
      );
      return new Map(rows.map((r) => [`${r.topic}/${r.partition}`, Number(r.next_offset)]));
    } catch {
      return new Map();
    } finally {
      await c.end().catch(() => {});
    }
  }

  /** Messages covered by committed batches so far (sum of next offsets: topics start at offset 0). */
  async committedCount(): Promise<number> {
    let n = 0;
    for (const v of (await this.storedOffsets()).values()) n += v;
    return n;
  }

  /** Where each partition's offset must end: one past the last message sent to it. */
  endOffsets(): Map<string, number> {
    const end = new Map<string, number>();
    for (const m of this.sent) {
      const k = `${m.topic}/${m.partition}`;
      end.set(k, Math.max(end.get(k) ?? 0, m.offset + 1));
    }
    return end;
  }

  /** Every partition a message was sent to, as the Kafka clients name one. */
  partitions(): Array<{ topic: string; partition: number }> {
    return [...this.endOffsets().keys()].map((k) => ({
      topic: k.slice(0, k.lastIndexOf('/')),
      partition: Number(k.slice(k.lastIndexOf('/') + 1)),
    }));
  }

  /**
   * Waits until every message sent is covered by a committed batch; fails early if no consumer is left.
   * A stored offset above its partition's end counts as covered: one that moves back (a recreated topic
   * under --on-offset-gap earliest or latest) must be waited for first.
   */
  async waitAllCommitted(timeoutMs: number, alive: readonly WatchedRun[] = this.runs): Promise<void> {
    const end = this.endOffsets();
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const stored = await this.storedOffsets();
      const behind = [...end].filter(([k, v]) => (stored.get(k) ?? 0) < v);
      if (behind.length === 0) return;
      if (alive.every((r) => r.child.exitCode !== null || r.child.signalCode !== null)) {
        throw new Error(`every consumer exited with ${behind.length} partitions behind:\n${this.logs()}`);
      }
      if (Date.now() > deadline) {
        const detail = behind.map(([k, v]) => `${k} at ${stored.get(k) ?? 'none'} of ${v}`).join(', ');
        throw new Error(`not everything committed within ${timeoutMs} ms: ${detail}\n${this.logs()}`);
      }
      await sleep(200);
    }
  }

  /** Waits until batches covering more than `count` messages are committed. */
  async waitCommittedAbove(count: number, timeoutMs = 60_000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const n = await this.committedCount();
      if (n > count) return n;
      if (Date.now() > deadline) throw new Error(`committed stayed at ${n} (waiting for > ${count})\n${this.logs()}`);
      await sleep(25);
    }
  }

  /** The tail of every consumer's stderr, for failure messages. */
  logs(): string {
    return this.runs
      .map((r) => `--- ${r.name} (pid ${r.child.pid}, exit ${r.child.exitCode ?? r.child.signalCode}):\n${tail(r.stderr())}`)
      .join('\n');
  }

  /**
   * The final check. Throws with a summary (not a 20,000-row diff) when the tables differ from the
   * model of the good events, a bad event is missing, duplicated or has the wrong code or bytes, a good
   * event was dead-lettered, or a partition's stored offset is not at its end.
   */
  async verify(): Promise<Verified> {
    const good = [...this.replaced, ...this.sent].filter((m) => !m.bad && !this.#neverApplied.has(m));
    const model = expectedTables(good.map((m) => ({ value: m.value })));
    const state = await readTables(this.schema);
    const problems: string[] = [];
    const orderDifferences = diffRows(model.orders, state.orders);
    problems.push(...summarize('users', diffRows(model.users, state.users)), ...summarize('orders', orderDifferences));
    // For a wrong order, where its events and its user's events sat, to tell a race from a lost event.
    for (const d of orderDifferences.filter((x) => x.kind === 'differs').slice(0, 3)) {
      problems.push(`  history: ${this.#history(d.id)}; user ${this.#history(d.actual.user_id)}`);
    }

    const dead = await this.#deadLetters();
    const byPosition = new Map(this.sent.map((m) => [at(m), m]));
    const seen = new Map<string, number>();
    for (const d of dead) {
      const k = at(d);
      seen.set(k, (seen.get(k) ?? 0) + 1);
      const m = byPosition.get(k);
      if (d.group_id !== this.group)
        problems.push(`dead letter ${k} has group ${JSON.stringify(d.group_id)}, not ${JSON.stringify(this.group)}`);
      if (!m) problems.push(`dead letter ${k} (${d.error_code}) matches no message produced`);
      else if (this.#neverApplied.has(m)) problems.push(`dead letter ${k} (${d.error_code}) of a message never to be applied`);
      else if (!m.bad) problems.push(`good event ${k} dead-lettered: ${d.error_code} ${d.error_message}`);
      else {
        if (!m.bad.codes.includes(d.error_code)) {
          problems.push(`${m.bad.kind} at ${k}: code ${d.error_code} (${d.error_message}), expected ${m.bad.codes.join(' or ')}`);
        }
        // node-rdkafka hands the consumer a zero-length value as null: both read back as NULL.
        const want = m.value === null || m.value.length === 0 ? null : md5(m.value);
        if (d.value_md5 !== want) problems.push(`${m.bad.kind} at ${k}: stored value differs from the message produced`);
      }
    }
    for (const [k, n] of seen) if (n > 1) problems.push(`dead letter ${k} recorded ${n} times`);
    const missing = this.sent.filter((m) => m.bad && !seen.has(at(m)) && !this.#neverApplied.has(m));
    if (missing.length > 0) {
      problems.push(
        `${missing.length} bad events not dead-lettered, e.g. ${missing
          .slice(0, 5)
          .map((m) => `${m.bad?.kind} at ${at(m)}`)
          .join('; ')}`,
      );
    }

    const stored = await this.storedOffsets();
    for (const [k, v] of this.endOffsets()) {
      if (stored.get(k) !== v) problems.push(`cdc_offsets ${k} = ${stored.get(k) ?? 'none'}, expected ${v}`);
    }
    if (problems.length > 0) problems.push(...(await this.#logVersusSent()));
    if (problems.length > 0) {
      throw new Error(`${this.name}: final state is wrong (seed ${this.seed}):\n  ${problems.slice(0, 30).join('\n  ')}\n${this.logs()}`);
    }
    return { rows: state.users.length + state.orders.length, deadLetters: dead.length };
  }

  /**
   * Whether the log holds what the producer reported, to tell an engine fault from a broken oracle: the
   * mock cluster deduplicates only a transactional producer's retries, so a retried produce request
   * would leave messages in the log that the model does not know.
   */
  async #logVersusSent(): Promise<string[]> {
    const end = this.endOffsets();
    try {
      const high = await highWatermarks(testStack().brokers, this.partitions());
      const counts = new Map<string, number>();
      for (const m of this.sent) counts.set(`${m.topic}/${m.partition}`, (counts.get(`${m.topic}/${m.partition}`) ?? 0) + 1);
      const off = [...end].filter(([k, v]) => high.get(k) !== v || counts.get(k) !== v);
      return off.length === 0
        ? ['the log holds exactly the messages the producer reported (the model is of the log)']
        : off.map(([k, v]) => `the log of ${k} ends at ${high.get(k)}, the producer reported ${counts.get(k)} messages ending at ${v}`);
    } catch (err) {
      return [`log not compared with what was sent: ${(err as Error).message}`];
    }
  }

  /** `topic-role partition@offset OP` of every good event with this key, in production order. */
  #history(id: string): string {
    return [...this.replaced, ...this.sent]
      .filter((m) => m.key === id && !m.bad)
      .map(
        (m) =>
          `${m.topic === this.users ? 'users' : 'orders'} ${m.partition}@${m.offset} ${/"event_type":"(\w+)"/.exec(m.value?.toString() ?? '')?.[1]}`,
      )
      .join(', ');
  }

  async #deadLetters(): Promise<DeadLetterRow[]> {
    const c = new pg.Client({ connectionString: testStack().databaseUrl });
    await c.connect();
    try {
      const { rows } = await c.query<DeadLetterRow>(
        `SELECT group_id, topic, partition, "offset"::int AS offset, error_code, error_message, md5(value) AS value_md5
           FROM ${qualified(this.schema, 'cdc_dead_letters')} ORDER BY topic, partition, "offset"`,
      );
      return rows;
    } finally {
      await c.end();
    }
  }

  /** Verifies, then records the scenario's figures for the report. */
  async finish(notes: string): Promise<Verified> {
    const verified = await this.verify();
    recordScenario({
      order: this.order,
      name: this.name,
      events: this.replaced.length + this.sent.length,
      rows: verified.rows,
      deadLetters: verified.deadLetters,
      seconds: (Date.now() - this.startedAt) / 1000,
      peakRssMb: Math.max(0, ...this.runs.map((r) => r.memory.peakMb)),
      notes,
    });
    return verified;
  }

  /** Kills what a failed scenario left running, closes the producer, drops the schema. */
  async cleanup(): Promise<void> {
    await Promise.all(this.runs.map(ensureStopped));
    await this.#producer?.close();
    await this.#drop();
  }
}

export function tail(text: string, lines = 25): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

/** One of a consumer's log lines (JSON off a terminal): pino's epoch-ms `time` and `msg`, then the fields. */
export interface LogEntry {
  time: number;
  level: string;
  msg: string;
  [field: string]: unknown;
}

/** A consumer's JSON log lines, in order; anything else on stderr is skipped. */
export function logEntries(stderr: string): LogEntry[] {
  const out: LogEntry[] = [];
  for (const line of stderr.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      const entry = JSON.parse(line) as LogEntry;
      if (typeof entry.time === 'number' && typeof entry.msg === 'string') out.push(entry);
    } catch {
      // a partial last line
    }
  }
  return out;
}

/** A table's differences (lib/loadgen/generator/compare-tables.ts) as counts and a few examples. */
function summarize<T>(table: string, differences: readonly RowDifference<T>[]): string[] {
  const of = <K extends RowDifference<T>['kind']>(kind: K) =>
    differences.filter((d): d is Extract<RowDifference<T>, { kind: K }> => d.kind === kind);
  const missing = of('missing');
  const unexpected = of('unexpected');
  const differ = of('differs');
  const duplicates = of('duplicate');
  const out: string[] = [];
  if (missing[0]) out.push(`${table}: ${missing.length} rows missing, e.g. ${JSON.stringify(missing[0].expected)}`);
  if (unexpected[0]) out.push(`${table}: ${unexpected.length} rows not in the model, e.g. ${JSON.stringify(unexpected[0].actual)}`);
  for (const d of differ.slice(0, 3)) out.push(`${describeDifference(table, d)}; got ${JSON.stringify(d.actual)}`);
  if (differ.length > 3) out.push(`${table}: ${differ.length} rows differ in all`);
  if (duplicates.length > 0) out.push(`${table}: ${duplicates.length} duplicate ids`);
  return out;
}

/** Splits a list into `n` consecutive chunks of (nearly) equal size. */
export function chunks<T>(list: readonly T[], n: number): T[][] {
  const size = Math.ceil(list.length / n);
  const out: T[][] = [];
  for (let i = 0; i < list.length; i += size) out.push(list.slice(i, i + size));
  return out;
}
