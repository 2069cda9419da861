/**
 * The seed format for column types the users and orders mapping does not use (those are covered by
 * test/sinks/seed/*): every type's reading of a JSON value, and its refusals, in a declared sink.
 */
import { expect } from 'chai';
import { resolveMapping } from '../../../lib/sinks/mapping.js';
import { compileMapping, type Sink } from '../../../lib/sinks/sink.js';
import { validateEventType } from '../../../lib/sinks/formats/seed.js';
import type { DecodeResult, RowEvent } from '../../../lib/sinks/types.js';

function sinkOf(columns: Record<string, unknown>, extra: Record<string, unknown> = {}): Sink {
  const mapping = resolveMapping(
    { sinks: [{ topic: 't', table: 't', key: ['k'], columns: { k: 'integer', ...columns }, ...extra }] },
    'test.yaml',
  );
  return compileMapping(mapping, 'public')[0] as Sink;
}

const decode = (sink: Sink, event: Record<string, unknown> | string) =>
  sink.decode(null, Buffer.from(typeof event === 'string' ? event : JSON.stringify({ event_type: 'CREATE', k: 1, ...event })));

function value(result: DecodeResult<RowEvent>, index = 1): unknown {
  if (!result.ok) expect.fail(`expected an event, got ${result.code}: ${result.message}`);
  return result.event.values[index];
}

function refused(result: DecodeResult<RowEvent>, code: string, message?: string | RegExp): void {
  expect(result.ok, JSON.stringify(result)).to.equal(false);
  if (result.ok) return;
  expect(result.code, result.message).to.equal(code);
  if (typeof message === 'string') expect(result.message).to.equal(message);
  else if (message) expect(result.message).to.match(message);
}

