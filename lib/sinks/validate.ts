/**
 * Shared validators for the sinks' decoders. Each returns the (possibly normalised) value, or a
 * Rejection: the failing half of DecodeResult, whose message names the field and the problem, so a
 * decoder returns it as is. A success is the bare value (no wrapper object): these run for every
 * event, and callers tell the two apart with `typeof`.
 *
 * Everything here is checked the way Postgres will see it, so that a row that passes validation is
 * not refused by the COPY or the apply SQL later: lengths in code points, no NUL, no year 0, and
 * decimals from the JSON's own digits.
 */
import {
  daysInMonth,
  FLOAT4_MAX,
  HEX_DIGIT_VALUE,
  MAX_OFFSET_HOURS,
  NUMERIC_MAX_DECLARED_PRECISION,
  NUMERIC_MAX_FRACTION_DIGITS,
  NUMERIC_MAX_INTEGER_DIGITS,
} from './pg-limits.js';
import type { DeadLetterCode, DecodeResult } from './types.js';

export type Rejection = Extract<DecodeResult<never>, { ok: false }>;

export function reject(code: DeadLetterCode, message: string): Rejection {
  return { ok: false, code, message };
}

const PREVIEW_CHARS = 40;

/** A short JSON rendering of a value for messages (the whole value is in the dead-letter row anyway). */
export function preview(value: unknown): string {
  if (typeof value === 'string') {
    return JSON.stringify(value.length > PREVIEW_CHARS ? `${value.slice(0, PREVIEW_CHARS)}…` : value);
  }
  const text = JSON.stringify(value) ?? String(value);
  return text.length > PREVIEW_CHARS ? `${text.slice(0, PREVIEW_CHARS)}…` : text;
}

/** The JSON type of a parsed value, as messages name it. */
export function jsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

function missing(field: string): Rejection {
  return reject('MISSING_FIELD', `${field}: missing (absent or null)`);
}

function wrongType(field: string, expected: string, value: unknown): Rejection {
  return reject('WRONG_TYPE', `${field}: expected ${expected}, got ${jsonType(value)}`);
}

// ---------------------------------------------------------------------------------------------------
// Envelope: bytes -> text -> JSON object -> event_type -> id. Shared by every sink's decoder.

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** A message value parsed to a JSON object, with its text (for fields whose raw digits matter). */
export interface JsonObject {
  object: Record<string, unknown>;
  json: string;
}

/**
 * The checks every JSON event goes through, in this order: empty value, UTF-8, JSON, null, object.
 */
export function parseJsonObject(value: Uint8Array | null): JsonObject | Rejection {
  if (value === null) return reject('EMPTY_VALUE', 'null value (tombstone)');
  if (value.length === 0) return reject('EMPTY_VALUE', 'empty value (0 bytes)');
  let json: string;
  try {
    json = utf8.decode(value);
  } catch {
    return reject('INVALID_JSON', 'value is not valid UTF-8');
  }
  let doc: unknown;
  try {
    doc = JSON.parse(json);
  } catch (err) {
    // V8 quotes the input in its message, raw: a NUL there would make the dead letter unstorable.
    return reject('INVALID_JSON', `invalid JSON: ${(err as Error).message.replaceAll('\u0000', '\\u0000')}`);
  }
  if (doc === null) return reject('EMPTY_VALUE', 'value is JSON null');
  if (typeof doc !== 'object' || Array.isArray(doc)) return reject('NOT_AN_OBJECT', `expected a JSON object, got ${jsonType(doc)}`);
  return { object: doc as Record<string, unknown>, json };
}

export function isRejection(value: unknown): value is Rejection {
  return value !== null && typeof value === 'object' && (value as { ok?: unknown }).ok === false;
}

export { missing, wrongType };

// ---------------------------------------------------------------------------------------------------
// UUID

/**
 * A canonical UUID, 8-4-4-4-12 hex digits in any case, returned in lower case so that one entity's
 * events group under one key whatever case a producer used. A non-string is WRONG_TYPE, a malformed
 * string INVALID_ID.
 */
