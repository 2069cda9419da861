/**
 * Fidelity problems found loading real Debezium output (Flink's captured MySQL and PostgreSQL streams,
 * Flink CDC's MySQL full-types table): each value must reach Postgres as the source had it.
 */
import { expect } from 'chai';
import { parseColumnType } from '../../../lib/sinks/column-types.js';
import { resolveMapping } from '../../../lib/sinks/mapping.js';
import { compileMapping, type Sink } from '../../../lib/sinks/sink.js';
import type { DecodeResult, RowEvent } from '../../../lib/sinks/types.js';
import { envelopeSchema } from '../../support/debezium-events.js';

function sinkOf(columns: Record<string, unknown>): Sink {
  const doc = {
    sinks: [
      {
        topic: 'mysql_binlog_source.inventory.full_types',
        table: 'full_types',
        format: 'debezium',
        key: ['id'],
        columns: { id: 'integer', ...columns },
      },
    ],
  };
  return compileMapping(resolveMapping(doc, 'test.yaml'), 'public')[0] as Sink;
}

/** A create event of the payload alone (schemas.enable=false), its `after` written as the given JSON text. */
function create(afterJson: string): Buffer {
  return Buffer.from(`{"before":null,"after":${afterJson},"source":{"connector":"mysql","name":"mysql_binlog_source"},"op":"c","ts_ms":1}`);
}

function values(r: DecodeResult<RowEvent>): RowEvent['values'] {
  if (!r.ok) expect.fail(`${r.code}: ${r.message}`);
  return r.event.values;
}

describe('sinks/formats/debezium: fidelity with real output', () => {
  it("loads a JSON value (not Debezium's Json text) into json and jsonb as its own text, not through JavaScript numbers", () => {
    const doc = '{"n":12345678901234567890,"f":0.1000000000000000055511151231257827,"x":1.0}';
    const sink = sinkOf({ j: 'jsonb', t: 'json' });
    expect(values(sink.decode(null, create(`{"id":1,"j":${doc},"t":{"price":1.50}}`)))).to.deep.equal([1, doc, '{"price":1.50}']);
    // Arrays and scalars too; the text between the brackets is the source's, whitespace and all.
    expect(values(sink.decode(null, create('{"id":2,"j":[1.0, 2e3],"t":true}')))).to.deep.equal([2, '[1.0, 2e3]', 'true']);
    // jsonb cannot store U+0000 in text: a dead letter, not a refused batch.
    const nul = sink.decode(null, create('{"id":3,"j":{"s":"a\\u0000b"},"t":null}'));
    expect(nul.ok ? '' : nul.code).to.equal('NUL_CHARACTER');
  });

  it("reads a schemaless timestamp(p) and time(p) by their precision, as Debezium's adaptive modes send them", () => {
    const sink = sinkOf({ dt3: 'timestamp(3)', dt6: 'timestamp(6)', dt: 'timestamp', t3: 'time(3)', t6: 'time' });
    // MySQL DATETIME(3) '2020-07-17 18:00:22.123' arrives as milliseconds, DATETIME(6) as microseconds.
    const v = values(
      sink.decode(null, create('{"id":1,"dt3":1595008822123,"dt6":1595008822123456,"dt":1595008822123456,"t3":64822123,"t6":64822123456}')),
    );
    expect(v).to.deep.equal([
      1,
      '2020-07-17 18:00:22.123',
      '2020-07-17 18:00:22.123456',
      '2020-07-17 18:00:22.123456',
      '18:00:22.123',
      '18:00:22.123456',
    ]);
  });

  it('takes a precision of 0..6 on timestamp, timestamptz and time, and refuses more', () => {
    expect(parseColumnType('timestamp(3)')).to.deep.equal({ kind: 'timestamp', precision: 3, sql: 'timestamp(3)' });
    expect(parseColumnType('time(0)')).to.deep.equal({ kind: 'time', precision: 0, sql: 'time(0)' });
    expect(parseColumnType('timestamptz(6)')).to.deep.equal({ kind: 'timestamptz', precision: 6, sql: 'timestamptz(6)' });
    expect(parseColumnType('timestamp(7)')).to.equal('"timestamp(7)": precision must be 0..6');
  });

  it('never drops a field silently: a field of the schema no declared column takes is noticed once and counted per event', () => {
    const sink = sinkOf({ name: 'text' });
    const schema = {
      type: 'struct',
      fields: [
        { type: 'int32', optional: false, field: 'id' },
        { type: 'string', optional: true, field: 'name' },
        { type: 'string', optional: true, field: 'loyalty_tier' },
        { type: 'string', optional: true, field: '__op' },
      ],
      optional: false,
      name: 'mysql_binlog_source.inventory.full_types.Value',
    };
    const row = (id: number) => Buffer.from(JSON.stringify({ schema, payload: { id, name: `n${id}`, loyalty_tier: 'gold', __op: 'c' } }));
    for (let id = 1; id <= 3; id++) values(sink.decode(null, row(id)));
    const seen = sink.drainObservations();
    expect(seen.notices.map((n) => [n.key, n.fields.field])).to.deep.equal([
      ['mysql_binlog_source.inventory.full_types\u0000ignored:loyalty_tier', 'loyalty_tier'],
    ]);
    expect(seen.ignoredFields).to.deep.equal({ loyalty_tier: 3 });
    values(sink.decode(null, row(4)));
    expect(sink.drainObservations()).to.deep.equal({ notices: [], ignoredFields: { loyalty_tier: 1 } });
  });
});

