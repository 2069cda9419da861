/**
 * Conversions from the value encodings of Debezium's PostgreSQL connector, as Kafka Connect's
 * JsonConverter writes them, to text that a Postgres COPY (text format) accepts for the column.
 *
 * Like validate.ts, each function returns the converted string, or a Rejection whose message starts
 * with the column name; a success is the bare string (callers tell the two apart with `typeof`). They
 * run once per value, so the common cases avoid regexes, closures, BigInt and intermediate objects.
 *
 * Exactness: decimals never pass through floating point (their digits come from the bytes or the
 * text), and epoch counts too large for a double (nanoseconds, or microseconds after 2255) are taken
 * as their JSON text and split into seconds and fraction by digit position.
 */
import {
  daysFromCivil,
  MAX_YEAR,
  MIN_YEAR,
  NUMERIC_MAX_FRACTION_DIGITS,
  NUMERIC_MAX_INTEGER_DIGITS,
  SECONDS_PER_DAY,
} from '../pg-limits.js';
import { checkUnconstrainedNumeric, jsonType, preview, type Rejection, reject } from '../validate.js';

// ---------------------------------------------------------------------------------------------------
// Shared formatting

/** '00'..'99': two-digit fields without a padStart per field. */
const TWO: string[] = [];
for (let i = 0; i < 100; i++) TWO.push(i < 10 ? `0${i}` : String(i));

/** The engine's year range (lib/sinks/pg-limits.ts) in days and seconds since 1970-01-01. */
const MIN_DAYS = daysFromCivil(MIN_YEAR, 1, 1);
const MAX_DAYS = daysFromCivil(MAX_YEAR, 12, 31);
const MIN_SECONDS = MIN_DAYS * SECONDS_PER_DAY;
/** Exclusive: the first second after the last day. */
const END_SECONDS = (MAX_DAYS + 1) * SECONDS_PER_DAY;

/**
 * `YYYY-MM-DD` for days since 1970-01-01 in MIN_DAYS..MAX_DAYS: the proleptic Gregorian calendar
 * counted in 400-year eras from 0000-03-01, so that the leap day is the last day of its year
 * (H. Hinnant's civil_from_days). Every quantity is a small non-negative integer in that range.
 */
function civilDate(days: number): string {
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const dayOfEra = z - era * 146097;
  const yearOfEra = Math.floor(
    (dayOfEra - Math.floor(dayOfEra / 1460) + Math.floor(dayOfEra / 36524) - Math.floor(dayOfEra / 146096)) / 365,
  );
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const marchMonth = Math.floor((5 * dayOfYear + 2) / 153);
  const day = dayOfYear - Math.floor((153 * marchMonth + 2) / 5) + 1;
  const month = marchMonth < 10 ? marchMonth + 3 : marchMonth - 9;
  const year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0);
  return `${TWO[Math.floor(year / 100)]}${TWO[year % 100]}-${TWO[month]}-${TWO[day]}`;
}

/** `HH:MM:SS[.fraction]` for 0..86400 seconds; the fraction, when not 0, in exactly `digits` digits. */
function clockTime(secondOfDay: number, fraction: number, digits: number): string {
  const hour = Math.floor(secondOfDay / 3600);
  const rest = secondOfDay - hour * 3600;
  const minute = Math.floor(rest / 60);
  const text = `${TWO[hour]}:${TWO[minute]}:${TWO[rest - minute * 60]}`;
  return fraction === 0 ? text : `${text}.${String(fraction).padStart(digits, '0')}`;
}

// ---------------------------------------------------------------------------------------------------
// Epoch counts: split into whole seconds (floored) and a non-negative fraction in the unit

/** The count's unit: Debezium's Timestamp/Time (ms), MicroTimestamp/MicroTime (us), NanoTimestamp/NanoTime (ns). */
export type EpochUnit = 'ms' | 'us' | 'ns';

