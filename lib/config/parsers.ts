/**
 * Value parsers shared by every option. Each takes the raw value (a string from a flag or the
 * environment, or a typed value from the library API) and the name the user gave it, and either
 * returns the typed value or throws an InvalidOptionError naming the option and the accepted form.
 */
import { InvalidOptionError } from '../errors.js';

export type Parser<T> = (value: unknown, name: string) => T;

function fail(name: string, value: unknown, accepts: string): never {
  const shown = typeof value === 'string' ? JSON.stringify(value) : String(value);
  throw new InvalidOptionError(name, `invalid ${name} ${shown}: expected ${accepts}`);
}

/** What `parser` makes of `value`, or undefined where it refuses it. */
function tryParse<T>(parser: Parser<T>, value: unknown): T | undefined {
  try {
    return parser(value, '');
  } catch {
    return undefined;
  }
}

/** An option without a default: undefined stays undefined, anything else goes through `inner`. */
export function optional<T>(inner: Parser<T>): Parser<T | undefined> {
  return (value, name) => (value === undefined ? undefined : inner(value, name));
}

const DURATION_UNITS_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const DURATION_FORM = 'a duration such as 500ms, 10s, 5m or 1h (or 0)';

/** `500ms`, `10s`, `1.5s`, `5m`, `1h`, or `0`. A number from the library API is taken as milliseconds. */
export const duration: Parser<number> = (value, name) => {
  if (typeof value === 'number') {
    if (Number.isFinite(value) && value >= 0) return Math.round(value);
    return fail(name, value, DURATION_FORM);
  }
  if (typeof value !== 'string') return fail(name, value, DURATION_FORM);
  const text = value.trim();
  if (text === '0') return 0;
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(text);
  if (!match) return fail(name, value, DURATION_FORM);
  return Math.round(Number(match[1]) * (DURATION_UNITS_MS[match[2] as string] as number));
};

/**
 * The text `duration` reads back as the same number of milliseconds, in the largest whole unit: what a
 * default looks like in --help and in docs/configuration.md, so it is derived from the value itself.
 */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0';
  for (const unit of ['h', 'm', 's'] as const) {
    const size = DURATION_UNITS_MS[unit] as number;
    if (ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}

export function integer(min: number, max = Number.MAX_SAFE_INTEGER): Parser<number> {
  const accepts = max === Number.MAX_SAFE_INTEGER ? `an integer >= ${min}` : `an integer from ${min} to ${max}`;
  return (value, name) => {
    const n = typeof value === 'number' ? value : typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value) : Number.NaN;
    if (!Number.isSafeInteger(n) || n < min || n > max) return fail(name, value, accepts);
    return n;
  };
}

/** A comma-separated list (or an array) of integers in [min, max], such as `0,3,7`. */
export function integerList(min: number, max = Number.MAX_SAFE_INTEGER): Parser<number[]> {
  const one = integer(min, max);
  const accepts = `a comma-separated list of integers${max === Number.MAX_SAFE_INTEGER ? ` >= ${min}` : ` from ${min} to ${max}`}, such as ${min},${min + 3}`;
  return (value, name) => {
    const items: unknown[] = Array.isArray(value) ? value : typeof value === 'string' ? value.split(',') : [value];
    const out = items.map((item) => tryParse(one, item));
    if (out.length === 0 || out.some((n) => n === undefined)) return fail(name, value, accepts);
    return out as number[];
  };
}

const INSTANT_FORM =
  'a timestamp such as 2024-05-01, 2024-05-01T12:00:00Z or 2024-05-01 12:00:00.5+02:00, or a duration ago such as 30m or 1h';
const ISO_INSTANT = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2}))?$/i;

/**
 * A point in time, as ISO 8601 text Postgres reads as a timestamptz: a date (midnight UTC), a date and
 * time with its zone (`Z` or an offset: a time without one would depend on the session's zone), or a
 * duration such as `1h` meaning that long before `now()`. The text is kept, not turned into a Date,
 * so the microseconds Postgres stores are compared exactly.
 */
