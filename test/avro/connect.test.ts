import { expect } from 'chai';
import { type AvroSchema, avroSchemaOf, connectSchemaOf } from '../../lib/avro/connect.js';
import { compileAvroDecoder } from '../../lib/avro/decoder.js';
import { debeziumKeySchema, debeziumValueSchema } from '../../lib/loadgen/generator/debezium.js';
import { type ConnectSchema, deriveColumns, isEnvelope, rowSchemaOf } from '../../lib/sinks/connect-schema.js';
import {
  PRODUCTS_AVRO_SCHEMA,
  PRODUCTS_JSON_SCHEMA,
  PRODUCTS_KEY_AVRO_SCHEMA,
  PRODUCTS_KEY_JSON_SCHEMA,
} from '../support/avro-fixtures.js';
import { SourceDatabase } from '../support/debezium-events.js';
import { cdcError } from '../support/errors.js';

const columnsOf = (schema: ConnectSchema) => deriveColumns(rowSchemaOf(schema) as ConnectSchema);

/** The Postgres type of a lone Avro field type, as derived. */
function sqlOf(type: AvroSchema): string {
  const { columns, problems } = deriveColumns(connectSchemaOf({ type: 'record', name: 'R', fields: [{ name: 'f', type }] }));
  return columns[0]?.type.sql ?? (problems[0] as string);
}

