/**
 * The Postgres limits and calendar rules the validators, the format decoders and the COPY encoders all
 * check against, each stated once. A value is refused (or left to Postgres' own text input) exactly
 * where Postgres would refuse it, so every side must agree on these numbers.
 *
 * Sources: the PostgreSQL manual's Data Types chapter (8.1 Numeric Types, 8.3 Character Types, 8.5
 * Date/Time Types), and where the manual is silent the server source named at each constant.
 */

// ---------------------------------------------------------------------------------------------------
// Integers (manual 8.1.1, Table 8.2)

export const SMALLINT_MIN = -32768;
export const SMALLINT_MAX = 32767;
export const INTEGER_MIN = -2147483648;
export const INTEGER_MAX = 2147483647;
/** bigint's bounds, as BigInt: a double cannot hold them. */
export const BIGINT_MIN = -(2n ** 63n);
export const BIGINT_MAX = 2n ** 63n - 1n;

// ---------------------------------------------------------------------------------------------------
// numeric (manual 8.1.2, Table 8.2; the binary form from src/backend/utils/adt/numeric.c)

/** Digits before the decimal point an unconstrained numeric holds. */
export const NUMERIC_MAX_INTEGER_DIGITS = 131_072;
/**
 * Digits after the decimal point an unconstrained numeric holds: its largest display scale, which the
 * binary send format carries in 14 bits (numeric.c's NUMERIC_DSCALE_MAX, 0x3FFF).
 */
export const NUMERIC_MAX_FRACTION_DIGITS = 16_383;
/**
 * The largest precision a numeric(p, s) declaration may give, and the largest scale: a value below
 * 10^-1000 rounds to 0 in any numeric column.
 */
export const NUMERIC_MAX_DECLARED_PRECISION = 1000;

// ---------------------------------------------------------------------------------------------------
// Character types (manual 8.3)

/** The largest n of varchar(n). */
export const VARCHAR_MAX_LENGTH = 10_485_760;

// ---------------------------------------------------------------------------------------------------
// Bit strings (manual 8.10; the limit from src/backend/utils/adt/varbit.c's anybit_typmodin)

/** The largest n of bit(n) and bit varying(n): MaxAttrSize bytes of bits. */
export const BIT_MAX_LENGTH = 83_886_080;

// ---------------------------------------------------------------------------------------------------
// Floating point (manual 8.1.3: real is IEEE 754 single precision where the platform has it, as on
// every platform Postgres builds on today; float4in refuses what overflows or underflows it)

/** The largest finite float4, (2 - 2^-23) x 2^127. */
export const FLOAT4_MAX = 3.4028234663852886e38;
/** The smallest normal float4, 2^-126; below it the subnormals step by 2^-149. */
export const FLOAT4_MIN_NORMAL = 2 ** -126;

// ---------------------------------------------------------------------------------------------------
// Dates and times (manual 8.5; the epoch and zone limits from src/include/datatype/timestamp.h)

/**
 * Years the engine takes and writes: four digits, no year 0 (Postgres has none: 1 BC precedes AD 1)
 * and no BC. Postgres itself goes much further (4713 BC to 294276 AD for timestamp), which no source
 * of ours writes as RFC 3339 text.
 */
export const MIN_YEAR = 1;
export const MAX_YEAR = 9999;

/** The largest hour of a time zone displacement Postgres reads (MAX_TZDISP_HOUR: ±15:59). */
export const MAX_OFFSET_HOURS = 15;

export const SECONDS_PER_DAY = 86_400;

/** Days from 1970-01-01 to 2000-01-01: Postgres counts dates and timestamps from the latter (POSTGRES_EPOCH_JDATE). */
export const DAYS_1970_TO_2000 = 10_957;

/** Gregorian leap years, as Postgres' proleptic calendar has them for every year. */
export function isLeapYear(year: number): boolean {
  return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
}

const DAYS_IN_MONTH = [0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** Days in `month` (1-12) of `year`. */
export function daysInMonth(year: number, month: number): number {
  return month === 2 && isLeapYear(year) ? 29 : (DAYS_IN_MONTH[month] as number);
}

/**
 * Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil: years counted
 * from March, so the leap day ends its year).
 */
export function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * (month > 2 ? month - 3 : month + 9) + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146097 + dayOfEra - 719468;
}

// ---------------------------------------------------------------------------------------------------
// Hex digits (uuid's text form, bytea's hex format: manual 8.6.1 and 8.12)

/** The value 0-15 of a hex digit, by character code below 128; -1 for any other character. */
export const HEX_DIGIT_VALUE = new Int8Array(128).fill(-1);
for (let c = 0; c < 10; c++) HEX_DIGIT_VALUE[48 + c] = c;
for (let c = 0; c < 6; c++) {
  HEX_DIGIT_VALUE[97 + c] = 10 + c;
  HEX_DIGIT_VALUE[65 + c] = 10 + c;
}
