/**
 * Timestamps on the wire and in the model.
 *
 * Wire form: Go's RFC 3339 with nanoseconds (`2025-07-01T12:34:56.123456789+05:30`), trailing zeros of
 * the fraction dropped, no fraction when it is zero, `Z` for UTC and a numeric offset otherwise.
 *
 * Model form (what tests compare Postgres rows against): UTC with exactly six fraction digits,
 * `2025-07-01T07:04:56.123457Z`. Postgres keeps microseconds; it parses the fraction as a double and
 * rounds with rint(), so an exact half-microsecond tie (`.1234565`) goes to the even microsecond, as
 * checked against Postgres 18. The generator never writes a tie (the nanosecond part modulo 1000 is
 * never 500), so every generated timestamp has exactly one microsecond value under any rounding rule.
 */

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/;

/** `+05:30`, `-08:00`, or `Z` for 0. */
export function zoneSuffix(offsetMinutes: number): string {
  if (offsetMinutes === 0) return 'Z';
  const abs = Math.abs(offsetMinutes);
  const hh = String(Math.floor(abs / 60)).padStart(2, '0');
  const mm = String(abs % 60).padStart(2, '0');
  return `${offsetMinutes < 0 ? '-' : '+'}${hh}:${mm}`;
}

/** `.123456789`, `.5`, or '' for 0: the fraction as Go prints it, from nanoseconds within the second. */
export function fractionDigits(nanos: number): string {
  if (nanos === 0) return '';
  const s = String(nanos + 1_000_000_000);
  let end = s.length;
  while (s.charCodeAt(end - 1) === 48) end--;
  return `.${s.slice(1, end)}`;
}

/** `YYYY-MM-DDTHH:MM:SS` of the wall time at the given offset, for a whole epoch second. */
export function secondPrefix(epochSeconds: number, offsetMinutes: number): string {
  return new Date((epochSeconds + offsetMinutes * 60) * 1000).toISOString().slice(0, 19);
}

/** RFC 3339 with nanoseconds, Go style, for an instant given as epoch milliseconds plus 0..999999 ns. */
export function formatRfc3339Nano(epochMs: number, subMsNanos: number, offsetMinutes = 0): string {
  const seconds = Math.floor(epochMs / 1000);
  const nanos = (epochMs - seconds * 1000) * 1_000_000 + subMsNanos;
  return secondPrefix(seconds, offsetMinutes) + fractionDigits(nanos) + zoneSuffix(offsetMinutes);
}

export interface ParsedTimestamp {
  /** Whole seconds since the epoch (UTC). */
  epochSeconds: number;
  /** Nanoseconds within that second, 0..999999999. */
  nanos: number;
  offsetMinutes: number;
}

/** Parses the RFC 3339 form above; returns undefined for anything else. */
export function parseRfc3339(text: string): ParsedTimestamp | undefined {
  const m = RFC3339.exec(text);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, frac, zone] = m as unknown as string[];
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  const second = Number(s);
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 59) return undefined;
  const utcMs = Date.UTC(Number(y), month - 1, day, hour, minute, second);
  // Date.UTC rolls 2025-02-30 over to March; Go and Postgres reject it.
  if (new Date(utcMs).getUTCDate() !== day) return undefined;
  let offsetMinutes = 0;
  if (zone !== 'Z') {
    const sign = (zone as string)[0] === '-' ? -1 : 1;
    const oh = Number((zone as string).slice(1, 3));
    const om = Number((zone as string).slice(4, 6));
    if (oh > 23 || om > 59) return undefined;
    offsetMinutes = sign * (oh * 60 + om);
  }
  const nanos = frac ? Number(frac.padEnd(9, '0')) : 0;
  return { epochSeconds: utcMs / 1000 - offsetMinutes * 60, nanos, offsetMinutes };
}

/**
 * Nanoseconds within a second (0..999999999) rounded to microseconds as Postgres rounds them: to the
 * nearest, an exact half-microsecond to even. 1000000 means the next second.
 */
export function nanosToMicros(nanos: number): number {
  const micros = Math.floor(nanos / 1000);
  const rest = nanos % 1000;
  return rest > 500 || (rest === 500 && micros % 2 === 1) ? micros + 1 : micros;
}

/**
 * The model form of a wire timestamp: UTC, six fraction digits, rounded to the microsecond as Postgres
 * does (half-microsecond ties to even; the generator never writes one). Throws on a malformed value.
 */
export function toModelTimestamp(text: string): string {
  const t = parseRfc3339(text);
  if (!t) throw new RangeError(`not an RFC 3339 timestamp: ${JSON.stringify(text)}`);
  let seconds = t.epochSeconds;
  let micros = nanosToMicros(t.nanos);
  if (micros === 1_000_000) {
    seconds++;
    micros = 0;
  }
  return `${new Date(seconds * 1000).toISOString().slice(0, 19)}.${String(micros).padStart(6, '0')}Z`;
}

/**
 * SQL that renders a timestamptz column in the model form, for comparing table rows with the model:
 * `SELECT ${modelTimestampSql('created_at')} AS created_at FROM users`.
 */
export function modelTimestampSql(expression: string): string {
  return `to_char((${expression}) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;
}
