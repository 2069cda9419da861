import { expect } from 'chai';
import avro from 'avsc';
import type { AvroSchema } from '../../lib/avro/connect.js';
import { AvroDecoders, compileAvroDecoder, exactLongHook, fieldSchemasOf, type SchemaSource } from '../../lib/avro/decoder.js';
import { type RegisteredSchema, SchemaRegistry } from '../../lib/avro/registry.js';
import { encodeWire } from '../../lib/avro/wire.js';
import { CdcError } from '../../lib/errors.js';
import { startDevSchemaRegistry } from '../../lib/devstack/schema-registry.js';
import { type ConnectSchema, rowSchemaOf } from '../../lib/sinks/connect-schema.js';
import { PRODUCTS_AVRO_SCHEMA, productsEvent, VSD_AVRO } from '../support/avro-fixtures.js';
import { decimalBase64 } from '../support/debezium-events.js';
import { cdcError, cdcRejection } from '../support/errors.js';

/** A writer for test bodies: the schema as it is (bytes as Buffers), longs exact. */
function writer(schema: AvroSchema): avro.Type {
  return avro.Type.forSchema(schema as avro.Schema, {
    typeHook: exactLongHook,
  });
}

/** Encodes `value` with `schema` and decodes it with the compiled reader. */
function roundTrip(schema: AvroSchema, value: unknown): unknown {
  return compileAvroDecoder(schema).decode(writer(schema).toBuffer(value));
}

const unscaled = (n: bigint) => Buffer.from(decimalBase64(n), 'base64');
const record = (type: AvroSchema): AvroSchema => ({ type: 'record', name: 'R', fields: [{ name: 'v', type }] });
const field = (schema: AvroSchema, v: unknown) => (roundTrip(record(schema), { v }) as { v: unknown }).v;

