/**
 * Debezium's flattened records (the ExtractNewRecordState transform most JDBC-sink setups use): the value
 * is the row itself, with or without JsonConverter's schema envelope; `__deleted: "true"`
 * (delete.handling.mode=rewrite) deletes; the transform's `__` fields are no columns; a tombstone deletes
 * by the message key when the sink declares `envelope: flattened`. Confluent JDBC sink users send the same
 * shape without Debezium, which the same path serves.
 */
import { expect } from 'chai';
import { resolveMapping } from '../../../lib/sinks/mapping.js';
import { compileMapping, type Sink } from '../../../lib/sinks/sink.js';
import type { DecodeResult, RowEvent } from '../../../lib/sinks/types.js';

function sinkOf(declaration: Record<string, unknown> = {}): Sink {
  const doc = {
    sinks: [
      {
        topic: 'dbserver1.inventory.customers',
        table: 'customers',
        format: 'debezium',
        key: ['id'],
        columns: { id: 'integer', first_name: 'text', email: 'text', balance: 'numeric(10,2)' },
        delete: 'hard',
        ...declaration,
      },
    ],
  };
  return compileMapping(resolveMapping(doc, 'test.yaml'), 'public')[0] as Sink;
}

const json = (v: unknown) => Buffer.from(JSON.stringify(v));
const key = json({ id: 1004 });

function event(r: DecodeResult<RowEvent>): RowEvent {
  if (!r.ok) expect.fail(`${r.code}: ${r.message}`);
  return r.event;
}

/** A flattened customers row as the transform writes it with add.fields=op,table,source.ts_ms and rewrite deletes. */
const row = (over: Record<string, unknown> = {}) => ({
  id: 1004,
  first_name: 'Anne',
  email: 'annek@noanswer.org',
  balance: 12.5,
  __op: 'c',
  __table: 'customers',
  __source_ts_ms: 1_700_000_000_000,
  __deleted: 'false',
  ...over,
});

const ROW_SCHEMA = {
  type: 'struct',
  fields: [
    { type: 'int32', optional: false, field: 'id' },
    { type: 'string', optional: false, field: 'first_name' },
    { type: 'string', optional: true, field: 'email' },
    {
      type: 'bytes',
      optional: true,
      name: 'org.apache.kafka.connect.data.Decimal',
      version: 1,
      parameters: { scale: '2', 'connect.decimal.precision': '10' },
      field: 'balance',
    },
    { type: 'string', optional: true, field: '__op' },
    { type: 'string', optional: true, field: '__table' },
    { type: 'int64', optional: true, field: '__source_ts_ms' },
    { type: 'string', optional: true, field: '__deleted' },
  ],
  optional: false,
  name: 'dbserver1.inventory.customers.Value',
};

describe('sinks/formats/debezium: flattened records', () => {
  it('upserts a flattened row without a schema; the transform fields are not columns', () => {
    const e = event(sinkOf().decode(key, json(row())));
    expect(e).to.deep.include({ op: 'upsert', key: '1004', values: [1004, 'Anne', 'annek@noanswer.org', '12.5'] });
  });

  it('reads a flattened row with the schema envelope, its logical types from the row schema', () => {
    // Decimal bytes: 1250 at scale 2 is 12.50.
    const value = { schema: ROW_SCHEMA, payload: row({ balance: Buffer.from([0x04, 0xe2]).toString('base64') }) };
    const e = event(sinkOf().decode(key, json(value)));
    expect(e.values).to.deep.equal([1004, 'Anne', 'annek@noanswer.org', '12.50']);
  });

  it('deletes on __deleted "true" (delete.handling.mode=rewrite), soft or hard as declared', () => {
    expect(event(sinkOf().decode(key, json(row({ __op: 'd', __deleted: 'true' }))))).to.deep.include({ op: 'delete', key: '1004' });
    const soft = event(sinkOf({ delete: { soft: 'deleted' } }).decode(key, json(row({ __deleted: true }))));
    expect(soft).to.deep.include({ op: 'patch', key: '1004', cascades: true });
  });

  it('skips a tombstone by default, and deletes by the message key with envelope: flattened', () => {
    expect(event(sinkOf().decode(key, null))).to.deep.include({ op: 'skip', skipped: 'tombstone' });
    const flattened = sinkOf({ envelope: 'flattened' });
    expect(event(flattened.decode(key, null))).to.deep.include({ op: 'delete', key: '1004' });
    expect(event(flattened.decode(key, json({ schema: null, payload: null })))).to.deep.include({ op: 'delete', key: '1004' });
  });

  it('takes a row with a column named like an envelope field when the sink declares envelope: flattened', () => {
    const s = sinkOf({ envelope: 'flattened', columns: { id: 'integer', after: 'text' } });
    expect(event(s.decode(key, json({ id: 1004, after: 'x' })))).to.deep.include({ op: 'upsert', values: [1004, 'x'] });
    // Told per message, the same value is a change event without op.
    const auto = sinkOf({ columns: { id: 'integer', after: 'text' } });
    const r = auto.decode(key, json({ id: 1004, after: 'x' }));
    expect(r.ok).to.equal(false);
  });

  it("reads a Confluent JDBC sink user's plain row (no Debezium) the same way", () => {
    const e = event(sinkOf().decode(key, json({ id: 7, first_name: 'Plain', email: null, balance: '3.10' })));
    expect(e).to.deep.include({ op: 'upsert', key: '7', values: [7, 'Plain', null, '3.10'] });
  });

  it('refuses a declared envelope outside format debezium', () => {
    expect(() =>
      resolveMapping({ sinks: [{ topic: 't', table: 't', key: ['id'], columns: { id: 'uuid' }, envelope: 'flattened' }] }, 'm.yaml'),
    ).to.throw(/sinks\[0\]\.envelope: only for format debezium/);
  });
});
