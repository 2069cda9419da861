/**
 * The Debezium decoder reading AvroConverter's output (the Confluent wire format, through
 * lib/avro/decoder.ts): the same source table's events as JsonConverter writes them must give the same
 * rows, and what Avro carries exactly (int64 to 2^63-1, -0, NaN, decimals) must arrive so.
 */
import { expect } from 'chai';
import avro from 'avsc';
import { type AvroSchema } from '../../../lib/avro/connect.js';
import { AvroDecoders, exactLongHook } from '../../../lib/avro/decoder.js';
import type { RegisteredSchema } from '../../../lib/avro/registry.js';
import { encodeWire } from '../../../lib/avro/wire.js';
import { CdcError } from '../../../lib/errors.js';
import { type ConnectSchema, deriveColumns, rowSchemaOf } from '../../../lib/sinks/connect-schema.js';
import { compileDebeziumDecoder } from '../../../lib/sinks/formats/debezium.js';
import { resolveMapping } from '../../../lib/sinks/mapping.js';
import { compileMapping, type Sink } from '../../../lib/sinks/sink.js';
import type { DecodeResult, RowEvent } from '../../../lib/sinks/types.js';
import {
  PRODUCTS_AVRO_SCHEMA,
  PRODUCTS_JSON_SCHEMA,
  PRODUCTS_KEY_AVRO_SCHEMA,
  PRODUCTS_KEY_JSON_SCHEMA,
  productsEvent,
} from '../../support/avro-fixtures.js';
import { decimalBase64 } from '../../support/debezium-events.js';

const TOPIC = 'shop.public.products';
const VALUE_ID = 11;
const KEY_ID = 12;
const FLAT_ID = 13;
const UNKNOWN_ID = 99;

/** Every column of the products table, with the types derived from its schema. */
const COLUMNS = Object.fromEntries(
  deriveColumns(rowSchemaOf(PRODUCTS_JSON_SCHEMA) as ConnectSchema).columns.map((c) => [c.name, c.type.sql]),
);

const FLAT_SCHEMA: AvroSchema = {
  type: 'record',
  name: 'Value',
  namespace: TOPIC,
  fields: [
    { name: 'id', type: 'long' },
    { name: 'sku', type: 'string' },
    { name: '__deleted', type: ['null', 'string'], default: null },
  ],
  'connect.name': `${TOPIC}.Value`,
};

function sinkOf(declaration: Record<string, unknown> = {}): Sink {
  const doc = { sinks: [{ topic: TOPIC, table: 'products', format: 'debezium', key: ['id'], ...declaration }] };
  return compileMapping(resolveMapping(doc, 'test.yaml'), 'public')[0] as Sink;
}

const SCHEMAS = new Map<number, AvroSchema>([
  [VALUE_ID, PRODUCTS_AVRO_SCHEMA],
  [KEY_ID, PRODUCTS_KEY_AVRO_SCHEMA],
  [FLAT_ID, FLAT_SCHEMA],
]);

/** A registry of the three schemas, for which any other id is unknown. */
async function decoders(): Promise<AvroDecoders> {
  const d = new AvroDecoders({
    schema: (id: number): Promise<RegisteredSchema> => {
      const schema = SCHEMAS.get(id);
      if (schema === undefined)
        return Promise.reject(new CdcError('ERR_CDC_SCHEMA_UNKNOWN_ID', `schema id ${id} is not in the schema registry`, { schemaId: id }));
      return Promise.resolve({ id, schema: JSON.stringify(schema) });
    },
  });
  await d.prepare([VALUE_ID, KEY_ID, FLAT_ID, UNKNOWN_ID]);
  return d;
}

function avroDecoder(sink: Sink, d: AvroDecoders) {
  return compileDebeziumDecoder(sink.declaration, sink.layout, undefined, undefined, d);
}

const writers = new Map<number, avro.Type>();
function wire(id: number, value: unknown): Buffer {
  let w = writers.get(id);
  if (w === undefined) {
    w = avro.Type.forSchema(SCHEMAS.get(id) as avro.Schema, { typeHook: exactLongHook });
    writers.set(id, w);
  }
  return encodeWire(id, w.toBuffer(value));
}

const unscaled = (n: bigint) => Buffer.from(decimalBase64(n), 'base64');
const INT64_MAX = 9_223_372_036_854_775_807n;

