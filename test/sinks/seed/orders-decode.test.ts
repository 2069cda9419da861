import { expect } from 'chai';
import type { DeadLetterCode, DecodeResult } from '../../../lib/sinks/types.js';
import { decodeOrder, type SeedView as OrderEvent } from '../seed-adapter.js';
import { goJson, goValue, raw } from '../go-json.js';

const ID = 'a3bb189e-8bf9-3888-9912-ace4e6543002';
const USER = '6f1c2b1e-3a4d-4c5b-9e8f-0a1b2c3d4e5f';

const create = (over: Record<string, unknown> = {}) => ({
  event_type: 'CREATE',
  order_id: ID,
  order_status: 'PLACED',
  user_id: USER,
  quantity: 7,
  order_total: 1234.5678901234567,
  placed_at: '2025-07-01T12:34:56.123456789Z',
  ...over,
});
const update = (over: Record<string, unknown> = {}) => ({
  event_type: 'UPDATE',
  order_id: ID,
  order_status: 'SHIPPED',
  modified_at: '2025-07-02T08:00:00.000001+02:00',
  ...over,
});
const del = (over: Record<string, unknown> = {}) => ({
  event_type: 'DELETE',
  order_id: ID,
  order_status: 'CANCELLED',
  modified_at: '2025-07-03T09:10:11Z',
  ...over,
});

/** A CREATE whose order_total is this exact JSON number text. */
function createWithTotal(total: string): Buffer {
  return raw(goJson(create({ order_total: 0 })).replace('"order_total":0', `"order_total":${total}`));
}

function expectEvent(result: DecodeResult<OrderEvent>): OrderEvent {
  if (!result.ok) expect.fail(`expected an event, got ${result.code}: ${result.message}`);
  return result.event;
}

function expectRejected(result: DecodeResult<OrderEvent>, code: DeadLetterCode, message?: string | RegExp): void {
  expect(result.ok, JSON.stringify(result)).to.equal(false);
  if (result.ok) return;
  expect(result.code, result.message).to.equal(code);
  if (typeof message === 'string') expect(result.message).to.equal(message);
  else if (message) expect(result.message).to.match(message);
}

