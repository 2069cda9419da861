/**
 * The consumer engine end to end on the dev stack: every test produces its own events to its own
 * topics, runs bin/cdc-consume into its own Postgres schema, and compares the final tables with the model
 * computed from the events (lib/loadgen/generator/expected-tables.ts).
 */
import { expect } from 'chai';
import pg from 'pg';
import { resolveOptions } from '../../lib/config/index.js';
import { type BatchTiming, ConsumerEngine } from '../../lib/consumer/engine.js';
import { consumerOptions } from '../../lib/consumer/options.js';
import { createGenerator, expectedTables } from '../../lib/loadgen/generator/index.js';
import { qualified } from '../../lib/postgres/index.js';
import type { ApplyStats } from '../../lib/worker-protocol.js';
import { type ConsumerRun, ensureStopped, startConsumer } from '../support/consumer.js';
import { produceAll, type TestMessage, TestTopics } from '../support/kafka.js';
import { kafkaCommitted } from '../support/kafka-offsets.js';
import { testStack, uniqueName, withTestSchema } from '../support/stack.js';
import { readTables, sortById } from '../support/tables.js';

interface Setup {
  users: string;
  orders: string;
  group: string;
  schema: string;
  args: string[];
}

function events(setup: Setup, count: number, seed: number): TestMessage[] {
  const gen = createGenerator({ seed, topics: { users: setup.users, orders: setup.orders } });
  const out: TestMessage[] = [];
  for (let i = 0; i < count; i++) {
    const e = gen.next();
    // Copies: the generator may reuse its buffers.
    out.push({ topic: e.topic, key: e.key.toString(), value: Buffer.from(e.value) });
  }
  return out;
}

function expectModel(state: Awaited<ReturnType<typeof readTables>>, produced: TestMessage[]): void {
  const valid = produced.filter((m) => !String(m.key).startsWith('poison'));
  const model = expectedTables(valid.map((m) => ({ value: m.value })));
  expect(state.users.length, 'users rows').to.equal(model.users.length);
  expect(state.orders.length, 'orders rows').to.equal(model.orders.length);
  expect(state.users).to.deep.equal(sortById(model.users));
  expect(state.orders).to.deep.equal(sortById(model.orders));
}

async function offsetsCommitted(schema: string, group: string): Promise<number> {
  const c = new pg.Client({ connectionString: testStack().databaseUrl });
  await c.connect();
  try {
    const { rows } = await c.query(
      `SELECT coalesce(sum(next_offset), 0)::int AS n FROM ${qualified(schema, 'cdc_offsets')} WHERE group_id = $1`,
      [group],
    );
    return rows[0].n as number;
  } catch {
    return 0; // schema not applied yet
  } finally {
    await c.end();
  }
}