/** One row with every column set, in Avro's values; `json` the same row as JsonConverter writes it. */
const ROW = {
  id: INT64_MAX,
  sku: 'A-1',
  title: 'Ünïcode ✓',
  stock: -32768,
  tiny: 7,
  rank: 2_147_483_647,
  weight: 0.5,
  ratio: -0,
  active: true,
  photo: Buffer.from([0, 1, 254, 255]),
  price: unscaled(-1999n),
  big: unscaled(18_446_744_073_709_551_615n),
  amount: { scale: 3, value: unscaled(1_234_567n) },
  discount: null,
  released: -719_162,
  opens: 86_399_999_999,
  updated: 1_700_000_000_123_456,
  checked: 253_402_300_799_999,
  created: '2024-01-02T03:04:05.678901Z',
  alarm: '12:05:06.789012Z',
  attrs: '{"n":12345678901234567890,"x":1.50}',
  uid: 'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11',
  state: 'live',
  warranty: INT64_MAX,
  spec: '<a>b</a>',
  tags: [1, null, 3],
  day: 19_000,
  at: 3_600_000,
  stamp: 1_700_000_000_123,
};
const JSON_ROW = {
  ...ROW,
  id: '\u0001raw:9223372036854775807',
  ratio: '\u0001raw:-0.0',
  photo: 'AAH+/w==',
  price: decimalBase64(-1999n),
  big: decimalBase64(18_446_744_073_709_551_615n),
  amount: { scale: 3, value: decimalBase64(1_234_567n) },
  warranty: '\u0001raw:9223372036854775807',
};

/** The JsonConverter message of an event: raw number text where a double cannot hold the value. */
function jsonMessage(schema: unknown, payload: unknown): Buffer {
  return Buffer.from(JSON.stringify({ schema, payload }).replace(/"\\u0001raw:([^"]*)"/g, '$1'));
}

function ok(result: DecodeResult<RowEvent>): RowEvent {
  expect(
    result.ok,
    JSON.stringify(result, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v)),
  ).to.equal(true);
  return (result as { event: RowEvent }).event;
}

function rejected(result: DecodeResult<RowEvent>): { code: string; message: string } {
  expect(result.ok).to.equal(false);
  return result as { code: string; message: string };
}