describe('avro/connect', () => {
  it("reads AvroConverter's schema of a Debezium change event into exactly JsonConverter's schema of it", () => {
    expect(connectSchemaOf(PRODUCTS_AVRO_SCHEMA)).to.deep.equal(PRODUCTS_JSON_SCHEMA);
    expect(connectSchemaOf(PRODUCTS_KEY_AVRO_SCHEMA)).to.deep.equal(PRODUCTS_KEY_JSON_SCHEMA);
    // As the registry returns it: the schema's text.
    expect(connectSchemaOf(JSON.stringify(PRODUCTS_AVRO_SCHEMA))).to.deep.equal(PRODUCTS_JSON_SCHEMA);
  });

  it('gives the same source table the same Postgres columns through either converter', () => {
    const fromAvro = connectSchemaOf(PRODUCTS_AVRO_SCHEMA);
    expect(isEnvelope(fromAvro)).to.equal(true);
    const avro = columnsOf(fromAvro);
    const json = columnsOf(PRODUCTS_JSON_SCHEMA);
    expect(avro).to.deep.equal(json);
    expect(avro.problems).to.deep.equal([]);
    expect(Object.fromEntries(avro.columns.map((c) => [c.name, `${c.type.sql}${c.nullable ? '' : ' NOT NULL'}`]))).to.deep.equal({
      id: 'bigint NOT NULL',
      sku: 'text NOT NULL',
      title: 'varchar(120)',
      stock: 'smallint NOT NULL',
      tiny: 'smallint',
      rank: 'integer',
      weight: 'real',
      ratio: 'double precision',
      active: 'boolean',
      photo: 'bytea',
      price: 'numeric(10,2) NOT NULL',
      big: 'numeric',
      amount: 'numeric',
      discount: 'numeric',
      released: 'date',
      opens: 'time',
      updated: 'timestamp NOT NULL',
      checked: 'timestamp',
      created: 'timestamptz NOT NULL',
      alarm: 'timetz',
      attrs: 'jsonb',
      uid: 'uuid',
      state: 'text',
      warranty: 'interval',
      spec: 'xml',
      tags: 'integer[]',
      day: 'date',
      at: 'time',
      stamp: 'timestamp',
    });
  });

  it('reads a flattened row (ExtractNewRecordState) and its __ fields as JsonConverter shows them', () => {
    const avro: AvroSchema = {
      type: 'record',
      name: 'Value',
      namespace: 'shop.public.products',
      fields: [
        { name: 'id', type: 'long' },
        { name: 'name', type: ['null', 'string'], default: null },
        { name: '__deleted', type: ['null', 'string'], default: null },
      ],
      'connect.name': 'shop.public.products.Value',
    };
    const schema = connectSchemaOf(avro);
    expect(isEnvelope(schema)).to.equal(false);
    expect(deriveColumns(schema).columns.map((c) => c.name)).to.deep.equal(['id', 'name']);
  });

  it("reads a plain Avro producer's logical types as Kafka Connect would", () => {
    expect(sqlOf({ type: 'bytes', logicalType: 'decimal', precision: 12, scale: 3 })).to.equal('numeric(12,3)');
    expect(sqlOf({ type: 'fixed', name: 'Money', size: 8, logicalType: 'decimal', precision: 18, scale: 4 })).to.equal('numeric(18,4)');
    expect(sqlOf({ type: 'int', logicalType: 'date' })).to.equal('date');
    expect(sqlOf({ type: 'int', logicalType: 'time-millis' })).to.equal('time');
    expect(sqlOf({ type: 'long', logicalType: 'time-micros' })).to.equal('time');
    expect(sqlOf({ type: 'long', logicalType: 'timestamp-millis' })).to.equal('timestamp');
    expect(sqlOf({ type: 'long', logicalType: 'timestamp-micros' })).to.equal('timestamp');
    expect(sqlOf({ type: 'string', logicalType: 'uuid' })).to.equal('uuid');
    expect(sqlOf({ type: 'enum', name: 'Colour', symbols: ['RED', 'GREEN'] })).to.equal('text');
    expect(sqlOf({ type: 'fixed', name: 'Hash', size: 16 })).to.equal('bytea');
    expect(sqlOf({ type: 'string', logicalType: 'something-else' })).to.equal('text');
    // A connect.name wins over Avro's own logical type (Connect's Date carries both).
    expect(connectSchemaOf({ type: 'int', logicalType: 'date', 'connect.name': 'io.debezium.time.Date' }).name).to.equal(
      'io.debezium.time.Date',
    );
  });

  it('reads a union with null either way round as optional, and any other union as a type no column takes', () => {
    expect(connectSchemaOf(['null', 'long'])).to.deep.equal({ type: 'int64', optional: true });
    expect(connectSchemaOf(['long', 'null'])).to.deep.equal({ type: 'int64', optional: true });
    expect(sqlOf(['null', 'string', 'long'])).to.match(/^f: struct \(io\.confluent\.connect\.avro\.Union\) is not a type/);
    expect(sqlOf({ type: 'map', values: 'long' })).to.match(/^f: map of string to int64 is not a type/);
  });

  it('resolves named types by full name, in the namespace where they are used', () => {
    const schema = connectSchemaOf({
      type: 'record',
      name: 'Outer',
      namespace: 'a.b',
      fields: [
        { name: 'x', type: { type: 'record', name: 'Inner', fields: [{ name: 'v', type: 'int' }] } },
        { name: 'y', type: ['null', 'Inner'] },
        { name: 'z', type: 'a.b.Inner' },
      ],
    });
    const [x, y, z] = schema.fields as ConnectSchema[];
    expect(x).to.deep.include({ type: 'struct', name: 'a.b.Inner', optional: false, field: 'x' });
    expect(y).to.deep.include({ type: 'struct', name: 'a.b.Inner', optional: true, field: 'y' });
    expect(z?.fields).to.deep.equal([{ type: 'int32', optional: false, field: 'v' }]);
  });

  it("drops the parameters AvroData adds for its own round trips, keeps the source connector's", () => {
    const schema = connectSchemaOf({
      type: 'record',
      name: 'R',
      fields: [],
      'connect.parameters': { 'io.confluent.connect.avro.record.doc': 'docs', keep: 'yes' },
    });
    expect(schema.parameters).to.deep.equal({ keep: 'yes' });
  });

  it('refuses what is not an Avro schema with ERR_CDC_SCHEMA', () => {
    expect(cdcError(() => connectSchemaOf({ type: 'record', name: 'R', fields: [{ name: 'f', type: 'Missing' }] })).message).to.include(
      '"Missing" is not defined',
    );
    expect(cdcError(() => connectSchemaOf('{not json')).code).to.equal('ERR_CDC_SCHEMA');
    expect(cdcError(() => connectSchemaOf('null')).message).to.include('"null" outside a union');
  });

  describe('avroSchemaOf (what a producer registers)', () => {
    it("writes JsonConverter's schema of a change event as AvroConverter does", () => {
      expect(avroSchemaOf(PRODUCTS_JSON_SCHEMA)).to.deep.equal(PRODUCTS_AVRO_SCHEMA);
      expect(avroSchemaOf(PRODUCTS_KEY_JSON_SCHEMA)).to.deep.equal(PRODUCTS_KEY_AVRO_SCHEMA);
    });

    /** Schemas JsonConverter writes elsewhere in the project: the load generator's and the tests' source database. */
    function projectSchemas(): Array<[string, ConnectSchema]> {
      const db = new SourceDatabase('dbserver1', 'inventory');
      db.insert(
        {
          name: 'mixed',
          key: ['id', 'line'],
          fields: [
            { name: 'id', type: 'int64' },
            { name: 'line', type: 'int16' },
            { name: 'level', type: 'int8' },
            { name: 'total', type: 'bytes', logical: 'org.apache.kafka.connect.data.Decimal', parameters: { scale: '3' }, optional: true },
            { name: 'took', type: 'int64', logical: 'io.debezium.time.MicroDuration' },
            { name: 'ports', type: 'array', items: 'int32' },
            { name: 'kind', type: 'string', logical: 'io.debezium.data.Enum', parameters: { allowed: 'A,B' } },
          ],
        },
        { id: 1, line: 2, level: 3, total: null, took: 4, ports: [], kind: 'A' },
      );
      const [message] = db.messages;
      const schemaOf = (text: unknown) => (JSON.parse(String(text)) as { schema: ConnectSchema }).schema;
      return [
        ['generator users value', debeziumValueSchema('users', 'users') as unknown as ConnectSchema],
        ['generator orders value', debeziumValueSchema('orders', 'orders') as unknown as ConnectSchema],
        ['generator key', debeziumKeySchema('users') as unknown as ConnectSchema],
        ['source database value', schemaOf(message?.value)],
        ['source database key', schemaOf(message?.key)],
      ];
    }

    it('writes schemas that connectSchemaOf reads back unchanged, and avsc compiles', () => {
      for (const [what, schema] of [...projectSchemas(), ['products', PRODUCTS_JSON_SCHEMA] as [string, ConnectSchema]]) {
        const avro = avroSchemaOf(schema);
        expect(connectSchemaOf(avro), what).to.deep.equal(schema);
        expect(columnsOf(connectSchemaOf(JSON.stringify(avro))), what).to.deep.equal(
          isEnvelope(schema) ? columnsOf(schema) : deriveColumns(schema),
        );
        expect(() => compileAvroDecoder(avro), what).to.not.throw();
      }
    });

    it("writes a nameless struct under AvroData's default name and an optional field with a default behind it", () => {
      const avro = avroSchemaOf({
        type: 'struct',
        fields: [{ type: 'boolean', optional: true, default: false, field: 'b' }],
        optional: false,
      }) as { name: string; namespace: string; fields: unknown[] };
      expect(avro.namespace).to.equal('io.confluent.connect.avro');
      expect(avro.name).to.equal('ConnectDefault1');
      expect(avro.fields).to.deep.equal([{ name: 'b', type: [{ type: 'boolean', 'connect.default': false }, 'null'], default: false }]);
      expect(connectSchemaOf(avro as AvroSchema)).to.deep.equal({
        type: 'struct',
        fields: [{ type: 'boolean', optional: true, default: false, field: 'b' }],
        optional: false,
      });
    });
  });
});