describe('avro/decoder', () => {
  it('reads a long exactly across the whole int64 range: a number where that is exact, else a bigint', () => {
    const values: bigint[] = [0n, 1n, -1n, 2n ** 63n - 1n, -(2n ** 63n)];
    for (let k = 1n; k < 63n; k++) values.push(2n ** k, 2n ** k - 1n, -(2n ** k), -(2n ** k) + 1n);
    for (const v of values) {
      const safe = v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= -BigInt(Number.MAX_SAFE_INTEGER);
      const got = field('long', v);
      expect(got, String(v)).to.equal(safe ? Number(v) : v);
    }
    expect(field('long', 9223372036854775807n)).to.equal(9223372036854775807n);
    expect(field('long', 9007199254740993n)).to.equal(9007199254740993n);
    expect(field(['null', { type: 'long', 'connect.name': 'io.debezium.time.NanoTimestamp' }], 1_700_000_000_123_456_789n)).to.equal(
      1_700_000_000_123_456_789n,
    );
  });

  it('reads doubles bit for bit (-0, subnormals), and NaN and the infinities as JsonConverter writes them', () => {
    expect(Object.is(field('double', -0), -0)).to.equal(true);
    expect(field('double', Number.MIN_VALUE)).to.equal(Number.MIN_VALUE);
    expect(field('double', 2.2250738585072014e-308)).to.equal(2.2250738585072014e-308);
    expect(field('double', 0.1)).to.equal(0.1);
    expect(field('double', Number.MAX_VALUE)).to.equal(Number.MAX_VALUE);
    expect(field('double', Number.NaN)).to.equal('NaN');
    expect(field('double', Number.POSITIVE_INFINITY)).to.equal('Infinity');
    expect(field(['null', 'double'], Number.NEGATIVE_INFINITY)).to.equal('-Infinity');
    expect(field('float', 0.1)).to.equal(Math.fround(0.1));
    expect(Object.is(field('float', -0), -0)).to.equal(true);
    expect(field('float', Number.NaN)).to.equal('NaN');
  });

  it("reads Connect's Decimal at its scale as exact decimal text, whatever its size", () => {
    const price = {
      type: 'bytes',
      scale: 2,
      precision: 10,
      'connect.parameters': { scale: '2', 'connect.decimal.precision': '10' },
      'connect.name': 'org.apache.kafka.connect.data.Decimal',
      logicalType: 'decimal',
    };
    expect(field(price, unscaled(1230n))).to.equal('12.30');
    expect(field(price, unscaled(0n))).to.equal('0.00');
    expect(field(price, unscaled(-1n))).to.equal('-0.01');
    expect(field(price, unscaled(-12_345_678_901n))).to.equal('-123456789.01');
    const huge = 10n ** 37n + 7n;
    expect(field(price, unscaled(huge))).to.equal('100000000000000000000000000000000000.07');
    // MySQL's BIGINT UNSIGNED (precise mode): scale 0, beyond int64.
    const unsigned = {
      type: 'bytes',
      scale: 0,
      precision: 64,
      'connect.parameters': { scale: '0' },
      'connect.name': 'org.apache.kafka.connect.data.Decimal',
      logicalType: 'decimal',
    };
    expect(field(['null', unsigned], unscaled(18_446_744_073_709_551_615n))).to.equal('18446744073709551615');
    // A plain Avro producer's decimal, bytes or fixed: Avro's own scale.
    expect(field({ type: 'bytes', logicalType: 'decimal', precision: 6, scale: 3 }, unscaled(-5n))).to.equal('-0.005');
    const fixed = Buffer.alloc(8, 0xff);
    expect(field({ type: 'fixed', name: 'Money', size: 8, logicalType: 'decimal', precision: 18, scale: 4 }, fixed)).to.equal('-0.0001');
  });

  it("reads Debezium's VariableScaleDecimal at each value's own scale", () => {
    const schema: AvroSchema = {
      type: 'record',
      name: 'R',
      fields: [
        { name: 'a', type: ['null', VSD_AVRO] },
        { name: 'b', type: ['null', 'io.debezium.data.VariableScaleDecimal'] },
      ],
    };
    const got = roundTrip(schema, { a: { scale: 3, value: unscaled(12345n) }, b: { scale: 0, value: unscaled(-7n) } });
    expect({ ...(got as object) }).to.deep.equal({ a: '12.345', b: '-7' });
    // A scale numeric cannot hold goes on as JsonConverter's object, for the column's reader to refuse.
    const beyond = roundTrip(schema, { a: { scale: 20_000, value: unscaled(1n) }, b: null }) as { a: unknown };
    expect(beyond.a).to.deep.equal({ scale: 20_000, value: 'AQ==' });
  });

  it('reads bytes and fixed as base64, strings, booleans, ints, enums, arrays and unions with null as JSON has them', () => {
    expect(field('bytes', Buffer.from([0, 1, 254, 255]))).to.equal('AAH+/w==');
    expect(field({ type: 'fixed', name: 'F', size: 2 }, Buffer.from([1, 2]))).to.equal('AQI=');
    expect(field('string', 'naïve ✓')).to.equal('naïve ✓');
    expect(field(['null', 'boolean'], false)).to.equal(false);
    expect(field(['null', 'boolean'], null)).to.equal(null);
    expect(field({ type: 'int', 'connect.type': 'int16' }, -32768)).to.equal(-32768);
    expect(field({ type: 'enum', name: 'E', symbols: ['A', 'B'] }, 'B')).to.equal('B');
    expect(field({ type: 'array', items: ['null', 'long'] }, [1, null, 2n ** 60n])).to.deep.equal([1, null, 2n ** 60n]);
  });

  it('reads a whole Debezium change event, and gives the readers a schema view in which decimals are text', () => {
    const w = writer(PRODUCTS_AVRO_SCHEMA);
    const row = {
      id: 9007199254740993n,
      sku: 'A-1',
      title: null,
      stock: 3,
      tiny: null,
      rank: 7,
      weight: 0.5,
      ratio: -0,
      active: true,
      photo: Buffer.from('hi'),
      price: unscaled(1999n),
      big: unscaled(2n ** 64n - 1n),
      amount: { scale: 1, value: unscaled(15n) },
      discount: null,
      released: 19_000,
      opens: 3_600_000_000,
      updated: 1_700_000_000_123_456,
      checked: null,
      created: '2024-01-02T03:04:05.678901Z',
      alarm: null,
      attrs: '{"n":12345678901234567890}',
      uid: null,
      state: 'live',
      warranty: 9_223_372_036_854_775_807n,
      spec: null,
      tags: [1, null, 3],
      day: null,
      at: null,
      stamp: null,
    };
    const body = w.toBuffer(productsEvent('c', null, row));
    const decoder = compileAvroDecoder(JSON.stringify(PRODUCTS_AVRO_SCHEMA), 31);
    const event = decoder.decode(body) as { before: unknown; after: Record<string, unknown>; op: string; source: { lsn: unknown } };
    expect(event.op).to.equal('c');
    expect(event.before).to.equal(null);
    expect(event.source.lsn).to.equal(24_023_128);
    expect({ ...event.after }).to.deep.equal({
      ...row,
      id: 9007199254740993n,
      photo: 'aGk=',
      price: '19.99',
      big: '18446744073709551615',
      amount: '1.5',
      ratio: -0,
      warranty: 9_223_372_036_854_775_807n,
    });
    expect(Object.is(event.after.ratio, -0)).to.equal(true);

    const view = fieldSchemasOf(rowSchemaOf(decoder.connect) as ConnectSchema);
    expect(view.get('price')).to.deep.equal({ name: undefined, scale: 2, items: undefined });
    expect(view.get('amount')).to.deep.equal({ name: undefined, scale: undefined, items: undefined });
    expect(view.get('updated')).to.deep.equal({ name: 'io.debezium.time.MicroTimestamp', scale: undefined, items: undefined });
    expect(view.get('tags')?.items).to.deep.equal({ name: undefined, scale: undefined, items: undefined });
  });

  it('refuses a truncated body, trailing bytes and a union branch that does not exist, naming the schema id', () => {
    const schema = record(['null', 'string']);
    const decoder = compileAvroDecoder(schema, 12);
    const body = writer(schema).toBuffer({ v: 'hello' });
    const truncated = cdcError(() => decoder.decode(body.subarray(0, body.length - 2)));
    expect(truncated).to.include({ code: 'ERR_CDC_AVRO_TRUNCATED', schemaId: 12, canRetry: false });
    expect(truncated.message).to.include('schema id 12');
    const trailing = cdcError(() => decoder.decode(Buffer.concat([body, Buffer.from([0])])));
    expect(trailing).to.include({ code: 'ERR_CDC_AVRO_BODY', schemaId: 12 });
    expect(cdcError(() => decoder.decode(Buffer.from([0x08]))).code).to.equal('ERR_CDC_AVRO_BODY');
    const long = compileAvroDecoder(record('long'));
    expect(cdcError(() => long.decode(Buffer.alloc(11, 0xff))).message).to.include('more than ten bytes');
    expect(cdcError(() => long.decode(Buffer.from([0xff, 0xff]))).code).to.equal('ERR_CDC_AVRO_TRUNCATED');
    expect(cdcError(() => compileAvroDecoder('{"type": "record",', 3)).code).to.equal('ERR_CDC_SCHEMA');
    expect(cdcError(() => compileAvroDecoder({ type: 'record', name: 'R', fields: [{ name: 'f', type: 'Nope' }] })).code).to.equal(
      'ERR_CDC_SCHEMA',
    );
  });

  it('compiles each schema id once: one fetch per id however often and however concurrently it is asked', async () => {
    const fetched: number[] = [];
    const schemas = new Map<number, string>([
      [1, JSON.stringify(record('long'))],
      [2, JSON.stringify(record('string'))],
    ]);
    const source: SchemaSource = {
      schema: (id: number): Promise<RegisteredSchema> => {
        fetched.push(id);
        return Promise.resolve({ id, schema: schemas.get(id) as string });
      },
    };
    const decoders = new AvroDecoders(source);
    const one = encodeWire(1, writer(record('long')).toBuffer({ v: 2n ** 62n }));
    const two = encodeWire(2, writer(record('string')).toBuffer({ v: 'x' }));
    const ids = AvroDecoders.idsOf([one, two, one, null, Buffer.from('{}')]);
    expect([...ids]).to.deep.equal([1, 2]);
    await Promise.all([decoders.prepare(ids), decoders.prepare([1]), decoders.prepare([2, 1])]);
    await decoders.prepare(ids);
    expect(fetched.sort()).to.deep.equal([1, 2]);
    expect(decoders.size).to.equal(2);
    expect(decoders.decode(one)).to.deep.include({ schemaId: 1 });
    expect({ ...(decoders.decode(one).value as object) }).to.deep.equal({ v: 2n ** 62n });
    expect({ ...(decoders.decode(two).value as object) }).to.deep.equal({ v: 'x' });
    expect(cdcError(() => decoders.decode(encodeWire(3, Buffer.alloc(0)))).code).to.equal('ERR_CDC_INTERNAL');
    expect(cdcError(() => decoders.decode(Buffer.from('{"v":1}'))).code).to.equal('ERR_CDC_AVRO_MAGIC');
  });

  it('remembers an id that cannot be read for good, and forgets a registry that could not answer', async () => {
    let down = true;
    const fetched: number[] = [];
    const source: SchemaSource = {
      schema: (id: number): Promise<RegisteredSchema> => {
        fetched.push(id);
        if (id === 1 && down)
          return Promise.reject(new CdcError('ERR_CDC_SCHEMA_REGISTRY', 'unreachable', { canRetry: true, schemaId: 1 }));
        if (id === 2) return Promise.resolve({ id, schema: '{"type":"record","name":"R","fields":[{"name":"f","type":"Nope"}]}' });
        return Promise.resolve({ id, schema: JSON.stringify(record('int')) });
      },
    };
    const decoders = new AvroDecoders(source);
    expect(await cdcRejection(decoders.prepare([1]))).to.include({ code: 'ERR_CDC_SCHEMA_REGISTRY', canRetry: true });
    down = false;
    await decoders.prepare([1, 2]);
    await decoders.prepare([1, 2]);
    expect(fetched).to.deep.equal([1, 1, 2]);
    expect({ ...(decoders.decode(encodeWire(1, Buffer.from([4]))).value as object) }).to.deep.equal({ v: 2 });
    expect(cdcError(() => decoders.decode(encodeWire(2, Buffer.alloc(0)))).code).to.equal('ERR_CDC_SCHEMA');
    expect(decoders.get(2)).to.equal(undefined);
  });

  it('fails the batch on refused credentials instead of dead-lettering every message of the id', async () => {
    let fetches = 0;
    const refused = new CdcError('ERR_CDC_SCHEMA_REGISTRY', 'GET .../schemas/ids/3 was refused: 401', {
      fatal: 'check --schema-registry-auth',
    });
    const decoders = new AvroDecoders({
      schema: () => {
        fetches++;
        return Promise.reject(refused);
      },
    });
    expect(await cdcRejection(decoders.prepare([3]))).to.include({
      code: 'ERR_CDC_SCHEMA_REGISTRY',
      canRetry: false,
      fatal: 'check --schema-registry-auth',
    });
    // Not remembered: the id is asked again once the operator has fixed the credentials.
    expect(await cdcRejection(decoders.prepare([3]))).to.include({ code: 'ERR_CDC_SCHEMA_REGISTRY' });
    expect(fetches).to.equal(2);
  });

  it('decodes what a producer registered in the development registry; an unknown id is its own error', async () => {
    const registry = await startDevSchemaRegistry();
    try {
      const producer = new SchemaRegistry({ url: registry.url });
      const id = await producer.register('shop.public.products-value', JSON.stringify(PRODUCTS_AVRO_SCHEMA));
      const decoders = new AvroDecoders(new SchemaRegistry({ url: registry.url }));
      const body = writer(PRODUCTS_AVRO_SCHEMA).toBuffer({
        before: null,
        after: null,
        source: {
          version: 'v',
          connector: 'postgresql',
          name: 'shop',
          ts_ms: 1,
          snapshot: null,
          db: 'shop',
          schema: 'public',
          table: 'products',
          txId: null,
          lsn: null,
        },
        op: 't',
        ts_ms: null,
      });
      const message = encodeWire(id, body);
      await decoders.prepare(AvroDecoders.idsOf([message]));
      expect((decoders.decode(message).value as { op: string }).op).to.equal('t');
      // An id the registry does not know: prepared as such, and each of its messages says so.
      await decoders.prepare([id + 50]);
      const unknown = cdcError(() => decoders.decode(encodeWire(id + 50, body)));
      expect(unknown).to.include({ code: 'ERR_CDC_SCHEMA_UNKNOWN_ID', schemaId: id + 50 });
    } finally {
      await registry.stop();
    }
  });
});