describe('sinks/formats/seed', () => {
  describe('event_type', () => {
    const refusedBy = (result: unknown, code: string, message?: string | RegExp) =>
      refused(result as DecodeResult<RowEvent>, code, message);

    it('accepts the three operations', () => {
      for (const op of ['CREATE', 'UPDATE', 'DELETE']) expect(validateEventType(op)).to.equal(op);
    });

    it('classifies missing, wrong type and unknown values', () => {
      refusedBy(validateEventType(undefined), 'MISSING_FIELD', /^event_type: missing/);
      refusedBy(validateEventType(null), 'MISSING_FIELD', /^event_type: missing/);
      refusedBy(validateEventType(1), 'WRONG_TYPE', 'event_type: expected a string, got number');
      refusedBy(validateEventType(['CREATE']), 'WRONG_TYPE', 'event_type: expected a string, got array');
      refusedBy(validateEventType('create'), 'UNKNOWN_EVENT_TYPE', 'event_type: "create" is not CREATE, UPDATE or DELETE');
      refusedBy(validateEventType('UPSERT'), 'UNKNOWN_EVENT_TYPE');
      refusedBy(validateEventType(''), 'UNKNOWN_EVENT_TYPE');
    });
  });

  it('integers: smallint, integer and bigint ranges, min and max, bigint beyond 2^53 from the JSON digits', () => {
    const s = sinkOf({ a: 'smallint', b: { type: 'bigint', min: -5 } });
    expect(value(decode(s, { a: 32767, b: 7 }))).to.equal(32767);
    refused(decode(s, { a: 32768, b: 7 }), 'OUT_OF_RANGE', 'a: 32768 out of range -32768..32767');
    refused(decode(s, { a: 1.5, b: 7 }), 'WRONG_TYPE', 'a: 1.5 is not an integer');
    refused(decode(s, { a: 1, b: -6 }), 'OUT_OF_RANGE');
    expect(value(decode(s, '{"event_type":"CREATE","k":1,"a":1,"b":9223372036854775807}'), 2)).to.equal('9223372036854775807');
    refused(decode(s, '{"event_type":"CREATE","k":1,"a":1,"b":9223372036854775808}'), 'OUT_OF_RANGE');
  });

  it('numeric: exact digits, negatives allowed unless min says otherwise, precision checked after rounding', () => {
    const s = sinkOf({ n: 'numeric(5,2)', u: 'numeric' });
    expect(value(decode(s, '{"event_type":"CREATE","k":1,"n":-999.994,"u":123456789012345678901234567890.123}'))).to.equal('-999.994');
    expect(value(decode(s, '{"event_type":"CREATE","k":1,"n":1,"u":123456789012345678901234567890.123}'), 2)).to.equal(
      '123456789012345678901234567890.123',
    );
    refused(decode(s, { n: 999.995, u: 1 }), 'OUT_OF_RANGE', /^n: "999.995" out of range/);
    refused(decode(s, { n: '1.5', u: 1 }), 'WRONG_TYPE', 'n: expected a number, got string');
  });

  it('real, double precision, boolean', () => {
    const s = sinkOf({ r: 'real', d: 'double precision', b: 'boolean' });
    const ok = decode(s, { r: 1.5, d: -2.25e-300, b: false });
    expect([value(ok, 1), value(ok, 2), value(ok, 3)]).to.deep.equal([1.5, -2.25e-300, false]);
    refused(decode(s, { r: 1e39, d: 1, b: true }), 'OUT_OF_RANGE', /^r: /);
    refused(decode(s, { r: 1, d: 1, b: 'yes' }), 'WRONG_TYPE', 'b: expected a boolean, got string');
  });

  it('timestamp without zone, time, date', () => {
    const s = sinkOf({ ts: 'timestamp', t: 'time', d: 'date' });
    const ok = decode(s, { ts: '1969-07-20 20:17:40.123456', t: '23:59:59.999999', d: '2000-02-29' });
    expect([value(ok, 1), value(ok, 2), value(ok, 3)]).to.deep.equal(['1969-07-20 20:17:40.123456', '23:59:59.999999', '2000-02-29']);
    expect(value(decode(s, { ts: '2024-01-01T00:00:00', t: '24:00:00', d: '2024-02-29' }), 2)).to.equal('24:00:00');
    // A zone would be silently dropped by a timestamp column: refused.
    refused(decode(s, { ts: '2024-01-01T00:00:00Z', t: '00:00:00', d: '2024-01-01' }), 'INVALID_TIMESTAMP', /^ts: /);
    refused(decode(s, { ts: '2024-02-30 00:00:00', t: '00:00:00', d: '2024-01-01' }), 'INVALID_TIMESTAMP');
    refused(decode(s, { ts: '2024-01-01 00:00:00', t: '24:00:01', d: '2024-01-01' }), 'INVALID_TIMESTAMP', /^t: /);
    refused(decode(s, { ts: '2024-01-01 00:00:00', t: '00:00:00', d: '1900-02-29' }), 'INVALID_DATE', /^d: /);
  });

  it('json and jsonb take any JSON value as text; jsonb refuses U+0000; bytea takes base64', () => {
    const s = sinkOf({ j: 'json', jb: 'jsonb', b: 'bytea' });
    const ok = decode(s, { j: [1, { a: 'x' }], jb: { deep: { er: true } }, b: Buffer.from([0, 255, 16]).toString('base64') });
    expect([value(ok, 1), value(ok, 2), value(ok, 3)]).to.deep.equal(['[1,{"a":"x"}]', '{"deep":{"er":true}}', '\\x00ff10']);
    refused(decode(s, { j: 1, jb: { a: '\u0000' }, b: '' }), 'NUL_CHARACTER', /^jb: /);
    refused(decode(s, { j: 1, jb: 1, b: 'not base64!' }), 'WRONG_TYPE', /^b: /);
    refused(decode(s, { j: null, jb: 1, b: '' }), 'MISSING_FIELD', 'j: missing (absent or null)');
  });

  it('a composite key joins its values; a hard delete removes the row by it', () => {
    const mapping = resolveMapping(
      {
        sinks: [
          { topic: 't', table: 't', key: ['a', 'b'], columns: { a: 'integer', b: 'text', v: { type: 'text', ops: ['create', 'update'] } } },
        ],
      },
      'test.yaml',
    );
    const s = compileMapping(mapping, 'public')[0] as Sink;
    const del = s.decode(null, Buffer.from(JSON.stringify({ event_type: 'DELETE', a: 7, b: 'x' })));
    expect(del).to.deep.equal({
      ok: true,
      event: { op: 'delete', key: '7\u0001x', values: [7, 'x', null], set: undefined, cascades: false },
    });
  });
});