const SPLIT_OK = 0;
/** A number that is not an integer (or not finite), or a value that is neither number nor string. */
const SPLIT_NOT_INTEGER = 1;
/** An integer beyond 2^53: JSON.parse has already rounded it. splitSeconds holds an approximation. */
const SPLIT_UNSAFE = 2;
/** Text that is not an optional '-' and digits. */
const SPLIT_MALFORMED = 3;
/** Text with so many digits that it is outside any range here. */
const SPLIT_HUGE = 4;

// The split's results, as module state rather than a returned object: this runs per value.
let splitSeconds = 0;
let splitFraction = 0;

function unitsPerSecond(unit: EpochUnit): number {
  return unit === 'ms' ? 1e3 : unit === 'us' ? 1e6 : 1e9;
}

function fractionDigits(unit: EpochUnit): number {
  return unit === 'ms' ? 3 : unit === 'us' ? 6 : 9;
}

function unitName(unit: EpochUnit): string {
  return unit === 'ms' ? 'milliseconds' : unit === 'us' ? 'microseconds' : 'nanoseconds';
}

/**
 * Sets splitSeconds and splitFraction from an epoch count, returning a SPLIT_ status. The floor keeps
 * the fraction non-negative: -1 us is second -1 plus 999999 us, which is how a clock reads it.
 */
function splitEpoch(value: unknown, perSecond: number, digits: number): number {
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) return SPLIT_NOT_INTEGER;
    if (!Number.isSafeInteger(value)) {
      splitSeconds = value / perSecond;
      return SPLIT_UNSAFE;
    }
    // Exact: % on doubles is exact, and value - fraction is a multiple of perSecond that a double holds.
    let fraction = value % perSecond;
    if (fraction < 0) fraction += perSecond;
    splitSeconds = (value - fraction) / perSecond + 0; // + 0 turns -0 into 0
    splitFraction = fraction + 0;
    return SPLIT_OK;
  }
  if (typeof value !== 'string') return SPLIT_NOT_INTEGER;
  return splitEpochText(value, perSecond, digits);
}

/** The text form, split by digit position: the last `digits` digits are the fraction. No BigInt. */
function splitEpochText(text: string, perSecond: number, digits: number): number {
  const n = text.length;
  const negative = n > 0 && text.charCodeAt(0) === 45;
  const start = negative ? 1 : 0;
  if (start === n) return SPLIT_MALFORMED;
  let first = -1;
  for (let i = start; i < n; i++) {
    const d = text.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return SPLIT_MALFORMED;
    if (first < 0 && d !== 0) first = i;
  }
  if (first < 0) {
    splitSeconds = 0;
    splitFraction = 0;
    return SPLIT_OK;
  }
  const split = n - digits;
  // Up to 15 digits of whole seconds accumulate exactly in a double; more is beyond year 9999 anyway.
  if (split - first > 15) return SPLIT_HUGE;
  let whole = 0;
  for (let i = first; i < split; i++) whole = whole * 10 + (text.charCodeAt(i) - 48);
  let fraction = 0;
  for (let i = split > first ? split : first; i < n; i++) fraction = fraction * 10 + (text.charCodeAt(i) - 48);
  if (negative) {
    if (fraction === 0) whole = -whole;
    else {
      whole = -whole - 1;
      fraction = perSecond - fraction;
    }
  }
  splitSeconds = whole + 0;
  splitFraction = fraction;
  return SPLIT_OK;
}

/**
 * The values Debezium documents for PostgreSQL's `infinity` and `-infinity` timestamps (borrowed from
 * the JDBC driver's PGStatement): named in the rejection, since they look like ordinary numbers.
 */
function infinityNote(value: unknown): string {
  if (value === '9223372036825200000' || value === 9223372036825200000) return " (Debezium's encoding of PostgreSQL 'infinity')";
  if (value === '-9223372036832400000' || value === -9223372036832400000) return " (Debezium's encoding of PostgreSQL '-infinity')";
  return '';
}