describe('sinks/formats/debezium: intervals', () => {
  const sink = () => sinkOf({ took: 'interval' });
  const took = (v: string) => {
    const r = sink().decode(null, create(`{"id":1,"took":${v}}`));
    return r.ok ? r.event.values[1] : `${r.code}: ${r.message}`;
  };

  it('loads MicroDuration microseconds exactly, beyond 2^53 too', () => {
    expect(took('93784000005')).to.equal('0 mons 0 days 93784000005 microseconds');
    expect(took('-1')).to.equal('0 mons 0 days -1 microseconds');
    expect(took('9007199254740993')).to.equal('0 mons 0 days 9007199254740993 microseconds');
    expect(took('1.5')).to.equal('WRONG_TYPE: took: 1.5 is not an integer');
  });

  it('loads the ISO 8601 text of interval.handling.mode=string, each part with its sign, to the microsecond', () => {
    expect(took('"P1Y2M3DT4H5M6.78S"')).to.equal('14 mons 3 days 14706780000 microseconds');
    expect(took('"P-1Y-2M3DT-4H5M-6.000001S"')).to.equal('-14 mons 3 days -14106000001 microseconds');
    expect(took('"PT0S"')).to.equal('0 mons 0 days 0 microseconds');
    expect(took('"P2W"')).to.equal('0 mons 14 days 0 microseconds');
    expect(took('"1 day"')).to.equal('WRONG_TYPE: took: "1 day" is not an ISO 8601 duration');
    expect(took('"P"')).to.equal('WRONG_TYPE: took: "P" is not an ISO 8601 duration');
  });

  it('refuses an interval column in format seed, naming it', () => {
    expect(() =>
      resolveMapping({ sinks: [{ topic: 't', table: 't', key: ['id'], columns: { id: 'uuid', took: 'interval' } }] }, 'm.yaml'),
    ).to.throw(/sinks\[0\]\.columns\.took: interval only for format debezium/);
  });
});

describe('sinks/formats/debezium: timetz, xml, char(n), inet, cidr, macaddr', () => {
  const read = (column: string, type: string, v: string) => {
    const r = sinkOf({ [column]: type }).decode(null, create(`{"id":1,"${column}":${v}}`));
    return r.ok ? r.event.values[1] : `${r.code}: ${r.message}`;
  };

  it('takes ZonedTime text with its offset, and refuses a time without one', () => {
    expect(read('opens', 'timetz', '"12:05:06.789012Z"')).to.equal('12:05:06.789012Z');
    expect(read('opens', 'timetz(3)', '"23:59:59+05:30"')).to.equal('23:59:59+05:30');
    expect(read('opens', 'timetz', '"12:05:06"')).to.equal('INVALID_TIMESTAMP: opens: "12:05:06" is not a time with a zone');
    expect(read('opens', 'timetz', '"24:00:00Z"')).to.match(/^INVALID_TIMESTAMP/);
  });

  it('takes char(n) up to n characters, and the text Postgres itself checks for xml and network addresses', () => {
    expect(read('code', 'char(4)', '"ab"')).to.equal('ab');
    expect(read('code', 'char(4)', '"abcde"')).to.match(/^STRING_TOO_LONG/);
    expect(read('doc', 'xml', '"<a n=\\"1\\">x</a>"')).to.equal('<a n="1">x</a>');
    expect(read('ip', 'inet', '"10.0.0.1"')).to.equal('10.0.0.1');
    expect(read('net', 'cidr', '"10.1.0.0/16"')).to.equal('10.1.0.0/16');
    expect(read('mac', 'macaddr', '"08:00:2b:01:02:03"')).to.equal('08:00:2b:01:02:03');
    expect(read('doc', 'xml', '"a\\u0000b"')).to.match(/^NUL_CHARACTER/);
  });

  it('parses the types as a mapping declares them', () => {
    expect(parseColumnType('char')).to.deep.equal({ kind: 'char', length: 1, sql: 'char(1)' });
    expect(parseColumnType('character(10)')).to.deep.equal({ kind: 'char', length: 10, sql: 'char(10)' });
    expect(parseColumnType('time with time zone')).to.deep.equal({ kind: 'timetz', sql: 'timetz' });
    expect(parseColumnType('timetz(3)')).to.deep.equal({ kind: 'timetz', precision: 3, sql: 'timetz(3)' });
    expect(parseColumnType('macaddr')).to.deep.equal({ kind: 'macaddr', sql: 'macaddr' });
  });
});

