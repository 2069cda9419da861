import { expect } from 'chai';
import {
  BIGINT_MAX,
  BIGINT_MIN,
  DAYS_1970_TO_2000,
  daysFromCivil,
  daysInMonth,
  FLOAT4_MAX,
  FLOAT4_MIN_NORMAL,
  HEX_DIGIT_VALUE,
  INTEGER_MAX,
  INTEGER_MIN,
  isLeapYear,
  MAX_YEAR,
  MIN_YEAR,
  NUMERIC_MAX_FRACTION_DIGITS,
  NUMERIC_MAX_INTEGER_DIGITS,
  SECONDS_PER_DAY,
  SMALLINT_MAX,
  SMALLINT_MIN,
} from '../../lib/sinks/pg-limits.js';

const DAY_MS = SECONDS_PER_DAY * 1000;

describe('sinks/pg-limits', () => {
  it("integer bounds are those of two, four and eight byte two's complement", () => {
    const buf = Buffer.alloc(8);
    buf.writeInt16BE(SMALLINT_MIN);
    buf.writeInt16BE(SMALLINT_MAX);
    expect(() => buf.writeInt16BE(SMALLINT_MAX + 1)).to.throw(RangeError);
    expect(() => buf.writeInt32BE(INTEGER_MIN - 1)).to.throw(RangeError);
    buf.writeInt32BE(INTEGER_MAX);
    expect(BigInt.asIntN(64, BIGINT_MAX + 1n)).to.equal(BIGINT_MIN);
    expect(BIGINT_MAX.toString()).to.equal('9223372036854775807');
  });

  it("numeric's digit limits follow from its binary form: an int16 weight of base-10000 digits, a 14-bit display scale", () => {
    expect(NUMERIC_MAX_INTEGER_DIGITS).to.equal((32767 + 1) * 4);
    expect(NUMERIC_MAX_FRACTION_DIGITS).to.equal(0x3fff);
  });

  it('float4 bounds are exact float4 values', () => {
    expect(Math.fround(FLOAT4_MAX)).to.equal(FLOAT4_MAX);
    // The next float4 up would be 2^128: anything past the midpoint rounds to infinity.
    expect(Math.fround(FLOAT4_MAX * (1 + 2 ** -23))).to.equal(Number.POSITIVE_INFINITY);
    expect(Math.fround(FLOAT4_MIN_NORMAL)).to.equal(FLOAT4_MIN_NORMAL);
    expect(FLOAT4_MIN_NORMAL).to.equal(2 ** -126);
  });

  it('leap years and days in a month follow the Gregorian rules', () => {
    expect([1900, 2000, 2023, 2024, 2100, 2400].map(isLeapYear)).to.deep.equal([false, true, false, true, false, true]);
    expect(daysInMonth(2024, 2)).to.equal(29);
    expect(daysInMonth(1900, 2)).to.equal(28);
    expect(daysInMonth(2000, 2)).to.equal(29);
    expect(daysInMonth(2023, 4)).to.equal(30);
    expect(daysInMonth(2023, 12)).to.equal(31);
    for (let year = 1999; year <= 2001; year++) {
      for (let month = 1; month <= 12; month++) {
        expect(daysInMonth(year, month), `${year}-${month}`).to.equal(new Date(Date.UTC(year, month, 0)).getUTCDate());
      }
    }
  });

  it('daysFromCivil agrees with Date over four centuries of days, and at the ends of the year range', () => {
    for (let t = Date.UTC(1800, 0, 1); t < Date.UTC(2200, 0, 1); t += DAY_MS * 7) {
      const d = new Date(t);
      expect(daysFromCivil(d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate())).to.equal(t / DAY_MS);
    }
    const first = new Date(0);
    first.setUTCFullYear(MIN_YEAR, 0, 1);
    expect(daysFromCivil(MIN_YEAR, 1, 1)).to.equal(first.getTime() / DAY_MS);
    expect(daysFromCivil(MAX_YEAR, 12, 31)).to.equal(Date.UTC(MAX_YEAR, 11, 31) / DAY_MS);
    expect(daysFromCivil(2000, 1, 1)).to.equal(DAYS_1970_TO_2000);
  });

  it('hex digit values, in either case, and -1 for anything else', () => {
    const value = (c: string) => HEX_DIGIT_VALUE[c.charCodeAt(0)];
    expect([...'0123456789abcdef'].map(value)).to.deep.equal([...Array(16).keys()]);
    expect([...'ABCDEF'].map(value)).to.deep.equal([10, 11, 12, 13, 14, 15]);
    for (const c of ['g', 'G', '/', ':', '@', '`', ' ', '\u0000']) expect(value(c), c).to.equal(-1);
  });
});
