import { expect } from 'chai';
import { AvroDecoders } from '../../lib/avro/decoder.js';
import { AvroEncoder, avroValueOf } from '../../lib/avro/encoder.js';
import type { RegisteredSchema } from '../../lib/avro/registry.js';
import { CdcError } from '../../lib/errors.js';
import { createGenerator, DebeziumEncoder, parseExactJson } from '../../lib/loadgen/generator/index.js';
import type { ConnectSchema } from '../../lib/sinks/connect-schema.js';
import { compileDebeziumDecoder } from '../../lib/sinks/formats/debezium.js';
import { shippedMapping } from '../../lib/sinks/mapping.js';
import { compileMapping } from '../../lib/sinks/sink.js';
import { PRODUCTS_JSON_SCHEMA } from '../support/avro-fixtures.js';

/** A registry in memory: each distinct schema text gets the next id. */
class Registry {
  readonly #ids = new Map<string, number>();
  readonly #schemas = new Map<number, string>();
  readonly #encoders = new Map<number, AvroEncoder>();

  /** The message for a JsonConverter message `{schema, payload}`: its schema registered, its payload in Avro. */
  avroOf(json: Buffer): Buffer {
    const { schema, payload } = parseExactJson(json.toString('utf8')) as { schema: ConnectSchema; payload: unknown };
    const text = JSON.stringify(schema);
    let id = this.#ids.get(text);
    if (id === undefined) {
      id = this.#ids.size + 1;
      const encoder = new AvroEncoder(schema);
      this.#ids.set(text, id);
      this.#schemas.set(id, JSON.stringify(encoder.schema));
      this.#encoders.set(id, encoder);
    }
    return (this.#encoders.get(id) as AvroEncoder).encode(id, payload);
  }

  schema(id: number): Promise<RegisteredSchema> {
    return Promise.resolve({ id, schema: this.#schemas.get(id) as string });
  }
}

describe('avro/encoder', () => {
  it("turns JsonConverter's payload values into what avsc writes", () => {
    const of = (type: string, value: unknown, more: Partial<ConnectSchema> = {}) => avroValueOf({ type, ...more }, value);
    expect(of('bytes', 'AAH+/w==')).to.deep.equal(Buffer.from([0, 1, 254, 255]));
    expect(of('int64', '9223372036854775807')).to.equal(9_223_372_036_854_775_807n);
    expect(of('int64', '-42')).to.equal(-42);
    expect(of('int64', 5n)).to.equal(5n);
    expect(of('double', 'NaN')).to.be.NaN;
    expect(of('double', '-Infinity')).to.equal(Number.NEGATIVE_INFINITY);
    expect(of('string', null, { optional: true })).to.equal(null);
    expect(of('boolean', undefined, { default: false })).to.equal(false);
    expect(() => of('int64', 2 ** 60)).to.throw(CdcError, 'an integer within 2^53');
    expect(() => of('bytes', 7)).to.throw(CdcError, 'base64');
    expect(() => of('string', null)).to.throw(CdcError);
  });

  it("writes a products change event that the consumer's decoder reads back", async () => {
    const encoder = new AvroEncoder(PRODUCTS_JSON_SCHEMA);
    const decoders = new AvroDecoders({ schema: (id) => Promise.resolve({ id, schema: JSON.stringify(encoder.schema) }) });
    await decoders.prepare([4]);
    const row = Object.fromEntries((PRODUCTS_JSON_SCHEMA.fields?.[1]?.fields ?? []).map((f) => [f.field, null]));
    const payload = {
      before: null,
      after: { ...row, id: '9223372036854775807', sku: 'x', stock: 1, price: 'B88=', created: '2024-01-01T00:00:00Z', updated: 0 },
      source: { version: 'v', connector: 'postgresql', name: 's', ts_ms: 1, db: 'd', schema: 'public', table: 't', snapshot: 'true' },
      op: 'r',
      ts_ms: null,
    };
    const decoded = decoders.decode(encoder.encode(4, payload)).value as { after: Record<string, unknown>; op: string };
    expect(decoded.op).to.equal('r');
    expect(decoded.after.id).to.equal(9_223_372_036_854_775_807n);
    expect(decoded.after.price).to.equal('19.99');
  });

  it("gives the seed-debezium mapping the same rows from the load generator's events in Avro as in JSON", async () => {
    const now = () => Date.UTC(2025, 6, 1, 12, 0, 0);
    const generator = createGenerator({ seed: 20, now });
    const json = new DebeziumEncoder({ schemas: true, now });
    const registry = new Registry();
    const sinks = new Map(compileMapping(shippedMapping('seed-debezium'), 'public').map((s) => [s.topic, s]));
    const decoders = new AvroDecoders(registry);
    const pairs: Array<{ topic: string; json: [Buffer, Buffer]; avro: [Buffer, Buffer] }> = [];
    for (let i = 0; i < 600; i++) {
      const m = json.encode(generator.next());
      if (m === undefined) continue;
      pairs.push({ topic: m.topic, json: [m.key, m.value], avro: [registry.avroOf(m.key), registry.avroOf(m.value)] });
    }
    await decoders.prepare(AvroDecoders.idsOf(pairs.flatMap((p) => p.avro)));
    const avroDecode = new Map(
      [...sinks].map(([topic, s]) => [topic, compileDebeziumDecoder(s.declaration, s.layout, undefined, undefined, decoders)]),
    );
    let compared = 0;
    for (const p of pairs) {
      const sink = sinks.get(p.topic);
      expect(sink, p.topic).to.not.equal(undefined);
      const fromJson = sink?.decode(...p.json);
      const fromAvro = avroDecode.get(p.topic)?.(...p.avro);
      expect(fromAvro, p.json[1].toString()).to.deep.equal(fromJson);
      expect(fromJson?.ok).to.equal(true);
      compared++;
    }
    expect(compared).to.be.above(400);
    // Two value schemas and two key schemas, each compiled once.
    expect(decoders.size).to.equal(4);
  });
});
