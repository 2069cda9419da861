/**
 * Postgres COPY binary format (`COPY ... FROM STDIN (FORMAT binary)`): the 11-byte signature
 * `PGCOPY\n\377\r\n\0`, an int32 flags word and an int32 header-extension length (both 0), then per
 * row an int16 field count and per field an int32 byte length (-1 for NULL) and the bytes of the type's
 * binary send format; an int16 -1 ends the data. Every integer is big-endian.
 *
 * Why: with COPY text Postgres parses every uuid, timestamp, date, time and numeric from its text; here
 * they arrive in their stored form, so the server only copies bytes.
 *
 * The values are the validated text forms of lib/sinks/validate.ts and the formats (see types.ts's
 * Value). Each is converted exactly as Postgres' text input would read it, including its rounding of
 * fractional seconds to microseconds and (numeric_recv applies the column's typmod) of numerics to the
 * declared scale. A value for which that equality is not certain makes the row encoder return false:
 * the caller then stages the whole batch as COPY text (copy-text.ts), and Postgres judges the value as
 * before, storing it or refusing it with its own message (REJECTED_BY_POSTGRES once isolated). Those
 * are: a numeric beyond the binary form's limits (lib/sinks/pg-limits.ts's integer and fraction digits; text into
 * numeric(p,s) may have more, Postgres rounds them), a real that float4in would refuse (overflow,
 * underflow to 0; the validators refuse those already) or that sits exactly between two floats, a zone
 * offset beyond Postgres' ±15:59 (also refused by the validators), and any text form no validator produces (Postgres reads
 * `2020-01-01X10:00:00` as midnight, so digits taken by position would store something else).
 */
import type { TypeKind } from './column-types.js';
import type { StagedRow } from './fold.js';
import type { Layout } from './layout.js';
import {
  BIGINT_MAX,
  BIGINT_MIN,
  DAYS_1970_TO_2000,
  daysFromCivil,
  daysInMonth,
  FLOAT4_MIN_NORMAL,
  HEX_DIGIT_VALUE,
  MAX_OFFSET_HOURS,
  NUMERIC_MAX_FRACTION_DIGITS,
  NUMERIC_MAX_INTEGER_DIGITS,
  SECONDS_PER_DAY,
  SMALLINT_MAX,
  SMALLINT_MIN,
} from './pg-limits.js';
import type { Value } from './types.js';

/** `PGCOPY\n\377\r\n\0`, flags 0, header extension length 0. */
const HEADER = Buffer.from([0x50, 0x47, 0x43, 0x4f, 0x50, 0x59, 0x0a, 0xff, 0x0d, 0x0a, 0x00, 0, 0, 0, 0, 0, 0, 0, 0]);

const TWO_32 = 4294967296;

/**
 * One batch's COPY data in one growable Buffer. A row encoder reserves the most its row can take, then
 * its field writers store bytes without bounds checks.
 */
export class CopyBinaryWriter {
  buf: Buffer;
  pos: number;

  constructor(initialBytes = 64 * 1024) {
    this.buf = Buffer.allocUnsafe(Math.max(initialBytes, 1024));
    HEADER.copy(this.buf, 0);
    this.pos = HEADER.length;
  }

