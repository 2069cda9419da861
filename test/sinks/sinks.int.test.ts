/**
 * Declared sinks end to end (bin/cdc-consume on the dev stack, each test with its own topics, group,
 * schema and mapping file): a Debezium table the engine has never seen, created by it, with events of
 * every op; a relation of our own with its parent arriving late and a cascading soft delete; hostile
 * table and column names; and the start-up checks that stop the consumer before it consumes.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import pg from 'pg';
import { createGenerator, DebeziumEncoder, expectedTables } from '../../lib/loadgen/generator/index.js';
import { qualified } from '../../lib/postgres/index.js';
import { type ConsumerRun, ensureStopped, startConsumer } from '../support/consumer.js';
import { decimalBase64 } from '../support/debezium-events.js';
import { produceAll, type TestMessage, TestTopics } from '../support/kafka.js';
import { testStack, uniqueName, withTestSchema } from '../support/stack.js';
import { readTables, sortById } from '../support/tables.js';

async function query<R>(sql: string, values: unknown[] = []): Promise<R[]> {
  const c = new pg.Client({ connectionString: testStack().databaseUrl });
  await c.connect();
  try {
    return (await c.query(sql, values)).rows as R[];
  } finally {
    await c.end();
  }
}

const b64 = (hex: string) => Buffer.from(hex, 'hex').toString('base64');

const CUSTOMER_FIELDS = [
  { type: 'int32', optional: false, field: 'id' },
  { type: 'string', optional: true, field: 'first_name' },
  { type: 'string', optional: true, field: 'email' },
  {
    type: 'bytes',
    optional: true,
    name: 'org.apache.kafka.connect.data.Decimal',
    version: 1,
    parameters: { scale: '2', 'connect.decimal.precision': '12' },
    field: 'balance',
  },
  { type: 'string', optional: true, name: 'io.debezium.time.ZonedTimestamp', version: 1, field: 'updated_at' },
  { type: 'int32', optional: true, name: 'io.debezium.time.Date', version: 1, field: 'born' },
  { type: 'int64', optional: true, name: 'io.debezium.time.MicroTimestamp', version: 1, field: 'seen' },
  { type: 'string', optional: true, name: 'io.debezium.data.Json', version: 1, field: 'prefs' },
  { type: 'bytes', optional: true, field: 'avatar' },
  { type: 'int64', optional: true, field: 'visits' },
];

/** A change event as Debezium's PostgreSQL connector writes it, with or without the schema envelope. */
function change(op: string, before: object | null, after: object | null, withSchema: boolean, table = 'customers'): Buffer {
  const payload = {
    before,
    after,
    source: {
      version: '2.7.0.Final',
      connector: 'postgresql',
      name: 'dbserver1',
      ts_ms: 1_700_000_000_000,
      snapshot: op === 'r' ? 'true' : 'false',
      db: 'inventory',
      schema: 'inventory',
      table,
      txId: 1,
      lsn: 1,
    },
    op,
    ts_ms: 1_700_000_000_100,
    transaction: null,
  };
  const text = (v: object) => JSON.stringify(v).replace('"visits":"BIG"', '"visits":9007199254740993');
  if (!withSchema) return Buffer.from(text(payload));
  const row = (name: string) => ({
    type: 'struct',
    fields: CUSTOMER_FIELDS,
    optional: true,
    name: `dbserver1.inventory.${table}.Value`,
    field: name,
  });
  const schema = {
    type: 'struct',
    fields: [
      row('before'),
      row('after'),
      { type: 'struct', fields: [], optional: false, name: 'io.debezium.connector.postgresql.Source', field: 'source' },
      { type: 'string', optional: false, field: 'op' },
      { type: 'int64', optional: true, field: 'ts_ms' },
    ],
    optional: false,
    name: `dbserver1.inventory.${table}.Envelope`,
  };
  return Buffer.from(text({ schema, payload }));
}