describe('sinks/formats/debezium: arrays', () => {
  const read = (type: string, v: string, schema?: object) => {
    const sink = sinkOf({ a: type });
    const value = schema
      ? JSON.stringify({ schema, payload: { before: null, after: JSON.parse(`{"id":1,"a":${v}}`), op: 'c', source: {} } })
      : create(`{"id":1,"a":${v}}`);
    const r = sink.decode(null, Buffer.from(value));
    return r.ok ? r.event.values[1] : `${r.code}: ${r.message}`;
  };

  it('loads an array as a Postgres array literal, NULL elements kept, every element quoted and escaped', () => {
    expect(read('integer[]', '[1,null,3]')).to.equal('{"1",NULL,"3"}');
    expect(read('text[]', '["a b","q\\"uote","back\\\\slash",null,""]')).to.equal('{"a b","q\\"uote","back\\\\slash",NULL,""}');
    expect(read('boolean[]', '[true,false]')).to.equal('{t,f}');
    expect(read('integer[]', '[]')).to.equal('{}');
  });

  it('validates each element as a column of its type would be, naming the column', () => {
    expect(read('integer[]', '[1,"x"]')).to.equal('WRONG_TYPE: a[]: expected an integer, got string');
    expect(read('smallint[]', '[40000]')).to.match(/^OUT_OF_RANGE: a\[\]: 40000 out of range/);
    expect(read('integer[]', '{"not":"an array"}')).to.equal('WRONG_TYPE: a: expected an array, got object');
  });

  it("reads elements by the array's item schema (Decimal bytes at its scale)", () => {
    const schema = {
      type: 'struct',
      fields: [
        {
          type: 'struct',
          optional: true,
          field: 'after',
          fields: [
            { type: 'int32', optional: false, field: 'id' },
            {
              type: 'array',
              optional: true,
              items: {
                type: 'bytes',
                optional: true,
                name: 'org.apache.kafka.connect.data.Decimal',
                version: 1,
                parameters: { scale: '2' },
              },
              field: 'a',
            },
          ],
        },
        { type: 'string', optional: false, field: 'op' },
      ],
    };
    // 1050 and -5 at scale 2, as big-endian two's complement.
    expect(
      read('numeric[]', `["${Buffer.from([0x04, 0x1a]).toString('base64')}","${Buffer.from([0xfb]).toString('base64')}",null]`, schema),
    ).to.equal('{"10.50","-0.05",NULL}');
  });
});

/** The PostgreSQL connector's source block, schema and value, as its change events carry them. */
const PG_SOURCE = {
  type: 'struct',
  fields: [
    { type: 'string', optional: false, field: 'version' },
    { type: 'string', optional: false, field: 'connector' },
    { type: 'string', optional: false, field: 'name' },
    { type: 'int64', optional: false, field: 'ts_ms' },
    { type: 'string', optional: false, field: 'db' },
    { type: 'string', optional: false, field: 'schema' },
    { type: 'string', optional: false, field: 'table' },
    { type: 'int64', optional: true, field: 'txId' },
    { type: 'int64', optional: true, field: 'lsn' },
  ],
  optional: false,
  name: 'io.debezium.connector.postgresql.Source',
};
const PG_SOURCE_VALUE =
  '{"version":"2.7.3.Final","connector":"postgresql","name":"dbserver1","ts_ms":1700000000000,"db":"postgres","schema":"public","table":"full_types","txId":771,"lsn":33842128}';

/**
 * A create event with JsonConverter's schema envelope, as PostgreSQL's connector writes it for a table
 * of `id` and the given fields; `after` is the given JSON text, so numbers keep their digits.
 */