describe('sinks/seed mapping: orders decode', () => {
  describe('valid events', () => {
    it('decodes a CREATE as the Go producer writes it, order_total as its JSON text', () => {
      const json = goJson(create());
      expect(json).to.include('"order_total":1234.5678901234567');
      expect(expectEvent(decodeOrder(raw(json)))).to.deep.equal({
        op: 'CREATE',
        id: ID,
        status: 'PLACED',
        userId: USER,
        quantity: 7,
        totalAmount: '1234.5678901234567',
        placedAt: '2025-07-01T12:34:56.123456789Z',
      });
    });

    it('decodes an UPDATE and a DELETE', () => {
      expect(expectEvent(decodeOrder(goValue(update()))), 'UPDATE').to.deep.equal({
        op: 'UPDATE',
        id: ID,
        status: 'SHIPPED',
        modifiedAt: '2025-07-02T08:00:00.000001+02:00',
      });
      expect(expectEvent(decodeOrder(goValue(del()))), 'DELETE').to.deep.equal({
        op: 'DELETE',
        id: ID,
        status: 'CANCELLED',
        modifiedAt: '2025-07-03T09:10:11Z',
      });
    });

    it('lower-cases the order and user ids', () => {
      const event = expectEvent(decodeOrder(goValue(create({ order_id: ID.toUpperCase(), user_id: USER.toUpperCase() }))));
      expect([event.id, event.userId]).to.deep.equal([ID, USER]);
    });

    it('keeps every digit of order_total, beyond float64', () => {
      expect(expectEvent(decodeOrder(createWithTotal('1234.5678901234567890123'))).totalAmount).to.equal('1234.5678901234567890123');
      expect(expectEvent(decodeOrder(createWithTotal('0.1'))).totalAmount).to.equal('0.1');
      expect(expectEvent(decodeOrder(createWithTotal('99999999.994'))).totalAmount).to.equal('99999999.994');
      expect(expectEvent(decodeOrder(createWithTotal('0'))).totalAmount).to.equal('0');
    });

    it('normalises exponent forms of order_total to plain notation', () => {
      expect(expectEvent(decodeOrder(createWithTotal('1.5e3'))).totalAmount).to.equal('1500');
      expect(expectEvent(decodeOrder(createWithTotal('1.2345E+2'))).totalAmount).to.equal('123.45');
      expect(expectEvent(decodeOrder(createWithTotal('12345e-2'))).totalAmount).to.equal('123.45');
      expect(expectEvent(decodeOrder(createWithTotal('1.23456789012345678901e2'))).totalAmount).to.equal('123.456789012345678901');
    });

    it('finds order_total when later strings and keys hold escaped quotes around the key text', () => {
      // After the real key: a value holding `\"order_total\":1` and a key named `"order_total` (quote included).
      const json = `${goJson(create({ order_total: 0 })).slice(0, -1)}${String.raw`,"note":"\\\"order_total\":1","\"order_total":1}`}`;
      const value = raw(json.replace('"order_total":0', '"order_total":2.345'));
      expect(JSON.parse(json)['"order_total']).to.equal(1);
      expect(expectEvent(decodeOrder(value)).totalAmount).to.equal('2.345');
    });

    it('accepts quantity 1 and 2147483647, and a status of any Unicode up to 10 code points', () => {
      expect(expectEvent(decodeOrder(goValue(create({ quantity: 1 })))).quantity).to.equal(1);
      expect(expectEvent(decodeOrder(goValue(create({ quantity: 2147483647 })))).quantity).to.equal(2147483647);
      const status = '\u{1F4E6}'.repeat(10);
      expect(expectEvent(decodeOrder(goValue(update({ order_status: status })))).status).to.equal(status);
      expect(expectEvent(decodeOrder(goValue(update({ order_status: 'R&D<>' })))).status).to.equal('R&D<>');
    });

    it('ignores fields its op does not use, even invalid or mistyped ones, and unknown fields', () => {
      expect(
        expectEvent(decodeOrder(goValue(update({ quantity: 'many', order_total: -5, user_id: 'nobody', placed_at: 0, extra: [1] })))),
      ).to.deep.equal({ op: 'UPDATE', id: ID, status: 'SHIPPED', modifiedAt: '2025-07-02T08:00:00.000001+02:00' });
      expect(expectEvent(decodeOrder(goValue(create({ modified_at: 'nope' })))).placedAt).to.equal('2025-07-01T12:34:56.123456789Z');
    });
  });

  describe('bad input', () => {
    it('empty, null, invalid UTF-8, invalid JSON, non-object', () => {
      expectRejected(decodeOrder(Buffer.alloc(0)), 'EMPTY_VALUE');
      expectRejected(decodeOrder(null), 'EMPTY_VALUE');
      expectRejected(decodeOrder(raw('null')), 'EMPTY_VALUE');
      expectRejected(decodeOrder(Buffer.from([0x7b, 0x22, 0xfe, 0x22, 0x7d])), 'INVALID_JSON', 'value is not valid UTF-8');
      expectRejected(decodeOrder(raw(goJson(create()).slice(0, -1))), 'INVALID_JSON', /^invalid JSON: /);
      expectRejected(decodeOrder(raw('[1,2]')), 'NOT_AN_OBJECT');
      expectRejected(decodeOrder(raw('"x"')), 'NOT_AN_OBJECT');
    });

    it('event_type and order_id problems', () => {
      expectRejected(decodeOrder(goValue(create({ event_type: undefined }))), 'MISSING_FIELD', /^event_type: /);
      expectRejected(decodeOrder(goValue(create({ event_type: true }))), 'WRONG_TYPE', /^event_type: /);
      expectRejected(decodeOrder(goValue(create({ event_type: 'PLACE' }))), 'UNKNOWN_EVENT_TYPE');
      expectRejected(decodeOrder(goValue(create({ order_id: undefined }))), 'MISSING_FIELD', /^order_id: missing/);
      expectRejected(decodeOrder(goValue(create({ order_id: 7 }))), 'WRONG_TYPE', /^order_id: /);
      expectRejected(decodeOrder(goValue(update({ order_id: 'a3bb189e-8bf9-3888-9912-ace4e654300' }))), 'INVALID_ID', /^order_id: /);
      // The Kafka key is not the id: only order_id counts.
      expectRejected(decodeOrder(goValue({ ...update(), order_id: undefined, id: ID })), 'MISSING_FIELD', /^order_id: /);
    });

    it('a required field absent or null -> MISSING_FIELD, in struct order', () => {
      const cases: [Record<string, unknown>, string][] = [
        [create({ order_status: undefined }), 'order_status'],
        [update({ order_status: null }), 'order_status'],
        [del({ order_status: undefined }), 'order_status'],
        [create({ user_id: undefined }), 'user_id'],
        [create({ quantity: null }), 'quantity'],
        [create({ order_total: undefined }), 'order_total'],
        [create({ order_total: null }), 'order_total'],
        [create({ placed_at: undefined }), 'placed_at'],
        [update({ modified_at: undefined }), 'modified_at'],
        [del({ modified_at: null }), 'modified_at'],
        [create({ user_id: undefined, quantity: undefined }), 'user_id'],
      ];
      for (const [fields, field] of cases) {
        expectRejected(decodeOrder(goValue(fields)), 'MISSING_FIELD', `${field}: missing (absent or null)`);
      }
    });

    it('an empty status -> MISSING_FIELD, an 11-character one -> STRING_TOO_LONG', () => {
      expectRejected(decodeOrder(goValue(update({ order_status: '' }))), 'MISSING_FIELD', 'order_status: empty string, at least 1');
      expectRejected(
        decodeOrder(goValue(update({ order_status: 'DISPATCHED!' }))),
        'STRING_TOO_LONG',
        'order_status: 11 characters, at most 10',
      );
      expectRejected(decodeOrder(goValue(del({ order_status: '\u{1F4E6}'.repeat(11) }))), 'STRING_TOO_LONG');
    });

    it('wrong JSON types -> WRONG_TYPE', () => {
      expectRejected(decodeOrder(goValue(create({ order_status: 1 }))), 'WRONG_TYPE', 'order_status: expected a string, got number');
      expectRejected(decodeOrder(goValue(create({ user_id: 1 }))), 'WRONG_TYPE', /^user_id: /);
      expectRejected(decodeOrder(goValue(create({ quantity: '7' }))), 'WRONG_TYPE', 'quantity: expected an integer, got string');
      expectRejected(decodeOrder(goValue(create({ order_total: '12.50' }))), 'WRONG_TYPE', 'order_total: expected a number, got string');
      expectRejected(decodeOrder(goValue(create({ placed_at: 1751373296 }))), 'WRONG_TYPE', /^placed_at: /);
      expectRejected(decodeOrder(goValue(update({ modified_at: [] }))), 'WRONG_TYPE', /^modified_at: /);
    });

    it('a fractional quantity -> WRONG_TYPE', () => {
      expectRejected(decodeOrder(goValue(create({ quantity: 1.5 }))), 'WRONG_TYPE', 'quantity: 1.5 is not an integer');
    });

    it('out-of-range numbers -> OUT_OF_RANGE', () => {
      expectRejected(decodeOrder(goValue(create({ quantity: 0 }))), 'OUT_OF_RANGE', 'quantity: 0 out of range 1..2147483647');
      expectRejected(decodeOrder(goValue(create({ quantity: -1 }))), 'OUT_OF_RANGE');
      expectRejected(decodeOrder(goValue(create({ quantity: 2147483648 }))), 'OUT_OF_RANGE');
      expectRejected(decodeOrder(createWithTotal('99999999.995')), 'OUT_OF_RANGE', /^order_total: "99999999.995" out of range/);
      expectRejected(decodeOrder(createWithTotal('100000000')), 'OUT_OF_RANGE');
      expectRejected(decodeOrder(createWithTotal('1e9')), 'OUT_OF_RANGE');
      expectRejected(decodeOrder(createWithTotal('-0.01')), 'OUT_OF_RANGE', 'order_total: "-0.01" is negative, at least 0');
      expectRejected(decodeOrder(createWithTotal('1e999')), 'OUT_OF_RANGE');
    });

    it('a malformed user_id -> INVALID_ID', () => {
      expectRejected(decodeOrder(goValue(create({ user_id: 'someone' }))), 'INVALID_ID', /^user_id: "someone" is not a UUID/);
    });

    it('impossible timestamps -> INVALID_TIMESTAMP', () => {
      expectRejected(decodeOrder(goValue(create({ placed_at: '2025-02-30T10:00:00Z' }))), 'INVALID_TIMESTAMP', /^placed_at: .*day 30/);
      expectRejected(
        decodeOrder(goValue(update({ modified_at: '2025-13-01T10:00:00Z' }))),
        'INVALID_TIMESTAMP',
        /^modified_at: .*month 13/,
      );
      expectRejected(decodeOrder(goValue(del({ modified_at: '0000-01-01T00:00:00Z' }))), 'INVALID_TIMESTAMP', /year 0000/);
    });

    it('NUL and unpaired surrogates in the status', () => {
      expectRejected(decodeOrder(raw(goJson(update()).replace('SHIPPED', String.raw`SHIP\u0000`))), 'NUL_CHARACTER', /^order_status: /);
      expectRejected(decodeOrder(raw(goJson(update()).replace('SHIPPED', String.raw`SHIP\udbff`))), 'INVALID_STRING', /^order_status: /);
    });
  });
});
