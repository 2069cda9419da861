import { expect } from 'chai';
import type { DeadLetterCode, DecodeResult } from '../../../lib/sinks/types.js';
import { decodeUser, type SeedView as UserEvent } from '../seed-adapter.js';
import { goJson, goValue, raw } from '../go-json.js';

const ID = '6f1c2b1e-3a4d-4c5b-9e8f-0a1b2c3d4e5f';
const EMOJI = '\u{1F468}'; // outside the BMP

const create = (over: Record<string, unknown> = {}) => ({
  event_type: 'CREATE',
  user_id: ID,
  name: 'abc defg',
  dob: '1984-06-12',
  created_at: '2025-07-01T12:34:56.123456789+05:30',
  ...over,
});
const update = (over: Record<string, unknown> = {}) => ({
  event_type: 'UPDATE',
  user_id: ID,
  name: 'hij klm',
  modified_at: '2025-07-02T08:00:00.5Z',
  ...over,
});
const del = (over: Record<string, unknown> = {}) => ({
  event_type: 'DELETE',
  user_id: ID,
  modified_at: '2025-07-03T09:10:11.987654321-07:00',
  ...over,
});

function expectEvent(result: DecodeResult<UserEvent>): UserEvent {
  if (!result.ok) expect.fail(`expected an event, got ${result.code}: ${result.message}`);
  return result.event;
}

function expectRejected(result: DecodeResult<UserEvent>, code: DeadLetterCode, message?: string | RegExp): string {
  expect(result.ok, JSON.stringify(result)).to.equal(false);
  if (result.ok) throw new Error('unreachable');
  expect(result.code, result.message).to.equal(code);
  if (typeof message === 'string') expect(result.message).to.equal(message);
  else if (message) expect(result.message).to.match(message);
  return result.message;
}