  /** Makes room for n more bytes (this.buf may be replaced). */
  reserve(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  /** The data so far plus the trailer (int16 -1); the writer is done after this. */
  finish(): Buffer {
    this.reserve(2);
    this.buf[this.pos++] = 0xff;
    this.buf[this.pos++] = 0xff;
    return this.buf.subarray(0, this.pos);
  }
}

// Stores into the reserved space: a Uint8Array store keeps the low 8 bits, which is two's complement
// for negative values too. (Buffer's writeInt32BE checks range and bounds on every call.)

function put16(buf: Buffer, p: number, v: number): void {
  buf[p] = v >>> 8;
  buf[p + 1] = v;
}

function put32(buf: Buffer, p: number, v: number): void {
  buf[p] = v >>> 24;
  buf[p + 1] = v >>> 16;
  buf[p + 2] = v >>> 8;
  buf[p + 3] = v;
}

/**
 * An int64 field (length word 8, then the value) from an integer held exactly in a double (|v| < 2^53)
 * or given as a multiple of 64 plus a small non-negative rest (see timestamps); returns the new position.
 */
function putInt64Field(buf: Buffer, p: number, v: number, rest: number): number {
  put32(buf, p, 8);
  // floor(v / 2^32) is the signed high word; the subtraction is exact (its result is representable).
  let hi = Math.floor(v / TWO_32);
  let lo = v - hi * TWO_32 + rest;
  if (lo >= TWO_32) {
    lo -= TWO_32;
    hi += 1;
  }
  put32(buf, p + 4, hi);
  put32(buf, p + 8, lo);
  return p + 12;
}

// ---------------------------------------------------------------------------------------------------
// Field writers: (buffer, position, value) -> the position after the field's length word and bytes, or
// -1 for a value that must go to Postgres as text. The row encoder has reserved `FIELD_BYTES` (fixed
// sizes) or `variableBytes` (text-like values) for each.

type FieldWriter = (buf: Buffer, p: number, v: Value) => number;

function int2(buf: Buffer, p: number, v: Value): number {
  if (typeof v !== 'number' || (v | 0) !== v || v < SMALLINT_MIN || v > SMALLINT_MAX) return -1;
  put32(buf, p, 2);
  put16(buf, p + 4, v);
  return p + 6;
}

function int4(buf: Buffer, p: number, v: Value): number {
  if (typeof v !== 'number' || (v | 0) !== v) return -1;
  put32(buf, p, 4);
  put32(buf, p + 4, v);
  return p + 8;
}

const DIGITS = /^-?\d+$/;

/** A safe integer as a number, or (beyond 2^53, as the validators give it) its decimal digits. */
function int8(buf: Buffer, p: number, v: Value): number {
  if (typeof v === 'number') return Number.isSafeInteger(v) ? putInt64Field(buf, p, v, 0) : -1;
  if (typeof v !== 'string' || !DIGITS.test(v)) return -1;
  const n = BigInt(v);
  if (n < BIGINT_MIN || n > BIGINT_MAX) return -1;
  put32(buf, p, 8);
  buf.writeBigInt64BE(n, p + 4);
  return p + 12;
}

function bool(buf: Buffer, p: number, v: Value): number {
  if (typeof v !== 'boolean') return -1;
  put32(buf, p, 1);
  buf[p + 4] = v ? 1 : 0;
  return p + 5;
}

/** real and double precision also take Debezium's special values as text. */
function floatWord(v: string): number | undefined {
  return v === 'NaN' ? Number.NaN : v === 'Infinity' ? Number.POSITIVE_INFINITY : v === '-Infinity' ? Number.NEGATIVE_INFINITY : undefined;
}

/** 2^149: float4 subnormals step by 2^-149. */
const TWO_149 = 2 ** 149;
const F64 = new Float64Array(1);
const F64_WORDS = new Uint32Array(F64.buffer);
const LOW_WORD = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 0 : 1;

/**
 * Whether a double lies exactly halfway between two float4 values. COPY text sends String(v), which
 * float4in rounds to the nearest float4; Math.fround rounds v itself. The two differ only when v is such
 * a midpoint (the decimal can then lie on either side of it).
 */
function float4Midpoint(v: number): boolean {
  const a = Math.abs(v);
  if (a < FLOAT4_MIN_NORMAL) {
    const x = a * TWO_149;
    return x - Math.floor(x) === 0.5;
  }
  F64[0] = a;
  // Of the double's 52 mantissa bits float4 keeps 23: a midpoint has the 24th set and nothing below.
  return ((F64_WORDS[LOW_WORD] as number) & 0x1fffffff) === 0x10000000;
}

function float4(buf: Buffer, p: number, v: Value): number {
  let f: number;
  if (typeof v === 'string') {
    const special = floatWord(v);
    if (special === undefined) return -1;
    f = special;
  } else if (typeof v === 'number') {
    f = Math.fround(v);
    // float4in refuses what overflows to infinity or underflows to zero; a midpoint is not certain.
    if (f !== v && (!Number.isFinite(f) || f === 0 || float4Midpoint(v))) return -1;
  } else return -1;
  put32(buf, p, 4);
  // + 0: String(-0) is "0", which COPY text stores as +0.
  buf.writeFloatBE(f + 0, p + 4);
  return p + 8;
}

function float8(buf: Buffer, p: number, v: Value): number {
  let f: number;
  if (typeof v === 'string') {
    const special = floatWord(v);
    if (special === undefined) return -1;
    f = special;
  } else if (typeof v === 'number') f = v + 0;
  else return -1;
  put32(buf, p, 8);
  buf.writeDoubleBE(f, p + 4);
  return p + 12;
}

/** Strings up to this many UTF-16 units are tried as ASCII in JavaScript: cheaper than a call to the UTF-8 encoder. */
const ASCII_LOOP_MAX = 64;

/**
 * A string's UTF-8 bytes at buf[p...] (reserved: 3 bytes per UTF-16 unit); returns how many. The
 * validators have refused NUL and unpaired surrogates.
 */
function utf8At(buf: Buffer, p: number, v: string): number {
  const n = v.length;
  if (n <= ASCII_LOOP_MAX) {
    let i = 0;
    for (; i < n; i++) {
      const c = v.charCodeAt(i);
      if (c >= 0x80) break;
      buf[p + i] = c;
    }
    if (i === n) return n;
  }
  return buf.write(v, p, 'utf8');
}

/** text, varchar and json: UTF-8. */
function text(buf: Buffer, p: number, v: Value): number {
  if (typeof v !== 'string') return -1;
  const n = utf8At(buf, p + 4, v);
  put32(buf, p, n);
  return p + 4 + n;
}

/** jsonb's send format: a version byte (1), then the document's text. */
function jsonb(buf: Buffer, p: number, v: Value): number {
  if (typeof v !== 'string') return -1;
  const n = utf8At(buf, p + 5, v);
  put32(buf, p, n + 1);
  buf[p + 4] = 1;
  return p + 5 + n;
}

/** The byte of the two hex digits at s[i], or a negative number. */
function hexByte(s: string, i: number): number {
  const a = s.charCodeAt(i);
  const b = s.charCodeAt(i + 1);
  if ((a | b) >= 128) return -1;
  const x = HEX_DIGIT_VALUE[a] as number;
  const y = HEX_DIGIT_VALUE[b] as number;
  return (x | y) < 0 ? -1 : (x << 4) | y;
}

/** bytea as its hex input (`\x` and pairs of hex digits) -> the bytes. */
function bytea(buf: Buffer, p: number, v: Value): number {
  if (typeof v !== 'string' || v.charCodeAt(0) !== 92 || v.charCodeAt(1) !== 120 || v.length % 2 !== 0) return -1;
  let at = p + 4;
  for (let i = 2; i < v.length; i += 2) {
    const b = hexByte(v, i);
    if (b < 0) return -1;
    buf[at++] = b;
  }
  put32(buf, p, at - p - 4);
  return at;
}

/** Where a canonical UUID's 16 bytes start: 8-4-4-4-12 hex digits. */
const UUID_BYTES = [0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34];

/** A canonical UUID -> its 16 bytes. */
function uuid(buf: Buffer, p: number, v: Value): number {
  if (typeof v !== 'string' || v.length !== 36) return -1;
  if (v.charCodeAt(8) !== 45 || v.charCodeAt(13) !== 45 || v.charCodeAt(18) !== 45 || v.charCodeAt(23) !== 45) return -1;
  put32(buf, p, 16);
  for (let k = 0; k < 16; k++) {
    const b = hexByte(v, UUID_BYTES[k] as number);
    if (b < 0) return -1;
    buf[p + 4 + k] = b;
  }
  return p + 20;
}

// ---------------------------------------------------------------------------------------------------
// Dates and times. Parsers leave their results in module state (this runs per value, no objects).

/** The number of the two digits at s[i], or -1. (`>>> 0` makes a character below '0' a large number.) */
function twoDigits(s: string, i: number): number {
  const a = s.charCodeAt(i) - 48;
  const b = s.charCodeAt(i + 1) - 48;
  return a >>> 0 <= 9 && b >>> 0 <= 9 ? a * 10 + b : -1;
}

/** The number of the `count` digits at s[i..], or -1. */
function digitsAt(s: string, i: number, count: number): number {
  let n = 0;
  for (let k = i; k < i + count; k++) {
    const d = s.charCodeAt(k) - 48;
    if (d >>> 0 > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}

// The last date converted: a batch's timestamps mostly share their day.
let lastDateKey = -1;
let lastDateDays = 0;

/** `YYYY-MM-DD` at the start of s -> days since 2000-01-01, or NaN. Validation has checked the calendar. */
function daysAt(s: string): number {
  const century = twoDigits(s, 0);
  const rest = twoDigits(s, 2);
  const year = century * 100 + rest;
  const month = twoDigits(s, 5);
  const day = twoDigits(s, 8);
  if (
    century < 0 ||
    rest < 0 ||
    year < 1 ||
    month < 1 ||
    month > 12 ||
    day < 1 ||
    day > 31 ||
    s.charCodeAt(4) !== 45 ||
    s.charCodeAt(7) !== 45
  ) {
    return Number.NaN;
  }
  const key = (year * 16 + month) * 32 + day;
  if (key !== lastDateKey) {
    // Validation refuses impossible dates; should one come here anyway, Postgres is to refuse it.
    if (day > daysInMonth(year, month)) return Number.NaN;
    lastDateDays = daysFromCivil(year, month, day) - DAYS_1970_TO_2000;
    lastDateKey = key;
  }
  return lastDateDays;
}

function date(buf: Buffer, p: number, v: Value): number {
  if (typeof v !== 'string' || v.length !== 10) return -1;
  const days = daysAt(v);
  if (Number.isNaN(days)) return -1;
  put32(buf, p, 4);
  put32(buf, p + 4, days);
  return p + 8;
}

const POW10 = [1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9];

/** Round half to even, as C's rint in the default rounding mode; x >= 0. */
function rint(x: number): number {
  const r = Math.floor(x);
  const d = x - r;
  return d > 0.5 || (d === 0.5 && r % 2 === 1) ? r + 1 : r;
}

// Results of clockAt: seconds of the day, and microseconds (0..1000000: the rounding can carry).
let clockSeconds = 0;
let clockMicros = 0;

/**
 * `HH:MM:SS[.fraction]` at s[i..] up to `end` (exclusive) -> clockSeconds, clockMicros; false when
 * malformed. The fraction is rounded as Postgres' datetime parser rounds it: the fraction read as a
 * double (n / 10^k is that double, correctly rounded like strtod), times 10^6, rint.
 */
function clockAt(s: string, i: number, end: number, maxHour: number): boolean {
  const hour = twoDigits(s, i);
  const minute = twoDigits(s, i + 3);
  const second = twoDigits(s, i + 6);
  if (hour < 0 || minute < 0 || second < 0 || s.charCodeAt(i + 2) !== 58 || s.charCodeAt(i + 5) !== 58) return false;
  if (hour > maxHour || minute > 59 || second > 59) return false;
  clockSeconds = hour * 3600 + minute * 60 + second;
  clockMicros = 0;
  const j = i + 8;
  if (j === end) return true;
  if (s.charCodeAt(j) !== 46) return false;
  const k = end - j - 1;
  if (k < 1 || k > 9) return false;
  const n = digitsAt(s, j + 1, k);
  if (n < 0) return false;
  clockMicros = rint((n / (POW10[k] as number)) * 1e6);
  return true;
}

/**
 * timestamp and timestamptz: `YYYY-MM-DD`, `T` or a space, the clock, then (timestamptz only) `Z` or an
 * offset `±hh`, `±hh:mm` up to ±15:59, converted to UTC; a timestamp is taken as written. The value is
 * an int64 of microseconds since 2000-01-01 00:00.
 */
function timestampOf(zoned: boolean): FieldWriter {
  return (buf, p, v) => {
    if (typeof v !== 'string' || v.length < 19) return -1;
    const sep = v.charCodeAt(10);
    if (sep !== 84 && sep !== 32) return -1;
    const days = daysAt(v);
    if (Number.isNaN(days)) return -1;
    const n = v.length;
    let end = n;
    let offset = 0;
    if (zoned) {
      const last = v.charCodeAt(n - 1);
      if (last === 90) end = n - 1;
      else {
        // `±hh` or `±hh:mm`
        const at = v.charCodeAt(n - 3) === 58 ? n - 6 : n - 3;
        const sign = v.charCodeAt(at);
        if (sign !== 43 && sign !== 45) return -1;
        const oh = twoDigits(v, at + 1);
        const om = at === n - 6 ? twoDigits(v, at + 4) : 0;
        // Postgres refuses displacements beyond 15:59, which the validators let through.
        if (oh < 0 || om < 0 || oh > MAX_OFFSET_HOURS || om > 59) return -1;
        offset = (sign === 45 ? -1 : 1) * (oh * 3600 + om * 60);
        end = at;
      }
    }
    if (!clockAt(v, 11, end, 23)) return -1;
    // seconds x 10^6 passes 2^53 in years far from 2000; seconds x 15625 (10^6 / 64) stays below it for
    // years 0001-9999, x 64 is exact, and the microseconds are added to the low word.
    return putInt64Field(buf, p, (days * SECONDS_PER_DAY + clockSeconds - offset) * 15625 * 64, clockMicros);
  };
}

/** time: microseconds since midnight, 24:00:00 included (as Postgres' time takes it). */
function time(buf: Buffer, p: number, v: Value): number {
  if (typeof v !== 'string' || !clockAt(v, 0, v.length, 24)) return -1;
  const total = clockSeconds * 1e6 + clockMicros;
  if (total > SECONDS_PER_DAY * 1e6) return -1;
  return putInt64Field(buf, p, total, 0);
}

// ---------------------------------------------------------------------------------------------------
// numeric

const NUMERIC_NEG = 0x4000;

/** Base-10000 digits of the value being encoded; grown as needed, reused. */
let groups = new Uint16Array(64);

/**
 * Plain decimal text (optional `-`, digits, optional `.` and digits) -> numeric's send format: ndigits,
 * weight, sign, dscale (int16 each), then ndigits base-10000 digits, most significant first. dscale is
 * the text's own number of fraction digits, so numeric_recv keeps every digit (it truncates to dscale)
 * and then rounds to the column's declared scale, as numeric_in does for the text.
 */
function numeric(buf: Buffer, p: number, v: Value): number {
  if (typeof v !== 'string') return -1;
  const n = v.length;
  const negative = v.charCodeAt(0) === 45;
  let i = negative ? 1 : 0;
  let dot = -1;
  for (let j = i; j < n; j++) {
    const c = v.charCodeAt(j);
    if (c === 46) {
      if (dot >= 0) return -1;
      dot = j;
    } else if (c < 48 || c > 57) return -1;
  }
  const intEnd = dot < 0 ? n : dot;
  if (intEnd === i || dot === n - 1) return -1;
  while (i < intEnd && v.charCodeAt(i) === 48) i++;
  const intDigits = intEnd - i;
  const fracDigits = dot < 0 ? 0 : n - dot - 1;
  // The binary form's limits: the display scale is 14 bits, the weight (base-10000 digits before the
  // point, less 1) an int16 of at most 32767, which is these many decimal digits.
  if (fracDigits > NUMERIC_MAX_FRACTION_DIGITS || intDigits > NUMERIC_MAX_INTEGER_DIGITS) return -1;
  const intGroups = (intDigits + 3) >> 2;
  const total = intGroups + ((fracDigits + 3) >> 2);
  if (groups.length < total) groups = new Uint16Array(Math.max(total, groups.length * 2));
  // Integer groups end at the point; the first takes the remainder of the digits.
  let at = i;
  for (let g = 0; g < intGroups; g++) {
    const len = g === 0 ? intDigits - (intGroups - 1) * 4 : 4;
    let d = 0;
    for (let k = 0; k < len; k++) d = d * 10 + (v.charCodeAt(at++) - 48);
    groups[g] = d;
  }
  // Fraction groups start at the point; the last is padded with zeros on the right.
  at = dot + 1;
  for (let g = intGroups; g < total; g++) {
    let d = 0;
    for (let k = 0; k < 4; k++) d = d * 10 + (at < n ? v.charCodeAt(at++) - 48 : 0);
    groups[g] = d;
  }
  let first = 0;
  while (first < total && groups[first] === 0) first++;
  let last = total;
  while (last > first && groups[last - 1] === 0) last--;
  const ndigits = last - first;
  put32(buf, p, 8 + 2 * ndigits);
  put16(buf, p + 4, ndigits);
  put16(buf, p + 6, ndigits === 0 ? 0 : intGroups - 1 - first);
  put16(buf, p + 8, negative && ndigits > 0 ? NUMERIC_NEG : 0);
  put16(buf, p + 10, fracDigits);
  let q = p + 12;
  for (let g = first; g < last; g++) {
    put16(buf, q, groups[g] as number);
    q += 2;
  }
  return q;
}

// ---------------------------------------------------------------------------------------------------
// The row encoder

const WRITERS: Record<TypeKind, FieldWriter> = {
  smallint: int2,
  integer: int4,
  bigint: int8,
  numeric,
  real: float4,
  'double precision': float8,
  boolean: bool,
  text,
  varchar: text,
  uuid,
  date,
  timestamp: timestampOf(false),
  timestamptz: timestampOf(true),
  time,
  jsonb,
  json: text,
  bytea,
  // Postgres reads the engine's `N mons N days N microseconds` itself: such a batch goes as COPY text.
  interval: () => -1,
  // Postgres' own text input checks these (zones, XML, addresses): batches holding them go as COPY text.
  timetz: () => -1,
  xml: () => -1,
  inet: () => -1,
  cidr: () => -1,
  macaddr: () => -1,
  // A bit string's text ('0101') is what the decoder makes; its binary form would pack the bits again.
  bit: () => -1,
  varbit: () => -1,
  array: () => -1,
  // bpchar's binary form is its text; Postgres pads it to the declared length as its text input does.
  char: text,
};

/** The most a field of a fixed-size kind takes, length word included (NULL takes 4). */
const FIELD_BYTES: Partial<Record<TypeKind, number>> = {
  smallint: 6,
  integer: 8,
  bigint: 12,
  real: 8,
  'double precision': 12,
  boolean: 5,
  uuid: 20,
  date: 8,
  timestamp: 12,
  timestamptz: 12,
  time: 12,
};

/**
 * The most a text-like value of `length` UTF-16 units takes: a unit is at most 3 UTF-8 bytes (a
 * surrogate pair, two units, is 4); bytea's hex is 2 characters a byte; numeric's base-10000 digits
 * are 2 bytes per 4 decimal digits, plus one partial group on each side of the point.
 */
const VARIABLE_BYTES: Partial<Record<TypeKind, (length: string) => string>> = {
  text: (n) => `5 + 3 * ${n}`,
  varchar: (n) => `5 + 3 * ${n}`,
  char: (n) => `5 + 3 * ${n}`,
  json: (n) => `5 + 3 * ${n}`,
  jsonb: (n) => `5 + 3 * ${n}`,
  bytea: (n) => `4 + ${n}`,
  numeric: (n) => `16 + ${n}`,
};

/** The engine's columns, fixed part: field count, cdc_row, cdc_kind (at most 6 bytes), cdc_mask's length, cdc_cascade. */
const ENGINE_BYTES = 2 + 8 + 10 + 4 + 5;

/** Writes the engine's columns: cdc_row int, cdc_kind text, cdc_mask text (NULL: all set), cdc_cascade boolean. */
function engineFields(buf: Buffer, p: number, row: StagedRow, index: number, fieldCount: number): number {
  const kind = row.kind;
  const set = row.set;
  put16(buf, p, fieldCount);
  put32(buf, p + 2, 4);
  put32(buf, p + 6, index);
  put32(buf, p + 10, kind.length);
  p += 14;
  for (let i = 0; i < kind.length; i++) buf[p++] = kind.charCodeAt(i);
  if (set === undefined) {
    put32(buf, p, -1);
    p += 4;
  } else {
    put32(buf, p, set.length);
    p += 4;
    // '0', '1', '2' (see fold.ts's StagedRow.set).
    for (let i = 0; i < set.length; i++) buf[p++] = 48 + (set[i] as number);
  }
  put32(buf, p, 1);
  buf[p + 4] = row.cascade ? 1 : 0;
  return p + 5;
}

/** Writes one staged row; false when a value must go to Postgres as text (see the file comment). */
export type BinaryRowEncoder = (w: CopyBinaryWriter, row: StagedRow, index: number) => boolean;

/**
 * The binary encoder of one sink's staging rows: `cdc_row, cdc_kind, cdc_mask, cdc_cascade`, then its
 * columns. Generated once per sink (like copy-text.ts's): the column types pick each field's writer and
 * size at compile time, so a row is one reservation and straight-line stores, with no loop over the
 * declaration.
 */
export function binaryRowEncoder(layout: Layout): BinaryRowEncoder {
  const kinds = layout.columns.map((c) => c.type.kind);
  const fixed = ENGINE_BYTES + kinds.length + kinds.reduce((sum, k) => sum + (FIELD_BYTES[k] ?? 0), 0);
  const variable = kinds.flatMap((k, i) => {
    const bytes = VARIABLE_BYTES[k];
    return bytes === undefined ? [] : [`(typeof v[${i}] === 'string' ? ${bytes(`v[${i}].length`)} : 4)`];
  });
  const fields = kinds
    .map((_k, i) => `x = v[${i}]; if (x === null) { put32(buf, p, -1); p += 4; } else if ((p = f${i}(buf, p, x)) < 0) return false;`)
    .join('\n    ');
  const source = `return function encodeStageRowBinary(w, row, index) {
    const v = row.values;
    w.reserve(${[fixed, ...variable].join(' + ')});
    const buf = w.buf;
    let p = engineFields(buf, w.pos, row, index, ${kinds.length + 4});
    let x;
    ${fields}
    w.pos = p;
    return true;
  };`;
  return new Function('engineFields', 'put32', ...kinds.map((_k, i) => `f${i}`), source)(
    engineFields,
    put32,
    ...kinds.map((k) => WRITERS[k]),
  ) as BinaryRowEncoder;
}

/**
 * Encodes a batch's staged rows (each row's cdc_row is its index) into one Buffer of COPY binary data,
 * or returns undefined when some value must be staged as text. `initialBytes` sizes the first buffer.
 */
export function encodeBinaryStage(encode: BinaryRowEncoder, rows: readonly StagedRow[], initialBytes: number): Buffer | undefined {
  const w = new CopyBinaryWriter(initialBytes);
  for (let i = 0; i < rows.length; i++) if (!encode(w, rows[i] as StagedRow, i)) return undefined;
  return w.finish();
}
