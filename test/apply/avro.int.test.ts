/**
 * Debezium's AvroConverter output end to end (bin/cdc-consume on the dev stack, its Schema Registry
 * stand-in holding the schemas): the generated users and orders written in the Confluent wire format
 * load under the shipped seed-debezium mapping with `encoding: avro` exactly as the model says, and
 * messages that are not Avro, or whose schema id the registry does not know, become dead letters once
 * each while the messages around them load. Each test has its own topics, group, schema and mapping.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import pg from 'pg';
import { SchemaRegistry } from '../../lib/avro/registry.js';
import { qualified } from '../../lib/postgres/index.js';
import { encodeWire } from '../../lib/avro/wire.js';
import { avroSeedMappingFile } from '../../lib/devstack/open-stack.js';
import { findFreePort } from '../../lib/devstack/ports.js';
import { type DevSchemaRegistry, startDevSchemaRegistry } from '../../lib/devstack/schema-registry.js';
import { createGenerator, DebeziumAvroWriter, DebeziumEncoder, expectedTables } from '../../lib/loadgen/generator/index.js';
import { type ConsumerRun, ensureStopped, startConsumer } from '../support/consumer.js';
import { decimalBase64, SourceDatabase, type SourceTable } from '../support/debezium-events.js';
import { deleteTestTopics, produceAll, type TestMessage, TestTopics } from '../support/kafka.js';
import { testStack, uniqueName, withTestSchema } from '../support/stack.js';
import { readTables, sortById } from '../support/tables.js';
import { get, until } from '../support/wait.js';

/** A schema id no registry of this run hands out. */
const UNKNOWN_ID = 0x7fff_fff0;

async function query(sql: string): Promise<unknown[][]> {
  const c = new pg.Client({ connectionString: testStack().databaseUrl });
  await c.connect();
  try {
    return (await c.query({ text: sql, rowMode: 'array' })).rows as unknown[][];
  } finally {
    await c.end();
  }
}

const customersV1: SourceTable = {
  name: 'customers',
  key: ['id'],
  fields: [
    { name: 'id', type: 'int32' },
    { name: 'first_name', type: 'string' },
    { name: 'email', type: 'string', optional: true },
  ],
};
/** The same table after ALTER TABLE ... ADD COLUMN: a new schema, so a new registry id. */
const customersV2: SourceTable = {
  ...customersV1,
  fields: [...customersV1.fields, { name: 'loyalty_points', type: 'int64', optional: true }],
};
const orders: SourceTable = {
  name: 'orders',
  key: ['order_number'],
  fields: [
    { name: 'order_number', type: 'int32' },
    { name: 'order_date', type: 'int32', logical: 'io.debezium.time.Date' },
    {
      name: 'total',
      type: 'bytes',
      logical: 'org.apache.kafka.connect.data.Decimal',
      parameters: { scale: '2', 'connect.decimal.precision': '10' },
    },
  ],
};