function notEpochCount(column: string, value: unknown, unit: EpochUnit, since: string): Rejection {
  if (typeof value === 'string') {
    return reject('WRONG_TYPE', `${column}: ${preview(value)} is not an integer count of ${unitName(unit)} (optional '-' and digits)`);
  }
  if (typeof value !== 'number') {
    return reject('WRONG_TYPE', `${column}: expected an integer count of ${unitName(unit)} since ${since}, got ${jsonType(value)}`);
  }
  return reject('WRONG_TYPE', `${column}: ${preview(value)} is not an integer count of ${unitName(unit)} since ${since}`);
}

// ---------------------------------------------------------------------------------------------------
// Temporal types

/** io.debezium.time.Date (and Kafka Connect's Date): days since 1970-01-01 -> `YYYY-MM-DD`. */
export function dateFromEpochDays(column: string, days: number): string | Rejection {
  if (typeof days !== 'number' || !Number.isInteger(days)) {
    return reject(
      'WRONG_TYPE',
      typeof days === 'number'
        ? `${column}: ${preview(days)} is not an integer count of days since 1970-01-01`
        : `${column}: expected an integer count of days since 1970-01-01, got ${jsonType(days)}`,
    );
  }
  if (days < MIN_DAYS || days > MAX_DAYS) {
    return reject('INVALID_DATE', `${column}: ${days} days since 1970-01-01 is outside years 0001-9999`);
  }
  return civilDate(days);
}

/**
 * io.debezium.time.Timestamp (ms), MicroTimestamp (us), NanoTimestamp (ns) since the epoch ->
 * `YYYY-MM-DD HH:MM:SS[.fraction]`, plus `+00` when `zoned` (for a timestamptz column: the count is
 * UTC). `value` is the JSON number, or its text where a double cannot hold it exactly; a number beyond
 * 2^53 is refused rather than stored rounded. Nanoseconds are written in full: Postgres rounds the
 * text to microseconds as it does for every other input.
 */
export function timestampFromEpoch(column: string, value: number | string, unit: EpochUnit, zoned: boolean): string | Rejection {
  const perSecond = unitsPerSecond(unit);
  const digits = fractionDigits(unit);
  const status = splitEpoch(value, perSecond, digits);
  if (status === SPLIT_OK) {
    const seconds = splitSeconds;
    if (seconds >= MIN_SECONDS && seconds < END_SECONDS) {
      let secondOfDay = seconds % SECONDS_PER_DAY;
      if (secondOfDay < 0) secondOfDay += SECONDS_PER_DAY;
      const text = `${civilDate((seconds - secondOfDay) / SECONDS_PER_DAY)} ${clockTime(secondOfDay, splitFraction, digits)}`;
      return zoned ? `${text}+00` : text;
    }
  } else if (status === SPLIT_UNSAFE) {
    if (splitSeconds >= MIN_SECONDS && splitSeconds < END_SECONDS) {
      return reject(
        'WRONG_TYPE',
        `${column}: ${preview(value)} ${unitName(unit)} is beyond 2^53, where a JSON number has lost precision (pass its text)`,
      );
    }
  } else if (status !== SPLIT_HUGE) {
    return notEpochCount(column, value, unit, '1970-01-01');
  }
  return reject(
    'INVALID_TIMESTAMP',
    `${column}: ${preview(value)} ${unitName(unit)} since 1970-01-01 is outside years 0001-9999${infinityNote(value)}`,
  );
}

/**
 * io.debezium.time.Time (ms), MicroTime (us), NanoTime (ns) since midnight -> `HH:MM:SS[.fraction]`.
 * 24:00:00 itself is accepted, as Postgres' time type accepts it.
 */