export function validateUuid(field: string, value: unknown): string | Rejection {
  if (value === undefined || value === null) return missing(field);
  if (typeof value !== 'string') return wrongType(field, 'a UUID string', value);
  if (value.length !== 36) return notUuid(field, value);
  let upper = false;
  for (let i = 0; i < 36; i++) {
    const c = value.charCodeAt(i);
    if (i === 8 || i === 13 || i === 18 || i === 23) {
      if (c !== 45) return notUuid(field, value);
      continue;
    }
    if (c >= 128 || (HEX_DIGIT_VALUE[c] as number) < 0) return notUuid(field, value);
    // A-F: the key is lower-cased.
    if (c <= 70 && c >= 65) upper = true;
  }
  return upper ? value.toLowerCase() : value;
}

function notUuid(field: string, value: string): Rejection {
  return reject('INVALID_ID', `${field}: ${preview(value)} is not a UUID (8-4-4-4-12 hex digits)`);
}

// ---------------------------------------------------------------------------------------------------
// Dates and timestamps

/** The digit at s[i], or -1 (also past the end: charCodeAt gives NaN there). */
function digit(s: string, i: number): number {
  const d = s.charCodeAt(i) - 48;
  return d >= 0 && d <= 9 ? d : -1;
}

function twoDigits(s: string, i: number): number {
  const a = digit(s, i);
  const b = digit(s, i + 1);
  return a < 0 || b < 0 ? -1 : a * 10 + b;
}

const BAD_FORMAT = 'bad format';

/**
 * Checks `YYYY-MM-DD` at the start of s. Returns undefined when valid, BAD_FORMAT when the shape is
 * wrong, or the reason an otherwise well-formed date does not exist.
 */
function dateProblem(s: string): string | undefined {
  const hi = twoDigits(s, 0);
  const lo = twoDigits(s, 2);
  const month = twoDigits(s, 5);
  const day = twoDigits(s, 8);
  if (hi < 0 || lo < 0 || month < 0 || day < 0 || s.charCodeAt(4) !== 45 || s.charCodeAt(7) !== 45) return BAD_FORMAT;
  const year = hi * 100 + lo;
  // Postgres has no year 0 (1 BC precedes AD 1), and RFC 3339 years start at 0000 only in theory.
  if (year === 0) return 'year 0000 does not exist';
  if (month < 1 || month > 12) return `month ${s.slice(5, 7)} does not exist`;
  if (day < 1 || day > daysInMonth(year, month)) return `day ${s.slice(8, 10)} does not exist in ${s.slice(0, 7)}`;
  return undefined;
}

/** A calendar date `YYYY-MM-DD`, years 0001-9999. */
export function validateDate(field: string, value: unknown): string | Rejection {
  if (value === undefined || value === null) return missing(field);
  if (typeof value !== 'string') return wrongType(field, 'a date string', value);
  const problem = value.length === 10 ? dateProblem(value) : BAD_FORMAT;
  if (problem === undefined) return value;
  if (problem === BAD_FORMAT) return reject('INVALID_DATE', `${field}: ${preview(value)} is not a date (YYYY-MM-DD)`);
  return reject('INVALID_DATE', `${field}: ${preview(value)}: ${problem}`);
}

/** 19 (date and time) + 1 + 9 (fraction) + 6 (offset). */
const TIMESTAMP_MAX_LENGTH = 35;

/**
 * An RFC 3339 date-time: `YYYY-MM-DDTHH:MM:SS[.fraction](Z|+hh:mm|-hh:mm)`, fraction of 1 to 9 digits
 * (Go writes nanoseconds; Postgres rounds to microseconds), `T`/`Z` in either case (RFC 3339 allows
 * lower case; we return upper case). The text is returned otherwise unchanged: the binary COPY encoder
 * (copy-binary.ts) reads it to the microsecond, which a JavaScript Date would lose.
 *
 * Rejected: impossible dates, hour 24, minute 60, second 60 (RFC 3339's leap second: Go never writes
 * one, and Postgres would silently turn it into the next minute), offsets beyond ±15:59 (Postgres'
 * largest zone displacement: it refuses the rest, so they are dead letters here, not at COPY).
 */