export function instant(now: () => number = Date.now): Parser<string> {
  return (value, name) => {
    if (value instanceof Date && !Number.isNaN(value.getTime())) return value.toISOString();
    if (typeof value !== 'string') return fail(name, value, INSTANT_FORM);
    const text = value.trim();
    const m = ISO_INSTANT.exec(text);
    if (!m) {
      const ago = tryParse(duration, text);
      return ago === undefined ? fail(name, value, INSTANT_FORM) : new Date(now() - ago).toISOString();
    }
    const [year, month, day, hour, minute, second] = [1, 2, 3, 4, 5, 6].map((i) => Number(m[i] ?? 0)) as number[];
    const date = new Date(Date.UTC(year as number, (month as number) - 1, day as number));
    const realDate = date.getUTCFullYear() === year && date.getUTCMonth() + 1 === month && date.getUTCDate() === day;
    const zone = m[8]?.toUpperCase();
    const offset = zone && zone !== 'Z' ? /^[+-](\d{2}):?(\d{2})$/.exec(zone) : null;
    const realTime = (hour as number) < 24 && (minute as number) < 60 && (second as number) < 60;
    const realOffset = !offset || (Number(offset[1]) <= 15 && Number(offset[2]) < 60);
    if (!realDate || !realTime || !realOffset) return fail(name, value, INSTANT_FORM);
    return m[4] === undefined ? `${text}T00:00:00Z` : text.replace(' ', 'T');
  };
}

const BYTE_UNITS: Record<string, number> = { '': 1, b: 1, k: 1024, kib: 1024, m: 1024 ** 2, mib: 1024 ** 2, g: 1024 ** 3, gib: 1024 ** 3 };

/**
 * A size in bytes: `16777216`, or with a binary unit, `512KiB`, `16MiB`, `1GiB` (K, M, G alone mean the
 * same; case does not matter). Decimal units (MB) are refused rather than guessed at.
 */
export function bytes(min: number, max = Number.MAX_SAFE_INTEGER): Parser<number> {
  const form = `a size in bytes, such as 16777216, 512KiB or 16MiB${max === Number.MAX_SAFE_INTEGER ? `, at least ${min}` : `, from ${min} to ${max}`}`;
  return (value, name) => {
    let n = Number.NaN;
    if (typeof value === 'number') n = value;
    else if (typeof value === 'string') {
      const match = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(value.trim());
      const unit = match ? BYTE_UNITS[(match[2] as string).toLowerCase()] : undefined;
      if (match && unit !== undefined) n = Number(match[1]) * unit;
    }
    if (!Number.isSafeInteger(n) || n < min || n > max) return fail(name, value, form);
    return n;
  };
}

/** The text `bytes` reads back as the same size, in the largest binary unit that divides it. */
export function formatBytes(n: number): string {
  for (const unit of ['GiB', 'MiB', 'KiB'] as const) {
    const size = BYTE_UNITS[unit.toLowerCase()] as number;
    if (n !== 0 && n % size === 0) return `${n / size}${unit}`;
  }
  return String(n);
}

export function number(min: number, max = Number.POSITIVE_INFINITY): Parser<number> {
  const accepts = max === Number.POSITIVE_INFINITY ? `a number >= ${min}` : `a number from ${min} to ${max}`;
  return (value, name) => {
    const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : Number.NaN;
    if (!Number.isFinite(n) || n < min || n > max) return fail(name, value, accepts);
    return n;
  };
}

export function oneOf<const T extends string>(choices: readonly T[]): Parser<T> {
  return (value, name) => {
    if (typeof value === 'string' && (choices as readonly string[]).includes(value)) return value as T;
    return fail(name, value, `one of ${choices.join(', ')}`);
  };
}

export const boolean: Parser<boolean> = (value, name) => {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string') {
    const v = value.trim().toLowerCase();
    if (['1', 'true', 'yes', 'on'].includes(v)) return true;
    if (['0', 'false', 'no', 'off'].includes(v)) return false;
  }
  return fail(name, value, 'true or false');
};

export const nonEmptyString: Parser<string> = (value, name) => {
  if (typeof value === 'string' && value.trim() !== '') return value.trim();
  return fail(name, value, 'a non-empty string');
};

/** A comma-separated list (or an array) of non-empty names. */
export const nameList: Parser<string[]> = (value, name) => {
  const items = Array.isArray(value) ? value.map(String) : typeof value === 'string' ? value.split(',') : null;
  const names = items?.map((s) => s.trim()).filter((s) => s !== '');
  if (!names || names.length === 0 || (items && names.length !== items.length)) {
    return fail(name, value, 'a comma-separated list of names, such as customers,addresses');
  }
  return names;
};

