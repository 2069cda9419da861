/**
 * cdc-dead-letters replay end to end on the dev stack: events whose dead letters are followed by
 * updates, deletes and re-creates of their keys, and orders whose users arrive after the orphan wait,
 * loaded by bin/cdc-consume; the cause fixed; bin/cdc-dead-letters replay run (and killed mid-way and
 * run again). The final tables must equal the model of every event applied in order, as if the dead
 * letters had been valid when first consumed.
 */
import { expect } from 'chai';
import { join } from 'node:path';
import pg from 'pg';
import { cleanEnv, packageRoot, spawnNode } from '../../lib/devstack/child.js';
import { expectedTables } from '../../lib/loadgen/generator/index.js';
import { qualified } from '../../lib/postgres/index.js';
import { type ConsumerRun, ensureStopped, startConsumer } from '../support/consumer.js';
import { produceAll, type TestMessage, TestTopics } from '../support/kafka.js';
import { testStack, uniqueName, withTestSchema } from '../support/stack.js';
import { readTables, sortById } from '../support/tables.js';
import { until } from '../support/wait.js';

const bin = join(packageRoot, 'bin', 'cdc-dead-letters');

const uuid = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
const at = (second: number) => `2025-07-01T00:${String(Math.floor(second / 60)).padStart(2, '0')}:${String(second % 60).padStart(2, '0')}Z`;

/** Events in the Go pipeline's JSON (../shared/seed/DATA-MODEL.md), each stamped one second after the last. */
class Events {
  readonly messages: TestMessage[] = [];
  #second = 0;

  constructor(readonly topics: { users: string; orders: string }) {}

