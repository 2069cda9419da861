import { expect } from 'chai';
import {
  checkNumericRange,
  dateFromEpochDays,
  decimalFromBase64,
  decimalFromBytes,
  decimalText,
  hexFromBase64,
  timeFromEpoch,
  timestampFromEpoch,
  variableScaleDecimal,
} from '../../../lib/sinks/formats/debezium-values.js';
import type { DeadLetterCode } from '../../../lib/sinks/types.js';
import type { Rejection } from '../../../lib/sinks/validate.js';
import { seededRandom } from '../random.js';

/** Asserts a result is a rejection with this code, naming the column first (and matching `message`). */
function expectRejected(result: unknown, code: DeadLetterCode, message?: string | RegExp): Rejection {
  expect(result, JSON.stringify(result)).to.be.an('object').that.includes({ ok: false, code });
  const rejection = result as Rejection;
  expect(rejection.message.startsWith('col: '), rejection.message).to.equal(true);
  if (typeof message === 'string') expect(rejection.message).to.equal(message);
  else if (message) expect(rejection.message).to.match(message);
  return rejection;
}

/** Base64 of bytes, with Node's encoder as the reference. */
function b64(...bytes: number[]): string {
  return Buffer.from(bytes).toString('base64');
}

/** An independent rendering of unscaled * 10^-scale, by BigInt division rather than digit slicing. */
function referenceDecimal(unscaled: bigint, scale: number): string {
  const sign = unscaled < 0n ? '-' : '';
  const abs = unscaled < 0n ? -unscaled : unscaled;
  if (scale <= 0) return abs === 0n ? '0' : `${sign}${abs * 10n ** BigInt(-scale)}`;
  const unit = 10n ** BigInt(scale);
  return `${abs === 0n ? '' : sign}${abs / unit}.${(abs % unit).toString().padStart(scale, '0')}`;
}

/** The signed big-endian two's complement value of bytes. */
function twosComplement(bytes: Uint8Array): bigint {
  if (bytes.length === 0) return 0n;
  return BigInt.asIntN(bytes.length * 8, BigInt(`0x${Buffer.from(bytes).toString('hex')}`));
}

/** Milliseconds of 0001-01-01T00:00:00Z and 10000-01-01T00:00:00Z (exclusive). */
const MIN_MS = -62135596800000;
const END_MS = 253402300800000;