export function timeFromEpoch(column: string, value: number | string, unit: EpochUnit): string | Rejection {
  const perSecond = unitsPerSecond(unit);
  const digits = fractionDigits(unit);
  const status = splitEpoch(value, perSecond, digits);
  if (status === SPLIT_OK) {
    const seconds = splitSeconds;
    if (seconds >= 0 && (seconds < SECONDS_PER_DAY || (seconds === SECONDS_PER_DAY && splitFraction === 0))) {
      return clockTime(seconds, splitFraction, digits);
    }
  } else if (status !== SPLIT_UNSAFE && status !== SPLIT_HUGE) {
    return notEpochCount(column, value, unit, 'midnight');
  }
  return reject('OUT_OF_RANGE', `${column}: ${preview(value)} ${unitName(unit)} since midnight is outside 00:00:00..24:00:00`);
}

// ---------------------------------------------------------------------------------------------------
// Base64 (RFC 4648 standard alphabet, as Jackson writes byte arrays)

/** Sextet value per character code below 128, or -1. */
const BASE64 = new Int8Array(128).fill(-1);
{
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  for (let i = 0; i < 64; i++) BASE64[alphabet.charCodeAt(i)] = i;
}

function sextet(s: string, i: number): number {
  const c = s.charCodeAt(i);
  return c < 128 ? BASE64[c] : -1;
}

/** Byte -> two lower-case hex digits. */
const HEX2: string[] = [];
for (let i = 0; i < 256; i++) HEX2.push(i.toString(16).padStart(2, '0'));

/**
 * The number of data characters (before any `=` padding), or -1 when the length or padding cannot be
 * base64's. Padding is optional, but when present it must complete the last quantum. The characters
 * themselves are checked while decoding.
 */
function base64DataLength(s: string): number {
  const n = s.length;
  let m = n;
  if (n > 0 && s.charCodeAt(n - 1) === 61) {
    m--;
    if (s.charCodeAt(n - 2) === 61) m--;
    if (n % 4 !== 0) return -1;
  }
  return m % 4 === 1 ? -1 : m;
}

/**
 * Lower-case hex of the bytes in the first `m` characters of s, or undefined at a character outside
 * the alphabet. The unused low bits of a final partial quantum are ignored, as Buffer and Java's
 * decoders do.
 */
function base64ToHex(s: string, m: number): string | undefined {
  let out = '';
  const whole = m - (m % 4);
  let i = 0;
  for (; i < whole; i += 4) {
    const a = sextet(s, i);
    const b = sextet(s, i + 1);
    const c = sextet(s, i + 2);
    const d = sextet(s, i + 3);
    if ((a | b | c | d) < 0) return undefined;
    out += HEX2[(a << 2) | (b >> 4)] + HEX2[((b & 15) << 4) | (c >> 2)] + HEX2[((c & 3) << 6) | d];
  }
  if (i < m) {
    const a = sextet(s, i);
    const b = sextet(s, i + 1);
    if ((a | b) < 0) return undefined;
    out += HEX2[(a << 2) | (b >> 4)];
    if (i + 2 < m) {
      const c = sextet(s, i + 2);
      if (c < 0) return undefined;
      out += HEX2[((b & 15) << 4) | (c >> 2)];
    }
  }
  return out;
}

function notBase64(column: string, value: unknown): Rejection {
  if (typeof value !== 'string') return reject('WRONG_TYPE', `${column}: expected a base64 string, got ${jsonType(value)}`);
  return reject('WRONG_TYPE', `${column}: ${preview(value)} is not base64`);
}

/** bytea (binary.handling.mode=bytes): base64 -> Postgres' hex input `\x0a1b...`. */
export function hexFromBase64(column: string, base64: string): string | Rejection {
  if (typeof base64 !== 'string') return notBase64(column, base64);
  const m = base64DataLength(base64);
  const hex = m < 0 ? undefined : base64ToHex(base64, m);
  return hex === undefined ? notBase64(column, base64) : `\\x${hex}`;
}