const BROKERS_FORM = 'a comma-separated list of host:port, such as localhost:9092,localhost:9093';

/** `host:port[,host:port...]`, returned as the normalised comma-separated string librdkafka takes. */
export const brokers: Parser<string> = (value, name) => {
  const list = Array.isArray(value) ? value.map(String) : typeof value === 'string' ? value.split(',') : null;
  if (!list || list.length === 0) return fail(name, value, BROKERS_FORM);
  const out: string[] = [];
  for (const raw of list) {
    const entry = raw.trim();
    const match = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(entry);
    const port = match ? Number(match[2]) : 0;
    if (!match || port < 1 || port > 65535) return fail(name, value, BROKERS_FORM);
    out.push(entry);
  }
  return out.join(',');
};

/**
 * A URL with one of `schemes`; the raw value is never echoed (it may hold a password), only what is
 * wrong with it.
 */
function urlOf(value: unknown, name: string, schemes: readonly string[], form: string): URL {
  if (typeof value !== 'string') return fail(name, value, form);
  let url: URL;
  try {
    url = new URL(value.trim());
  } catch {
    throw new InvalidOptionError(name, `invalid ${name}: not a URL; expected ${form}`);
  }
  if (!schemes.includes(url.protocol)) {
    throw new InvalidOptionError(name, `invalid ${name}: scheme "${url.protocol}" is not ${schemes[0]}; expected ${form}`);
  }
  return url;
}

const DATABASE_URL_FORM = 'a URL such as postgres://user:password@host:5432/database';

export const databaseUrl: Parser<string> = (value, name) => {
  urlOf(value, name, ['postgres:', 'postgresql:'], DATABASE_URL_FORM);
  return (value as string).trim();
};

const SCHEMA_REGISTRY_URL_FORM = 'an http or https URL such as http://localhost:8081 (user:password@ in it for basic auth)';

/** A schema registry's base URL: http or https, any path prefix; returned as given (trimmed). */
export const schemaRegistryUrl: Parser<string> = (value, name) => {
  const url = urlOf(value, name, ['http:', 'https:'], SCHEMA_REGISTRY_URL_FORM);
  if (url.search !== '' || url.hash !== '') {
    throw new InvalidOptionError(name, `invalid ${name}: a query or fragment has no meaning here; expected ${SCHEMA_REGISTRY_URL_FORM}`);
  }
  return (value as string).trim();
};

/**
 * `user:password` for a schema registry's basic auth (Confluent's `basic.auth.user.info`). The value is
 * a secret: a refusal says what is wrong, never the value.
 */
export const basicAuth: Parser<string> = (value, name) => {
  if (typeof value === 'string' && value.indexOf(':') > 0) return value;
  throw new InvalidOptionError(name, `invalid ${name}: expected user:password (the user before the first colon, not empty)`);
};

/** A Postgres schema (namespace) name; any text is allowed because it is always quoted as an identifier. */
export const identifier: Parser<string> = (value, name) => {
  if (typeof value === 'string' && value.length > 0 && value.length <= 63 && !value.includes('\0')) return value;
  return fail(name, value, 'a name of 1 to 63 characters');
};

const KV_FORM = 'comma-separated key=value pairs, such as session.timeout.ms=10000,fetch.wait.max.ms=50';

/** `key=value[,key=value...]` (or an object from the library API) for librdkafka pass-through settings. */
export const keyValues: Parser<Record<string, string>> = (value, name) => {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, String(v)]));
  }
  if (typeof value !== 'string') return fail(name, value, KV_FORM);
  const out: Record<string, string> = {};
  if (value.trim() === '') return out;
  for (const pair of value.split(',')) {
    const at = pair.indexOf('=');
    const key = at > 0 ? pair.slice(0, at).trim() : '';
    if (!/^[a-z][a-z0-9._-]*$/.test(key)) {
      throw new InvalidOptionError(
        name,
        `invalid ${name}: ${JSON.stringify(pair.split('=')[0])} is not a setting name; expected ${KV_FORM}`,
      );
    }
    out[key] = pair.slice(at + 1).trim();
  }
  return out;
};
