/**
 * Debezium's AvroConverter output end to end (bin/cdc-consume on the dev stack, its Schema Registry
 * stand-in holding the schemas): the generated users and orders written in the Confluent wire format
 * load under the shipped seed-debezium mapping with `encoding: avro` exactly as the model says, and
 * messages that are not Avro, or whose schema id the registry does not know, become dead letters once
 * each while the messages around them load. Each test has its own topics, group, schema and mapping.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { SchemaRegistry } from '../../lib/avro/registry.js';
import { encodeWire } from '../../lib/avro/wire.js';
import { createGenerator, DebeziumAvroWriter, DebeziumEncoder, expectedTables } from '../../lib/loadgen/generator/index.js';
import { type ConsumerRun, ensureStopped, startConsumer } from '../support/consumer.js';
import { produceAll, type TestMessage, TestTopics } from '../support/kafka.js';
import { testStack, uniqueName, withTestSchema } from '../support/stack.js';
import { readTables, sortById } from '../support/tables.js';

/** A schema id no registry of this run hands out. */
const UNKNOWN_ID = 0x7fff_fff0;

describe('apply/avro (integration)', function () {
  this.timeout(180_000);
  const topics = new TestTopics();
  const runs: ConsumerRun[] = [];
  let schema: string;
  let drop: () => Promise<void>;
  let dir: string;

  beforeEach(async () => {
    ({ schema, drop } = await withTestSchema('avro'));
    dir = mkdtempSync(join(tmpdir(), 'cdc-avro-'));
  });

  afterEach(async () => {
    await Promise.all(runs.splice(0).map(ensureStopped));
    rmSync(dir, { recursive: true, force: true });
    await drop();
    await topics.remove();
  });

  function registryUrl(): string {
    const url = testStack().schemaRegistryUrl;
    if (url === undefined) return expect.fail('the integration stack has no schema registry');
    return url;
  }

  /** The shipped seed-debezium mapping with every sink reading Avro. */
  function avroSeedMapping(): string {
    const shipped = fileURLToPath(new URL('../../../lib/sinks/mappings/seed-debezium.yaml', import.meta.url));
    const doc = parseYaml(readFileSync(shipped, 'utf8')) as { sinks: Array<Record<string, unknown>> };
    for (const sink of doc.sinks) sink.encoding = 'avro';
    const path = join(dir, 'seed-debezium-avro.yaml');
    writeFileSync(path, stringifyYaml(doc));
    return path;
  }

  /** `count` generated events as AvroConverter writes them (schemas registered), and the seed events the model reads. */
  async function generated(
    count: number,
    seed: number,
  ): Promise<{ names: { users: string; orders: string }; avro: TestMessage[]; seedEvents: Buffer[] }> {
    const names = { users: topics.name('avro_users'), orders: topics.name('avro_orders') };
    const gen = createGenerator({ seed, topics: names });
    const json = new DebeziumEncoder({ schemas: true, topics: names });
    const writer = new DebeziumAvroWriter(new SchemaRegistry({ url: registryUrl() }));
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

  function consume(mapping: string, names: { users: string; orders: string }, group: string): ConsumerRun {
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
      ],
      { CDC_SCHEMA_REGISTRY_URL: registryUrl() },
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
});