export function validateTimestamp(field: string, value: unknown): string | Rejection {
  if (value === undefined || value === null) return missing(field);
  if (typeof value !== 'string') return wrongType(field, 'a timestamp string', value);
  const s = value;
  const n = s.length;
  if (n < 20 || n > TIMESTAMP_MAX_LENGTH) return notTimestamp(field, s);
  const t = s.charCodeAt(10);
  if ((t !== 84 && t !== 116) || s.charCodeAt(13) !== 58 || s.charCodeAt(16) !== 58) return notTimestamp(field, s);
  const hour = twoDigits(s, 11);
  const minute = twoDigits(s, 14);
  const second = twoDigits(s, 17);
  if (hour < 0 || minute < 0 || second < 0) return notTimestamp(field, s);
  let i = 19;
  if (s.charCodeAt(i) === 46) {
    const start = ++i;
    while (digit(s, i) >= 0) i++;
    if (i === start || i - start > 9) return notTimestamp(field, s);
  }
  const z = s.charCodeAt(i);
  let lowerCase = t === 116;
  let offsetHour = 0;
  let offsetMinute = 0;
  if (z === 90 || z === 122) {
    if (i + 1 !== n) return notTimestamp(field, s);
    if (z === 122) lowerCase = true;
  } else if (z === 43 || z === 45) {
    if (i + 6 !== n || s.charCodeAt(i + 3) !== 58) return notTimestamp(field, s);
    offsetHour = twoDigits(s, i + 1);
    offsetMinute = twoDigits(s, i + 4);
    if (offsetHour < 0 || offsetMinute < 0) return notTimestamp(field, s);
  } else {
    return notTimestamp(field, s);
  }
  const problem = dateProblem(s);
  if (problem === BAD_FORMAT) return notTimestamp(field, s);
  if (problem !== undefined) return badTimestamp(field, s, problem);
  if (hour > 23) return badTimestamp(field, s, `hour ${s.slice(11, 13)} does not exist`);
  if (minute > 59) return badTimestamp(field, s, `minute ${s.slice(14, 16)} does not exist`);
  if (second > 59) return badTimestamp(field, s, `second ${s.slice(17, 19)} is not accepted (at most 59)`);
  if (offsetHour > MAX_OFFSET_HOURS || offsetMinute > 59) {
    return badTimestamp(field, s, `offset ${s.slice(i)} out of range (at most ±15:59)`);
  }
  return lowerCase ? s.toUpperCase() : s;
}

const TIME = /^([01]\d|2[0-3]):([0-5]\d):([0-5]\d)(\.\d{1,9})?$|^24:00:00(\.0{1,9})?$/;

/** A time of day `HH:MM:SS[.fraction]`, 24:00:00 included (as Postgres' time takes it). */
export function validateTime(field: string, value: unknown): string | Rejection {
  if (value === undefined || value === null) return missing(field);
  if (typeof value !== 'string') return wrongType(field, 'a time string', value);
  if (!TIME.test(value))
    return reject('INVALID_TIMESTAMP', `${field}: ${JSON.stringify(value.slice(0, 40))} is not a time of day (HH:MM:SS[.fraction])`);
  return value;
}

function notTimestamp(field: string, value: string): Rejection {
  return reject(
    'INVALID_TIMESTAMP',
    `${field}: ${preview(value)} is not an RFC 3339 timestamp (YYYY-MM-DDTHH:MM:SS[.fraction] and Z or ±hh:mm)`,
  );
}

function badTimestamp(field: string, value: string, problem: string): Rejection {
  return reject('INVALID_TIMESTAMP', `${field}: ${preview(value)}: ${problem}`);
}

// ---------------------------------------------------------------------------------------------------
// Strings

// ES2023's lib typings predate String.prototype.isWellFormed; Node 20 has it.
const isWellFormed = (s: string): boolean => (s as unknown as { isWellFormed(): boolean }).isWellFormed();

/** Unicode code points in a well-formed string: UTF-16 units minus one per surrogate pair. */
export function codePointLength(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) n--;
  }
  return n;
}

/**
 * A string that Postgres text can hold, with a length in code points (as Postgres counts characters
 * in UTF-8; a character outside the BMP is one there and two UTF-16 units here) of minChars..maxChars.
 * An empty string below minChars is MISSING_FIELD (there is no value); over maxChars STRING_TOO_LONG.
 */