describe('consumer/engine (integration)', function () {
  this.timeout(180_000);
  let setup: Setup;
  let drop: () => Promise<void>;
  const runs: ConsumerRun[] = [];
  const topics = new TestTopics();

  beforeEach(async () => {
    const t = await withTestSchema('engine');
    drop = t.drop;
    const users = topics.name('users');
    const orders = topics.name('orders');
    const group = uniqueName('group');
    setup = {
      users,
      orders,
      group,
      schema: t.schema,
      args: ['--topics', `users=${users},orders=${orders}`, '--group', group, '--db-schema', t.schema],
    };
  });

  afterEach(async () => {
    await Promise.all(runs.splice(0).map(ensureStopped));
    await drop();
    await topics.remove();
  });

  function consume(extra: string[]): ConsumerRun {
    const run = startConsumer([...setup.args, ...extra]);
    runs.push(run);
    return run;
  }

  it('loads a plain run exactly as the model says, with offsets at the end of every partition', async () => {
    const produced = events(setup, 8000, 11);
    await produceAll(testStack().brokers, produced);
    const run = consume(['--idle', '2s', '--json']);
    expect(await run.exited, run.stderr()).to.equal(0);
    const summary = JSON.parse(run.stdout());
    expect(summary.events).to.equal(8000);
    expect(summary.deadLetters).to.equal(0);
    const state = await readTables(setup.schema);
    expectModel(state, produced);
    expect(state.deadLetters).to.deep.equal([]);
    // next_offset is last + 1 per partition: summed over partitions that is every message of the topic.
    const sum = (topic: string) => state.offsets.filter((o) => o.topic === topic).reduce((n, o) => n + o.next_offset, 0);
    expect(sum(setup.users)).to.equal(produced.filter((m) => m.topic === setup.users).length);
    expect(sum(setup.orders)).to.equal(produced.filter((m) => m.topic === setup.orders).length);
  });

  it('dead-letters each poison message exactly once with its code, and loads its neighbours', async () => {
    const poison: Array<[topic: 'users' | 'orders', value: Buffer | null, code: string]> = [
      ['users', Buffer.from('{not json'), 'INVALID_JSON'],
      ['users', Buffer.from('[1,2]'), 'NOT_AN_OBJECT'],
      [
        'users',
        Buffer.from('{"event_type":"CREATE","user_id":"nope","name":"a","dob":"2000-01-01","created_at":"2025-01-01T00:00:00Z"}'),
        'INVALID_ID',
      ],
      ['users', Buffer.from('{"event_type":"UPSERT","user_id":"9f0c2f7e-1111-4a4a-8a8a-000000000001"}'), 'UNKNOWN_EVENT_TYPE'],
      [
        'users',
        Buffer.from(
          '{"event_type":"CREATE","user_id":"9f0c2f7e-1111-4a4a-8a8a-000000000002","name":"a","created_at":"2025-01-01T00:00:00Z"}',
        ),
        'MISSING_FIELD',
      ],
      [
        'users',
        Buffer.from(
          '{"event_type":"CREATE","user_id":"9f0c2f7e-1111-4a4a-8a8a-000000000003","name":"a","dob":"2001-02-30","created_at":"2025-01-01T00:00:00Z"}',
        ),
        'INVALID_DATE',
      ],
      [
        'users',
        Buffer.from(
          `{"event_type":"CREATE","user_id":"9f0c2f7e-1111-4a4a-8a8a-000000000004","name":"${'x'.repeat(51)}","dob":"2001-02-03","created_at":"2025-01-01T00:00:00Z"}`,
        ),
        'STRING_TOO_LONG',
      ],
      [
        'users',
        Buffer.from(
          '{"event_type":"CREATE","user_id":"9f0c2f7e-1111-4a4a-8a8a-000000000005","name":"a\\u0000b","dob":"2001-02-03","created_at":"2025-01-01T00:00:00Z"}',
        ),
        'NUL_CHARACTER',
      ],
      ['users', Buffer.alloc(0), 'EMPTY_VALUE'],
      ['users', null, 'EMPTY_VALUE'],
      [
        'orders',
        Buffer.from(
          '{"event_type":"UPDATE","order_id":"9f0c2f7e-1111-4a4a-8a8a-000000000006","order_status":42,"modified_at":"2025-01-01T00:00:00Z"}',
        ),
        'WRONG_TYPE',
      ],
      [
        'orders',
        Buffer.from(
          '{"event_type":"CREATE","order_id":"9f0c2f7e-1111-4a4a-8a8a-000000000007","order_status":"PLACED","user_id":"9f0c2f7e-1111-4a4a-8a8a-000000000008","quantity":0,"order_total":1,"placed_at":"2025-01-01T00:00:00Z"}',
        ),
        'OUT_OF_RANGE',
      ],
      ['orders', Buffer.from('"just a string"'), 'NOT_AN_OBJECT'],
    ];
    const good = events(setup, 3000, 12);
    const produced: TestMessage[] = [];
    const expected = new Map<string, string>();
    good.forEach((m, i) => {
      produced.push(m);
      if (i % 200 === 0 && i / 200 < poison.length) {
        const [role, value, code] = poison[i / 200] as (typeof poison)[number];
        const key = `poison-${i}`;
        expected.set(key, code);
        produced.push({ topic: role === 'users' ? setup.users : setup.orders, key, value });
      }
    });
    expect(expected.size).to.equal(poison.length);
    await produceAll(testStack().brokers, produced);
    const run = consume(['--idle', '2s']);
    expect(await run.exited, run.stderr()).to.equal(0);
    const state = await readTables(setup.schema);
    expectModel(state, produced);
    const got = new Map(state.deadLetters.map((d) => [d.key as string, d.error_code]));
    expect(state.deadLetters).to.have.length(poison.length);
    expect(got).to.deep.equal(expected);
  });

  it('waits for users when all orders come first, then loads both without dead letters', async () => {
    const produced = events(setup, 4000, 13);
    const orders = produced.filter((m) => m.topic === setup.orders);
    const users = produced.filter((m) => m.topic === setup.users);
    await produceAll(testStack().brokers, orders);
    const run = consume(['--idle', '3s', '--orphan-wait', '60s']);
    await run.waitFor(/orders wait for their users/);
    await produceAll(testStack().brokers, users);
    expect(await run.exited, run.stderr()).to.equal(0);
    const state = await readTables(setup.schema);
    expectModel(state, produced);
    expect(state.deadLetters).to.deep.equal([]);
  });

  it('dead-letters orders whose user never arrives once the orphan wait is over', async () => {
    const produced = events(setup, 600, 14).filter((m) => m.topic === setup.orders);
    await produceAll(testStack().brokers, produced);
    const run = consume(['--idle', '2s', '--orphan-wait', '1s']);
    expect(await run.exited, run.stderr()).to.equal(0);
    const state = await readTables(setup.schema);
    expect(state.orders).to.deep.equal([]);
    expect(new Set(state.deadLetters.map((d) => d.error_code))).to.deep.equal(new Set(['ORPHAN_ORDER']));
    // Every order's CREATE is a dead letter. Its UPDATEs and DELETE are too when they were in the same
    // batch (folded into its row); one in a later batch finds no row and changes nothing, as an update
    // of an unknown order does: which of them is which depends on how the messages were batched.
    const dead = new Set(state.deadLetters.map((d) => d.value));
    const text = (m: TestMessage) => String(m.value);
    const kind = (m: TestMessage) => (JSON.parse(text(m)) as { event_type: string }).event_type;
    const creates = produced.filter((m) => kind(m) === 'CREATE');
    expect(creates.length).to.be.greaterThan(50);
    expect(creates.filter((m) => !dead.has(text(m)))).to.deep.equal([]);
    const applied = produced.filter((m) => !dead.has(text(m)));
    expect(applied.filter((m) => kind(m) === 'CREATE')).to.deep.equal([]);
    expect(state.deadLetters.length + applied.length).to.equal(produced.length);
    expect(await offsetsCommitted(setup.schema, setup.group)).to.equal(produced.length);
  });

  it('survives SIGKILL mid-stream: after a restart the state equals the model and each dead letter is there once', async () => {
    const good = events(setup, 30_000, 15);
    const produced: TestMessage[] = [];
    good.forEach((m, i) => {
      produced.push(m);
      if (i % 1000 === 500) produced.push({ topic: m.topic, key: `poison-${i}`, value: Buffer.from(`{"broken": ${i}`) });
    });
    await produceAll(testStack().brokers, produced);
    const first = consume(['--batch-max-rows', '500']);
    // Kill it once some, but not all, batches are committed.
    const deadline = Date.now() + 60_000;
    let committed = 0;
    while (Date.now() < deadline) {
      committed = await offsetsCommitted(setup.schema, setup.group);
      if (committed > 2000) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    first.child.kill('SIGKILL');
    await first.exited;
    expect(committed).to.be.greaterThan(0).and.below(produced.length);
    const second = consume(['--idle', '2s', '--json']);
    expect(await second.exited, second.stderr()).to.equal(0);
    const state = await readTables(setup.schema);
    expectModel(state, produced);
    const poisonCount = produced.filter((m) => String(m.key).startsWith('poison')).length;
    expect(state.deadLetters).to.have.length(poisonCount);
    expect(new Set(state.deadLetters.map((d) => d.key)).size).to.equal(poisonCount);
  });

  it('a consumer SIGKILLed and restarted with the same --instance-id gets its partitions back and loads exactly once', async () => {
    // Static membership (KIP-345). librdkafka's mock cluster keeps no member by its instance id (it
    // treats the restarted consumer as a new member and waits out the old one's session), so this shows
    // that an instance id changes nothing for exactly-once, not how fast a real broker hands back.
    const produced = events(setup, 20_000, 19);
    await produceAll(testStack().brokers, produced);
    const id = uniqueName('instance');
    const first = consume(['--instance-id', id, '--batch-max-rows', '500']);
    for (const deadline = Date.now() + 60_000; (await offsetsCommitted(setup.schema, setup.group)) < 2000;) {
      if (Date.now() > deadline) throw new Error(`nothing applied:\n${first.stderr()}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    first.child.kill('SIGKILL');
    await first.exited;
    const killedAt = Date.now();
    const second = consume(['--instance-id', id, '--idle', '3s']);
    await second.waitFor(/partitions assigned/);
    // Generous: the session timeout (6 s here) and the mock coordinator's join wait, on a loaded machine.
    expect(Date.now() - killedAt).to.be.below(60_000);
    expect(await second.exited, second.stderr()).to.equal(0);
    expectModel(await readTables(setup.schema), produced);
    expect(await offsetsCommitted(setup.schema, setup.group)).to.equal(produced.length);
  });

  it('two consumers in one group, one leaving mid-run: the state still equals the model', async () => {
    const produced = events(setup, 20_000, 16);
    const half = produced.length / 2;
    await produceAll(testStack().brokers, produced.slice(0, half));
    const a = consume(['--batch-max-rows', '500']);
    await a.waitFor(/partitions assigned/);
    const b = consume(['--idle', '4s', '--batch-max-rows', '500']);
    await b.waitFor(/partitions assigned/);
    await produceAll(testStack().brokers, produced.slice(half));
    a.child.kill('SIGTERM');
    expect(await a.exited, a.stderr()).to.equal(0);
    expect(await b.exited, b.stderr()).to.equal(0);
    const state = await readTables(setup.schema);
    expectModel(state, produced);
    expect(state.deadLetters).to.deep.equal([]);
  });

  it('a partition paused by backpressure when it is revoked is fetched again when the same consumer gets it back', async () => {
    // librdkafka keeps a partition's pause across unassign and assign: unless the engine resumes what it
    // paused before letting go, a partition handed back to the same process is never fetched again.
    const produced = events(setup, 40_000, 17);
    const orders = produced.filter((m) => m.topic === setup.orders);
    const users = produced.filter((m) => m.topic === setup.users);
    // Orders alone first: their batches wait for users that are not there yet, so with 256 KiB in flight
    // each orders partition is paused past its 32 KiB share (only a partition waiting to retry pauses).
    await produceAll(testStack().brokers, orders);
    const a = consume(['--workers', '1', '--max-bytes-in-flight', '262144', '--orphan-wait', '5m']);
    await a.waitFor(/orders wait for their users/);
    const b = consume(['--workers', '1', '--orphan-wait', '5m']);
    await b.waitFor(/partitions assigned/);
    // A has given B half its partitions, paused ones among them; B leaves and A gets them back.
    b.child.kill('SIGTERM');
    expect(await b.exited, b.stderr()).to.equal(0);
    expect(await offsetsCommitted(setup.schema, setup.group), 'nothing applied before the users').to.equal(0);
    await produceAll(testStack().brokers, users);
    for (const deadline = Date.now() + 90_000; ; await new Promise((r) => setTimeout(r, 250))) {
      if ((await offsetsCommitted(setup.schema, setup.group)) === produced.length) break;
      if (Date.now() > deadline) throw new Error(`A stopped short of the end:\n${a.stderr()}`);
    }
    expectModel(await readTables(setup.schema), produced);
  });

  it('commits cdc_offsets as they are when it lets go to Kafka, also where another owner moved them on after its assignment', async () => {
    const produced = events(setup, 3000, 18);
    await produceAll(testStack().brokers, produced);
    const a = consume([]);
    for (const deadline = Date.now() + 60_000; ; await new Promise((r) => setTimeout(r, 100))) {
      if ((await offsetsCommitted(setup.schema, setup.group)) === produced.length) break;
      if (Date.now() > deadline) throw new Error(`A did not apply everything:\n${a.stderr()}`);
    }
    // What a zombie's transaction, open when A read the row and committed after, leaves behind: the row
    // is further on than anything A applied (a stand-in value; A has nothing left to fetch).
    const c = new pg.Client({ connectionString: testStack().databaseUrl });
    await c.connect();
    let moved: { topic: string; partition: number; next_offset: string };
    try {
      const { rows } = await c.query(
        `UPDATE ${qualified(setup.schema, 'cdc_offsets')} SET next_offset = next_offset + 7
          WHERE (group_id, topic, partition) = ($1, $2, 0) RETURNING topic, partition, next_offset`,
        [setup.group, setup.users],
      );
      moved = rows[0];
    } finally {
      await c.end();
    }
    a.child.kill('SIGTERM');
    expect(await a.exited, a.stderr()).to.equal(0);
    const stored = (await readTables(setup.schema)).offsets;
    const committed = await kafkaCommitted(
      testStack().brokers,
      setup.group,
      stored.map((o) => ({ topic: o.topic, partition: o.partition })),
    );
    expect(committed.get(`${setup.users}/0`), 'the partition moved on by another owner').to.equal(Number(moved.next_offset));
    expect(Object.fromEntries(committed)).to.deep.equal(
      Object.fromEntries(stored.map((o) => [`${o.topic}/${o.partition}`, o.next_offset])),
    );
  });

  it("in process, tells an onBatch hook each committed event's own Kafka timestamp, in offset order", async () => {
    // Distinct, known timestamps: 1 ms apart, in the past, so each event can be recognised.
    const base = Date.now() - 60_000;
    const produced = events(setup, 3000, 17).map((m, i) => ({ ...m, timestamp: base + i }));
    await produceAll(testStack().brokers, produced);
    const reported: Array<{ stats: ApplyStats; batch: BatchTiming }> = [];
    const options = resolveOptions(
      consumerOptions,
      {
        brokers: testStack().brokers,
        databaseUrl: testStack().databaseUrl,
        dbSchema: setup.schema,
        group: setup.group,
        topics: `users=${setup.users},orders=${setup.orders}`,
        idle: '2s',
      },
      {},
    );
    const engine = new ConsumerEngine(options, { onBatch: (_tp, stats, batch) => reported.push({ stats, batch }) });
    const { reason } = await engine.run();
    expect(reason).to.match(/idle/);
    const seen = reported.flatMap((r) => [...r.batch.timestamps]);
    expect(seen.length).to.equal(produced.length);
    expect(new Set(seen)).to.deep.equal(new Set(produced.map((m) => m.timestamp)));
    for (const { stats, batch } of reported) {
      expect(batch.timestamps.length).to.equal(stats.events);
      // Within a partition, later offsets carry later timestamps here, so each batch's list ascends.
      expect([...batch.timestamps]).to.deep.equal([...batch.timestamps].sort((a, b) => a - b));
      expect(batch.dispatchedAt).to.be.at.most(stats.committedAt);
    }
    expectModel(await readTables(setup.schema), produced);
  });
});
