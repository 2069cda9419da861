import { expect } from 'chai';
import {
  type ConnectSchema,
  columnTypeOf,
  deriveColumns,
  isEnvelope,
  rowSchemaOf,
  unsupportedTypesMessage,
} from '../../lib/sinks/connect-schema.js';

/** A field schema as JsonConverter writes one (see docs/sinks.md's type table). */
function f(type: string, name?: string, parameters?: Record<string, string>): ConnectSchema {
  return {
    type,
    optional: true,
    ...(name ? { name, version: 1 } : {}),
    ...(parameters ? { parameters } : {}),
    field: 'f',
  } as ConnectSchema;
}

const sqlOf = (s: ConnectSchema) => {
  const t = columnTypeOf(s);
  return typeof t === 'string' ? t : t.sql;
};

describe('sinks/connect-schema', () => {
  it("maps Kafka Connect's primitive types as Debezium's JDBC sink does for PostgreSQL", () => {
    expect(
      [['int8'], ['int16'], ['int32'], ['int64'], ['float'], ['double'], ['boolean'], ['string'], ['bytes']].map(([t]) =>
        sqlOf(f(t as string)),
      ),
    ).to.deep.equal(['smallint', 'smallint', 'integer', 'bigint', 'real', 'double precision', 'boolean', 'text', 'bytea']);
  });

  it("maps Debezium's and Connect's logical types by name", () => {
    const cases: Array<[string, string, string]> = [
      ['int32', 'io.debezium.time.Date', 'date'],
      ['int32', 'org.apache.kafka.connect.data.Date', 'date'],
      ['int32', 'io.debezium.time.Time', 'time'],
      ['int64', 'io.debezium.time.MicroTime', 'time'],
      ['int64', 'io.debezium.time.NanoTime', 'time'],
      ['int32', 'org.apache.kafka.connect.data.Time', 'time'],
      ['int64', 'io.debezium.time.Timestamp', 'timestamp'],
      ['int64', 'io.debezium.time.MicroTimestamp', 'timestamp'],
      ['int64', 'io.debezium.time.NanoTimestamp', 'timestamp'],
      ['int64', 'org.apache.kafka.connect.data.Timestamp', 'timestamp'],
      ['string', 'io.debezium.time.ZonedTimestamp', 'timestamptz'],
      ['int32', 'io.debezium.time.Year', 'integer'],
      ['string', 'io.debezium.data.Json', 'jsonb'],
      ['string', 'io.debezium.data.Uuid', 'uuid'],
      ['string', 'io.debezium.data.Enum', 'text'],
      ['string', 'io.debezium.data.EnumSet', 'text'],
      ['struct', 'io.debezium.data.VariableScaleDecimal', 'numeric'],
    ];
    for (const [type, name, sql] of cases) expect(sqlOf(f(type, name)), name).to.equal(sql);
  });

  it("takes Decimal's precision when Debezium propagates it, else leaves numeric unconstrained", () => {
    const decimal = 'org.apache.kafka.connect.data.Decimal';
    expect(sqlOf(f('bytes', decimal, { scale: '2', 'connect.decimal.precision': '10' }))).to.equal('numeric(10,2)');
    // MySQL's BIGINT UNSIGNED in precise mode: the scale alone.
    expect(sqlOf(f('bytes', decimal, { scale: '0' }))).to.equal('numeric');
    expect(sqlOf(f('bytes', decimal, { scale: '5', 'connect.decimal.precision': '3' }))).to.equal('numeric');
  });

  it('makes a string varchar(n) when the connector propagates a character column length', () => {
    const propagated = { '__debezium.source.column.type': 'VARCHAR', '__debezium.source.column.length': '255' };
    expect(sqlOf(f('string', undefined, propagated))).to.equal('varchar(255)');
    expect(sqlOf(f('string', undefined, { ...propagated, '__debezium.source.column.type': 'LTREE' }))).to.equal('text');
  });

  it('makes a duration an interval: MicroDuration microseconds, or the ISO text of interval.handling.mode=string', () => {
    expect(sqlOf(f('int64', 'io.debezium.time.MicroDuration'))).to.equal('interval');
    expect(sqlOf(f('string', 'io.debezium.time.Interval'))).to.equal('interval');
  });

  it('makes ZonedTime timetz and Xml xml; tells inet, cidr, macaddr and char(n) by the propagated source type', () => {
    expect(sqlOf(f('string', 'io.debezium.time.ZonedTime'))).to.equal('timetz');
    expect(sqlOf(f('string', 'io.debezium.data.Xml'))).to.equal('xml');
    const source = (t: string, length?: string) => ({
      '__debezium.source.column.type': t,
      ...(length ? { '__debezium.source.column.length': length } : {}),
    });
    expect(sqlOf(f('string', undefined, source('INET')))).to.equal('inet');
    expect(sqlOf(f('string', undefined, source('cidr')))).to.equal('cidr');
    expect(sqlOf(f('string', undefined, source('MACADDR')))).to.equal('macaddr');
    expect(sqlOf(f('string', undefined, source('BPCHAR', '4')))).to.equal('char(4)');
    // Without propagation they are strings, as the connector sends them.
    expect(sqlOf(f('string'))).to.equal('text');
  });

  it("makes a Connect array of a scalar type an array of that type's column", () => {
    expect(sqlOf({ type: 'array', items: { type: 'int32', optional: true }, field: 'f' })).to.equal('integer[]');
    expect(sqlOf({ type: 'array', items: { type: 'string', optional: true, name: 'io.debezium.data.Uuid' }, field: 'f' })).to.equal(
      'uuid[]',
    );
    // PostgreSQL's numeric[] without a precision: items of VariableScaleDecimal, a struct that is a number.
    const variable = { type: 'struct', optional: true, name: 'io.debezium.data.VariableScaleDecimal', fields: [] };
    expect(sqlOf({ type: 'array', items: variable, field: 'f' })).to.equal('numeric[]');
  });

  it('makes io.debezium.data.Bits bit varying(length), bit(n) when the source type says BIT; BIT(1) stays boolean', () => {
    // PostgreSQL's BIT(10) and MySQL's BIT(10), as the connectors write the field's schema.
    const bits = (parameters: Record<string, string>) => f('bytes', 'io.debezium.data.Bits', parameters);
    expect(sqlOf(bits({ length: '10' }))).to.equal('bit varying(10)');
    // column.propagate.source.type tells BIT(n) from BIT VARYING(n).
    const propagated = { '__debezium.source.column.length': '10', '__debezium.source.column.scale': '0' };
    expect(sqlOf(bits({ length: '10', '__debezium.source.column.type': 'BIT', ...propagated }))).to.equal('bit(10)');
    expect(sqlOf(bits({ length: '10', '__debezium.source.column.type': 'VARBIT', ...propagated }))).to.equal('bit varying(10)');
    // BIT VARYING without a length: Debezium sends 2^31 - 1, beyond any declared length.
    expect(sqlOf(bits({ length: '2147483647' }))).to.equal('bit varying');
    expect(sqlOf(f('boolean'))).to.equal('boolean');
  });

  it('makes a geometry struct (Point, Geometry, Geography) bytea of its WKB unless a column type is declared', () => {
    const wkb = { type: 'bytes', optional: false, field: 'wkb' };
    const srid = { type: 'int32', optional: true, field: 'srid' };
    const geometry = (name: string, fields: ConnectSchema[]) =>
      ({ type: 'struct', fields, optional: true, name, version: 1, doc: 'Geometry', field: 'g' }) as ConnectSchema;
    expect(sqlOf(geometry('io.debezium.data.geometry.Geometry', [wkb, srid]))).to.equal('bytea');
    expect(sqlOf(geometry('io.debezium.data.geometry.Geography', [wkb, srid]))).to.equal('bytea');
    const x = { type: 'double', optional: false, field: 'x' };
    const y = { type: 'double', optional: false, field: 'y' };
    expect(sqlOf(geometry('io.debezium.data.geometry.Point', [wkb, srid, x, y]))).to.equal('bytea');
  });

  it('names a type it does not load with its schema type: a map, an array of structs or of arrays', () => {
    // An unknown logical name on a primitive: the primitive's values, as Connect defines.
    expect(sqlOf(f('string', 'com.example.Custom'))).to.equal('text');
    // PostgreSQL's hstore in hstore.handling.mode=map; a plain struct has no column either.
    const row: ConnectSchema = {
      type: 'struct',
      name: 'dbserver1.inventory.things.Value',
      optional: false,
      fields: [
        { type: 'int32', optional: false, field: 'id' },
        {
          type: 'map',
          keys: { type: 'string', optional: false },
          values: { type: 'string', optional: true },
          optional: true,
          field: 'attrs',
        },
        {
          type: 'array',
          items: { type: 'struct', fields: [{ type: 'int32', optional: false, field: 'n' }], optional: true },
          optional: true,
          field: 'parts',
        },
        {
          type: 'array',
          items: { type: 'array', items: { type: 'int32', optional: true }, optional: true },
          optional: true,
          field: 'grid',
        },
        { type: 'struct', fields: [], optional: true, name: 'com.example.Dimensions', field: 'size' },
      ],
    };
    const { columns, problems } = deriveColumns(row);
    expect(columns.map((c) => c.name)).to.deep.equal(['id']);
    expect(unsupportedTypesMessage('dbserver1.inventory.things', problems)).to.equal(
      'topic dbserver1.inventory.things: ' +
        'attrs: map of string to string is not a type cdc-pipeline loads yet; ' +
        'parts: array of struct is not a type cdc-pipeline loads yet; ' +
        'grid: array of array of int32 is not a type cdc-pipeline loads yet; ' +
        'size: struct (com.example.Dimensions) is not a type cdc-pipeline loads yet',
    );
  });

  it("finds the row in Debezium's envelope, or takes a flattened row as it is", () => {
    const row: ConnectSchema = {
      type: 'struct',
      name: 'dbserver1.inventory.customers.Value',
      fields: [
        { type: 'int32', optional: false, field: 'id' },
        { type: 'string', optional: true, field: 'email' },
        { type: 'string', optional: true, field: '__deleted' },
      ],
    };
    const envelope: ConnectSchema = {
      type: 'struct',
      fields: [
        { ...row, optional: true, field: 'before' },
        { ...row, optional: true, field: 'after' },
        { type: 'string', optional: false, field: 'op' },
      ],
    };
    expect(isEnvelope(envelope)).to.equal(true);
    expect(rowSchemaOf(envelope)?.field).to.equal('after');
    expect(isEnvelope(row)).to.equal(false);
    expect(rowSchemaOf(row)).to.equal(row);
    const { columns, problems } = deriveColumns(row);
    expect(problems).to.deep.equal([]);
    // The flattening transform's `__` fields are metadata, not columns; optional fields are nullable.
    expect(columns.map((c) => [c.name, c.type.sql, c.nullable])).to.deep.equal([
      ['id', 'integer', false],
      ['email', 'text', true],
    ]);
  });
});