export function validateString(field: string, value: unknown, maxChars: number, minChars = 0): string | Rejection {
  if (value === undefined || value === null) return missing(field);
  if (typeof value !== 'string') return wrongType(field, 'a string', value);
  const nul = value.indexOf('\u0000');
  if (nul >= 0)
    return reject('NUL_CHARACTER', `${field}: contains a NUL character (U+0000) at index ${nul}, which Postgres text cannot store`);
  if (!isWellFormed(value)) return reject('INVALID_STRING', `${field}: contains an unpaired UTF-16 surrogate (not encodable as UTF-8)`);
  // Code points <= UTF-16 units <= 2 * code points: count only when the unit length cannot decide.
  if (value.length > maxChars) {
    const chars = codePointLength(value);
    if (chars > maxChars) return reject('STRING_TOO_LONG', `${field}: ${chars} characters, at most ${maxChars}`);
  }
  if (value.length < 2 * minChars) {
    const chars = codePointLength(value);
    if (chars < minChars) {
      return reject('MISSING_FIELD', `${field}: ${chars === 0 ? 'empty string' : `${chars} characters`}, at least ${minChars}`);
    }
  }
  return value;
}

/** A JSON value as json/jsonb text; jsonb cannot store U+0000 in a string. */
export function jsonText(field: string, value: unknown, kind: 'json' | 'jsonb'): string | Rejection {
  if (value === undefined) return missing(field);
  const text = JSON.stringify(value);
  if (kind === 'jsonb' && text.includes('\\u0000')) {
    return reject('NUL_CHARACTER', `${field}: contains a NUL character (U+0000), which jsonb cannot store`);
  }
  return text;
}

// ---------------------------------------------------------------------------------------------------
// Numbers

/**
 * An integer in min..max. A fraction (1.5) is WRONG_TYPE: JSON has one number type, but the column is
 * an integer and the value is not one; OUT_OF_RANGE is kept for integers (and infinities) beyond the
 * range. Note JSON.parse has already rounded to float64, so `1.0000000000000001` reads as 1.
 */
export function validateInteger(field: string, value: unknown, min: number, max: number): number | Rejection {
  if (value === undefined || value === null) return missing(field);
  if (typeof value !== 'number') return wrongType(field, 'an integer', value);
  if (!Number.isFinite(value)) return reject('OUT_OF_RANGE', `${field}: ${value} out of range ${min}..${max}`);
  if (!Number.isInteger(value)) return reject('WRONG_TYPE', `${field}: ${value} is not an integer`);
  if (value < min || value > max) return reject('OUT_OF_RANGE', `${field}: ${value} out of range ${min}..${max}`);
  return value;
}

/**
 * A JSON number for a real or double precision column. Out of range: an infinity (JSON.parse reads
 * 1e999 as one; the source said a finite number Postgres would refuse) and, for real, what float4
 * cannot hold: beyond its largest value, or a non-zero value that rounds to zero (float4in refuses
 * both). Sub-normal float4 values are accepted, as float4in accepts them.
 */
export function validateFloat(field: string, value: unknown, real: boolean): number | Rejection {
  if (value === undefined || value === null) return missing(field);
  if (typeof value !== 'number') return wrongType(field, 'a number', value);
  if (!Number.isFinite(value) || (real && (Math.abs(value) > FLOAT4_MAX || (value !== 0 && Math.fround(value) === 0)))) {
    return reject('OUT_OF_RANGE', `${field}: ${value} out of range for ${real ? 'real' : 'double precision'}`);
  }
  return value;
}

/** Validates one decimal field: `value` is what JSON.parse gave for it, `json` the text it came from. */
export type NumericValidator = (value: unknown, json: string) => string | Rejection;

/**
 * Plain decimal text (`-`, digits, `.` and digits) for an unconstrained numeric column, checked against
 * Postgres' limits so a value beyond them is a dead letter here rather than a refused COPY, and never
 * expanded into that many digits. (A
 * numeric(p,s) column rounds the fraction to s digits, so only its integer digits are limited, by p.)
 */
export function checkUnconstrainedNumeric(field: string, text: string): string | Rejection {
  const dot = text.indexOf('.');
  const end = dot < 0 ? text.length : dot;
  if (end > NUMERIC_MAX_INTEGER_DIGITS) {
    let first = text.charCodeAt(0) === 45 ? 1 : 0;
    while (first < end && text.charCodeAt(first) === 48) first++;
    if (end - first > NUMERIC_MAX_INTEGER_DIGITS) {
      return reject(
        'OUT_OF_RANGE',
        `${field}: ${preview(text)} out of range, numeric holds at most ${NUMERIC_MAX_INTEGER_DIGITS} digits before the point`,
      );
    }
  }
  if (dot >= 0 && text.length - dot - 1 > NUMERIC_MAX_FRACTION_DIGITS) {
    return reject(
      'OUT_OF_RANGE',
      `${field}: ${preview(text)} has ${text.length - dot - 1} digits after the point, numeric holds at most ${NUMERIC_MAX_FRACTION_DIGITS}`,
    );
  }
  return text;
}