describe('apply/avro (integration)', function () {
  this.timeout(180_000);
  const topics = new TestTopics();
  const runs: ConsumerRun[] = [];
  let schema: string;
  let drop: () => Promise<void>;
  let dir: string;
  /** Topics a test names itself (a source database's), removed after it. */
  const sourceTopics = new Set<string>();
  /** A registry of a test's own (one it stops and starts again). */
  let ownRegistry: DevSchemaRegistry | undefined;

  beforeEach(async () => {
    ({ schema, drop } = await withTestSchema('avro'));
    dir = mkdtempSync(join(tmpdir(), 'cdc-avro-'));
  });

  afterEach(async () => {
    await Promise.all(runs.splice(0).map(ensureStopped));
    rmSync(dir, { recursive: true, force: true });
    await drop();
    await topics.remove();
    await deleteTestTopics([...sourceTopics]);
    sourceTopics.clear();
    await ownRegistry?.stop();
    ownRegistry = undefined;
  });

  function registryUrl(): string {
    const url = testStack().schemaRegistryUrl;
    if (url === undefined) return expect.fail('the integration stack has no schema registry');
    return url;
  }

  const avroSeedMapping = () => avroSeedMappingFile(dir);

  /** `count` generated events as AvroConverter writes them (schemas registered), and the seed events the model reads. */
  async function generated(
    count: number,
    seed: number,
    registry = registryUrl(),
  ): Promise<{ names: { users: string; orders: string }; avro: TestMessage[]; seedEvents: Buffer[] }> {
    const names = { users: topics.name('avro_users'), orders: topics.name('avro_orders') };
    const gen = createGenerator({ seed, topics: names });
    const json = new DebeziumEncoder({ schemas: true, topics: names });
    const writer = new DebeziumAvroWriter(new SchemaRegistry({ url: registry }));
    const seedEvents: Buffer[] = [];
    const avro: TestMessage[] = [];
    for (let i = 0; i < count; i++) {
      const e = gen.next();
      seedEvents.push(Buffer.from(e.value));
      const m = json.encode(e);
      if (m === undefined) continue;
      const written = await writer.encode(m);
      avro.push({ topic: written.topic, key: written.key, value: written.value });
    }
    return { names, avro, seedEvents };
  }

  function consume(
    mapping: string,
    names: { users: string; orders: string },
    group: string,
    registry = registryUrl(),
    extra: string[] = [],
  ): ConsumerRun {
    const run = startConsumer(
      [
        '--sinks',
        mapping,
        '--group',
        group,
        '--db-schema',
        schema,
        '--topics',
        `users=${names.users},orders=${names.orders}`,
        '--idle',
        '2s',
        '--json',
        ...extra,
      ],
      { CDC_SCHEMA_REGISTRY_URL: registry },
    );
    runs.push(run);
    return run;
  }

  it('loads the generated users and orders in Avro form exactly as the model says, with the seed-debezium mapping', async () => {
    const { names, avro, seedEvents } = await generated(4000, 21);
    expect(avro.every((m) => m.value?.[0] === 0 && Buffer.isBuffer(m.key) && m.key[0] === 0)).to.equal(true);
    await produceAll(testStack().brokers, avro);
    const run = consume(avroSeedMapping(), names, uniqueName('group'));
    expect(await run.exited, run.stderr()).to.equal(0);
    const summary = JSON.parse(run.stdout()) as { events: number; deadLetters: number };
    expect(summary.deadLetters).to.equal(0);
    expect(summary.events).to.equal(avro.length);
    const state = await readTables(schema);
    const model = expectedTables(seedEvents);
    expect(state.users).to.deep.equal(sortById(model.users));
    expect(state.orders).to.deep.equal(sortById(model.orders));
    expect(model.orders.some((o) => o.is_deleted)).to.equal(true);
  });

  it('dead-letters a value that is not in the wire format and one whose schema id the registry does not know, once each, while the rest loads', async () => {
    const { names, avro, seedEvents } = await generated(1500, 22);
    const good = avro[0] as TestMessage;
    const body = (good.value as Buffer).subarray(5);
    const poison: TestMessage[] = [
      // JSON where Avro is declared: its first byte is not the magic byte.
      { topic: names.users, key: 'poison-magic', value: Buffer.from('{"op":"c","after":{}}') },
      { topic: names.users, key: 'poison-id', value: encodeWire(UNKNOWN_ID, body) },
    ];
    // The poison between the events, on the users topic, whose every partition then has events after it.
    const half = Math.floor(avro.length / 2);
    await produceAll(testStack().brokers, [...avro.slice(0, half), ...poison, ...avro.slice(half)]);
    const run = consume(avroSeedMapping(), names, uniqueName('group'));
    expect(await run.exited, run.stderr()).to.equal(0);
    expect((JSON.parse(run.stdout()) as { deadLetters: number }).deadLetters).to.equal(2);
    const state = await readTables(schema);
    expect(state.deadLetters.map((d) => [d.key, d.error_code]).sort()).to.deep.equal([
      ['poison-id', 'UNKNOWN_SCHEMA_ID'],
      ['poison-magic', 'INVALID_AVRO'],
    ]);
    const model = expectedTables(seedEvents);
    expect(state.users).to.deep.equal(sortById(model.users));
    expect(state.orders).to.deep.equal(sortById(model.orders));
  });
  it('loads a multi-table Avro stream through one topic-pattern sink, adding the optional field a new schema id brings (evolve: add-columns)', async () => {
    const server = uniqueName('srv');
    const db = new SourceDatabase(server, 'inventory');
    for (let i = 1; i <= 40; i++) db.insert(customersV1, { id: i, first_name: `f${i}`, email: i % 3 === 0 ? null : `e${i}` }, 'r');
    for (let i = 1; i <= 20; i++)
      db.insert(orders, { order_number: i, order_date: 19_000 + i, total: decimalBase64(BigInt(i * 1234 - 5000)) });
    const writer = new DebeziumAvroWriter(new SchemaRegistry({ url: registryUrl() }));
    /** The database's messages so far, in Avro, produced; how many. */
    const produce = async (): Promise<number> => {
      const avro: TestMessage[] = [];
      for (const m of db.messages.splice(0)) {
        sourceTopics.add(m.topic);
        const written = await writer.record(m.topic, Buffer.from(m.key as string), m.value);
        avro.push({ topic: m.topic, key: written.key, value: written.value });
      }
      await produceAll(testStack().brokers, avro);
      return avro.length;
    };
    const mapping = join(dir, 'inventory.yaml');
    writeFileSync(
      mapping,
      `sinks:
  - name: inventory
    topic-pattern: '${server}\\.inventory\\.(.+)'
    table: '\${1}'
    format: debezium
    encoding: avro
    create-table: true
    evolve: add-columns
    delete: hard
`,
    );
    const group = uniqueName('group');
    const consume = async (): Promise<{ summary: { events: number; deadLetters: number }; stderr: string }> => {
      const run = startConsumer(['--sinks', mapping, '--group', group, '--db-schema', schema, '--idle', '3s', '--json'], {
        CDC_SCHEMA_REGISTRY_URL: registryUrl(),
      });
      runs.push(run);
      expect(await run.exited, run.stderr()).to.equal(0);
      return { summary: JSON.parse(run.stdout()) as { events: number; deadLetters: number }, stderr: run.stderr() };
    };
    // The first run makes both tables from the first schemas; the second meets customers' new schema id.
    const first = await produce();
    const before = await consume();
    expect(before.summary).to.deep.include({ events: first, deadLetters: 0 });
    // int64 beyond 2^53: exact through Avro's long.
    db.update(
      customersV2,
      { id: 1, first_name: 'f1', email: 'e1' },
      { id: 1, first_name: 'f1', email: 'e1', loyalty_points: 2n ** 53n + 1n },
    );
    for (let i = 41; i <= 45; i++) db.insert(customersV2, { id: i, first_name: `f${i}`, email: null, loyalty_points: i * 10 });
    db.delete(orders, { order_number: 2, order_date: 19_002, total: decimalBase64(BigInt(2 * 1234 - 5000)) });
    const second = await produce();
    const after = await consume();
    expect(after.summary).to.deep.include({ events: second, deadLetters: 0 });
    expect(after.stderr.match(/column added from a new field/g) ?? [], after.stderr).to.have.lengthOf(1);
    const customers = await query(
      `SELECT id::text, first_name, email, loyalty_points::text FROM ${qualified(schema, 'customers')} ORDER BY id + 0`,
    );
    const expected = Array.from({ length: 45 }, (_, n) => {
      const i = n + 1;
      if (i > 40) return [String(i), `f${i}`, null, String(i * 10)];
      return [String(i), `f${i}`, i % 3 === 0 ? null : `e${i}`, i === 1 ? String(2n ** 53n + 1n) : null];
    });
    expect(customers).to.deep.equal(expected);
    const day = (d: number) => new Date(d * 86_400_000).toISOString().slice(0, 10);
    const total = (i: number) => ((i * 1234 - 5000) / 100).toFixed(2);
    expect(
      await query(`SELECT order_number::text, order_date::text, total::text FROM ${qualified(schema, 'orders')} ORDER BY order_number + 0`),
    ).to.deep.equal(
      Array.from({ length: 20 }, (_, n) => n + 1)
        .filter((i) => i !== 2)
        .map((i) => [String(i), day(19_000 + i), total(i)]),
    );
  });
  it('retries while the schema registry is unreachable: /healthz says so, nothing is dead-lettered, and all loads once it answers', async () => {
    const port = await findFreePort();
    ownRegistry = await startDevSchemaRegistry({ port });
    const url = ownRegistry.url;
    const { names, avro, seedEvents } = await generated(1000, 23, url);
    // The registry forgets its schemas when stopped: kept here, in id order, to be registered again.
    const client = new SchemaRegistry({ url });
    const schemas: string[] = [];
    for (let id = 1; id <= 4; id++) schemas.push((await client.schema(id)).schema);
    await ownRegistry.stop();
    ownRegistry = undefined;
    await produceAll(testStack().brokers, avro);
    const run = consume(avroSeedMapping(), names, uniqueName('group'), url, ['--metrics-port', '0']);
    await run.waitFor(/serving metrics/);
    const base = /(http:\/\/127\.0\.0\.1:\d+)\/metrics/.exec(run.stderr())?.[1] as string;
    const down = await until('healthz 503 naming the registry', async () => {
      const r = await get(`${base}/healthz`);
      return r.status === 503 && (JSON.parse(r.body) as { schemaRegistry?: string }).schemaRegistry === 'down' ? r : undefined;
    });
    expect(JSON.parse(down.body)).to.include({ ok: false, postgres: 'up' });
    await run.waitFor(/schema registry failing/);
    // The same schemas under the same ids: a registry back from an outage.
    ownRegistry = await startDevSchemaRegistry({ port });
    const again = new SchemaRegistry({ url });
    for (const [i, text] of schemas.entries()) expect(await again.register('restored', text)).to.equal(i + 1);
    expect(await run.exited, run.stderr()).to.equal(0);
    const summary = JSON.parse(run.stdout().trim().split('\n').at(-1) as string) as { events: number; deadLetters: number };
    expect(summary).to.deep.include({ events: avro.length, deadLetters: 0 });
    expect(run.stderr().match(/schema registry failing/g)).to.have.lengthOf(1);
    expect(run.stderr().match(/schema registry recovered/g)).to.have.lengthOf(1);
    const state = await readTables(schema);
    const model = expectedTables(seedEvents);
    expect(state.users).to.deep.equal(sortById(model.users));
    expect(state.orders).to.deep.equal(sortById(model.orders));
  });
});