/** A lower-case hex digit's four bits, most significant first, by character code. */
const NIBBLE_BITS: string[] = [];
for (let i = 0; i < 16; i++) NIBBLE_BITS[i.toString(16).charCodeAt(0)] = i.toString(2).padStart(4, '0');

/**
 * io.debezium.data.Bits: the bit string's value as base64 bytes in little-endian order (the first byte
 * holds the last eight bits) -> the bit string, most significant bit first. With a `length`, exactly that
 * many bits, leading zeros kept (Debezium may send fewer bytes than the length needs, never more set
 * bits); without one (where Debezium lost the value's own length), the shortest string of its bits.
 */
export function bitsFromBase64(column: string, base64: string, length: number | undefined): string | Rejection {
  if (typeof base64 !== 'string') return notBase64(column, base64);
  const m = base64DataLength(base64);
  const hex = m < 0 ? undefined : base64ToHex(base64, m);
  if (hex === undefined) return notBase64(column, base64);
  let bits = '';
  for (let i = hex.length - 2; i >= 0; i -= 2) bits += NIBBLE_BITS[hex.charCodeAt(i)] + NIBBLE_BITS[hex.charCodeAt(i + 1)];
  const first = bits.indexOf('1');
  if (length === undefined) return first < 0 ? '0' : bits.slice(first);
  const extra = bits.length - length;
  if (extra <= 0) return '0'.repeat(-extra) + bits;
  if (first >= 0 && first < extra) {
    return reject(
      'OUT_OF_RANGE',
      `${column}: ${preview(base64)} has ${bits.length - first} significant bits, more than its length ${length}`,
    );
  }
  return bits.slice(extra);
}

// ---------------------------------------------------------------------------------------------------
// Decimals

/** 2^0, 2^2, 2^4: the unused bits that a partial base64 quantum leaves. */
const DISCARD = [1, 0, 4, 0, 16];

/**
 * Plain decimal text for the unscaled integer `digits` (no sign, no leading zeros, "0" for zero) times
 * 10^-scale: exactly `scale` fraction digits, or -scale zeros appended when the scale is negative.
 */
function scaled(negative: boolean, digits: string, scale: number): string {
  if (digits === '0') return scale > 0 ? `0.${'0'.repeat(scale)}` : '0';
  const sign = negative ? '-' : '';
  if (scale === 0) return sign + digits;
  if (scale < 0) return sign + digits + '0'.repeat(-scale);
  const point = digits.length - scale;
  if (point > 0) return `${sign}${digits.slice(0, point)}.${digits.slice(point)}`;
  return `${sign}0.${'0'.repeat(-point)}${digits}`;
}

/**
 * org.apache.kafka.connect.data.Decimal: the unscaled value as big-endian two's complement bytes in
 * base64, and the schema's `scale` -> plain decimal text with exactly `scale` fraction digits.
 */
export function decimalFromBase64(column: string, base64: string, scale: number): string | Rejection {
  if (typeof base64 !== 'string') return notBase64(column, base64);
  if (!Number.isInteger(scale)) return reject('WRONG_TYPE', `${column}: decimal scale ${preview(scale)} is not an integer`);
  if (scale > NUMERIC_MAX_FRACTION_DIGITS || scale < -NUMERIC_MAX_INTEGER_DIGITS) {
    return reject(
      'OUT_OF_RANGE',
      `${column}: decimal scale ${scale} out of range ${-NUMERIC_MAX_INTEGER_DIGITS}..${NUMERIC_MAX_FRACTION_DIGITS}`,
    );
  }
  const m = base64DataLength(base64);
  if (m < 0) return notBase64(column, base64);
  // Up to 8 characters (6 bytes, 48 bits): an integer below 2^48, on which these double operations
  // (multiply by 64, divide by a power of two, subtract 2^bits) are all exact.
  if (m <= 8) {
    let unsigned = 0;
    for (let i = 0; i < m; i++) {
      const v = sextet(base64, i);
      if (v < 0) return notBase64(column, base64);
      unsigned = unsigned * 64 + v;
    }
    const bytes = (m * 6) >> 3;
    unsigned = Math.floor(unsigned / DISCARD[m * 6 - bytes * 8]);
    const range = 2 ** (bytes * 8);
    const value = bytes > 0 && unsigned >= range / 2 ? unsigned - range : unsigned;
    return scaled(value < 0, String(value < 0 ? -value : value), scale);
  }
  const hex = base64ToHex(base64, m);
  if (hex === undefined) return notBase64(column, base64);
  let value = BigInt(`0x${hex}`);
  if (hex.charCodeAt(0) >= 56) value -= 1n << BigInt(hex.length * 4); // first hex digit 8-f: sign bit set
  const negative = value < 0n;
  return scaled(negative, (negative ? -value : value).toString(), scale);
}