/**
 * A validator for a JSON number stored in a Postgres `numeric(precision, scale)` column (both undefined:
 * unconstrained numeric): accepted when, once Postgres rounds it to `scale` decimals (half away from
 * zero), its magnitude is below 10^(precision - scale), and when it is not below `min` (with min 0, a
 * negative value is refused). So numeric(10,2) takes 99999999.994 and refuses
 * 99999999.995.
 *
 * The result is the number's own text from the JSON (every digit, never float arithmetic; JSON.parse
 * has lost what float64 cannot hold), in plain notation: exponents expanded (1.5e3 -> 1500), negative
 * zero as 0. The text is cross-checked against the parsed number.
 */
export function numericValidator(
  field: string,
  precision: number | undefined,
  scale: number | undefined,
  min?: number,
  max?: number,
): NumericValidator {
  const needle = `"${field}"`;
  const s = scale ?? Number.POSITIVE_INFINITY;
  const integerDigits = precision === undefined ? NUMERIC_MAX_INTEGER_DIGITS : precision - (scale ?? 0);
  const allowNegative = min === undefined || min < 0;
  return (value, json) => {
    if (value === undefined || value === null) return missing(field);
    if (typeof value !== 'number') return wrongType(field, 'a number', value);
    const text = numberTextOf(json, field, needle);
    // Number() and JSON.parse both round a decimal text to the nearest float64, so the text that
    // produced `value` converts back to exactly `value`. Anything else is a bug in numberTextOf.
    if (text === undefined || Number(text) !== value) {
      return reject('INVALID_JSON', `${field}: could not recover the number's text from the JSON (parsed ${value})`);
    }
    let checked = checkDecimal(field, text, integerDigits, s, allowNegative);
    if (typeof checked !== 'string') return checked;
    if (precision === undefined) {
      checked = checkUnconstrainedNumeric(field, checked);
      if (typeof checked !== 'string') return checked;
    }
    // Bounds other than the sign are compared as float64: they are the mapping's round numbers.
    if (min !== undefined && min !== 0 && value < min)
      return reject('OUT_OF_RANGE', `${field}: ${preview(text)} out of range, at least ${min}`);
    if (max !== undefined && value > max) return reject('OUT_OF_RANGE', `${field}: ${preview(text)} out of range, at most ${max}`);
    return checked;
  };
}

function checkDecimal(field: string, text: string, integerDigits: number, scale: number, allowNegative: boolean): string | Rejection {
  const negative = text.charCodeAt(0) === 45;
  // Fast path, allocation-free, for what Go writes: non-negative, no exponent. JSON forbids leading
  // zeros, so the integer part's length is the magnitude (a lone "0" is below 1).
  if (!negative && text.indexOf('e') < 0 && text.indexOf('E') < 0) {
    const dot = text.indexOf('.');
    const intLength = dot < 0 ? text.length : dot;
    if (intLength < integerDigits || (integerDigits > 0 && intLength === 1 && text.charCodeAt(0) === 48)) return text;
  }
  return checkDecimalSlow(field, text, negative, integerDigits, scale, allowNegative);
}