describe('sinks: declared mappings end to end (integration)', function () {
  this.timeout(180_000);
  let schema: string;
  let drop: () => Promise<void>;
  let dir: string;
  let group: string;
  const runs: ConsumerRun[] = [];
  const testTopics = new TestTopics();

  beforeEach(async () => {
    ({ schema, drop } = await withTestSchema('sinks'));
    dir = mkdtempSync(join(tmpdir(), 'cdc-sinks-'));
    group = uniqueName('group');
  });

  afterEach(async () => {
    await Promise.all(runs.splice(0).map(ensureStopped));
    rmSync(dir, { recursive: true, force: true });
    await drop();
    await testTopics.remove();
  });

  function mappingFile(text: string): string {
    const path = join(dir, 'sinks.yaml');
    writeFileSync(path, text);
    return path;
  }

  const mappingPath = (name: string) => fileURLToPath(new URL(`../../../lib/sinks/mappings/${name}.yaml`, import.meta.url));

  function consume(mapping: string, extra: string[]): ConsumerRun {
    const run = startConsumer(['--sinks', mapping, '--group', group, '--db-schema', schema, ...extra]);
    runs.push(run);
    return run;
  }

  it('Debezium: creates a table it has never seen and applies c, r, u, d, t, m, tombstones and placeholders as the model says', async () => {
    const topic = testTopics.name('dbserver1.inventory.customers');
    const mapping = mappingFile(`
sinks:
  - topic: ${topic}
    table: customers
    format: debezium
    key: [id]
    create-table: true
    columns:
      id: integer
      first_name: varchar(255)
      email: text
      balance: numeric(12,2)
      updated_at: timestamptz
      born: date
      seen: timestamp
      prefs: jsonb
      avatar: bytea
      visits: bigint
    delete: hard
`);
    const full = (id: number, over: Record<string, unknown> = {}) => ({
      id,
      first_name: `name ${id}`,
      email: `c${id}@example.com`,
      balance: decimalBase64(BigInt(id) * 100_007n),
      updated_at: '2024-02-29T23:59:59.123456Z',
      born: -1, // 1969-12-31
      seen: 1_709_251_199_123_456, // 2024-02-29 23:59:59.123456
      prefs: '{"theme":"dark"}',
      avatar: b64('00ff10'),
      visits: 'BIG', // written as 2^53 + 1 in the JSON text (see change()): a double cannot hold it
      ...over,
    });
    const key = (id: number) => JSON.stringify({ id });
    const m = (id: number | null, value: Buffer | null): TestMessage => ({ topic, key: id === null ? null : key(id), value });
    const produced: TestMessage[] = [
      m(1001, change('r', null, full(1001), true)),
      m(1002, change('c', null, full(1002), false)),
      m(1003, change('c', null, full(1003), true)),
      m(1004, change('c', null, full(1004, { balance: decimalBase64(-123_45n), email: null }), false)),
      // An update with a TOASTed column the source did not send: email keeps its value.
      m(1001, change('u', null, full(1001, { first_name: 'Sally', email: '__debezium_unavailable_value' }), true)),
      // Delete with REPLICA IDENTITY DEFAULT (only the key in before), then its tombstone.
      m(
        1002,
        change(
          'd',
          {
            id: 1002,
            first_name: null,
            email: null,
            balance: null,
            updated_at: null,
            born: null,
            seen: null,
            prefs: null,
            avatar: null,
            visits: null,
          },
          null,
          true,
        ),
      ),
      m(1002, null),
      // Delete without before: the key comes from the message key.
      m(1003, change('d', null, null, false)),
      // Created and deleted and created again within the stream.
      m(1005, change('c', null, full(1005), false)),
      m(1005, change('d', full(1005), null, false)),
      m(1005, change('c', null, full(1005, { first_name: 'again' }), false)),
      // A logical decoding message and a truncate the sink does not declare: skipped, counted.
      m(1006, Buffer.from(JSON.stringify({ op: 'm', ts_ms: 1, source: {}, message: { prefix: 'p', content: 'AA==' } }))),
      m(1006, Buffer.from(JSON.stringify({ op: 't', ts_ms: 1, source: {} }))),
      // A bad value: a dead letter naming the column.
      m(1007, change('c', null, full(1007, { born: 'yesterday' }), false)),
    ];
    await produceAll(testStack().brokers, produced);
    const run = consume(mapping, ['--idle', '2s', '--json']);
    expect(await run.exited, run.stderr()).to.equal(0);
    const summary = JSON.parse(run.stdout());
    expect(summary.events).to.equal(produced.length);
    expect(summary.deadLetters).to.equal(1);
    expect(summary.topics[0].ignored).to.equal(3); // tombstone, m, t

    const rows = await query(
      `SELECT id, first_name, email, balance::text, to_char(updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') AS updated_at, born::text,
              seen::text, prefs::text, encode(avatar, 'hex') AS avatar, visits::text
         FROM ${qualified(schema, 'customers')} ORDER BY id`,
    );
    const expected = (id: number, over: Record<string, unknown> = {}) => ({
      id,
      first_name: `name ${id}`,
      email: `c${id}@example.com`,
      balance: (Number(BigInt(id) * 100_007n) / 100).toFixed(2),
      updated_at: '2024-02-29 23:59:59.123456',
      born: '1969-12-31',
      seen: '2024-02-29 23:59:59.123456',
      prefs: '{"theme": "dark"}',
      avatar: '00ff10',
      visits: '9007199254740993',
      ...over,
    });
    expect(rows).to.deep.equal([
      expected(1001, { first_name: 'Sally' }),
      expected(1004, { balance: '-123.45', email: null }),
      expected(1005, { first_name: 'again' }),
    ]);
    const dead = await query<{ error_code: string; error_message: string }>(
      `SELECT error_code, error_message FROM ${qualified(schema, 'cdc_dead_letters')}`,
    );
    expect(dead.map((d) => d.error_code)).to.deep.equal(['INVALID_DATE']);
    expect(dead[0]?.error_message).to.match(/^born: "yesterday"/);
  });

  for (const schemas of [false, true]) {
    it(`the generated users and orders in Debezium form (${schemas ? 'with' : 'without'} schemas) load as the model says, with the shipped seed-debezium mapping`, async () => {
      const topics = { users: testTopics.name('dbz_users'), orders: testTopics.name('dbz_orders') };
      const gen = createGenerator({ seed: 5, topics });
      const encoder = new DebeziumEncoder({ schemas, topics });
      const seedEvents: Buffer[] = [];
      const produced: TestMessage[] = [];
      for (let i = 0; i < 6000; i++) {
        const e = gen.next();
        seedEvents.push(Buffer.from(e.value));
        const m = encoder.encode(e);
        if (m) produced.push({ topic: m.topic, key: m.key.toString(), value: Buffer.from(m.value) });
      }
      await produceAll(testStack().brokers, produced);
      const run = consume(mappingPath('seed-debezium'), [
        '--topics',
        `users=${topics.users},orders=${topics.orders}`,
        '--idle',
        '2s',
        '--json',
      ]);
      expect(await run.exited, run.stderr()).to.equal(0);
      expect(JSON.parse(run.stdout()).deadLetters).to.equal(0);
      const state = await readTables(schema);
      const model = expectedTables(seedEvents);
      expect(state.users).to.deep.equal(sortById(model.users));
      expect(state.orders).to.deep.equal(sortById(model.orders));
      expect(model.orders.some((o) => o.is_deleted)).to.equal(true);
    });
  }

  it('Debezium: a truncate declared with truncate: true empties the table; what follows it applies', async () => {
    const topic = testTopics.name('trunc');
    const mapping = mappingFile(`
sinks:
  - { topic: ${topic}, table: t, format: debezium, key: [id], create-table: true, truncate: true, columns: { id: bigint, v: text }, delete: hard }
`);
    // One Kafka key, so one partition and one order: Debezium's truncate events have no key of their own.
    const m = (value: object): TestMessage => ({ topic, key: 'one', value: Buffer.from(JSON.stringify(value)) });
    await produceAll(testStack().brokers, [
      m({ op: 'c', before: null, after: { id: 1, v: 'a' } }),
      m({ op: 'c', before: null, after: { id: 2, v: 'b' } }),
      m({ op: 't', source: {}, ts_ms: 1 }),
      m({ op: 'c', before: null, after: { id: 3, v: 'c' } }),
    ]);
    const run = consume(mapping, ['--idle', '2s']);
    expect(await run.exited, run.stderr()).to.equal(0);
    expect(await query(`SELECT id::int, v FROM ${qualified(schema, 't')} ORDER BY id`)).to.deep.equal([{ id: 3, v: 'c' }]);
  });

  it('Debezium without schemas: JSON values keep their own text in json and jsonb; timestamp(3) and time(3) read milliseconds', async () => {
    const topic = testTopics.name('fidelity');
    const mapping = mappingFile(`
sinks:
  - topic: ${topic}
    table: full_types
    format: debezium
    key: [id]
    create-table: true
    columns: { id: integer, j: jsonb, t: json, dt3: 'timestamp(3)', t3: 'time(3)', dt6: timestamp }
    delete: hard
`);
    const doc = '{"n":12345678901234567890,"f":0.1000000000000000055511151231257827,"x":1.0}';
    const after = `{"id":1,"j":${doc},"t":{"price":1.50},"dt3":1595008822123,"t3":64822123,"dt6":1595008822123456}`;
    await produceAll(testStack().brokers, [
      { topic, key: '{"id":1}', value: Buffer.from(`{"before":null,"after":${after},"op":"c","source":{}}`) },
    ]);
    const run = consume(mapping, ['--idle', '2s']);
    expect(await run.exited, run.stderr()).to.equal(0);
    const rows = await query<Record<string, unknown>>(
      `SELECT j = $1::jsonb AS j_equal, j->>'n' AS n, t::text AS t, dt3::text AS dt3, t3::text AS t3, dt6::text AS dt6 FROM ${qualified(schema, 'full_types')}`,
      [doc],
    );
    expect(rows).to.deep.equal([
      {
        j_equal: true,
        n: '12345678901234567890',
        t: '{"price":1.50}',
        dt3: '2020-07-17 18:00:22.123',
        t3: '18:00:22.123',
        dt6: '2020-07-17 18:00:22.123456',
      },
    ]);
  });

  it('a relation of our own: children wait for a parent that arrives late, a parent soft delete cascades, a missing parent is dead-lettered', async () => {
    const authors = testTopics.name('authors');
    const books = testTopics.name('books');
    const mapping = mappingFile(`
sinks:
  - topic: ${authors}
    table: authors
    format: debezium
    key: [id]
    create-table: true
    columns: { id: bigint, name: text }
    delete: { soft: removed }
  - topic: ${books}
    table: books
    format: debezium
    key: [shelf, isbn]
    create-table: true
    columns:
      shelf: smallint
      isbn: text
      title: text
      author_id: { type: bigint, references: { table: authors, cascade-delete: true } }
    delete: { soft: removed }
`);
    const book = (shelf: number, isbn: string, author: number): TestMessage => ({
      topic: books,
      key: JSON.stringify({ shelf, isbn }),
      value: Buffer.from(JSON.stringify({ op: 'c', before: null, after: { shelf, isbn, title: `t ${isbn}`, author_id: author } })),
    });
    const author = (id: number, op = 'c'): TestMessage => ({
      topic: authors,
      key: JSON.stringify({ id }),
      value: Buffer.from(
        JSON.stringify(op === 'd' ? { op, before: { id, name: null }, after: null } : { op, before: null, after: { id, name: `a${id}` } }),
      ),
    });
    // Books first; their authors only once the consumer is waiting for them.
    await produceAll(testStack().brokers, [book(1, 'x-1', 1), book(1, 'x-2', 2), book(2, 'x-1', 2), book(3, 'x-9', 99)]);
    const run = consume(mapping, ['--idle', '3s', '--orphan-wait', '8s']);
    await run.waitFor(/books wait for their authors/);
    await produceAll(testStack().brokers, [author(1), author(2)]);
    await produceAll(testStack().brokers, [author(2, 'd')]);
    expect(await run.exited, run.stderr()).to.equal(0);

    expect(await query(`SELECT id::int, name, removed FROM ${qualified(schema, 'authors')} ORDER BY id`)).to.deep.equal([
      { id: 1, name: 'a1', removed: false },
      { id: 2, name: 'a2', removed: true },
    ]);
    expect(
      await query(`SELECT shelf, isbn, author_id::int, removed FROM ${qualified(schema, 'books')} ORDER BY shelf, isbn`),
    ).to.deep.equal([
      { shelf: 1, isbn: 'x-1', author_id: 1, removed: false },
      { shelf: 1, isbn: 'x-2', author_id: 2, removed: true },
      { shelf: 2, isbn: 'x-1', author_id: 2, removed: true },
    ]);
    const dead = await query<{ error_code: string; error_message: string }>(
      `SELECT error_code, error_message FROM ${qualified(schema, 'cdc_dead_letters')}`,
    );
    expect(dead.map((d) => d.error_code)).to.deep.equal(['MISSING_PARENT']);
    expect(dead[0]?.error_message).to.equal('books (3, x-9): its parent in authors (author_id = 99) never arrived within the orphan wait');
  });

  it('quotes hostile table and column names', async () => {
    const topic = testTopics.name('hostile');
    const table = `we"ird; DROP TABLE x; --`;
    const mapping = mappingFile(
      JSON.stringify({
        sinks: [
          {
            topic,
            table,
            format: 'seed',
            key: ['i"d'],
            'create-table': true,
            columns: { 'i"d': { type: 'uuid', field: 'id' }, 'na me;': { type: 'text', field: 'name', ops: ['create', 'update'] } },
            delete: { soft: 'gone"' },
          },
        ],
      }),
    );
    const id = '00000000-0000-4000-8000-000000000001';
    await produceAll(testStack().brokers, [
      { topic, key: id, value: Buffer.from(JSON.stringify({ event_type: 'CREATE', id, name: 'x' })) },
      { topic, key: id, value: Buffer.from(JSON.stringify({ event_type: 'UPDATE', id, name: `y'); DROP TABLE x; --` })) },
    ]);
    const run = consume(mapping, ['--idle', '2s']);
    expect(await run.exited, run.stderr()).to.equal(0);
    expect(await query(`SELECT "i""d"::text AS id, "na me;" AS name, "gone""" AS gone FROM ${qualified(schema, table)}`)).to.deep.equal([
      { id, name: `y'); DROP TABLE x; --`, gone: false },
    ]);
  });

  it('exits before consuming when an existing table does not match the mapping, naming the table and column', async () => {
    await query(`CREATE TABLE ${qualified(schema, 'accounts')} (id integer PRIMARY KEY, balance text)`);
    await query(`CREATE TABLE ${qualified(schema, 'nokey')} (id integer, v text)`);
    const mapping = mappingFile(`
sinks:
  - { topic: ${testTopics.name('a')}, table: accounts, format: debezium, key: [id], columns: { id: integer, balance: "numeric(12,2)", owner: text } }
  - { topic: ${testTopics.name('n')}, table: nokey, format: debezium, key: [id], columns: { id: integer, v: text } }
  - { topic: ${testTopics.name('m')}, table: missing, format: debezium, key: [id], columns: { id: integer } }
`);
    const run = consume(mapping, ['--idle', '2s']);
    expect(await run.exited).to.equal(1);
    const err = run.stderr();
    expect(err).to.include('column "balance" has type text, declared numeric(12,2) (sinks[0].columns.balance)');
    expect(err).to.include('column "owner" does not exist (sinks[0].columns.owner)');
    expect(err).to.match(/nokey.*the key \(id\) is neither its primary key nor a unique index \(sinks\[1\]\.key\)/);
    expect(err).to.match(/missing.*does not exist: create it, or set create-table: true/);
    expect(err).to.not.match(/partitions assigned/);
    // Raised in a worker thread, it reaches the CLI as itself: its own code and text, not a Postgres error.
    expect(err).to.match(/cdc-consume: error: \S*sinks\.yaml: the tables do not match the mapping:\n/);
    expect(err).to.match(/\(ERR_CDC_SCHEMA\)\n$/);
    expect(err).to.not.include('Postgres:');
    expect(await query(`SELECT count(*)::int AS n FROM ${qualified(schema, 'cdc_offsets')}`)).to.deep.equal([{ n: 0 }]);
  });

  it('exits with the file and the path of the bad key when the mapping is invalid', async () => {
    const mapping = mappingFile(`
sinks:
  - topic: t
    table: t
    key: [id]
    columns: { id: uuid, balance: "numeric(12" }
    delete: harder
`);
    const run = consume(mapping, []);
    expect(await run.exited).to.equal(2);
    const err = run.stderr();
    expect(err).to.include(mapping);
    expect(err).to.include('sinks[0].delete');
    expect(err).to.match(/\(ERR_CDC_MAPPING\)\n$/);
    expect(err).to.not.match(/starting|partitions assigned/);
  });
});