function enveloped(fields: object[], afterJson: string): Buffer {
  const schema = envelopeSchema('dbserver1.public.full_types', [{ type: 'int32', optional: false, field: 'id' }, ...fields], PG_SOURCE);
  return Buffer.from(
    `{"schema":${JSON.stringify(schema)},"payload":{"before":null,"after":${afterJson},"source":${PG_SOURCE_VALUE},"op":"c","ts_ms":1700000000100}}`,
  );
}

const readWith = (sink: Sink, value: Buffer) => {
  const r = sink.decode(null, value);
  return r.ok ? r.event.values.slice(1) : `${r.code}: ${r.message}`;
};

describe('sinks/formats/debezium: bit strings (io.debezium.data.Bits)', () => {
  const bits = (length: string, source?: string) => ({
    type: 'bytes',
    optional: true,
    name: 'io.debezium.data.Bits',
    version: 1,
    parameters: { length, ...(source ? { '__debezium.source.column.type': source, '__debezium.source.column.length': length } : {}) },
    field: 'flags',
  });
  const read = (type: string, schema: object | undefined, value: string) =>
    readWith(sinkOf({ flags: type }), schema ? enveloped([schema], `{"id":1,"flags":${value}}`) : create(`{"id":1,"flags":${value}}`));

  it('reads the little-endian bytes into the bit string of the source length, leading zeros kept', () => {
    // BIT(10) B'1000000011' is 515: bytes 03 02, the low byte first.
    expect(read('bit varying(10)', bits('10'), '"AwI="')).to.deep.equal(['1000000011']);
    // B'0000000101' is 5: the zeros before its first 1 are part of the value.
    expect(read('bit varying(10)', bits('10'), '"BQA="')).to.deep.equal(['0000000101']);
    // Fewer bytes than the length needs (the trailing zero byte left out): the missing bits are zeros.
    expect(read('bit varying(10)', bits('10'), '"BQ=="')).to.deep.equal(['0000000101']);
    // MySQL BIT(12) B'101010101010', and BIT(64) all ones.
    expect(read('bit varying(12)', bits('12'), '"qgo="')).to.deep.equal(['101010101010']);
    expect(read('bit(64)', bits('64', 'BIT'), '"//////////8="')).to.deep.equal(['1'.repeat(64)]);
  });

  it('refuses a value with bits beyond its length, or a length its column does not take', () => {
    expect(read('bit varying(10)', bits('4'), '"EA=="')).to.equal(
      'OUT_OF_RANGE: flags: "EA==" has 5 significant bits, more than its length 4',
    );
    expect(read('bit(8)', bits('10'), '"AwI="')).to.equal('OUT_OF_RANGE: flags: a string of 10 bits does not fit bit(8)');
    expect(read('bit varying(8)', bits('10'), '"AwI="')).to.equal('OUT_OF_RANGE: flags: a string of 10 bits does not fit bit varying(8)');
    expect(read('bit varying(10)', bits('10'), '"A*I="')).to.equal('WRONG_TYPE: flags: "A*I=" is not base64');
    expect(read('bit varying(10)', bits('10'), '3')).to.equal('WRONG_TYPE: flags: expected bits (base64 bytes) or a boolean, got number');
  });

  it("takes BIT VARYING's value as its shortest bit string, Debezium having dropped its own length", () => {
    // BIT VARYING(10) propagated as such, and BIT VARYING without a length (2^31 - 1).
    expect(read('bit varying(10)', bits('10', 'VARBIT'), '"BQA="')).to.deep.equal(['101']);
    expect(read('bit varying', bits('2147483647'), '"BQ=="')).to.deep.equal(['101']);
    expect(read('bit varying', bits('2147483647'), '"AA=="')).to.deep.equal(['0']);
  });

  it('reads by the declared column without a schema: bit(n) n bits, bit varying the shortest', () => {
    expect(read('bit(10)', undefined, '"BQA="')).to.deep.equal(['0000000101']);
    expect(read('varbit', undefined, '"BQA="')).to.deep.equal(['101']);
  });

  it('keeps BIT(1), which Debezium sends as a boolean, a boolean; a bit(1) column takes it too', () => {
    const bit1 = { type: 'boolean', optional: true, field: 'flags' };
    expect(read('boolean', bit1, 'true')).to.deep.equal([true]);
    expect(read('bit(1)', bit1, 'true')).to.deep.equal(['1']);
    expect(read('bit', undefined, 'false')).to.deep.equal(['0']);
  });

  it('refuses bit columns in format seed, naming them', () => {
    expect(() =>
      resolveMapping({ sinks: [{ topic: 't', table: 't', key: ['id'], columns: { id: 'uuid', flags: 'bit(3)' } }] }, 'm.yaml'),
    ).to.throw(/sinks\[0\]\.columns\.flags: bit only for format debezium/);
  });
});

