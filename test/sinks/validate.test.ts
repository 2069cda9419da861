import { expect } from 'chai';
import type { DeadLetterCode } from '../../lib/sinks/types.js';
import {
  codePointLength,
  elementTextsAtPath,
  numberTextOf,
  numericValidator,
  type Rejection,
  validateDate,
  validateFloat,
  validateInteger,
  validateString,
  validateTimestamp,
  validateUuid,
  valueTextAtPath,
} from '../../lib/sinks/validate.js';

/** Asserts a validator's result is a rejection with this code (and, when given, exactly this message). */
function expectRejected(result: unknown, code: DeadLetterCode, message?: string | RegExp): Rejection {
  expect(result, JSON.stringify(result)).to.be.an('object').that.includes({ ok: false, code });
  const rejection = result as Rejection;
  if (typeof message === 'string') expect(rejection.message).to.equal(message);
  else if (message) expect(rejection.message).to.match(message);
  return rejection;
}

const EMOJI = '\u{1F600}'; // outside the BMP: one code point, two UTF-16 units

describe('sinks/validate', () => {
  describe('valueTextAtPath, elementTextsAtPath: values as the message wrote them', () => {
    const json = '{"after":{"a":[ 9223372036854775807 , {"n":1.50} ,"x,]",[1,2],null ],"a":[1.0]},"e":[]}';

    it('finds a value by its object keys, the last duplicate winning as in JSON.parse; no path is the whole text', () => {
      expect(valueTextAtPath(json, ['after', 'a'])).to.equal('[1.0]');
      expect(valueTextAtPath(' 12345678901234567890 ', [])).to.equal('12345678901234567890');
      expect(valueTextAtPath(json, ['after', 'missing'])).to.equal(undefined);
    });

    it("splits an array into its elements' texts, strings and nesting included", () => {
      expect(elementTextsAtPath('{"a":[ 9223372036854775807 , {"n":1.50} ,"x,]",[1,2],null ]}', ['a'])).to.deep.equal([
        '9223372036854775807',
        '{"n":1.50}',
        '"x,]"',
        '[1,2]',
        'null',
      ]);
      expect(elementTextsAtPath(json, ['e'])).to.deep.equal([]);
      expect(elementTextsAtPath(json, ['after'])).to.equal(undefined);
    });
  });

  describe('validateUuid', () => {
    const id = '0f8fad5b-d9cb-469f-a165-70867728950e';

    it('accepts a canonical UUID and returns it unchanged when lower case', () => {
      expect(validateUuid('user_id', id)).to.equal(id);
      expect(validateUuid('user_id', '00000000-0000-0000-0000-000000000000')).to.equal('00000000-0000-0000-0000-000000000000');
    });

    it('lower-cases upper and mixed case', () => {
      expect(validateUuid('user_id', id.toUpperCase())).to.equal(id);
      expect(validateUuid('user_id', '0F8fAD5b-D9cb-469F-a165-70867728950E')).to.equal(id);
    });

    it('rejects malformed ids as INVALID_ID, naming the field', () => {
      const bad = [
        '',
        'not-a-uuid',
        id.slice(0, 35),
        `${id}0`,
        id.replaceAll('-', ''),
        `{${id}}`,
        id.replace('-', '_'),
        `g${id.slice(1)}`,
        '0f8fad5bd-9cb-469f-a165-70867728950e', // a hyphen one place off
        ` ${id.slice(1)}`,
        `\u0660${id.slice(1)}`, // an Arabic-Indic digit is not hex
        `\uFF10${id.slice(1)}`, // nor is a full-width zero
      ];
      for (const value of bad) {
        expectRejected(validateUuid('order_id', value), 'INVALID_ID', /^order_id: ".*" is not a UUID \(8-4-4-4-12 hex digits\)$/);
      }
    });

    it('rejects a non-string as WRONG_TYPE and an absent or null id as MISSING_FIELD', () => {
      expectRejected(validateUuid('user_id', 42), 'WRONG_TYPE', 'user_id: expected a UUID string, got number');
      expectRejected(validateUuid('user_id', {}), 'WRONG_TYPE', 'user_id: expected a UUID string, got object');
      expectRejected(validateUuid('user_id', undefined), 'MISSING_FIELD', /^user_id: missing/);
      expectRejected(validateUuid('user_id', null), 'MISSING_FIELD', /^user_id: missing/);
    });
  });

  describe('validateFloat', () => {
    it('takes finite numbers; refuses what Postgres would: infinities, and beyond float4 for real', () => {
      expect(validateFloat('d', -2.25e-300, false)).to.equal(-2.25e-300);
      expect(validateFloat('r', 3.4028234663852886e38, true)).to.equal(3.4028234663852886e38);
      expect(validateFloat('r', 1e-45, true)).to.equal(1e-45); // a float4 sub-normal, which float4in takes
      expect(validateFloat('r', 0, true)).to.equal(0);
      // JSON.parse reads 1e999 as Infinity: the source held a finite number no double holds.
      expectRejected(validateFloat('d', JSON.parse('1e999'), false), 'OUT_OF_RANGE', 'd: Infinity out of range for double precision');
      expectRejected(validateFloat('r', 1e39, true), 'OUT_OF_RANGE', 'r: 1e+39 out of range for real');
      expectRejected(validateFloat('r', -1e39, true), 'OUT_OF_RANGE');
      expectRejected(validateFloat('r', 1e-46, true), 'OUT_OF_RANGE', /out of range for real/);
      expectRejected(validateFloat('r', '1.5', true), 'WRONG_TYPE', 'r: expected a number, got string');
      expectRejected(validateFloat('r', null, true), 'MISSING_FIELD');
    });
  });

  describe('validateTimestamp', () => {
    it('accepts what Go writes, unchanged: nanoseconds, trimmed fractions, Z and numeric offsets', () => {
      for (const ts of [
        '2025-07-01T12:34:56.123456789+05:30',
        '2025-07-01T12:34:56.123456789Z',
        '2025-07-01T12:34:56.1234567-07:00',
        '2025-07-01T12:34:56.5Z',
        '2025-07-01T12:34:56Z',
        '2025-07-01T00:00:00+00:00',
        '2025-07-01T23:59:59-00:00',
        '2025-07-01T12:00:00+15:59',
        '2025-07-01T12:00:00-15:59',
        '2024-02-29T12:00:00Z', // leap year
        '2000-02-29T12:00:00Z', // divisible by 400
        '0001-01-01T00:00:00Z',
        '9999-12-31T23:59:59.999999999Z',
      ]) {
        expect(validateTimestamp('created_at', ts), ts).to.equal(ts);
      }
    });

    it('accepts lower-case t and z (RFC 3339 allows them) and returns them upper-cased', () => {
      expect(validateTimestamp('created_at', '2025-07-01t12:34:56z')).to.equal('2025-07-01T12:34:56Z');
      expect(validateTimestamp('created_at', '2025-07-01t12:34:56.5+01:00')).to.equal('2025-07-01T12:34:56.5+01:00');
      expect(validateTimestamp('created_at', '2025-07-01T12:34:56z')).to.equal('2025-07-01T12:34:56Z');
    });

    it('rejects impossible dates and times, saying what is wrong', () => {
      const cases: [string, RegExp][] = [
        ['2025-02-30T00:00:00Z', /day 30 does not exist in 2025-02/],
        ['2023-02-29T00:00:00Z', /day 29 does not exist in 2023-02/],
        ['1900-02-29T00:00:00Z', /day 29 does not exist in 1900-02/],
        ['2025-04-31T00:00:00Z', /day 31 does not exist in 2025-04/],
        ['2025-01-00T00:00:00Z', /day 00 does not exist/],
        ['2025-13-01T00:00:00Z', /month 13 does not exist/],
        ['2025-00-01T00:00:00Z', /month 00 does not exist/],
        ['0000-01-01T00:00:00Z', /year 0000 does not exist/],
        ['2025-07-01T24:00:00Z', /hour 24 does not exist/],
        ['2025-07-01T12:60:00Z', /minute 60 does not exist/],
        ['2025-07-01T23:59:60Z', /second 60 is not accepted/],
        ['2025-07-01T12:00:00+24:00', /offset \+24:00 out of range/],
        // Postgres' zone offsets end at ±15:59: it refuses the rest, so they must not reach it.
        ['2025-07-01T12:00:00+16:00', /offset \+16:00 out of range \(at most ±15:59\)/],
        ['2025-07-01T12:00:00-23:59', /offset -23:59 out of range/],
        ['2025-07-01T12:00:00-05:60', /offset -05:60 out of range/],
      ];
      for (const [ts, problem] of cases) {
        const r = expectRejected(validateTimestamp('placed_at', ts), 'INVALID_TIMESTAMP', problem);
        expect(r.message.startsWith(`placed_at: "${ts}": `), r.message).to.equal(true);
      }
    });

    it('rejects text that is not RFC 3339', () => {
      for (const ts of [
        '',
        '2025-07-01',
        '2025-07-01T12:34:56', // no zone
        '2025-07-01 12:34:56Z', // space separator
        '2025-07-01T12:34Z', // no seconds
        '2025-7-01T12:34:56Z',
        '25-07-01T12:34:56Z',
        '+2025-07-01T12:34:56Z',
        '2025-07-01T12:34:56.Z', // empty fraction
        '2025-07-01T12:34:56.1234567890Z', // 10 fraction digits
        '2025-07-01T12:34:56,5Z',
        '2025-07-01T12:34:56+0530',
        '2025-07-01T12:34:56+05',
        '2025-07-01T12:34:56+05:30:00',
        '2025-07-01T12:34:56ZZ',
        '2025-07-01T12:34:56UTC',
        '2025-07-01T12:34:56 Z',
        '2025-07-01T12:34:56Z ',
        '2025/07/01T12:34:56Z',
        '2025-07-01T1a:34:56Z',
        '2025-07-01T12:34:56.12a4Z',
        '2025-07-01X12:34:56Z',
        '１２３４-07-01T12:34:56Z',
      ]) {
        expectRejected(validateTimestamp('modified_at', ts), 'INVALID_TIMESTAMP', /^modified_at: ".*" is not an RFC 3339 timestamp/);
      }
    });

    it('rejects a non-string as WRONG_TYPE and null as MISSING_FIELD', () => {
      expectRejected(validateTimestamp('created_at', 1751373296), 'WRONG_TYPE', 'created_at: expected a timestamp string, got number');
      expectRejected(validateTimestamp('created_at', null), 'MISSING_FIELD', /^created_at: missing/);
      expectRejected(validateTimestamp('created_at', undefined), 'MISSING_FIELD');
    });
  });

  describe('validateDate', () => {
    it('accepts valid dates unchanged', () => {
      for (const d of ['1970-01-01', '2015-12-31', '2024-02-29', '2000-02-29', '0001-01-01', '9999-12-31']) {
        expect(validateDate('dob', d)).to.equal(d);
      }
    });

    it('rejects impossible dates', () => {
      expectRejected(validateDate('dob', '2023-02-29'), 'INVALID_DATE', 'dob: "2023-02-29": day 29 does not exist in 2023-02');
      expectRejected(validateDate('dob', '2025-02-30'), 'INVALID_DATE', /day 30 does not exist/);
      expectRejected(validateDate('dob', '2100-02-29'), 'INVALID_DATE', /day 29 does not exist/);
      expectRejected(validateDate('dob', '2025-06-31'), 'INVALID_DATE', /day 31 does not exist/);
      expectRejected(validateDate('dob', '2025-13-01'), 'INVALID_DATE', /month 13 does not exist/);
      expectRejected(validateDate('dob', '2025-00-10'), 'INVALID_DATE', /month 00 does not exist/);
      expectRejected(validateDate('dob', '2025-01-00'), 'INVALID_DATE', /day 00 does not exist/);
      expectRejected(validateDate('dob', '0000-01-01'), 'INVALID_DATE', /year 0000 does not exist/);
    });

    it('rejects other shapes', () => {
      for (const d of ['', '1990-1-01', '19900101', '1990/01/01', '1990-01-01T00:00:00Z', ' 1990-01-01', '1990-01-0a', '01-01-1990']) {
        expectRejected(validateDate('dob', d), 'INVALID_DATE', /^dob: ".*" is not a date \(YYYY-MM-DD\)$/);
      }
      expectRejected(validateDate('dob', 19900101), 'WRONG_TYPE', 'dob: expected a date string, got number');
      expectRejected(validateDate('dob', null), 'MISSING_FIELD');
    });
  });

  describe('validateString', () => {
    it('accepts any Unicode up to the limit in code points', () => {
      expect(validateString('name', '', 50)).to.equal('');
      expect(validateString('name', 'a'.repeat(50), 50)).to.equal('a'.repeat(50));
      const emoji50 = EMOJI.repeat(50);
      expect(emoji50.length).to.equal(100);
      expect(validateString('name', emoji50, 50)).to.equal(emoji50);
      const mixed = `${'é'.repeat(25)}${EMOJI.repeat(25)}`;
      expect(validateString('name', mixed, 50)).to.equal(mixed);
    });

    it('rejects 51 code points as STRING_TOO_LONG, counting a non-BMP character once', () => {
      expectRejected(validateString('name', 'a'.repeat(51), 50), 'STRING_TOO_LONG', 'name: 51 characters, at most 50');
      expectRejected(validateString('name', EMOJI.repeat(51), 50), 'STRING_TOO_LONG', 'name: 51 characters, at most 50');
      expectRejected(validateString('name', `${EMOJI.repeat(50)}a`, 50), 'STRING_TOO_LONG', 'name: 51 characters, at most 50');
      expectRejected(validateString('order_status', 'DISPATCHED!', 10), 'STRING_TOO_LONG', 'order_status: 11 characters, at most 10');
    });

    it('rejects a NUL character', () => {
      expectRejected(validateString('name', 'ab\u0000c', 50), 'NUL_CHARACTER', /^name: contains a NUL character \(U\+0000\) at index 2/);
      expectRejected(validateString('name', '\u0000', 50), 'NUL_CHARACTER');
    });

    it('rejects unpaired surrogates (high, low, reversed pair)', () => {
      for (const s of ['a\uD83D', '\uDE00b', '\uDE00\uD83D', `${EMOJI}\uD83D`]) {
        expectRejected(validateString('name', s, 50), 'INVALID_STRING', /^name: contains an unpaired UTF-16 surrogate/);
      }
    });

    it('enforces a minimum length as MISSING_FIELD', () => {
      expectRejected(validateString('order_status', '', 10, 1), 'MISSING_FIELD', 'order_status: empty string, at least 1');
      expect(validateString('order_status', 'X', 10, 1)).to.equal('X');
      expect(validateString('order_status', EMOJI, 10, 1)).to.equal(EMOJI);
      expectRejected(validateString('code', EMOJI, 10, 2), 'MISSING_FIELD', 'code: 1 characters, at least 2');
    });

    it('rejects non-strings as WRONG_TYPE and absent or null as MISSING_FIELD', () => {
      expectRejected(validateString('name', 5, 50), 'WRONG_TYPE', 'name: expected a string, got number');
      expectRejected(validateString('name', true, 50), 'WRONG_TYPE', 'name: expected a string, got boolean');
      expectRejected(validateString('name', ['a'], 50), 'WRONG_TYPE', 'name: expected a string, got array');
      expectRejected(validateString('name', null, 50), 'MISSING_FIELD', /^name: missing/);
      expectRejected(validateString('name', undefined, 50), 'MISSING_FIELD');
    });

    it('codePointLength counts a surrogate pair once', () => {
      expect(codePointLength('')).to.equal(0);
      expect(codePointLength('abc')).to.equal(3);
      expect(codePointLength(`a${EMOJI}b${EMOJI}`)).to.equal(4);
    });
  });

  describe('validateInteger', () => {
    const MAX = 2_147_483_647;

    it('accepts integers in range, including their JSON spellings 1.0 and 1e2', () => {
      expect(validateInteger('quantity', 1, 1, MAX)).to.equal(1);
      expect(validateInteger('quantity', MAX, 1, MAX)).to.equal(MAX);
      expect(validateInteger('quantity', JSON.parse('1.0'), 1, MAX)).to.equal(1);
      expect(validateInteger('quantity', JSON.parse('1e2'), 1, MAX)).to.equal(100);
    });

    it('rejects out-of-range integers and infinities as OUT_OF_RANGE', () => {
      expectRejected(validateInteger('quantity', 0, 1, MAX), 'OUT_OF_RANGE', 'quantity: 0 out of range 1..2147483647');
      expectRejected(validateInteger('quantity', -3, 1, MAX), 'OUT_OF_RANGE');
      expectRejected(validateInteger('quantity', MAX + 1, 1, MAX), 'OUT_OF_RANGE', 'quantity: 2147483648 out of range 1..2147483647');
      expectRejected(validateInteger('quantity', JSON.parse('1e400'), 1, MAX), 'OUT_OF_RANGE');
    });

    it('rejects a fraction as WRONG_TYPE', () => {
      expectRejected(validateInteger('quantity', 1.5, 1, MAX), 'WRONG_TYPE', 'quantity: 1.5 is not an integer');
      expectRejected(validateInteger('quantity', 2147483647.5, 1, MAX), 'WRONG_TYPE');
    });

    it('rejects non-numbers as WRONG_TYPE and null as MISSING_FIELD', () => {
      expectRejected(validateInteger('quantity', '3', 1, MAX), 'WRONG_TYPE', 'quantity: expected an integer, got string');
      expectRejected(validateInteger('quantity', true, 1, MAX), 'WRONG_TYPE');
      expectRejected(validateInteger('quantity', null, 1, MAX), 'MISSING_FIELD', /^quantity: missing/);
    });
  });

  describe('numericValidator (order_total, numeric(10,2), min 0 as the seed mapping declares it)', () => {
    const validate = numericValidator('order_total', 10, 2, 0);
    /** Validates the order_total of a whole JSON text, as the decoder does. */
    const total = (json: string) => validate((JSON.parse(json) as Record<string, unknown>).order_total, json);
    const of = (number: string) => total(`{"order_total":${number}}`);

    it("keeps every digit of the JSON's own text, beyond what float64 holds", () => {
      expect(of('1234.5678901234567890123')).to.equal('1234.5678901234567890123');
      expect(Number('1234.5678901234567890123').toString()).to.not.equal('1234.5678901234567890123');
      expect(of('1234.5678901234567')).to.equal('1234.5678901234567');
      expect(of('0.1')).to.equal('0.1');
      expect(of('12')).to.equal('12');
      expect(of('0')).to.equal('0');
      expect(of('0.00')).to.equal('0.00');
      expect(of('10.50')).to.equal('10.50');
    });

    it('expands exponents to plain notation, keeping every digit', () => {
      expect(of('1.5e3')).to.equal('1500');
      expect(of('1.5E3')).to.equal('1500');
      expect(of('1E+2')).to.equal('100');
      expect(of('1e0')).to.equal('1');
      expect(of('123e-1')).to.equal('12.3');
      expect(of('1.25e-1')).to.equal('0.125');
      expect(of('1e-5')).to.equal('0.00001');
      expect(of('0.5e1')).to.equal('5');
      expect(of('0.0012e3')).to.equal('1.2');
      expect(of('12345678.9012345678901234e-4')).to.equal('1234.56789012345678901234');
      expect(of('1.23456789012345678901234e3')).to.equal('1234.56789012345678901234');
      expect(of('0e10')).to.equal('0');
      expect(of('1e-2000')).to.equal('0'); // below any numeric scale: rounds to 0 anyway, not 2000 zeros
    });

    it('turns negative zero into 0', () => {
      expect(of('-0')).to.equal('0');
      expect(of('-0.00')).to.equal('0');
      expect(of('-0e5')).to.equal('0');
    });

    it("applies numeric(10,2)'s range after Postgres' rounding, from the text not the float", () => {
      expect(of('99999999.994')).to.equal('99999999.994');
      expect(of('99999999.99')).to.equal('99999999.99');
      expect(of('99999999.9949999999999999')).to.equal('99999999.9949999999999999'); // parses to the same float as .995
      expect(of('9.9999999994e7')).to.equal('99999999.994');
      expect(of('9999999.9999')).to.equal('9999999.9999');
      expect(of('1e-3')).to.equal('0.001');
      expectRejected(
        of('99999999.995'),
        'OUT_OF_RANGE',
        'order_total: "99999999.995" out of range, must be below 100000000 after rounding to 2 decimals',
      );
      expectRejected(of('99999999.999'), 'OUT_OF_RANGE');
      expectRejected(of('9.9999999995e7'), 'OUT_OF_RANGE');
      expectRejected(of('100000000'), 'OUT_OF_RANGE');
      expectRejected(of('1e8'), 'OUT_OF_RANGE');
      expectRejected(of('123456789012'), 'OUT_OF_RANGE');
      expectRejected(of('1e400'), 'OUT_OF_RANGE'); // JSON.parse gives Infinity
      expectRejected(of('1e99999999999999999999'), 'OUT_OF_RANGE');
    });

    it('applies the same rule to other precisions, e.g. numeric(3,1) and numeric(1,1)', () => {
      const small = numericValidator('v', 3, 1, 0);
      const check = (v: string) => small(JSON.parse(v), `{"v":${v}}`);
      expect(check('99.94')).to.equal('99.94');
      expectRejected(check('99.95'), 'OUT_OF_RANGE', /must be below 100 after rounding to 1 decimals/);
      const fraction = numericValidator('v', 1, 1, 0);
      const checkFraction = (v: string) => fraction(JSON.parse(v), `{"v":${v}}`);
      expect(checkFraction('0.94')).to.equal('0.94');
      expect(checkFraction('0')).to.equal('0');
      expectRejected(checkFraction('0.95'), 'OUT_OF_RANGE');
      expectRejected(checkFraction('1'), 'OUT_OF_RANGE');
    });

    it('an unconstrained numeric: any size Postgres holds, beyond it OUT_OF_RANGE (never written out in full)', () => {
      const free = numericValidator('v', undefined, undefined);
      const check = (v: string) => free(JSON.parse(v), `{"v":${v}}`);
      expect(check('-12345678901234567890.000001')).to.equal('-12345678901234567890.000001');
      expect(check('1.5e3')).to.equal('1500');
      expect(check('1e-2000')).to.equal('0');
      expect(check('1e131071')).to.equal(`1${'0'.repeat(131_071)}`);
      expectRejected(check('1e131072'), 'OUT_OF_RANGE', 'v: "1e131072" out of range, numeric holds at most 131072 digits before the point');
      // A poison value that once threw a RangeError ('0'.repeat of ten billion) and failed its whole batch.
      expectRejected(check('1e9999999999'), 'OUT_OF_RANGE');
      expectRejected(check('-1e99999999999999999999'), 'OUT_OF_RANGE');
      // numeric's largest display scale is 16383: Postgres refuses more digits after the point.
      const fraction = (n: number) => `0.${'1'.repeat(n)}`;
      expect(check(fraction(16_383))).to.equal(fraction(16_383));
      expectRejected(check(fraction(16_384)), 'OUT_OF_RANGE', /has 16384 digits after the point, numeric holds at most 16383/);
    });

    it('rejects negative amounts, even ones Postgres would round to zero', () => {
      expectRejected(of('-1.5'), 'OUT_OF_RANGE', 'order_total: "-1.5" is negative, at least 0');
      expectRejected(of('-0.001'), 'OUT_OF_RANGE');
      expectRejected(of('-1e-2000'), 'OUT_OF_RANGE');
    });

    it('rejects a non-number as WRONG_TYPE and absent or null as MISSING_FIELD', () => {
      expectRejected(total('{"order_total":"12.50"}'), 'WRONG_TYPE', 'order_total: expected a number, got string');
      expectRejected(total('{"order_total":[1]}'), 'WRONG_TYPE');
      expectRejected(total('{"order_total":null}'), 'MISSING_FIELD', /^order_total: missing/);
      expectRejected(total('{"other":1}'), 'MISSING_FIELD');
    });

    it('uses the last of duplicate keys, as JSON.parse does', () => {
      expect(total('{"order_total":1.25,"order_total":2.50}')).to.equal('2.50');
      expect(total('{"order_total":1.25,"x":{"y":1},"order_total":2.50}')).to.equal('2.50');
      expect(total(String.raw`{"order_total":1.25,"x":"\\","order_total":2.50}`)).to.equal('2.50');
    });

    it('tolerates JSON whitespace around the colon', () => {
      expect(total('{ "order_total" : 12.5 }')).to.equal('12.5');
      expect(total('{\n\t"order_total"\r\n:\t1.5e1\n}')).to.equal('15');
    });

    it('is not fooled by the key appearing as a string value', () => {
      expect(total('{"order_total":7.25,"note":"order_total"}')).to.equal('7.25');
      expect(total('{"note":"order_total","order_total":7.25}')).to.equal('7.25');
      expect(total('{"order_total":7.25,"note":"order_total","b":1}')).to.equal('7.25');
    });

    it('is not fooled by escaped quotes: a key named "order_total with a leading quote, or "\\"" sequences', () => {
      // The last `"order_total":` in the text belongs to the key `"order_total` (quote included).
      expect(total(String.raw`{"order_total":2.5,"\"order_total":1}`)).to.equal('2.5');
      // A string ending in an escaped backslash (`\\"`): its closing quote is real.
      expect(total(String.raw`{"a":"x\\","order_total":3.5}`)).to.equal('3.5');
      expect(total(String.raw`{"a":"\\\\","order_total":1e2}`)).to.equal('100');
      // `\\\"` is an escaped backslash then an escaped quote: still inside the string.
      expect(total(String.raw`{"order_total":4.5,"b":"\\\"order_total\":1"}`)).to.equal('4.5');
      expect(total(String.raw`{"b":"\\\"order_total\":1","order_total":4.5}`)).to.equal('4.5');
    });

    it('finds the key when it is spelled with escapes', () => {
      expect(total(String.raw`{"order_total":1.5,"order\u005ftotal":2.25}`)).to.equal('2.25');
      expect(total(String.raw`{"\u006frder_total":1234.5678901234567890123}`)).to.equal('1234.5678901234567890123');
    });

    it('ignores a nested object holding the same key, even one whose value parses to the same float', () => {
      // 1.005 and 1.0049999999999999999 are the same float64, but Postgres rounds them to 1.01 and 1.00.
      expect(Number('1.005')).to.equal(Number('1.0049999999999999999'));
      expect(total('{"order_total":1.0049999999999999999,"meta":{"order_total":1.005}}')).to.equal('1.0049999999999999999');
      expect(total('{"meta":{"order_total":1.005},"order_total":1.0049999999999999999}')).to.equal('1.0049999999999999999');
      expect(total('{"list":[{"order_total":1.005},"}"],"order_total":1.0049999999999999999,"z":[[]]}')).to.equal('1.0049999999999999999');
    });

    it('cross-checks the text against the parsed number and refuses a mismatch', () => {
      expectRejected(validate(5, '{"order_total":6}'), 'INVALID_JSON', /^order_total: could not recover the number's text/);
      expectRejected(validate(5, '{"order_total":"5"}'), 'INVALID_JSON');
    });

    it('numberTextOf returns undefined when the key is absent or not a number', () => {
      expect(numberTextOf('{"a":1}', 'order_total')).to.equal(undefined);
      expect(numberTextOf('{"order_total":"1"}', 'order_total')).to.equal(undefined);
      expect(numberTextOf('{"order_total":null}', 'order_total')).to.equal(undefined);
      expect(numberTextOf(String.raw`{"x":"\\","order_total":true}`, 'order_total')).to.equal(undefined);
      expect(numberTextOf('{"order_total":-12.5e-3}', 'order_total')).to.equal('-12.5e-3');
      expect(numberTextOf(String.raw`{"x":"\n","order_total":-12.5e-3}`, 'order_total')).to.equal('-12.5e-3');
    });
  });
});
