import { expect } from 'chai';
import { type ColumnType, parseColumnType } from '../../lib/sinks/column-types.js';
import { binaryRowEncoder, CopyBinaryWriter, encodeBinaryStage } from '../../lib/sinks/copy-binary.js';
import type { StagedRow } from '../../lib/sinks/fold.js';
import type { Layout } from '../../lib/sinks/layout.js';
import type { Value } from '../../lib/sinks/types.js';
import { ordersSink, usersSink } from './seed-adapter.js';

const SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1');

function layoutOf(types: string[]): Layout {
  return {
    columns: types.map((t, i) => ({ name: `c${i}`, type: parseColumnType(t) as ColumnType, declaration: undefined, isKey: i === 0 })),
    keyIndexes: [0],
    softIndex: -1,
  };
}

/** A reader of COPY binary data: the rows' fields as Buffers (null for NULL), checking the framing. */
function readCopyBinary(data: Buffer): (Buffer | null)[][] {
  expect(data.subarray(0, 11).equals(SIGNATURE), 'signature').to.equal(true);
  expect(data.readInt32BE(11), 'flags').to.equal(0);
  expect(data.readInt32BE(15), 'header extension').to.equal(0);
  let p = 19;
  const rows: (Buffer | null)[][] = [];
  for (;;) {
    const count = data.readInt16BE(p);
    p += 2;
    if (count === -1) break;
    const fields: (Buffer | null)[] = [];
    for (let i = 0; i < count; i++) {
      const n = data.readInt32BE(p);
      p += 4;
      if (n === -1) fields.push(null);
      else {
        fields.push(data.subarray(p, p + n));
        p += n;
      }
    }
    rows.push(fields);
  }
  expect(p, 'nothing after the trailer').to.equal(data.length);
  return rows;
}

const full = (values: Value[]): StagedRow => ({ kind: 'full', values, set: undefined, cascade: false });

/** The one user field of a one-column layout of `type`, or undefined when the encoder leaves it to text. */
function field(type: string, value: Value): Buffer | null | undefined {
  const data = encodeBinaryStage(binaryRowEncoder(layoutOf([type])), [full([value])], 16);
  if (data === undefined) return undefined;
  const [row] = readCopyBinary(data);
  return (row as (Buffer | null)[])[4] as Buffer | null;
}

function int64(b: Buffer | null | undefined): bigint {
  expect(b).to.be.instanceOf(Buffer);
  expect((b as Buffer).length).to.equal(8);
  return (b as Buffer).readBigInt64BE(0);
}

const EPOCH_2000_MS = Date.UTC(2000, 0, 1);

/** µs since 2000-01-01 UTC for a UTC date-time with a µs fraction, computed independently with Date. */
function micros(year: number, month: number, day: number, h = 0, m = 0, s = 0, us = 0): bigint {
  const d = new Date(0);
  d.setUTCFullYear(year, month - 1, day);
  d.setUTCHours(h, m, s, 0);
  return BigInt(d.getTime() - EPOCH_2000_MS) * 1000n + BigInt(us);
}

interface NumericParts {
  weight: number;
  sign: number;
  dscale: number;
  digits: number[];
}

function numericParts(b: Buffer | null | undefined): NumericParts {
  expect(b).to.be.instanceOf(Buffer);
  const buf = b as Buffer;
  const ndigits = buf.readUInt16BE(0);
  expect(buf.length).to.equal(8 + 2 * ndigits);
  const digits: number[] = [];
  for (let i = 0; i < ndigits; i++) digits.push(buf.readUInt16BE(8 + 2 * i));
  return { weight: buf.readInt16BE(2), sign: buf.readUInt16BE(4), dscale: buf.readUInt16BE(6), digits };
}

/** The decimal text a numeric's parts stand for (plain notation with dscale digits), to check round trips. */
function numericText(p: NumericParts): string {
  let int = '';
  for (let w = p.weight; w >= 0; w--) {
    const d = p.digits[p.weight - w] ?? 0;
    int += int === '' ? String(d) : String(d).padStart(4, '0');
  }
  if (int === '') int = '0';
  let frac = '';
  for (let w = -1; frac.length < p.dscale; w--) {
    const i = p.weight - w;
    frac += String(i >= 0 ? (p.digits[i] ?? 0) : 0).padStart(4, '0');
  }
  frac = frac.slice(0, p.dscale);
  const sign = p.sign === 0x4000 ? '-' : '';
  return p.dscale > 0 ? `${sign}${int}.${frac}` : `${sign}${int}`;
}