/** `YYYY-MM-DD HH:MM:SS[.mmm]` from the JavaScript Date's own formatting. */
function isoTimestamp(ms: number): string {
  const iso = new Date(ms).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}${iso.slice(20, 23) === '000' ? '' : iso.slice(19, 23)}`;
}

describe('sinks/formats/debezium-values', () => {
  describe('dateFromEpochDays', () => {
    it('converts days around the epoch, before and after', () => {
      expect(dateFromEpochDays('col', 0)).to.equal('1970-01-01');
      expect(dateFromEpochDays('col', 1)).to.equal('1970-01-02');
      expect(dateFromEpochDays('col', -1)).to.equal('1969-12-31');
      expect(dateFromEpochDays('col', -365)).to.equal('1969-01-01');
      expect(dateFromEpochDays('col', 19782)).to.equal('2024-02-29');
      expect(dateFromEpochDays('col', 19783)).to.equal('2024-03-01');
    });

    it('reaches exactly 0001-01-01 and 9999-12-31', () => {
      expect(dateFromEpochDays('col', -719162)).to.equal('0001-01-01');
      expect(dateFromEpochDays('col', 2932896)).to.equal('9999-12-31');
      expectRejected(dateFromEpochDays('col', -719163), 'INVALID_DATE', 'col: -719163 days since 1970-01-01 is outside years 0001-9999');
      expectRejected(dateFromEpochDays('col', 2932897), 'INVALID_DATE');
      expectRejected(dateFromEpochDays('col', 2 ** 40), 'INVALID_DATE');
    });

    it('keeps the Gregorian leap rules (2000 leap, 1900 not, 1600 leap)', () => {
      expect(dateFromEpochDays('col', 11016)).to.equal('2000-02-29');
      expect(dateFromEpochDays('col', 11017)).to.equal('2000-03-01');
      // 1900-02-28 is followed by 1900-03-01.
      expect(dateFromEpochDays('col', -25509)).to.equal('1900-02-28');
      expect(dateFromEpochDays('col', -25508)).to.equal('1900-03-01');
      const leap1600 = Date.UTC(2000, 1, 29) / 86400000 - 146097; // one 400-year cycle earlier
      expect(dateFromEpochDays('col', leap1600)).to.equal('1600-02-29');
    });

    it('matches the JavaScript Date for random days in 0001..9999', () => {
      const random = seededRandom(20240229);
      for (let n = 0; n < 5000; n++) {
        const days = -719162 + Math.floor(random() * (2932896 + 719162 + 1));
        expect(dateFromEpochDays('col', days), String(days)).to.equal(new Date(days * 86400000).toISOString().slice(0, 10));
      }
    });

    it('refuses non-integers and non-numbers as WRONG_TYPE', () => {
      expectRejected(dateFromEpochDays('col', 1.5), 'WRONG_TYPE', 'col: 1.5 is not an integer count of days since 1970-01-01');
      expectRejected(dateFromEpochDays('col', Number.NaN), 'WRONG_TYPE');
      expectRejected(dateFromEpochDays('col', Number.POSITIVE_INFINITY), 'WRONG_TYPE');
      expectRejected(dateFromEpochDays('col', '19782' as unknown as number), 'WRONG_TYPE', /got string/);
    });
  });

  describe('timestampFromEpoch', () => {
    it('converts milliseconds, writing 3 fraction digits only when not zero', () => {
      expect(timestampFromEpoch('col', 0, 'ms', false)).to.equal('1970-01-01 00:00:00');
      expect(timestampFromEpoch('col', 1700000000000, 'ms', false)).to.equal('2023-11-14 22:13:20');
      expect(timestampFromEpoch('col', 1700000000120, 'ms', false)).to.equal('2023-11-14 22:13:20.120');
      expect(timestampFromEpoch('col', 1700000000001, 'ms', false)).to.equal('2023-11-14 22:13:20.001');
    });

    it('converts microseconds and nanoseconds with 6 and 9 digits', () => {
      expect(timestampFromEpoch('col', 1529507596945104, 'us', false)).to.equal('2018-06-20 15:13:16.945104');
      expect(timestampFromEpoch('col', 1529507596000000, 'us', false)).to.equal('2018-06-20 15:13:16');
      expect(timestampFromEpoch('col', 1529507596000010, 'us', false)).to.equal('2018-06-20 15:13:16.000010');
      expect(timestampFromEpoch('col', 1500, 'ns', false)).to.equal('1970-01-01 00:00:00.000001500');
    });

    it('counts backwards before 1970, with the fraction still read forwards', () => {
      expect(timestampFromEpoch('col', -1, 'us', false)).to.equal('1969-12-31 23:59:59.999999');
      expect(timestampFromEpoch('col', -1, 'ms', false)).to.equal('1969-12-31 23:59:59.999');
      expect(timestampFromEpoch('col', '-1', 'ns', false)).to.equal('1969-12-31 23:59:59.999999999');
      expect(timestampFromEpoch('col', -1000000, 'us', false)).to.equal('1969-12-31 23:59:59');
      expect(timestampFromEpoch('col', -1000001, 'us', false)).to.equal('1969-12-31 23:59:58.999999');
      expect(timestampFromEpoch('col', -86400000, 'ms', false)).to.equal('1969-12-31 00:00:00');
      expect(timestampFromEpoch('col', -86400001, 'ms', false)).to.equal('1969-12-30 23:59:59.999');
      expect(timestampFromEpoch('col', -0, 'ms', false)).to.equal('1970-01-01 00:00:00');
    });

    it('takes nanoseconds beyond 2^53 as text, losslessly and unrounded', () => {
      expect(timestampFromEpoch('col', '1700000000123456789', 'ns', false)).to.equal('2023-11-14 22:13:20.123456789');
      expect(timestampFromEpoch('col', '1700000000999999999', 'ns', true)).to.equal('2023-11-14 22:13:20.999999999+00');
      expect(timestampFromEpoch('col', '1700000000000000000', 'ns', false)).to.equal('2023-11-14 22:13:20');
      expect(timestampFromEpoch('col', '-1700000000123456789', 'ns', false)).to.equal('1916-02-18 01:46:39.876543211');
      expect(timestampFromEpoch('col', '000123', 'ns', false)).to.equal('1970-01-01 00:00:00.000000123');
      expect(timestampFromEpoch('col', '-0', 'ns', false)).to.equal('1970-01-01 00:00:00');
    });

    it('gives the same result for a number and its text', () => {
      const random = seededRandom(53);
      for (let n = 0; n < 3000; n++) {
        const ms = MIN_MS + Math.floor(random() * (END_MS - MIN_MS));
        const safe = Math.floor((random() - 0.5) * 2 * Number.MAX_SAFE_INTEGER);
        for (const [value, unit] of [
          [ms, 'ms'],
          [safe, 'us'],
          [safe, 'ns'],
        ] as const) {
          const fromNumber = timestampFromEpoch('col', value, unit, false);
          expect(fromNumber, `${value} ${unit}`).to.be.a('string');
          expect(timestampFromEpoch('col', String(value), unit, false), `${value} ${unit}`).to.equal(fromNumber);
        }
      }
    });

    it('appends +00 when zoned', () => {
      expect(timestampFromEpoch('col', 0, 'ms', true)).to.equal('1970-01-01 00:00:00+00');
      expect(timestampFromEpoch('col', -1, 'us', true)).to.equal('1969-12-31 23:59:59.999999+00');
    });

    it('reaches exactly years 0001 and 9999 in each unit', () => {
      expect(timestampFromEpoch('col', MIN_MS, 'ms', false)).to.equal('0001-01-01 00:00:00');
      expect(timestampFromEpoch('col', END_MS - 1, 'ms', false)).to.equal('9999-12-31 23:59:59.999');
      expectRejected(
        timestampFromEpoch('col', MIN_MS - 1, 'ms', false),
        'INVALID_TIMESTAMP',
        'col: -62135596800001 milliseconds since 1970-01-01 is outside years 0001-9999',
      );
      expectRejected(timestampFromEpoch('col', END_MS, 'ms', false), 'INVALID_TIMESTAMP');
      expectRejected(timestampFromEpoch('col', `${END_MS}000`, 'us', false), 'INVALID_TIMESTAMP');
      expect(timestampFromEpoch('col', `${END_MS - 1}999`, 'us', false)).to.equal('9999-12-31 23:59:59.999999');
      expect(timestampFromEpoch('col', `${MIN_MS}000`, 'us', false)).to.equal('0001-01-01 00:00:00');
      expectRejected(timestampFromEpoch('col', `${MIN_MS}001`, 'us', false), 'INVALID_TIMESTAMP');
      expect(timestampFromEpoch('col', `${END_MS - 1}999999`, 'ns', false)).to.equal('9999-12-31 23:59:59.999999999');
      expectRejected(timestampFromEpoch('col', `${END_MS}000000`, 'ns', false), 'INVALID_TIMESTAMP');
      expectRejected(timestampFromEpoch('col', '1' + '0'.repeat(40), 'ns', false), 'INVALID_TIMESTAMP');
    });

    it("names Debezium's infinity values when refusing them", () => {
      expectRejected(timestampFromEpoch('col', '9223372036825200000', 'us', false), 'INVALID_TIMESTAMP', /PostgreSQL 'infinity'/);
      expectRejected(timestampFromEpoch('col', '-9223372036832400000', 'us', false), 'INVALID_TIMESTAMP', /'-infinity'/);
      expectRejected(timestampFromEpoch('col', 9223372036825200000, 'ms', false), 'INVALID_TIMESTAMP', /'infinity'/);
    });

    it('refuses an in-range number beyond 2^53, which JSON.parse has already rounded', () => {
      expectRejected(timestampFromEpoch('col', 10000000000000002, 'us', false), 'WRONG_TYPE', /beyond 2\^53.*pass its text/);
      // JSON.parse makes this 253402300800000000: rounded past the end of year 9999.
      expectRejected(timestampFromEpoch('col', Number('253402300799999999'), 'us', false), 'INVALID_TIMESTAMP');
      expect(timestampFromEpoch('col', '10000000000000002', 'us', false)).to.equal('2286-11-20 17:46:40.000002');
      expectRejected(timestampFromEpoch('col', Number('1700000000123456789'), 'ns', false), 'WRONG_TYPE', /beyond 2\^53/);
      expect(timestampFromEpoch('col', 2 ** 53 - 1, 'us', false)).to.equal('2255-06-05 23:47:34.740991');
    });

    it('refuses fractions, non-finite numbers, malformed text and other types as WRONG_TYPE', () => {
      expectRejected(
        timestampFromEpoch('col', 1.5, 'ms', false),
        'WRONG_TYPE',
        'col: 1.5 is not an integer count of milliseconds since 1970-01-01',
      );
      expectRejected(timestampFromEpoch('col', Number.NaN, 'ms', false), 'WRONG_TYPE');
      expectRejected(timestampFromEpoch('col', Number.POSITIVE_INFINITY, 'us', false), 'WRONG_TYPE');
      for (const text of ['', '-', '+1', '1.5', '1e3', ' 1', '1 ', '0x10', '--1', '١٢']) {
        expectRejected(timestampFromEpoch('col', text, 'ns', false), 'WRONG_TYPE', /is not an integer count of nanoseconds/);
      }
      expectRejected(timestampFromEpoch('col', null as unknown as number, 'ms', false), 'WRONG_TYPE', /got null/);
    });

    it('matches Date.prototype.toISOString for random milliseconds in 0001..9999', () => {
      const random = seededRandom(1970);
      for (let n = 0; n < 20000; n++) {
        const ms = MIN_MS + Math.floor(random() * (END_MS - MIN_MS));
        expect(timestampFromEpoch('col', ms, 'ms', false), String(ms)).to.equal(isoTimestamp(ms));
      }
    });

    it('matches the Date for random microseconds and nanoseconds (text) in 0001..9999', () => {
      const random = seededRandom(2038);
      for (let n = 0; n < 5000; n++) {
        const ms = MIN_MS + Math.floor(random() * (END_MS - MIN_MS));
        const sub = Math.floor(random() * 1000000); // below the millisecond, in nanoseconds
        const base = isoTimestamp(ms - (((ms % 1000) + 1000) % 1000));
        const msFraction = (((ms % 1000) + 1000) % 1000) * 1000000 + sub;
        const ns = (BigInt(ms) * 1000000n + BigInt(sub)).toString();
        const us = (BigInt(ms) * 1000n + BigInt(Math.floor(sub / 1000))).toString();
        const nsFraction = msFraction === 0 ? '' : `.${String(msFraction).padStart(9, '0')}`;
        const usValue = Math.floor(msFraction / 1000);
        const usFraction = usValue === 0 ? '' : `.${String(usValue).padStart(6, '0')}`;
        expect(timestampFromEpoch('col', ns, 'ns', false), ns).to.equal(base + nsFraction);
        expect(timestampFromEpoch('col', us, 'us', false), us).to.equal(base + usFraction);
      }
    });
  });

  describe('timeFromEpoch', () => {
    it('converts each unit since midnight', () => {
      expect(timeFromEpoch('col', 0, 'ms')).to.equal('00:00:00');
      expect(timeFromEpoch('col', 0, 'us')).to.equal('00:00:00');
      expect(timeFromEpoch('col', '0', 'ns')).to.equal('00:00:00');
      expect(timeFromEpoch('col', 45296789, 'ms')).to.equal('12:34:56.789');
      expect(timeFromEpoch('col', 45296000001, 'us')).to.equal('12:34:56.000001');
      expect(timeFromEpoch('col', 45296123456789, 'ns')).to.equal('12:34:56.123456789');
      expect(timeFromEpoch('col', '45296123456789', 'ns')).to.equal('12:34:56.123456789');
      expect(timeFromEpoch('col', 86399999999, 'us')).to.equal('23:59:59.999999');
    });

    it('accepts 24:00:00 exactly, as Postgres does, and nothing beyond', () => {
      expect(timeFromEpoch('col', 86400000, 'ms')).to.equal('24:00:00');
      expect(timeFromEpoch('col', 86400000000, 'us')).to.equal('24:00:00');
      expect(timeFromEpoch('col', '86400000000000', 'ns')).to.equal('24:00:00');
      expectRejected(
        timeFromEpoch('col', 86400001, 'ms'),
        'OUT_OF_RANGE',
        'col: 86400001 milliseconds since midnight is outside 00:00:00..24:00:00',
      );
      expectRejected(timeFromEpoch('col', 86400000001, 'us'), 'OUT_OF_RANGE');
      expectRejected(timeFromEpoch('col', '86400000000001', 'ns'), 'OUT_OF_RANGE');
      expectRejected(timeFromEpoch('col', '9'.repeat(30), 'ns'), 'OUT_OF_RANGE');
      expectRejected(timeFromEpoch('col', 2 ** 60, 'ns'), 'OUT_OF_RANGE');
    });

    it('refuses negative times', () => {
      expectRejected(timeFromEpoch('col', -1, 'ms'), 'OUT_OF_RANGE');
      expectRejected(timeFromEpoch('col', '-1', 'ns'), 'OUT_OF_RANGE');
      expect(timeFromEpoch('col', -0, 'us')).to.equal('00:00:00');
    });

    it('refuses fractions and malformed text as WRONG_TYPE', () => {
      expectRejected(timeFromEpoch('col', 0.5, 'ms'), 'WRONG_TYPE', 'col: 0.5 is not an integer count of milliseconds since midnight');
      expectRejected(timeFromEpoch('col', '12:00', 'us'), 'WRONG_TYPE');
      expectRejected(timeFromEpoch('col', true as unknown as number, 'us'), 'WRONG_TYPE', /got boolean/);
    });
  });

  describe('decimalFromBase64', () => {
    it('places the point by the scale', () => {
      // -12345 = 0xcfc7
      expect(decimalFromBase64('col', b64(0xcf, 0xc7), 2)).to.equal('-123.45');
      expect(decimalFromBase64('col', b64(0x30, 0x39), 2)).to.equal('123.45');
      expect(decimalFromBase64('col', b64(5), 3)).to.equal('0.005');
      expect(decimalFromBase64('col', b64(0xfb), 3)).to.equal('-0.005');
      expect(decimalFromBase64('col', b64(0x30, 0x39), 5)).to.equal('0.12345');
      expect(decimalFromBase64('col', b64(0x30, 0x39), 0)).to.equal('12345');
      expect(decimalFromBase64('col', b64(0x30, 0x39), -3)).to.equal('12345000');
      expect(decimalFromBase64('col', b64(0xcf, 0xc7), -2)).to.equal('-1234500');
    });

    it('writes zero with the scale, from a zero byte or from no bytes', () => {
      expect(decimalFromBase64('col', '', 0)).to.equal('0');
      expect(decimalFromBase64('col', '', 2)).to.equal('0.00');
      expect(decimalFromBase64('col', b64(0), 0)).to.equal('0');
      expect(decimalFromBase64('col', b64(0, 0, 0, 0, 0, 0, 0, 0, 0, 0), 3)).to.equal('0.000');
      expect(decimalFromBase64('col', b64(0), -4)).to.equal('0');
    });

    it('reads two’s complement at the byte edges', () => {
      expect(decimalFromBase64('col', b64(0x80), 0)).to.equal('-128');
      expect(decimalFromBase64('col', b64(0xff), 0)).to.equal('-1');
      expect(decimalFromBase64('col', b64(0x7f), 0)).to.equal('127');
      expect(decimalFromBase64('col', b64(0x00, 0xff), 0)).to.equal('255');
      expect(decimalFromBase64('col', b64(0xff, 0x7f), 0)).to.equal('-129');
      expect(decimalFromBase64('col', b64(0x80, 0, 0, 0, 0, 0), 0)).to.equal(String(-(2 ** 47)));
      expect(decimalFromBase64('col', b64(0x7f, 0xff, 0xff, 0xff, 0xff, 0xff), 0)).to.equal(String(2 ** 47 - 1));
      expect(decimalFromBase64('col', b64(0x80, 0, 0, 0, 0, 0, 0), 0)).to.equal(String(-(2n ** 55n)));
      expect(decimalFromBase64('col', b64(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff), 0)).to.equal('-1');
      expect(decimalFromBase64('col', b64(0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff), 0)).to.equal(String(2n ** 64n - 1n));
    });

    it('keeps every digit of large values', () => {
      const big = 123456789012345678901234567890123456789n;
      const hex = big.toString(16);
      const bytes = Buffer.from((hex.length % 2 ? '0' : '') + hex, 'hex');
      expect(decimalFromBase64('col', bytes.toString('base64'), 10)).to.equal('12345678901234567890123456789.0123456789');
      const negative = Buffer.from(
        BigInt.asUintN(bytes.length * 8, -big)
          .toString(16)
          .padStart(bytes.length * 2, '0'),
        'hex',
      );
      expect(decimalFromBase64('col', negative.toString('base64'), 0)).to.equal(`-${big}`);
    });

    it('accepts base64 with or without padding', () => {
      expect(b64(0x00, 0xff)).to.equal('AP8=');
      expect(decimalFromBase64('col', 'AP8=', 0)).to.equal('255');
      expect(decimalFromBase64('col', 'AP8', 0)).to.equal('255');
      expect(b64(0x80)).to.equal('gA==');
      expect(decimalFromBase64('col', 'gA==', 0)).to.equal('-128');
      expect(decimalFromBase64('col', 'gA', 0)).to.equal('-128');
      const long = b64(1, 2, 3, 4, 5, 6, 7, 8, 9, 10);
      expect(long.endsWith('==')).to.equal(true);
      expect(decimalFromBase64('col', long, 0)).to.equal(decimalFromBase64('col', long.replace(/=+$/, ''), 0));
    });

    it('refuses invalid base64 as WRONG_TYPE naming the column', () => {
      for (const text of [
        'A',
        'AAAAA',
        'AP8==',
        'AP=8',
        '=',
        '====',
        'A===',
        'AP8-',
        'AP_8',
        'AP 8',
        'AP8\n',
        'AAAAAAAAAAA*',
        'AP8é',
        'gA=',
      ]) {
        expectRejected(decimalFromBase64('col', text, 2), 'WRONG_TYPE', /^col: .* is not base64$/);
      }
      expectRejected(decimalFromBase64('col', 5 as unknown as string, 2), 'WRONG_TYPE', 'col: expected a base64 string, got number');
    });

    it('refuses a scale that is not an integer or beyond Postgres numeric', () => {
      expectRejected(decimalFromBase64('col', 'AQ==', 1.5), 'WRONG_TYPE');
      expectRejected(decimalFromBase64('col', 'AQ==', 16384), 'OUT_OF_RANGE');
      expectRejected(decimalFromBase64('col', 'AQ==', -131073), 'OUT_OF_RANGE');
    });

    it('matches Buffer and BigInt for random byte strings and scales', () => {
      const random = seededRandom(64);
      for (let n = 0; n < 3000; n++) {
        const bytes = new Uint8Array(Math.floor(random() * 20));
        for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(random() * 256);
        const scale = Math.floor(random() * 30) - 5;
        const base64 = Buffer.from(bytes).toString('base64');
        const expected = referenceDecimal(twosComplement(bytes), scale);
        expect(decimalFromBase64('col', base64, scale), `${base64} scale ${scale}`).to.equal(expected);
        expect(decimalFromBase64('col', base64.replace(/=+$/, ''), scale), `${base64} unpadded`).to.equal(expected);
      }
    });
  });

  describe('decimalFromBytes', () => {
    it('reads the bytes exactly as decimalFromBase64 reads their base64, at every length and scale', () => {
      const random = seededRandom(20);
      for (let i = 0; i < 2000; i++) {
        const bytes = Buffer.alloc(Math.floor(random() * 20));
        for (let j = 0; j < bytes.length; j++) bytes[j] = Math.floor(random() * 256);
        // Edges too: all ones, the sign bit alone.
        if (i % 10 === 0 && bytes.length > 0) bytes.fill(i % 20 === 0 ? 0xff : 0).writeUInt8(i % 20 === 0 ? 0xff : 0x80, 0);
        const scale = Math.floor(random() * 12) - 3;
        expect(decimalFromBytes(bytes, scale), bytes.toString('hex')).to.equal(decimalFromBase64('col', bytes.toString('base64'), scale));
      }
    });
  });

  describe('variableScaleDecimal', () => {
    it('reads the scale and value from the struct', () => {
      expect(variableScaleDecimal('col', { scale: 2, value: b64(0xcf, 0xc7) })).to.equal('-123.45');
      expect(variableScaleDecimal('col', { scale: 0, value: '' })).to.equal('0');
      expect(variableScaleDecimal('col', { scale: 3, value: b64(5) })).to.equal('0.005');
    });

    it('classifies missing and wrongly typed parts', () => {
      expectRejected(variableScaleDecimal('col', null), 'MISSING_FIELD', 'col: missing (absent or null)');
      expectRejected(variableScaleDecimal('col', undefined), 'MISSING_FIELD');
      expectRejected(variableScaleDecimal('col', '1.5'), 'WRONG_TYPE', /got string/);
      expectRejected(variableScaleDecimal('col', [2, 'AQ==']), 'WRONG_TYPE', /got array/);
      expectRejected(variableScaleDecimal('col', { value: 'AQ==' }), 'MISSING_FIELD', /"scale" missing/);
      expectRejected(variableScaleDecimal('col', { scale: 2 }), 'MISSING_FIELD', /"value" missing/);
      expectRejected(variableScaleDecimal('col', { scale: '2', value: 'AQ==' }), 'WRONG_TYPE', /"scale" is string/);
      expectRejected(variableScaleDecimal('col', { scale: 2.5, value: 'AQ==' }), 'WRONG_TYPE');
      expectRejected(variableScaleDecimal('col', { scale: 2, value: 1 }), 'WRONG_TYPE', /got number/);
      expectRejected(variableScaleDecimal('col', { scale: 2, value: 'A' }), 'WRONG_TYPE', /not base64/);
    });
  });

  describe('hexFromBase64', () => {
    it('writes \\x and lower-case hex', () => {
      expect(hexFromBase64('col', '')).to.equal('\\x');
      expect(hexFromBase64('col', 'Chs=')).to.equal('\\x0a1b');
      expect(hexFromBase64('col', 'Chs')).to.equal('\\x0a1b');
      expect(hexFromBase64('col', b64(0xde, 0xad, 0xbe, 0xef))).to.equal('\\xdeadbeef');
      expect(hexFromBase64('col', b64(0, 0, 0))).to.equal('\\x000000');
    });

    it('refuses invalid base64 as WRONG_TYPE', () => {
      expectRejected(hexFromBase64('col', 'Ch$='), 'WRONG_TYPE', 'col: "Ch$=" is not base64');
      expectRejected(hexFromBase64('col', 'C'), 'WRONG_TYPE');
      expectRejected(hexFromBase64('col', 'Chs=Chs='), 'WRONG_TYPE');
      expectRejected(hexFromBase64('col', { a: 1 } as unknown as string), 'WRONG_TYPE', /got object/);
    });

    it('matches Buffer for random byte strings, padded and not', () => {
      const random = seededRandom(16);
      for (let n = 0; n < 2000; n++) {
        const bytes = Buffer.alloc(Math.floor(random() * 100));
        for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(random() * 256);
        const base64 = bytes.toString('base64');
        expect(hexFromBase64('col', base64), base64).to.equal(`\\x${bytes.toString('hex')}`);
        expect(hexFromBase64('col', base64.replace(/=+$/, '')), base64).to.equal(`\\x${bytes.toString('hex')}`);
      }
    });
  });

  describe('decimalText', () => {
    it('returns plain text unchanged', () => {
      for (const text of ['0', '1', '-1', '123.45', '-123.45', '0.001', '-0.5', '1.50', '12345678901234567890123456789.0123456789']) {
        expect(decimalText('col', text), text).to.equal(text);
      }
    });

    it('expands exponents, keeping the fraction digits the mantissa carries', () => {
      expect(decimalText('col', '1.5e3')).to.equal('1500');
      expect(decimalText('col', '1.5E+3')).to.equal('1500');
      expect(decimalText('col', '-1.5e3')).to.equal('-1500');
      expect(decimalText('col', '1e0')).to.equal('1');
      expect(decimalText('col', '1e-3')).to.equal('0.001');
      expect(decimalText('col', '-12.5e-3')).to.equal('-0.0125');
      expect(decimalText('col', '1.50e1')).to.equal('15.0');
      expect(decimalText('col', '123.456e-1')).to.equal('12.3456');
      expect(decimalText('col', '0.00123e2')).to.equal('0.123');
      expect(decimalText('col', '1.e5')).to.equal('100000');
      expect(decimalText('col', '1E+21')).to.equal(`1${'0'.repeat(21)}`);
      expect(decimalText('col', '0e5')).to.equal('0');
      expect(decimalText('col', '-0.0e-2')).to.equal('0.000');
    });

    it('normalises signs and leading zeros as Postgres reads them', () => {
      expect(decimalText('col', '-0')).to.equal('0');
      expect(decimalText('col', '-0.00')).to.equal('0.00');
      expect(decimalText('col', '+5')).to.equal('5');
      expect(decimalText('col', '007.5')).to.equal('7.5');
      expect(decimalText('col', '.5')).to.equal('0.5');
      expect(decimalText('col', '-.5')).to.equal('-0.5');
      expect(decimalText('col', '5.')).to.equal('5');
      expect(decimalText('col', '00')).to.equal('0');
    });

    it('refuses NaN and infinities, saying so', () => {
      for (const text of ['NaN', 'NAN', 'nan', 'Infinity', '-Infinity', '+inf']) {
        expectRejected(decimalText('col', text), 'WRONG_TYPE', /is not a finite number \(NaN and infinities are refused/);
      }
    });

    it('refuses empty and malformed text', () => {
      for (const text of ['', '-', '+', '.', 'e5', '1e', '1e+', '1.2.3', '1,5', ' 1', '1 ', '0x10', '1e5.5', '--1', '1_000']) {
        expectRejected(decimalText('col', text), 'WRONG_TYPE', /is not a decimal number$/);
      }
      expectRejected(decimalText('col', 1.5 as unknown as string), 'WRONG_TYPE', 'col: expected decimal text, got number');
    });

    it('refuses exponents beyond what Postgres numeric can hold, without building the text', () => {
      expectRejected(decimalText('col', '1e131072'), 'OUT_OF_RANGE', /131072 digits before/);
      expect(decimalText('col', '1e131071')).to.have.length(131072);
      expectRejected(decimalText('col', '1e-16384'), 'OUT_OF_RANGE', /16383 digits after/);
      expectRejected(decimalText('col', '1e99999999999999999999'), 'OUT_OF_RANGE');
      expectRejected(decimalText('col', '-1e-99999999999999999999'), 'OUT_OF_RANGE');
      expect(decimalText('col', '0e99999999999999999999')).to.equal('0');
    });

    it('agrees with Number for random exponent forms', () => {
      const random = seededRandom(10);
      for (let n = 0; n < 2000; n++) {
        const mantissa = (random() * 1000 - 500).toFixed(Math.floor(random() * 6));
        const text = `${mantissa}e${Math.floor(random() * 20) - 10}`;
        const plain = decimalText('col', text);
        expect(plain, text).to.be.a('string');
        expect(plain as string, text).to.not.match(/e/i);
        expect(Number(plain) + 0, text).to.equal(Number(text) + 0);
      }
    });
  });

  describe('checkNumericRange', () => {
    it('rounds half away from zero before comparing, as Postgres does', () => {
      expect(checkNumericRange('col', '99999999.994', 10, 2)).to.equal('99999999.994');
      expectRejected(
        checkNumericRange('col', '99999999.995', 10, 2),
        'OUT_OF_RANGE',
        'col: "99999999.995" out of range for numeric(10,2) (must be below 100000000 after rounding to 2 decimals)',
      );
      expect(checkNumericRange('col', '-99999999.994', 10, 2)).to.equal('-99999999.994');
      expectRejected(checkNumericRange('col', '-99999999.995', 10, 2), 'OUT_OF_RANGE');
      expect(checkNumericRange('col', '99999999.99', 10, 2)).to.equal('99999999.99');
      expectRejected(checkNumericRange('col', '100000000', 10, 2), 'OUT_OF_RANGE');
      expectRejected(checkNumericRange('col', '-100000000.00', 10, 2), 'OUT_OF_RANGE');
    });

    it('words the message with the bound', () => {
      expectRejected(
        checkNumericRange('col', '1000.000', 5, 2),
        'OUT_OF_RANGE',
        'col: "1000.000" out of range for numeric(5,2) (must be below 1000 after rounding to 2 decimals)',
      );
      expect(checkNumericRange('col', '999.994', 5, 2)).to.equal('999.994');
      expectRejected(checkNumericRange('col', '999.995', 5, 2), 'OUT_OF_RANGE');
    });

    it('accepts zero, small values and leading zeros', () => {
      expect(checkNumericRange('col', '0', 5, 2)).to.equal('0');
      expect(checkNumericRange('col', '0.000', 1, 0)).to.equal('0.000');
      expect(checkNumericRange('col', '0.4', 1, 0)).to.equal('0.4');
      expect(checkNumericRange('col', '9.4', 1, 0)).to.equal('9.4');
      expectRejected(checkNumericRange('col', '9.5', 1, 0), 'OUT_OF_RANGE');
      expect(checkNumericRange('col', '000999.99', 5, 2)).to.equal('000999.99');
      expect(checkNumericRange('col', '0.0000001', 5, 2)).to.equal('0.0000001');
    });

    it('defaults the scale to 0 and treats no precision as unconstrained', () => {
      expect(checkNumericRange('col', '99999.4', 5, undefined)).to.equal('99999.4');
      expectRejected(checkNumericRange('col', '99999.5', 5, undefined), 'OUT_OF_RANGE', /numeric\(5,0\).*below 100000/);
      const huge = `${'9'.repeat(500)}.5`;
      expect(checkNumericRange('col', huge, undefined, undefined)).to.equal(huge);
      expect(checkNumericRange('col', huge, undefined, 2)).to.equal(huge);
    });

    it('handles a scale above the precision and a negative scale', () => {
      // numeric(2,3): below 0.1 after rounding to 3 decimals.
      expect(checkNumericRange('col', '0.0994', 2, 3)).to.equal('0.0994');
      expectRejected(checkNumericRange('col', '0.0995', 2, 3), 'OUT_OF_RANGE', /below 0\.1 after rounding to 3 decimals/);
      expectRejected(checkNumericRange('col', '0.1', 2, 3), 'OUT_OF_RANGE');
      // numeric(2,-3): below 100000 after rounding to thousands.
      expect(checkNumericRange('col', '99499', 2, -3)).to.equal('99499');
      expectRejected(checkNumericRange('col', '99500', 2, -3), 'OUT_OF_RANGE');
      expectRejected(checkNumericRange('col', '-99500', 2, -3), 'OUT_OF_RANGE');
    });

    it('refuses text that is not plain decimal', () => {
      for (const text of ['', '-', '1e5', '.5', '5.', '1.2.3', '+1', 'NaN']) {
        expectRejected(checkNumericRange('col', text, 10, 2), 'WRONG_TYPE', /is not plain decimal text$/);
      }
    });

    it('agrees with a BigInt model of Postgres rounding for random values', () => {
      const random = seededRandom(1002);
      for (let n = 0; n < 5000; n++) {
        const precision = 1 + Math.floor(random() * 8);
        const scale = Math.floor(random() * 6) - 1;
        const intDigits = Math.floor(random() * 10);
        const fracDigits = Math.floor(random() * 8);
        let digits = '';
        for (let i = 0; i < intDigits + fracDigits; i++) digits += random() < 0.5 ? '9' : String(Math.floor(random() * 10));
        const text = `${random() < 0.3 ? '-' : ''}${digits.slice(0, intDigits) || '0'}${fracDigits ? '.' + digits.slice(intDigits) : ''}`;
        // |value| * 10^fracDigits, rounded half away from zero to `scale` decimals, against 10^precision.
        const abs = BigInt((digits || '0').replace(/^0+(?=\d)/, ''));
        const shift = fracDigits - scale;
        const rounded = shift <= 0 ? abs * 10n ** BigInt(-shift) : (abs + 5n * 10n ** BigInt(shift - 1)) / 10n ** BigInt(shift);
        const fits = rounded < 10n ** BigInt(precision);
        const result = checkNumericRange('col', text, precision, scale);
        if (fits) expect(result, `${text} numeric(${precision},${scale})`).to.equal(text);
        else expectRejected(result, 'OUT_OF_RANGE');
      }
    });
  });
});