function checkDecimalSlow(
  field: string,
  text: string,
  negative: boolean,
  integerDigits: number,
  scale: number,
  allowNegative: boolean,
): string | Rejection {
  let e = text.indexOf('e');
  if (e < 0) e = text.indexOf('E');
  const mantissaEnd = e < 0 ? text.length : e;
  const dot = text.indexOf('.');
  const start = negative ? 1 : 0;
  const intPart = dot < 0 ? text.slice(start, mantissaEnd) : text.slice(start, dot);
  const fraction = dot < 0 ? '' : text.slice(dot + 1, mantissaEnd);
  // Exponents too large for a double's integer precision still compare correctly below.
  const exponent = e < 0 ? 0 : Number(text.slice(e + 1));
  // The value is 0.<digits> x 10^point, digits without leading or trailing zeros.
  let digits = intPart + fraction;
  let point = intPart.length + exponent;
  let lead = 0;
  while (lead < digits.length && digits.charCodeAt(lead) === 48) lead++;
  let trail = digits.length;
  while (trail > lead && digits.charCodeAt(trail - 1) === 48) trail--;
  if (lead === trail) return e < 0 && !negative ? text : '0';
  digits = digits.slice(lead, trail);
  point -= lead;
  if (negative && !allowNegative) return reject('OUT_OF_RANGE', `${field}: ${preview(text)} is negative, at least 0`);
  if (point > integerDigits || (point === integerDigits && roundsUp(digits, integerDigits + scale))) {
    if (!Number.isFinite(scale))
      return reject(
        'OUT_OF_RANGE',
        `${field}: ${preview(text)} out of range, numeric holds at most ${integerDigits} digits before the point`,
      );
    return reject(
      'OUT_OF_RANGE',
      `${field}: ${preview(text)} out of range, must be below ${10 ** integerDigits} after rounding to ${scale} decimals`,
    );
  }
  const sign = negative ? '-' : '';
  if (e < 0) return text;
  // Below 10^-1000: 0 at the largest scale a column may declare.
  if (point < -NUMERIC_MAX_DECLARED_PRECISION) return '0';
  if (point <= 0) return `${sign}0.${'0'.repeat(-point)}${digits}`;
  if (point >= digits.length) return sign + digits + '0'.repeat(point - digits.length);
  return `${sign}${digits.slice(0, point)}.${digits.slice(point)}`;
}

/**
 * Whether a value with exactly `keep` integer-plus-scale digit positions, given by its leading digits,
 * reaches the next power of ten when rounded half away from zero: its first `keep` digits are all 9
 * and the next is 5 or more.
 */
function roundsUp(digits: string, keep: number): boolean {
  if (digits.length <= keep) return false;
  for (let i = 0; i < keep; i++) if (digits.charCodeAt(i) !== 57) return false;
  return digits.charCodeAt(keep) >= 53;
}

function isJsonSpace(c: number): boolean {
  return c === 32 || c === 10 || c === 13 || c === 9;
}

function skipSpace(s: string, i: number): number {
  while (isJsonSpace(s.charCodeAt(i))) i++;
  return i;
}

/** JSON number characters: - + . 0-9 e E. */
function isNumberChar(c: number): boolean {
  return (c >= 48 && c <= 57) || c === 45 || c === 43 || c === 46 || c === 101 || c === 69;
}

/**
 * The raw text of the number that JSON.parse used for top-level key `key` of `json` (a valid JSON
 * object), or undefined when that key's value is not a number.
 *
 * Fast path, for text holding no backslash and a single `{` (every event a Go producer writes): then
 * every `"` delimits a string and every key is top-level, so the last `"key"` followed by `:` is the
 * key JSON.parse keeps (the last duplicate wins). With a backslash, a `"key"` could sit inside a
 * string (`"\"key": 1` is a key named `"key`), or the real key could be spelled with escapes
 * (`"k\u0065y"`); with a second `{` it could be a nested object's key. Those take the exact scan.
 */
export function numberTextOf(json: string, key: string, needle = `"${key}"`): string | undefined {
  const open = json.indexOf('{');
  if (json.indexOf('\\') < 0 && json.indexOf('{', open + 1) < 0) {
    for (let at = json.lastIndexOf(needle); at >= 0; at = at === 0 ? -1 : json.lastIndexOf(needle, at - 1)) {
      let i = skipSpace(json, at + needle.length);
      // Not followed by `:`, this was a string value that happens to equal the key.
      if (json.charCodeAt(i) !== 58) continue;
      i = skipSpace(json, i + 1);
      let end = i;
      while (isNumberChar(json.charCodeAt(end))) end++;
      return end > i ? json.slice(i, end) : undefined;
    }
    return undefined;
  }
  return topLevelNumberText(json, key);
}

/** Index just past the string starting at s[i] (a `"`). */
function skipString(s: string, i: number): number {
  for (i++; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 34) return i + 1;
    if (c === 92) i++;
  }
  return i;
}