describe('sinks/seed mapping: users decode', () => {
  describe('valid events', () => {
    it('decodes a CREATE as the Go producer writes it, timestamps as text with nanoseconds', () => {
      expect(expectEvent(decodeUser(goValue(create())))).to.deep.equal({
        op: 'CREATE',
        id: ID,
        name: 'abc defg',
        dob: '1984-06-12',
        createdAt: '2025-07-01T12:34:56.123456789+05:30',
      });
    });

    it('decodes an UPDATE', () => {
      expect(expectEvent(decodeUser(goValue(update())))).to.deep.equal({
        op: 'UPDATE',
        id: ID,
        name: 'hij klm',
        modifiedAt: '2025-07-02T08:00:00.5Z',
      });
    });

    it('decodes a DELETE', () => {
      expect(expectEvent(decodeUser(goValue(del())))).to.deep.equal({
        op: 'DELETE',
        id: ID,
        modifiedAt: '2025-07-03T09:10:11.987654321-07:00',
      });
    });

    it('lower-cases the id', () => {
      expect(expectEvent(decodeUser(goValue(update({ user_id: ID.toUpperCase() })))).id).to.equal(ID);
    });

    it("decodes Go's escapes of < > & U+2028 U+2029 to the characters", () => {
      const json = goJson(create({ name: '<b>&\u2028\u2029</b>' }));
      expect(json).to.include(String.raw`"\u003cb\u003e\u0026\u2028\u2029\u003c/b\u003e"`);
      expect(expectEvent(decodeUser(raw(json))).name).to.equal('<b>&\u2028\u2029</b>');
    });

    it('decodes raw UTF-8 names, including characters outside the BMP', () => {
      const name = `Zoë 山田 ${EMOJI}`;
      expect(expectEvent(decodeUser(goValue(create({ name })))).name).to.equal(name);
    });

    it('accepts names of 50 code points, including 50 non-BMP emoji (100 UTF-16 units)', () => {
      expect(expectEvent(decodeUser(goValue(create({ name: 'x'.repeat(50) })))).name).to.equal('x'.repeat(50));
      const emoji = EMOJI.repeat(50);
      expect(expectEvent(decodeUser(goValue(update({ name: emoji })))).name).to.equal(emoji);
    });

    it('accepts a plain Uint8Array and surrounding whitespace', () => {
      const bytes = new Uint8Array(Buffer.from(`  \n${goJson(del())}\n`));
      expect(expectEvent(decodeUser(bytes)).op).to.equal('DELETE');
    });

    it('ignores unknown fields', () => {
      expect(expectEvent(decodeUser(goValue(create({ extra: { nested: [1, 2] }, version: 3 })))).name).to.equal('abc defg');
    });

    it('ignores fields its op does not use, even invalid or mistyped ones', () => {
      expect(expectEvent(decodeUser(goValue(update({ dob: 'garbage', created_at: 5 }))))).to.deep.equal({
        op: 'UPDATE',
        id: ID,
        name: 'hij klm',
        modifiedAt: '2025-07-02T08:00:00.5Z',
      });
      expect(expectEvent(decodeUser(goValue(del({ name: 'x'.repeat(500), dob: null }))))).to.deep.equal({
        op: 'DELETE',
        id: ID,
        modifiedAt: '2025-07-03T09:10:11.987654321-07:00',
      });
      expect(expectEvent(decodeUser(goValue(create({ modified_at: 'not a time' })))).createdAt).to.equal(
        '2025-07-01T12:34:56.123456789+05:30',
      );
    });

    it('takes the last of duplicate keys, as JSON.parse does', () => {
      const json = goJson(update()).replace('"name":"hij klm"', '"name":"first","name":"second"');
      expect(expectEvent(decodeUser(raw(json))).name).to.equal('second');
    });
  });

  describe('bad input', () => {
    it('empty or null value -> EMPTY_VALUE', () => {
      expectRejected(decodeUser(Buffer.alloc(0)), 'EMPTY_VALUE', 'empty value (0 bytes)');
      expectRejected(decodeUser(null), 'EMPTY_VALUE', 'null value (tombstone)');
      expectRejected(decodeUser(raw('null')), 'EMPTY_VALUE', 'value is JSON null');
      expectRejected(decodeUser(raw(' null\n')), 'EMPTY_VALUE');
    });

    it('invalid UTF-8 -> INVALID_JSON', () => {
      const valid = goValue(create());
      const cases = [
        Buffer.concat([Buffer.from('{"name":"'), Buffer.from([0xff]), Buffer.from('"}')]),
        Buffer.from([0xc0, 0x80]), // overlong NUL
        Buffer.concat([valid.subarray(0, 40), Buffer.from([0xed, 0xa0, 0x80]), valid.subarray(40)]), // encoded surrogate
        Buffer.from([0x7b, 0xe2, 0x82]), // truncated sequence
      ];
      for (const value of cases) expectRejected(decodeUser(value), 'INVALID_JSON', 'value is not valid UTF-8');
    });

    it('invalid JSON -> INVALID_JSON', () => {
      for (const text of ['{', '{"event_type":"CREATE",}', "{'event_type':'CREATE'}", 'CREATE', '{"a":1}{"b":2}', ' ', '{"a":NaN}']) {
        expectRejected(decodeUser(raw(text)), 'INVALID_JSON', /^invalid JSON: /);
      }
    });

    it('invalid JSON holding a raw NUL -> a message without NUL (Postgres text cannot store it)', () => {
      const message = expectRejected(decodeUser(raw('{"a":\u0000}')), 'INVALID_JSON', /^invalid JSON: /);
      expect(message).to.not.include('\u0000');
      expect(message).to.include('\\u0000');
    });

    it('a JSON value that is not an object -> NOT_AN_OBJECT', () => {
      expectRejected(decodeUser(raw('[]')), 'NOT_AN_OBJECT', 'expected a JSON object, got array');
      expectRejected(decodeUser(raw(`[${goJson(create())}]`)), 'NOT_AN_OBJECT');
      expectRejected(decodeUser(raw('42')), 'NOT_AN_OBJECT', 'expected a JSON object, got number');
      expectRejected(decodeUser(raw('"CREATE"')), 'NOT_AN_OBJECT', 'expected a JSON object, got string');
      expectRejected(decodeUser(raw('true')), 'NOT_AN_OBJECT', 'expected a JSON object, got boolean');
    });

    it('event_type missing, null, mistyped or unknown', () => {
      expectRejected(decodeUser(goValue(create({ event_type: undefined }))), 'MISSING_FIELD', /^event_type: missing/);
      expectRejected(decodeUser(goValue(create({ event_type: null }))), 'MISSING_FIELD', /^event_type: missing/);
      expectRejected(decodeUser(goValue(create({ event_type: 1 }))), 'WRONG_TYPE', 'event_type: expected a string, got number');
      expectRejected(decodeUser(goValue(create({ event_type: 'create' }))), 'UNKNOWN_EVENT_TYPE', /^event_type: "create"/);
      expectRejected(decodeUser(goValue(create({ event_type: 'TRUNCATE' }))), 'UNKNOWN_EVENT_TYPE');
    });

    it('user_id missing, null, mistyped or malformed', () => {
      expectRejected(decodeUser(goValue(create({ user_id: undefined }))), 'MISSING_FIELD', /^user_id: missing/);
      expectRejected(decodeUser(goValue(update({ user_id: null }))), 'MISSING_FIELD', /^user_id: missing/);
      expectRejected(decodeUser(goValue(del({ user_id: 12345 }))), 'WRONG_TYPE', 'user_id: expected a UUID string, got number');
      expectRejected(decodeUser(goValue(create({ user_id: 'user-1' }))), 'INVALID_ID', /^user_id: "user-1" is not a UUID/);
      expectRejected(decodeUser(goValue(create({ user_id: ID.replaceAll('-', '') }))), 'INVALID_ID');
      expectRejected(decodeUser(goValue(create({ user_id: `${ID} ` }))), 'INVALID_ID');
    });

    it('checks event_type before the id, and the id before other fields', () => {
      expectRejected(decodeUser(raw('{"user_id":"bad","event_type":"NOPE"}')), 'UNKNOWN_EVENT_TYPE');
      expectRejected(decodeUser(raw('{"user_id":"bad"}')), 'MISSING_FIELD', /^event_type/);
      expectRejected(decodeUser(raw('{"event_type":"CREATE","user_id":"bad"}')), 'INVALID_ID');
      expectRejected(decodeUser(goValue(create({ name: 5, dob: 'x' }))), 'WRONG_TYPE', /^name: /);
    });

    it('a field the op requires, absent or null -> MISSING_FIELD naming it', () => {
      const cases: [Record<string, unknown>, string][] = [
        [create({ name: undefined }), 'name'],
        [create({ name: null }), 'name'],
        [create({ dob: undefined }), 'dob'],
        [create({ dob: null }), 'dob'],
        [create({ created_at: undefined }), 'created_at'],
        [create({ created_at: undefined, modified_at: '2025-07-01T00:00:00Z' }), 'created_at'],
        [update({ name: undefined }), 'name'],
        [update({ modified_at: null }), 'modified_at'],
        [update({ modified_at: undefined, created_at: '2025-07-01T00:00:00Z' }), 'modified_at'],
        [del({ modified_at: undefined }), 'modified_at'],
      ];
      for (const [fields, field] of cases) {
        expectRejected(decodeUser(goValue(fields)), 'MISSING_FIELD', `${field}: missing (absent or null)`);
      }
    });

    it('a field of the wrong JSON type -> WRONG_TYPE', () => {
      expectRejected(decodeUser(goValue(create({ name: 42 }))), 'WRONG_TYPE', 'name: expected a string, got number');
      expectRejected(decodeUser(goValue(create({ name: ['a'] }))), 'WRONG_TYPE', 'name: expected a string, got array');
      expectRejected(decodeUser(goValue(create({ dob: 19840612 }))), 'WRONG_TYPE', 'dob: expected a date string, got number');
      expectRejected(decodeUser(goValue(create({ created_at: 1751373296 }))), 'WRONG_TYPE', /^created_at: /);
      expectRejected(decodeUser(goValue(update({ modified_at: {} }))), 'WRONG_TYPE', /^modified_at: /);
      expectRejected(decodeUser(goValue(del({ modified_at: false }))), 'WRONG_TYPE', /^modified_at: /);
    });

    it('an impossible or malformed date -> INVALID_DATE', () => {
      expectRejected(decodeUser(goValue(create({ dob: '2023-02-29' }))), 'INVALID_DATE', /^dob: "2023-02-29": day 29 does not exist/);
      expectRejected(decodeUser(goValue(create({ dob: '1990-13-01' }))), 'INVALID_DATE', /month 13/);
      expectRejected(decodeUser(goValue(create({ dob: '0000-01-01' }))), 'INVALID_DATE', /year 0000/);
      expectRejected(decodeUser(goValue(create({ dob: '12/06/1984' }))), 'INVALID_DATE');
    });

    it('an impossible or malformed timestamp -> INVALID_TIMESTAMP', () => {
      expectRejected(decodeUser(goValue(create({ created_at: '2025-02-30T00:00:00Z' }))), 'INVALID_TIMESTAMP', /^created_at: .*day 30/);
      expectRejected(decodeUser(goValue(update({ modified_at: '2025-07-01T24:00:00Z' }))), 'INVALID_TIMESTAMP', /hour 24/);
      expectRejected(decodeUser(goValue(del({ modified_at: '2025-07-01T12:00:00' }))), 'INVALID_TIMESTAMP', /not an RFC 3339/);
      expectRejected(decodeUser(goValue(del({ modified_at: '2025-07-01T12:00:00+25:00' }))), 'INVALID_TIMESTAMP', /offset/);
    });

    it('a name over 50 code points -> STRING_TOO_LONG', () => {
      expectRejected(decodeUser(goValue(create({ name: 'x'.repeat(51) }))), 'STRING_TOO_LONG', 'name: 51 characters, at most 50');
      expectRejected(decodeUser(goValue(update({ name: EMOJI.repeat(51) }))), 'STRING_TOO_LONG', 'name: 51 characters, at most 50');
      // Go escapes & as \u0026: the limit counts decoded characters, not JSON text.
      expect(expectEvent(decodeUser(goValue(create({ name: '&'.repeat(50) })))).name).to.have.length(50);
    });

    it('a NUL character -> NUL_CHARACTER', () => {
      expectRejected(decodeUser(raw(goJson(create()).replace('abc defg', String.raw`abc\u0000defg`))), 'NUL_CHARACTER', /^name: /);
    });

    it('an unpaired surrogate (only possible through a \\u escape) -> INVALID_STRING', () => {
      expectRejected(decodeUser(raw(goJson(update()).replace('hij klm', String.raw`hij\ud83d`))), 'INVALID_STRING', /^name: /);
      expectRejected(decodeUser(raw(goJson(update()).replace('hij klm', String.raw`\ude00hij`))), 'INVALID_STRING');
      // A proper pair written as escapes is fine.
      expect(expectEvent(decodeUser(raw(goJson(update()).replace('hij klm', String.raw`\ud83d\ude00`)))).name).to.equal('\u{1F600}');
    });
  });
});