  #push(topic: string, key: string, event: Record<string, unknown>): void {
    this.messages.push({ topic, key, value: Buffer.from(JSON.stringify(event)) });
  }

  user(type: 'CREATE' | 'UPDATE' | 'DELETE', id: number, name = `user ${id}`): this {
    const when = at(++this.#second);
    const event =
      type === 'CREATE'
        ? { event_type: type, user_id: uuid(id), name, dob: '1990-01-01', created_at: when }
        : type === 'UPDATE'
          ? { event_type: type, user_id: uuid(id), name, modified_at: when }
          : { event_type: type, user_id: uuid(id), modified_at: when };
    this.#push(this.topics.users, uuid(id), event);
    return this;
  }

  order(type: 'CREATE' | 'UPDATE', id: number, userId = 0): this {
    const when = at(++this.#second);
    const event =
      type === 'CREATE'
        ? {
            event_type: type,
            order_id: uuid(id),
            order_status: 'PLACED',
            user_id: uuid(userId),
            quantity: 2,
            order_total: 10.25,
            placed_at: when,
          }
        : { event_type: type, order_id: uuid(id), order_status: 'SHIPPED', modified_at: when };
    this.#push(this.topics.orders, uuid(id), event);
    return this;
  }
}

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

describe('dead-letters/replay (integration)', function () {
  this.timeout(240_000);
  const topics = new TestTopics();
  const runs: ConsumerRun[] = [];
  let schema: string;
  let drop: () => Promise<void>;
  let group: string;
  let names: { users: string; orders: string };
  let db: pg.Client;

  beforeEach(async () => {
    ({ schema, drop } = await withTestSchema('replay'));
    names = { users: topics.name('users'), orders: topics.name('orders') };
    group = uniqueName('replay');
    db = new pg.Client({ connectionString: testStack().databaseUrl });
    await db.connect();
  });

  afterEach(async () => {
    await Promise.all(runs.splice(0).map(ensureStopped));
    await db.end();
    await drop();
    await topics.remove();
  });

  const topicArgs = () => ['--topics', `users=${names.users},orders=${names.orders}`];

  function consume(extra: string[]): ConsumerRun {
    const run = startConsumer([...topicArgs(), '--group', group, '--db-schema', schema, ...extra]);
    runs.push(run);
    return run;
  }

  /** bin/cdc-dead-letters replay against the test schema and stack, with the consumer's --topics. */
  function startReplay(...args: string[]) {
    const stack = testStack();
    return spawnNode(bin, ['replay', ...topicArgs(), ...args], {
      env: { ...cleanEnv(), DATABASE_URL: stack.databaseUrl, KAFKA_BROKERS: stack.brokers, CDC_DB_SCHEMA: schema },
    });
  }

  async function replay(...args: string[]): Promise<Run> {
    const child = startReplay(...args);
    const closed = new Promise((resolve) => child.child.once('close', resolve));
    const { code } = await child.exited;
    await closed;
    return { code, stdout: child.stdout(), stderr: child.stderr() };
  }

  async function deadLetters(): Promise<
    Array<{ partition: number; offset: number; value: string; error_code: string; error_message: string }>
  > {
    const { rows } = await db.query(
      `SELECT partition, "offset"::int AS offset, convert_from(value, 'UTF8') AS value, error_code, error_message FROM ${qualified(schema, 'cdc_dead_letters')} ORDER BY partition, "offset"`,
    );
    return rows;
  }

  /** The tables equal the model of the events, leaving out those still dead letters (each event's value is unique). */
  async function expectModel(messages: TestMessage[]): Promise<void> {
    const dead = new Set((await deadLetters()).map((d) => d.value));
    const state = await readTables(schema);
    const model = expectedTables(messages.filter((m) => !dead.has(String(m.value))).map((m) => ({ value: m.value })));
    expect(state.users).to.deep.equal(sortById(model.users));
    expect(state.orders).to.deep.equal(sortById(model.orders));
  }

  it("applies each dead letter before its key's later updates, deletes and re-creates, as the model says; killed mid-way and run again, it finishes the job", async () => {
    const events = new Events(names);
    // The users sink's table first, with a rule the mapping does not know: Postgres refuses 'mallory'.
    events.user('CREATE', 1);
    await produceAll(testStack().brokers, events.messages);
    expect(await consume(['--idle', '2s']).exited).to.equal(0);
    await db.query(`ALTER TABLE ${qualified(schema, 'users')} ADD CONSTRAINT no_mallory CHECK (name <> 'mallory')`);
    /**
     * Five shapes of key, eight keys each, interleaved so that they share partitions; each step is
     * consumed before the next is produced, so that no batch folds a dead letter's event with a later
     * one of its key (which would make a valid row of them).
     */
    const id = (shape: number, k: number) => 100 + shape * 10 + k;
    const steps: Array<(k: number) => void> = [
      (k) => {
        // 0 and 4: a dead-lettered create; 1, 2 and 3 created (1 with an order, which its delete cascades to).
        events.user('CREATE', id(0, k), 'mallory').user('CREATE', id(1, k)).user('CREATE', id(2, k)).user('CREATE', id(3, k));
        events.user('CREATE', id(4, k), 'mallory').order('CREATE', 500 + k, id(1, k));
      },
      (k) => {
        // 0: an update and a delete that find no row; 1 and 3: a dead-lettered update; 2: deleted.
        events.user('UPDATE', id(0, k), 'zero').user('DELETE', id(0, k)).user('UPDATE', id(1, k), 'mallory');
        events.user('DELETE', id(2, k)).user('UPDATE', id(3, k), 'mallory');
      },
      // 1: deleted after its dead letter; 2: re-created as a dead letter.
      (k) => events.user('DELETE', id(1, k)).user('CREATE', id(2, k), 'mallory'),
      // 2: updated after it; 3: a later update overwrites the dead letter's image (which must not win).
      (k) => events.user('UPDATE', id(2, k), 'two').user('UPDATE', id(3, k), 'three'),
    ];
    for (const step of steps) {
      const from = events.messages.length;
      for (let k = 0; k < 8; k++) step(k);
      await produceAll(testStack().brokers, events.messages.slice(from));
      expect(await consume(['--idle', '2s']).exited).to.equal(0);
    }
    const recorded = await deadLetters();
    expect(recorded.map((d) => d.error_code)).to.deep.equal(Array(40).fill('REJECTED_BY_POSTGRES'));

    // Not fixed yet: they fail again and stay, with the new error. Some of shapes 2 and 3 may go through
    // now: applied with the later update of their key in one batch, the two fold into a row Postgres
    // takes, as in a consumer's batch. Either way the tables are the model's without the dead letters left.
    await expectModel(events.messages);
    const again = await replay('--all');
    expect(again.code, again.stderr).to.equal(4);
    const counts =
      /40 dead letters selected; (\d+) replayed and removed; .* (\d+) failed again \(REJECTED_BY_POSTGRES (\d+)\), kept$/m.exec(
        again.stdout,
      );
    expect(counts, again.stdout).to.not.equal(null);
    const [replayed, failed] = [Number(counts?.[1]), Number(counts?.[2])];
    expect(replayed + failed).to.equal(40);
    expect(failed).to.be.at.least(32);
    const kept = await deadLetters();
    expect(kept).to.have.length(failed);
    expect(kept.every((d) => d.error_code === 'REJECTED_BY_POSTGRES' && d.error_message.includes('no_mallory'))).to.equal(true);
    await expectModel(events.messages);
    const before = await readTables(schema);

    await db.query(`ALTER TABLE ${qualified(schema, 'users')} DROP CONSTRAINT no_mallory`);
    // A dry run says per key what would happen, and changes nothing.
    const dry = await replay('--all', '--dry-run');
    expect(dry.code, dry.stderr).to.equal(0);
    expect(dry.stdout.match(/: would be applied and removed$/gm)).to.have.length(failed);
    expect(dry.stdout).to.match(
      new RegExp(
        `^dry run \\(nothing changed\\): ${failed} dead letters selected; ${failed} would be replayed and removed; \\d+ later events would be applied again`,
        'm',
      ),
    );
    expect(await deadLetters()).to.deep.equal(kept);
    expect((await readTables(schema)).users).to.deep.equal(before.users);

    // The replay waits on the last partition's offset row (a consumer's batch holding it), and is
    // killed there: the partitions before it are done, that one untouched.
    const byPartition = [...new Set(kept.map((d) => d.partition))];
    const last = byPartition.at(-1) as number;
    const holder = new pg.Client({ connectionString: testStack().databaseUrl });
    await holder.connect();
    try {
      await holder.query('BEGIN');
      await holder.query(
        `SELECT 1 FROM ${qualified(schema, 'cdc_offsets')} WHERE group_id = $1 AND topic = $2 AND partition = $3 FOR UPDATE`,
        [group, names.users, last],
      );
      const killed = startReplay('--all');
      await until('the partitions before the held one replayed', async () => {
        const left = await deadLetters();
        return left.every((d) => d.partition === last) ? left : undefined;
      });
      killed.child.kill('SIGKILL');
      await killed.exited;
      await holder.query('ROLLBACK');
    } finally {
      await holder.end();
    }
    const left = await deadLetters();
    expect(left.map((d) => d.offset)).to.deep.equal(kept.filter((d) => d.partition === last).map((d) => d.offset));
    await expectModel(events.messages);

    const done = await replay('--group', group);
    expect(done.code, done.stderr).to.equal(0);
    expect(done.stdout).to.match(new RegExp(`^${left.length} dead letters selected; ${left.length} replayed and removed`, 'm'));
    expect(await deadLetters()).to.deep.equal([]);
    await expectModel(events.messages);
  });

  it('replays orders whose users arrived after the orphan wait, beside the running consumer', async () => {
    const events = new Events(names);
    for (let u = 1; u <= 6; u++) events.user('CREATE', u);
    // Orders of users 11..14, which arrive later: each is created, then shipped.
    for (let o = 0; o < 4; o++) events.order('CREATE', 300 + o, 11 + o).order('CREATE', 400 + o, 1 + o);
    for (let o = 0; o < 4; o++) events.order('UPDATE', 300 + o).order('UPDATE', 400 + o);
    const consumer = consume(['--orphan-wait', '1s']);
    await produceAll(testStack().brokers, events.messages);
    await until('the orphan orders dead-lettered', async () => ((await deadLetters()).length >= 4 ? true : undefined));
    const firstBatch = events.messages.length;
    for (let u = 11; u <= 14; u++) events.user('CREATE', u);
    events.user('UPDATE', 12, 'renamed');
    await produceAll(testStack().brokers, events.messages.slice(firstBatch));
    const total = events.messages.length;
    await until('the consumer caught up', async () => {
      const { rows } = await db.query(
        `SELECT coalesce(sum(next_offset), 0)::int AS n FROM ${qualified(schema, 'cdc_offsets')} WHERE group_id = $1`,
        [group],
      );
      return rows[0].n === total ? true : undefined;
    });
    // Each order's create, and its update when the two were in one batch (else the update found no row).
    const orphans = await deadLetters();
    expect(orphans.every((d) => d.error_code === 'ORPHAN_ORDER')).to.equal(true);
    expect(orphans.length).to.be.within(4, 8);
    const r = await replay('--code', 'ORPHAN_ORDER');
    expect(r.code, `${r.stdout}\n${r.stderr}\n${JSON.stringify(await deadLetters())}`).to.equal(0);
    expect(r.stdout).to.match(new RegExp(`^${orphans.length} dead letters selected; ${orphans.length} replayed and removed`, 'm'));
    expect(await deadLetters()).to.deep.equal([]);
    await consumer.child.kill('SIGTERM');
    expect(await consumer.exited).to.equal(0);
    await expectModel(events.messages);
  });
});