/** Whether Postgres' numeric can hold a decimal of this scale (what decimalFromBytes can be given). */
export function isNumericScale(scale: number): boolean {
  return Number.isInteger(scale) && scale <= NUMERIC_MAX_FRACTION_DIGITS && scale >= -NUMERIC_MAX_INTEGER_DIGITS;
}

/**
 * A decimal's unscaled value as big-endian two's complement bytes (Avro's decimal logical type, Kafka
 * Connect's Decimal) -> plain decimal text with exactly `scale` fraction digits, as decimalFromBase64
 * without the base64. No bytes is zero. The caller checks the scale (isNumericScale).
 */
export function decimalFromBytes(bytes: Uint8Array, scale: number): string {
  const n = bytes.length;
  // Up to 6 bytes (48 bits): exact in a double.
  if (n <= 6) {
    let unsigned = 0;
    for (let i = 0; i < n; i++) unsigned = unsigned * 256 + (bytes[i] as number);
    const value = n > 0 && (bytes[0] as number) >= 0x80 ? unsigned - 2 ** (n * 8) : unsigned;
    return scaled(value < 0, String(value < 0 ? -value : value), scale);
  }
  let hex = '';
  for (let i = 0; i < n; i++) hex += HEX2[bytes[i] as number];
  let value = BigInt(`0x${hex}`);
  if ((bytes[0] as number) >= 0x80) value -= 1n << BigInt(n * 8);
  const negative = value < 0n;
  return scaled(negative, (negative ? -value : value).toString(), scale);
}

/**
 * io.debezium.data.VariableScaleDecimal (a numeric column without a declared scale): an object
 * `{ "scale": int, "value": base64 }` -> as decimalFromBase64.
 */