describe('sinks/formats/debezium: geometry (io.debezium.data.geometry.*)', () => {
  const wkb = { type: 'bytes', optional: false, field: 'wkb' };
  const srid = { type: 'int32', optional: true, field: 'srid' };
  const point = {
    type: 'struct',
    fields: [wkb, srid, { type: 'double', optional: false, field: 'x' }, { type: 'double', optional: false, field: 'y' }],
    optional: true,
    name: 'io.debezium.data.geometry.Point',
    version: 1,
    doc: 'Geometry (POINT)',
    field: 'g',
  };
  const geometry = {
    type: 'struct',
    fields: [wkb, srid],
    optional: true,
    name: 'io.debezium.data.geometry.Geometry',
    version: 1,
    doc: 'Geometry',
    field: 'g',
  };
  // POINT(1 2) in WKB (little-endian), as MySQL's connector sends it; PostGIS sends EWKB, its SRID inside.
  const POINT = '{"wkb":"AQEAAAAAAAAAAADwPwAAAAAAAABA","srid":4326,"x":1.0,"y":2.0}';
  const EWKB = '{"wkb":"AQEAACDmEAAAs+pztRV/UsDHKTqSy19EQA==","srid":4326}';
  const read = (type: string, schema: object | undefined, value: string) =>
    readWith(sinkOf({ g: type }), schema ? enveloped([schema], `{"id":1,"g":${value}}`) : create(`{"id":1,"g":${value}}`));

  it('loads the WKB into a bytea column', () => {
    expect(read('bytea', point, POINT)).to.deep.equal(['\\x0101000000000000000000f03f0000000000000040']);
    expect(read('bytea', geometry, EWKB)).to.deep.equal(['\\x0101000020e6100000b3ea73b5157f52c0c7293a92cb5f4440']);
    expect(read('bytea', undefined, POINT)).to.deep.equal(['\\x0101000000000000000000f03f0000000000000040']);
    expect(read('bytea', geometry, '{"wkb":null,"srid":0}')).to.equal('MISSING_FIELD: g: a geometry struct without its "wkb"');
    expect(read('bytea', geometry, '{"wkb":"*","srid":0}')).to.equal('WRONG_TYPE: g.wkb: "*" is not base64');
  });

  it('loads the whole struct into a jsonb or json column as its own text (1.0 stays 1.0)', () => {
    expect(read('jsonb', point, POINT)).to.deep.equal([POINT]);
    expect(read('json', geometry, EWKB)).to.deep.equal([EWKB]);
  });
});

describe('sinks/formats/debezium: array elements keep their own digits', () => {
  const array = (items: string) => ({ type: 'array', items: { type: items, optional: true }, optional: true, field: 'a' });
  const read = (type: string, schema: object | undefined, value: string) =>
    readWith(sinkOf({ a: type }), schema ? enveloped([schema], `{"id":1,"a":${value}}`) : create(`{"id":1,"a":${value}}`));

  it('loads int64 elements beyond 2^53 exactly, to the ends of bigint', () => {
    const value = '[9223372036854775807, -9223372036854775808,null,9007199254740993]';
    const loaded = ['{"9223372036854775807","-9223372036854775808",NULL,"9007199254740993"}'];
    expect(read('bigint[]', array('int64'), value)).to.deep.equal(loaded);
    expect(read('bigint[]', undefined, value)).to.deep.equal(loaded);
    expect(read('bigint[]', array('int64'), '[1,9223372036854775808]')).to.equal(
      'OUT_OF_RANGE: a[]: 9223372036854775808 out of range -9223372036854775808..9223372036854775807',
    );
  });

  it("loads decimal and JSON elements as their own text, in arrays of strings' company", () => {
    expect(read('numeric[]', undefined, '[0.1000000000000000055511151231257827,"2.50",1.50]')).to.deep.equal([
      '{"0.1000000000000000055511151231257827","2.50","1.50"}',
    ]);
    expect(read('jsonb[]', undefined, '[{"n":12345678901234567890},"{\\"s\\":1}"]')).to.deep.equal([
      '{"{\\"n\\":12345678901234567890}","{\\"s\\":1}"}',
    ]);
  });
});