describe('sinks/copy-binary', () => {
  describe('framing', () => {
    it('writes the signature, flags and extension, a field count per row, the engine columns and the trailer', () => {
      const encode = binaryRowEncoder(layoutOf(['integer', 'text']));
      const rows: StagedRow[] = [
        full([1, 'a']),
        { kind: 'patch', values: [2, null], set: new Uint8Array([1, 0]), cascade: true },
        { kind: 'merge', values: [3, 'c'], set: new Uint8Array([1, 2]), cascade: false },
      ];
      const decoded = readCopyBinary(encodeBinaryStage(encode, rows, 16) as Buffer);
      expect(decoded).to.have.length(3);
      for (const [i, r] of decoded.entries()) {
        expect(r).to.have.length(6);
        expect((r[0] as Buffer).readInt32BE(0), 'cdc_row').to.equal(i);
      }
      expect(decoded.map((r) => (r[1] as Buffer).toString())).to.deep.equal(['full', 'patch', 'merge']);
      expect(decoded[0]?.[2], 'no mask: NULL').to.equal(null);
      expect(decoded.slice(1).map((r) => (r[2] as Buffer).toString())).to.deep.equal(['10', '12']);
      expect(decoded.map((r) => [...(r[3] as Buffer)])).to.deep.equal([[0], [1], [0]]);
      expect(decoded[1]?.[5], 'NULL value').to.equal(null);
      expect((decoded[2]?.[5] as Buffer).toString()).to.equal('c');
    });

    it('grows its buffer from a tiny start without losing bytes', () => {
      const encode = binaryRowEncoder(layoutOf(['integer', 'text']));
      const long = 'x'.repeat(5000);
      const rows = Array.from({ length: 50 }, (_, i) => full([i, `${long}${i}`]));
      const decoded = readCopyBinary(encodeBinaryStage(encode, rows, 1) as Buffer);
      expect(decoded.map((r) => (r[5] as Buffer).toString())).to.deep.equal(rows.map((r) => r.values[1]));
    });

    it('compiles one function per layout, generated source with no loop over the columns', () => {
      const encode = binaryRowEncoder(layoutOf(['uuid', 'numeric', 'timestamptz']));
      expect(encode.name).to.equal('encodeStageRowBinary');
      expect(encode.toString()).to.not.match(/for \(/);
    });

    it('writer: a reservation keeps what was written; the trailer ends the data', () => {
      const w = new CopyBinaryWriter(1);
      w.reserve(4);
      w.buf.writeInt32BE(-2, w.pos);
      w.pos += 4;
      w.reserve(100_000);
      expect(w.buf.length).to.be.at.least(100_023);
      const data = w.finish();
      expect(data.length).to.equal(25);
      expect(data.readInt32BE(19)).to.equal(-2);
      expect(data.readInt16BE(23)).to.equal(-1);
    });
  });

  describe('integers', () => {
    it('smallint, integer: their bounds', () => {
      expect(field('smallint', 32767)?.readInt16BE(0)).to.equal(32767);
      expect(field('smallint', -32768)?.readInt16BE(0)).to.equal(-32768);
      expect(field('smallint', 0)?.length).to.equal(2);
      expect(field('integer', 2147483647)?.readInt32BE(0)).to.equal(2147483647);
      expect(field('integer', -2147483648)?.readInt32BE(0)).to.equal(-2147483648);
      expect(field('integer', -1)?.readInt32BE(0)).to.equal(-1);
    });

    it('bigint: safe integers as numbers, 2^63-1 and -2^63 from their digits, lossless', () => {
      expect(int64(field('bigint', 0))).to.equal(0n);
      expect(int64(field('bigint', -1))).to.equal(-1n);
      expect(int64(field('bigint', 2 ** 32))).to.equal(2n ** 32n);
      expect(int64(field('bigint', -(2 ** 32) - 1))).to.equal(-(2n ** 32n) - 1n);
      expect(int64(field('bigint', Number.MAX_SAFE_INTEGER))).to.equal(2n ** 53n - 1n);
      expect(int64(field('bigint', Number.MIN_SAFE_INTEGER))).to.equal(-(2n ** 53n) + 1n);
      expect(int64(field('bigint', '9007199254740993'))).to.equal(9007199254740993n);
      expect(int64(field('bigint', '9223372036854775807'))).to.equal(2n ** 63n - 1n);
      expect(int64(field('bigint', '-9223372036854775808'))).to.equal(-(2n ** 63n));
    });

    it('leaves what is not an integer of the type to Postgres', () => {
      expect(field('smallint', 32768)).to.equal(undefined);
      expect(field('integer', 1.5)).to.equal(undefined);
      expect(field('bigint', '9223372036854775808')).to.equal(undefined);
      expect(field('bigint', 2 ** 60)).to.equal(undefined);
      expect(field('bigint', '12a')).to.equal(undefined);
    });
  });

  describe('floats and booleans', () => {
    it('double precision: the value itself; -0 as 0 (COPY text sends "0"); the special words', () => {
      expect(field('double precision', 0.1)?.readDoubleBE(0)).to.equal(0.1);
      expect(field('double precision', 5e-324)?.readDoubleBE(0)).to.equal(5e-324);
      expect(Object.is(field('double precision', -0)?.readDoubleBE(0), 0)).to.equal(true);
      expect(field('double precision', 'NaN')?.readDoubleBE(0)).to.be.NaN;
      expect(field('double precision', '-Infinity')?.readDoubleBE(0)).to.equal(Number.NEGATIVE_INFINITY);
      expect(field('double precision', 'nan')).to.equal(undefined);
    });

    it('real: rounded to float4, the largest float4 kept, -0 as 0', () => {
      expect(field('real', 1.5)?.readFloatBE(0)).to.equal(1.5);
      expect(field('real', 0.1)?.readFloatBE(0)).to.equal(Math.fround(0.1));
      expect(field('real', 3.4028234663852886e38)?.readFloatBE(0)).to.equal(3.4028234663852886e38);
      expect(Object.is(field('real', -0)?.readFloatBE(0), 0)).to.equal(true);
      expect(field('real', 'Infinity')?.readFloatBE(0)).to.equal(Number.POSITIVE_INFINITY);
      expect(field('real', 1e-45)?.readFloatBE(0)).to.equal(Math.fround(1e-45));
    });

    it('real: leaves to Postgres what float4in refuses (overflow, underflow to 0) or rounds by the decimal (midpoints)', () => {
      expect(field('real', 1e39)).to.equal(undefined);
      expect(field('real', -1e39)).to.equal(undefined);
      expect(field('real', 1e-46)).to.equal(undefined);
      expect(field('real', 16777217)).to.equal(undefined); // halfway between 16777216 and 16777218
      expect(field('real', 2 ** -150)).to.equal(undefined); // halfway between 0 and the smallest subnormal
      expect(field('real', 3 * 2 ** -150)).to.equal(undefined);
      expect(field('real', 16777218)?.readFloatBE(0)).to.equal(16777218);
    });

    it('boolean: one byte', () => {
      expect([...(field('boolean', true) as Buffer)]).to.deep.equal([1]);
      expect([...(field('boolean', false) as Buffer)]).to.deep.equal([0]);
    });
  });

  describe('text, json, bytea, uuid', () => {
    it('text and varchar: UTF-8, non-ASCII and characters COPY text escapes sent raw', () => {
      for (const s of ['', 'Zoë 山田 \u{1F600}', 'tab\tnew\nline\r\\N\\.', '\\x41', '\u2028\u0001']) {
        expect((field('text', s) as Buffer).toString('utf8')).to.equal(s);
        expect((field('varchar(20)', s) as Buffer).equals(Buffer.from(s, 'utf8'))).to.equal(true);
      }
      const astral = '\u{1F600}'.repeat(1000);
      expect((field('text', astral) as Buffer).length).to.equal(4000);
    });

    it('json as its text; jsonb with its version byte 1', () => {
      expect((field('json', '{"a":[1,"é"]}') as Buffer).toString()).to.equal('{"a":[1,"é"]}');
      const b = field('jsonb', '{"a":"é"}') as Buffer;
      expect(b[0]).to.equal(1);
      expect(b.subarray(1).toString()).to.equal('{"a":"é"}');
    });

    it('bytea: the bytes of its hex input', () => {
      expect([...(field('bytea', '\\x00ff10Ab') as Buffer)]).to.deep.equal([0, 255, 16, 171]);
      expect((field('bytea', '\\x') as Buffer).length).to.equal(0);
      expect(field('bytea', '\\x0')).to.equal(undefined);
      expect(field('bytea', '\\xzz')).to.equal(undefined);
      expect(field('bytea', '00ff')).to.equal(undefined);
    });

    it('uuid: 16 bytes', () => {
      const id = '0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9';
      expect((field('uuid', id) as Buffer).toString('hex')).to.equal(id.replaceAll('-', ''));
      expect((field('uuid', id.toUpperCase()) as Buffer).toString('hex')).to.equal(id.replaceAll('-', ''));
      expect(field('uuid', id.replace('-', 'x'))).to.equal(undefined);
      expect(field('uuid', `${id.slice(0, 35)}g`)).to.equal(undefined);
    });
  });

  describe('dates', () => {
    it('days since 2000-01-01: before and after it, leap days, the year range', () => {
      const days = (s: string) => (field('date', s) as Buffer).readInt32BE(0);
      expect(days('2000-01-01')).to.equal(0);
      expect(days('1999-12-31')).to.equal(-1);
      expect(days('2000-02-29')).to.equal(59);
      expect(days('2000-03-01')).to.equal(60);
      expect(days('1900-03-01') - days('1900-02-28')).to.equal(1); // 1900 is not a leap year
      expect(days('2024-03-01') - days('2024-02-28')).to.equal(2);
      expect(days('1970-01-01')).to.equal(-10957);
      expect(days('1969-12-31')).to.equal(-10958);
      expect(days('0001-01-01')).to.equal(-730119);
      expect(days('9999-12-31')).to.equal(2921939);
    });

    it('leaves malformed text to Postgres', () => {
      expect(field('date', '2000-1-01')).to.equal(undefined);
      expect(field('date', '2000/01/01')).to.equal(undefined);
      for (const bad of [
        '20x0-01-01',
        'x000-01-01',
        '2000-0x-01',
        '2000-01-0x',
        '0000-01-01',
        '2000-13-01',
        '2000-00-10',
        '2000-01-32',
        '2001-02-29',
        '1900-02-29',
        '2000-04-31',
      ]) {
        expect(field('date', bad), bad).to.equal(undefined);
      }
    });
  });

  describe('timestamps', () => {
    const tsz = (s: string) => int64(field('timestamptz', s));
    const ts = (s: string) => int64(field('timestamp', s));

    it('µs since 2000-01-01 UTC, before 1970 and before 2000, leap days', () => {
      expect(tsz('2000-01-01T00:00:00Z')).to.equal(0n);
      expect(tsz('1999-12-31T23:59:59.999999Z')).to.equal(-1n);
      expect(tsz('1969-12-31T23:59:59.5Z')).to.equal(micros(1969, 12, 31, 23, 59, 59, 500000));
      expect(tsz('1900-01-01T00:00:00Z')).to.equal(micros(1900, 1, 1));
      expect(tsz('0001-01-01T00:00:00Z')).to.equal(micros(1, 1, 1));
      expect(tsz('9999-12-31T23:59:59.999999Z')).to.equal(micros(9999, 12, 31, 23, 59, 59, 999999));
      expect(tsz('2024-02-29T12:34:56.789012Z')).to.equal(micros(2024, 2, 29, 12, 34, 56, 789012));
      expect(tsz('2026-12-01 10:00:00.123+00')).to.equal(micros(2026, 12, 1, 10, 0, 0, 123000));
    });

    it('timestamptz: offsets converted to UTC, across a day and a year boundary', () => {
      expect(tsz('2024-03-01T05:29:00+05:30')).to.equal(micros(2024, 2, 29, 23, 59));
      expect(tsz('1999-12-31T16:00:00-08:00')).to.equal(0n);
      expect(tsz('2000-01-01T00:00:00+15:59')).to.equal(micros(1999, 12, 31, 8, 1));
      expect(tsz('2000-01-01T00:00:00-15:59')).to.equal(micros(2000, 1, 1, 15, 59));
      expect(tsz('0001-01-01T00:30:00+01:00')).to.equal(micros(1, 1, 1) - 1800n * 1000000n); // 1 BC
      expect(tsz('2000-01-01T00:00:00-00:00')).to.equal(0n);
    });

    it('timestamp without time zone: as written, T or space', () => {
      expect(ts('2024-02-29 23:59:59.999999')).to.equal(micros(2024, 2, 29, 23, 59, 59, 999999));
      expect(ts('1950-06-15T08:00:00')).to.equal(micros(1950, 6, 15, 8));
    });

    it('nanoseconds rounded to µs as Postgres rounds them (the fraction as a double, x 10^6, half to even)', () => {
      const base = micros(2020, 1, 1, 0, 0, 0);
      const frac = (f: string) => tsz(`2020-01-01T00:00:00.${f}Z`) - base;
      expect(frac('123456789')).to.equal(123457n);
      expect(frac('123456499')).to.equal(123456n);
      expect(frac('0000005')).to.equal(0n); // 0.5 -> 0
      expect(frac('0000015')).to.equal(2n); // 1.5 -> 2
      expect(frac('0000025')).to.equal(2n); // 2.5 -> 2
      expect(frac('1234565')).to.equal(123456n);
      expect(frac('000000001')).to.equal(0n);
      expect(frac('5')).to.equal(500000n);
      // Rounding up into the next second, minute, day, year.
      expect(tsz('2020-12-31T23:59:59.9999999Z')).to.equal(micros(2021, 1, 1));
      expect(tsz('1999-12-31T23:59:59.999999999Z')).to.equal(0n);
    });

    it('leaves what no validator writes to Postgres: another separator, a missing zone, a zone on a timestamp', () => {
      expect(field('timestamp', '2020-01-01X10:00:00')).to.equal(undefined);
      expect(field('timestamp', '2020-01-01t10:00:00')).to.equal(undefined);
      expect(field('timestamptz', '2020-01-01T10:00:00')).to.equal(undefined);
      expect(field('timestamp', '2020-01-01T10:00:00Z')).to.equal(undefined);
      expect(field('timestamptz', '2020-01-01T10:00:00.1234567890Z')).to.equal(undefined);
      expect(field('timestamptz', '2020-01-01T24:00:00Z')).to.equal(undefined);
      for (const bad of [
        '2020-01-01T1x:00:00Z',
        '2020-01-01T10:00:00.Z',
        '2020-01-01T10:00:00.1x2Z',
        '2020-01-01T10:00:00+1x:00',
        '2020-01-01T10:00:00+01-00',
      ]) {
        expect(field('timestamptz', bad), bad).to.equal(undefined);
      }
      // Validation takes offsets up to ±23:59; Postgres refuses those beyond ±15:59 (REJECTED_BY_POSTGRES).
      expect(field('timestamptz', '2020-01-01T10:00:00+16:00')).to.equal(undefined);
      expect(field('timestamptz', '2020-01-01T10:00:00-23:59')).to.equal(undefined);
    });
  });

  describe('time', () => {
    const t = (s: string) => int64(field('time', s));
    it('µs since midnight, 24:00:00 included, fractions rounded like timestamps', () => {
      expect(t('00:00:00')).to.equal(0n);
      expect(t('12:34:56.789')).to.equal(45296789000n);
      expect(t('23:59:59.999999')).to.equal(86399999999n);
      expect(t('24:00:00')).to.equal(86400000000n);
      expect(t('24:00:00.000000000')).to.equal(86400000000n);
      expect(t('23:59:59.9999995')).to.equal(86400000000n);
      expect(t('00:00:00.0000025')).to.equal(2n);
      expect(field('time', '24:00:01')).to.equal(undefined);
      expect(field('time', '12:00')).to.equal(undefined);
    });
  });

  describe('numeric', () => {
    const parts = (s: string) => numericParts(field('numeric', s));

    it('zero, with and without a scale, never negative', () => {
      expect(parts('0')).to.deep.equal({ weight: 0, sign: 0, dscale: 0, digits: [] });
      expect(parts('0.00')).to.deep.equal({ weight: 0, sign: 0, dscale: 2, digits: [] });
      expect(parts('-0.0')).to.deep.equal({ weight: 0, sign: 0, dscale: 1, digits: [] });
    });

    it('base-10000 digits, weight, sign and the text own scale', () => {
      expect(parts('1')).to.deep.equal({ weight: 0, sign: 0, dscale: 0, digits: [1] });
      expect(parts('10000')).to.deep.equal({ weight: 1, sign: 0, dscale: 0, digits: [1] });
      expect(parts('12345.678')).to.deep.equal({ weight: 1, sign: 0, dscale: 3, digits: [1, 2345, 6780] });
      expect(parts('-12345.678')).to.deep.equal({ weight: 1, sign: 0x4000, dscale: 3, digits: [1, 2345, 6780] });
      expect(parts('0.0001')).to.deep.equal({ weight: -1, sign: 0, dscale: 4, digits: [1] });
      expect(parts('0.00001')).to.deep.equal({ weight: -2, sign: 0, dscale: 5, digits: [1000] });
      expect(parts('1.50')).to.deep.equal({ weight: 0, sign: 0, dscale: 2, digits: [1, 5000] });
      expect(parts('100000000.00000001')).to.deep.equal({ weight: 2, sign: 0, dscale: 8, digits: [1, 0, 0, 0, 1] });
      expect(parts('007.5')).to.deep.equal({ weight: 0, sign: 0, dscale: 1, digits: [7, 5000] });
    });

    it('large, negative and long values round-trip exactly', () => {
      const cases = [
        '123456789012345678901234567890.123456789012345678901234567890',
        '-99999999999999999999999999999999999999.99',
        '9223372036854775807',
        '-0.000000000000000000000000000001',
        `0.${'0'.repeat(999)}1`,
        `${'9'.repeat(1000)}.${'1'.repeat(1000)}`,
        `-${'1'.repeat(131072)}`,
        `0.${'3'.repeat(16383)}`,
      ];
      for (const c of cases) expect(numericText(parts(c)), c.slice(0, 40)).to.equal(c);
    });

    it('leaves to Postgres what its binary form cannot carry (it refuses or rounds the text itself) and anything else', () => {
      expect(field('numeric', `1${'0'.repeat(131072)}`)).to.equal(undefined); // beyond 131072 integer digits
      expect(field('numeric', `0.${'1'.repeat(16384)}`)).to.equal(undefined); // beyond 16383 fraction digits
      expect(field('numeric(10,2)', `1.${'1'.repeat(16384)}`)).to.equal(undefined);
      for (const bad of ['NaN', 'Infinity', '1e5', '', '-', '1.', '.5', '1.2.3', '+1'])
        expect(field('numeric', bad), bad).to.equal(undefined);
    });
  });

  describe('the seed sinks', () => {
    it('encode a staged batch as COPY binary with the binary statement', () => {
      const user: StagedRow = full([
        '0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9',
        'Zoë',
        '1990-02-28',
        '2024-02-29T12:00:00.123456789Z',
        '2024-02-29T12:00:00.123456789Z',
        false,
      ]);
      const stage = usersSink.encodeStage([user, user]);
      expect(stage.binary).to.equal(true);
      expect(stage.sql).to.match(/ FROM STDIN \(FORMAT binary\)$/);
      const rows = readCopyBinary(stage.data);
      expect(rows).to.have.length(2);
      expect((rows[1]?.[0] as Buffer).readInt32BE(0)).to.equal(1);
      expect(int64(rows[0]?.[7])).to.equal(micros(2024, 2, 29, 12, 0, 0, 123457));
      expect(ordersSink.sql.copyBinary).to.equal(`${ordersSink.sql.copy} (FORMAT binary)`);
    });

    it('fall back to COPY text for the whole batch when one value must be parsed by Postgres', () => {
      const row = (total: string): StagedRow =>
        full([
          '0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9',
          'new',
          '0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9',
          1,
          total,
          '2024-01-01T00:00:00Z',
          '2024-01-01T00:00:00Z',
          false,
        ]);
      expect(ordersSink.layout.columns[4]?.type.kind).to.equal('numeric');
      const rows = [row('1.5'), row(`1.${'5'.repeat(16384)}`)];
      const stage = ordersSink.encodeStage(rows);
      expect(stage.binary).to.equal(false);
      expect(stage.sql).to.equal(ordersSink.sql.copy);
      expect(stage.data.toString()).to.equal(ordersSink.encodeRow(rows[0] as StagedRow, 0) + ordersSink.encodeRow(rows[1] as StagedRow, 1));
    });
  });
});