export function variableScaleDecimal(column: string, value: unknown): string | Rejection {
  if (value === undefined || value === null) return reject('MISSING_FIELD', `${column}: missing (absent or null)`);
  if (typeof value !== 'object' || Array.isArray(value)) {
    return reject('WRONG_TYPE', `${column}: expected a VariableScaleDecimal object {"scale", "value"}, got ${jsonType(value)}`);
  }
  const { scale, value: bytes } = value as { scale?: unknown; value?: unknown };
  if (scale === undefined || scale === null)
    return reject('MISSING_FIELD', `${column}: VariableScaleDecimal "scale" missing (absent or null)`);
  if (bytes === undefined || bytes === null)
    return reject('MISSING_FIELD', `${column}: VariableScaleDecimal "value" missing (absent or null)`);
  if (typeof scale !== 'number')
    return reject('WRONG_TYPE', `${column}: VariableScaleDecimal "scale" is ${jsonType(scale)}, not an integer`);
  return decimalFromBase64(column, bytes as string, scale);
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/** NaN and the infinities, which Postgres numeric spells several ways (case-insensitive). */
const NON_FINITE = new Set(['nan', 'infinity', '+infinity', '-infinity', 'inf', '+inf', '-inf']);

function notDecimal(column: string, text: unknown): Rejection {
  if (typeof text !== 'string') return reject('WRONG_TYPE', `${column}: expected decimal text, got ${jsonType(text)}`);
  if (NON_FINITE.has(text.trim().toLowerCase())) {
    return reject('WRONG_TYPE', `${column}: ${preview(text)} is not a finite number (NaN and infinities are refused for numeric columns)`);
  }
  return reject('WRONG_TYPE', `${column}: ${preview(text)} is not a decimal number`);
}

/**
 * A decimal as text (decimal.handling.mode=string, or a JSON number's own text): optional sign,
 * digits, optional fraction, optional exponent -> plain notation with the exponent expanded
 * (1.5e3 -> 1500, 1.50e1 -> 15.0: the fraction digits the mantissa carries beyond the shift are kept,
 * as BigDecimal.toPlainString keeps them), leading zeros dropped, and no sign on zero.
 *
 * An exponent that would expand beyond Postgres numeric's integer or fraction digits (pg-limits.ts) is
 * OUT_OF_RANGE (and bounds the text we build from a short input). NaN and infinities are WRONG_TYPE:
 * Postgres refuses infinity in a numeric(p,s) column but would store NaN there, a value that equals
 * itself, sorts above every number and poisons every sum, which no target of ours means to hold.
 */
export function decimalText(column: string, text: string): string | Rejection {
  if (typeof text !== 'string') return notDecimal(column, text);
  const n = text.length;
  const c0 = text.charCodeAt(0);
  const negative = c0 === 45;
  const intStart = negative || c0 === 43 ? 1 : 0;
  let i = intStart;
  while (isDigit(text.charCodeAt(i))) i++;
  const intEnd = i;
  let fracStart = i;
  let fracEnd = i;
  const hasPoint = text.charCodeAt(i) === 46;
  if (hasPoint) {
    fracStart = ++i;
    while (isDigit(text.charCodeAt(i))) i++;
    fracEnd = i;
  }
  if (intEnd === intStart && fracEnd === fracStart) return notDecimal(column, text);
  let exponent = 0;
  const e = text.charCodeAt(i);
  const hasExponent = e === 101 || e === 69;
  if (hasExponent) {
    const s = text.charCodeAt(++i);
    const expNegative = s === 45;
    if (expNegative || s === 43) i++;
    const expStart = i;
    // Capped: past 1e9 the result is out of range (or zero) however large the exponent.
    for (; isDigit(text.charCodeAt(i)); i++) if (exponent < 1e9) exponent = exponent * 10 + (text.charCodeAt(i) - 48);
    if (i === expStart) return notDecimal(column, text);
    if (expNegative) exponent = -exponent;
  }
  if (i !== n) return notDecimal(column, text);

  let sig = intStart;
  while (sig < intEnd && text.charCodeAt(sig) === 48) sig++;
  if (!hasExponent) {
    const intDigits = intEnd - sig;
    let zero = intDigits === 0;
    for (let j = fracStart; zero && j < fracEnd; j++) if (text.charCodeAt(j) !== 48) zero = false;
    // Already plain: no '+', no leading zero (but "0" before a point), a point only with digits after.
    if (c0 !== 43 && !(negative && zero) && (hasPoint ? fracEnd > fracStart : true)) {
      if (intDigits > 0 ? sig === intStart : intEnd - intStart === 1) return text;
    }
    const integer = intDigits > 0 ? text.slice(sig, intEnd) : '0';
    const sign = negative && !zero ? '-' : '';
    return fracEnd > fracStart ? `${sign}${integer}.${text.slice(fracStart, fracEnd)}` : sign + integer;
  }

  // value = 0.<digits> x 10^point, digits without leading zeros; `fraction` digits after the point.
  let digits = text.slice(sig, intEnd) + text.slice(fracStart, fracEnd);
  let point = intEnd - sig + exponent;
  const fraction = fracEnd - fracStart - exponent;
  let lead = 0;
  while (lead < digits.length && digits.charCodeAt(lead) === 48) lead++;
  if (lead === digits.length) {
    return fraction > 0 ? `0.${'0'.repeat(Math.min(fraction, NUMERIC_MAX_FRACTION_DIGITS))}` : '0';
  }
  digits = digits.slice(lead);
  point -= lead;
  if (point > NUMERIC_MAX_INTEGER_DIGITS) {
    return reject(
      'OUT_OF_RANGE',
      `${column}: ${preview(text)} has more than ${NUMERIC_MAX_INTEGER_DIGITS} digits before the decimal point`,
    );
  }
  if (fraction > NUMERIC_MAX_FRACTION_DIGITS) {
    return reject(
      'OUT_OF_RANGE',
      `${column}: ${preview(text)} has more than ${NUMERIC_MAX_FRACTION_DIGITS} digits after the decimal point`,
    );
  }
  const sign = negative ? '-' : '';
  if (fraction <= 0) return sign + digits + '0'.repeat(-fraction);
  if (point <= 0) return `${sign}0.${'0'.repeat(-point)}${digits}`;
  return `${sign}${digits.slice(0, point)}.${digits.slice(point)}`;
}

/** 10^power as plain text, for messages (power may be negative: scale above precision). */
function powerOfTen(power: number): string {
  return power >= 0 ? `1${'0'.repeat(power)}` : `0.${'0'.repeat(-power - 1)}1`;
}

/**
 * Whether plain decimal `text` (optional '-', digits, optional '.' and digits) fits Postgres
 * `numeric(precision, scale)`: once rounded half away from zero to `scale` decimals, its absolute
 * value must be below 10^(precision - scale). So numeric(10,2) takes 99999999.994 and refuses
 * 99999999.995. No precision: unconstrained. No scale: 0, as in Postgres. Returns the text unchanged.
 */
export function checkNumericRange(
  column: string,
  text: string,
  precision: number | undefined,
  scale: number | undefined,
): string | Rejection {
  if (precision === undefined) return checkUnconstrainedNumeric(column, text);
  const s = scale ?? 0;
  const integerDigits = precision - s;
  const n = text.length;
  const start = text.charCodeAt(0) === 45 ? 1 : 0;
  // One pass: check the shape, and find the first significant digit and the point.
  let dot = -1;
  let first = -1;
  for (let i = start; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 46) {
      if (dot >= 0 || i === start || i === n - 1) return notPlain(column, text);
      dot = i;
    } else if (!isDigit(c)) return notPlain(column, text);
    else if (first < 0 && c !== 48) first = i;
  }
  if (start === n) return notPlain(column, text);
  if (first < 0) return text;
  const end = dot < 0 ? n : dot;
  // value = 0.<digits from first> x 10^point.
  const point = first < end ? end - first : end + 1 - first;
  if (point < integerDigits) return text;
  if (point === integerDigits && !roundsUp(text, first, precision)) return text;
  return reject(
    'OUT_OF_RANGE',
    `${column}: ${preview(text)} out of range for numeric(${precision},${s}) (must be below ${powerOfTen(integerDigits)} after rounding to ${s} decimals)`,
  );
}

/**
 * Whether the digits from text[first] on (skipping the point) reach the next power of ten when
 * rounded to `keep` digits, half away from zero: the first `keep` are all 9 and the next is 5 or more.
 */
function roundsUp(text: string, first: number, keep: number): boolean {
  let seen = 0;
  for (let i = first; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 46) continue;
    if (seen === keep) return c >= 53;
    if (c !== 57) return false;
    seen++;
  }
  return false;
}

function notPlain(column: string, text: unknown): Rejection {
  if (typeof text !== 'string') return reject('WRONG_TYPE', `${column}: expected decimal text, got ${jsonType(text)}`);
  return reject('WRONG_TYPE', `${column}: ${preview(text)} is not plain decimal text`);
}