/** Index just past the JSON value starting at s[i]. */
function skipValue(s: string, i: number): number {
  const c = s.charCodeAt(i);
  if (c === 34) return skipString(s, i);
  if (c === 123 || c === 91) {
    let depth = 0;
    while (i < s.length) {
      const d = s.charCodeAt(i);
      if (d === 34) {
        i = skipString(s, i);
        continue;
      }
      if (d === 123 || d === 91) depth++;
      else if ((d === 125 || d === 93) && --depth === 0) return i + 1;
      i++;
    }
    return i;
  }
  while (i < s.length) {
    const d = s.charCodeAt(i);
    if (d === 44 || d === 125 || d === 93 || isJsonSpace(d)) break;
    i++;
  }
  return i;
}

/** Walks the top-level object's members (the text is valid JSON: JSON.parse accepted it). */
function topLevelNumberText(json: string, key: string): string | undefined {
  let i = skipSpace(json, 0);
  if (json.charCodeAt(i) !== 123) return undefined;
  i++;
  let found: string | undefined;
  for (;;) {
    i = skipSpace(json, i);
    if (json.charCodeAt(i) !== 34) return found;
    const keyStart = i;
    i = skipString(json, i);
    const rawKey = json.slice(keyStart, i);
    const name = rawKey.indexOf('\\') < 0 ? rawKey.slice(1, -1) : (JSON.parse(rawKey) as string);
    i = skipSpace(json, skipSpace(json, i) + 1);
    const valueStart = i;
    i = skipValue(json, i);
    if (name === key) {
      const c = json.charCodeAt(valueStart);
      found = c === 45 || (c >= 48 && c <= 57) ? json.slice(valueStart, i) : undefined;
    }
    i = skipSpace(json, i);
    if (json.charCodeAt(i) === 44) i++;
  }
}

/**
 * The raw text of the number at `path` (object keys, outermost first) of `json`, a valid JSON text, or
 * undefined when no number is there. The last duplicate key wins, as in JSON.parse. For values whose
 * digits JSON.parse would round (a bigint beyond 2^53, a numeric with 17+ digits, nanoseconds).
 */
export function numberTextAtPath(json: string, path: readonly string[]): string | undefined {
  const text = valueTextAtPath(json, path);
  if (text === undefined) return undefined;
  const c = text.charCodeAt(0);
  return c === 45 || (c >= 48 && c <= 57) ? text : undefined;
}

/**
 * The JSON text of the value at `path` (object keys; none: the whole text) in `json`, exactly as written,
 * or undefined when there is none. The last duplicate key wins, as in JSON.parse. For a JSON value loaded
 * into a json or jsonb column: its own text, not a re-serialisation through JavaScript numbers.
 */
export function valueTextAtPath(json: string, path: readonly string[]): string | undefined {
  const at = valueStartAtPath(json, path);
  return at < 0 ? undefined : json.slice(at, skipValue(json, at));
}

/**
 * The JSON texts of the elements of the array at `path` in `json`, each exactly as written, or undefined
 * when no array is there: one pass for a whole array, whose int64 and decimal elements JSON.parse rounds.
 */
export function elementTextsAtPath(json: string, path: readonly string[]): string[] | undefined {
  let i = valueStartAtPath(json, path);
  if (i < 0 || json.charCodeAt(i) !== 91) return undefined;
  const texts: string[] = [];
  i = skipSpace(json, i + 1);
  if (json.charCodeAt(i) === 93) return texts;
  for (;;) {
    const end = skipValue(json, i);
    texts.push(json.slice(i, end));
    i = skipSpace(json, end);
    if (json.charCodeAt(i) !== 44) return texts;
    i = skipSpace(json, i + 1);
  }
}

/** Where the value at `path` (object keys) begins in `json`, or -1 when there is none. */
function valueStartAtPath(json: string, path: readonly string[]): number {
  let i = skipSpace(json, 0);
  for (let depth = 0; depth < path.length; depth++) {
    if (json.charCodeAt(i) !== 123) return -1;
    const want = path[depth] as string;
    let found = -1;
    i++;
    for (;;) {
      i = skipSpace(json, i);
      if (json.charCodeAt(i) !== 34) break;
      const keyStart = i;
      i = skipString(json, i);
      const rawKey = json.slice(keyStart, i);
      const name = rawKey.indexOf('\\') < 0 ? rawKey.slice(1, -1) : (JSON.parse(rawKey) as string);
      i = skipSpace(json, skipSpace(json, i) + 1);
      if (name === want) found = i;
      i = skipSpace(json, skipValue(json, i));
      if (json.charCodeAt(i) === 44) i++;
    }
    if (found < 0) return -1;
    i = found;
  }
  return i;
}