describe('sinks/formats/debezium (Avro)', () => {
  it("gives exactly the row JsonConverter's message of the same event gives", async () => {
    const sink = sinkOf({ columns: COLUMNS });
    const fromAvro = ok(
      avroDecoder(sink, await decoders())(wire(KEY_ID, { id: INT64_MAX }), wire(VALUE_ID, productsEvent('c', null, ROW))),
    );
    const key = Buffer.from(JSON.stringify({ schema: PRODUCTS_KEY_JSON_SCHEMA, payload: { id: 1 } }));
    const fromJson = ok(sink.decode(key, jsonMessage(PRODUCTS_JSON_SCHEMA, productsEvent('c', null, JSON_ROW))));
    expect(fromAvro).to.deep.equal(fromJson);
    const values = Object.fromEntries(sink.layout.columns.map((c, i) => [c.name, fromAvro.values[i]]));
    expect(values).to.deep.include({
      id: '9223372036854775807',
      warranty: '0 mons 0 days 9223372036854775807 microseconds',
      price: '-19.99',
      big: '18446744073709551615',
      amount: '1234.567',
      photo: '\\x0001feff',
      released: '0001-01-01',
      tags: '{"1",NULL,"3"}',
    });
    expect(Object.is(values.ratio, -0)).to.equal(true);
  });

  it('reads NaN and the infinities of a double column as JsonConverter sends them', async () => {
    const sink = sinkOf({ columns: { id: 'bigint', ratio: 'double precision', weight: 'real' } });
    const decode = avroDecoder(sink, await decoders());
    const row = (ratio: number, weight: number) => wire(VALUE_ID, productsEvent('c', null, { ...ROW, ratio, weight }));
    expect(ok(decode(null, row(Number.NaN, Number.POSITIVE_INFINITY))).values.slice(1)).to.deep.equal(['NaN', 'Infinity']);
    expect(ok(decode(null, row(Number.NEGATIVE_INFINITY, 1.5))).values.slice(1)).to.deep.equal(['-Infinity', 1.5]);
  });

  it('refuses an int64 its column cannot hold, exactly', async () => {
    const sink = sinkOf({ columns: { id: 'bigint', stock: { type: 'integer', field: 'warranty' } } });
    const result = rejected(avroDecoder(sink, await decoders())(null, wire(VALUE_ID, productsEvent('c', null, ROW))));
    expect(result.code).to.equal('OUT_OF_RANGE');
    expect(result.message).to.include('9223372036854775807');
  });

  it('deletes by the before image, or by the Avro message key when before has no key; skips tombstones', async () => {
    const sink = sinkOf({ columns: { id: 'bigint', sku: 'text' }, delete: 'hard' });
    const decode = avroDecoder(sink, await decoders());
    const byBefore = ok(decode(null, wire(VALUE_ID, productsEvent('d', ROW, null))));
    expect(byBefore).to.deep.include({ op: 'delete' });
    expect(byBefore.values[0]).to.equal('9223372036854775807');
    const byKey = ok(decode(wire(KEY_ID, { id: 42 }), wire(VALUE_ID, productsEvent('d', null, null))));
    expect(byKey.values[0]).to.equal(42);
    expect(ok(decode(wire(KEY_ID, { id: 42 }), null))).to.deep.include({ op: 'skip', skipped: 'tombstone' });
  });

  it('reads flattened rows (ExtractNewRecordState), __deleted as a delete', async () => {
    const sink = sinkOf({ columns: { id: 'bigint', sku: 'text' }, delete: 'hard' });
    const decode = avroDecoder(sink, await decoders());
    expect(ok(decode(null, wire(FLAT_ID, { id: 5, sku: 'x', __deleted: 'false' })))).to.deep.include({ op: 'upsert', values: [5, 'x'] });
    expect(ok(decode(null, wire(FLAT_ID, { id: 5, sku: 'x', __deleted: 'true' })))).to.deep.include({ op: 'delete' });
  });

  it('dead-letters what is not readable Avro, with codes of its own naming the schema id', async () => {
    const sink = sinkOf({ columns: { id: 'bigint', sku: 'text' } });
    const decode = avroDecoder(sink, await decoders());
    const json = rejected(decode(null, Buffer.from('{"id":1}')));
    expect(json.code).to.equal('INVALID_AVRO');
    expect(json.message).to.include('0x7b');
    const unknown = rejected(decode(null, encodeWire(UNKNOWN_ID, Buffer.from([2]))));
    expect(unknown).to.deep.equal({
      ok: false,
      code: 'UNKNOWN_SCHEMA_ID',
      message: `value: schema id ${UNKNOWN_ID} is not in the schema registry`,
    });
    const good = wire(VALUE_ID, productsEvent('c', null, ROW));
    expect(rejected(decode(null, good.subarray(0, good.length - 3))).code).to.equal('INVALID_AVRO');
    expect(rejected(decode(null, Buffer.from([0, 0, 0]))).code).to.equal('INVALID_AVRO');
    expect(rejected(decode(null, Buffer.alloc(0))).code).to.equal('EMPTY_VALUE');
    const badKey = rejected(decode(encodeWire(UNKNOWN_ID, Buffer.alloc(0)), wire(VALUE_ID, productsEvent('d', null, null))));
    expect(badKey.code).to.equal('UNKNOWN_SCHEMA_ID');
    expect(badKey.message).to.match(/^message key: /);
  });

  it('counts the fields of an Avro schema that no declared column takes, once per schema', async () => {
    const sink = sinkOf({ columns: { id: 'bigint', sku: 'text' } });
    const unknown: string[][] = [];
    const ignored: string[] = [];
    const decode = compileDebeziumDecoder(
      sink.declaration,
      sink.layout,
      undefined,
      { unknownFields: (f) => unknown.push([...f]), ignored: (f) => ignored.push(f) },
      await decoders(),
    );
    ok(decode(null, wire(VALUE_ID, productsEvent('c', null, ROW))));
    ok(decode(null, wire(VALUE_ID, productsEvent('u', null, ROW))));
    expect(unknown).to.have.length(1);
    expect(unknown[0]).to.include('price').and.not.include('id');
    expect(ignored.filter((f) => f === 'price')).to.have.length(2);
  });
});
