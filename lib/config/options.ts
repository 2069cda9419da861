/**
 * The one options module every CLI and the library API go through.
 *
 * An option is declared once (flag, environment variable, default, accepted form) and resolved with the
 * precedence CLI flag > environment > default. Values are validated here, at the edge, so the rest of
 * the code can trust them.
 */
import type { Argv } from 'yargs';
import type { Parser } from './parsers.js';
import * as parse from './parsers.js';
import { redactUrl } from './redact.js';

export type Env = Record<string, string | undefined>;

export interface OptionSpec<T> {
  /** kebab-case flag name, without the leading dashes. */
  flag: string;
  env?: string;
  describe: string;
  /** A value, or a function of the environment (e.g. DATABASE_URL falls back to the PG* variables). */
  default: T | ((env: Env) => T);
  /**
   * How the default reads in --help and docs/configuration.md, only where it cannot be derived from the
   * value: a secret, a function of the environment, or no value (the option's absence means something).
   */
  defaultText?: string;
  /** What a number means, so its default reads as a user writes it: `ms` as a duration, `bytes` as a size. */
  unit?: 'ms' | 'bytes';
  /** A structured default written as the flag's text (the inverse of `parse`). Method syntax: bivariant in T. */
  show?(value: T): string;
  parse: Parser<T>;
  /** yargs type; everything else arrives as a string and goes through `parse`. */
  kind?: 'string' | 'boolean';
}

export type SpecValues<S extends Record<string, OptionSpec<unknown>>> = {
  [K in keyof S]: S[K] extends OptionSpec<infer T> ? T : never;
};

export function option<T>(spec: OptionSpec<T>): OptionSpec<T> {
  return spec;
}

/** Defaults that match docker-compose.yml, so a user with Docker needs no configuration at all. */
export const connectionDefaults = {
  brokers: 'localhost:9092,localhost:9093,localhost:9094',
  pgHost: 'localhost',
  pgPort: '5432',
  pgUser: 'cdc',
  pgPassword: 'cdc',
  pgDatabase: 'cdc',
} as const;

/**
 * DATABASE_URL when set; else a URL built from the standard PG* variables (each missing one takes the
 * docker-compose default); else the docker-compose database.
 */
export function databaseUrlFromEnv(env: Env): string {
  const d = connectionDefaults;
  const pgVars = ['PGHOST', 'PGPORT', 'PGUSER', 'PGPASSWORD', 'PGDATABASE'];
  const anyPg = pgVars.some((v) => env[v] !== undefined && env[v] !== '');
  const pick = (v: string, fallback: string) => (anyPg && env[v] ? (env[v] as string) : fallback);
  const user = encodeURIComponent(pick('PGUSER', d.pgUser));
  const password = encodeURIComponent(pick('PGPASSWORD', anyPg && !env.PGPASSWORD ? '' : d.pgPassword));
  const host = pick('PGHOST', d.pgHost);
  // A PGHOST that is a socket directory goes in the query string, as libpq does.
  const hostPart = host.startsWith('/') ? '' : host.includes(':') ? `[${host}]` : host;
  const port = pick('PGPORT', d.pgPort);
  const database = encodeURIComponent(pick('PGDATABASE', d.pgDatabase));
  const auth = password === '' ? user : `${user}:${password}`;
  const query = host.startsWith('/') ? `?host=${encodeURIComponent(host)}` : '';
  return `postgres://${auth}@${hostPart}:${port}/${database}${query}`;
}

export const connectionOptions = {
  brokers: option<string>({
    flag: 'brokers',
    env: 'KAFKA_BROKERS',
    describe: 'Kafka bootstrap brokers, comma-separated host:port',
    default: connectionDefaults.brokers,
    parse: parse.brokers,
  }),
  databaseUrl: option<string>({
    flag: 'database-url',
    env: 'DATABASE_URL',
    describe: 'Postgres connection URL; when unset, built from PGHOST/PGPORT/PGUSER/PGPASSWORD/PGDATABASE',
    default: (env) => databaseUrlFromEnv(env),
    defaultText: 'postgres://cdc:***@localhost:5432/cdc',
    parse: parse.databaseUrl,
  }),
  dbSchema: option<string>({
    flag: 'db-schema',
    env: 'CDC_DB_SCHEMA',
    describe: 'Postgres schema (namespace) that holds the tables',
    default: 'public',
    parse: parse.identifier,
  }),
};

/**
 * A Confluent Schema Registry (Apicurio's and Karapace's answer the same), for Avro in the Confluent
 * wire format: cdc-consume reads writer schemas from it, cdc-produce registers them. The password, in
 * the URL or the auth, is never echoed or logged.
 */
export const schemaRegistryOptions = {
  schemaRegistry: option<string | undefined>({
    flag: 'schema-registry',
    env: 'CDC_SCHEMA_REGISTRY_URL',
    describe:
      'Confluent Schema Registry (or Apicurio, Karapace) holding the schemas of Avro messages (encoding: avro), http(s)://[user:password@]host:port[/path]; required with Avro',
    default: undefined,
    defaultText: 'none',
    parse: parse.optional(parse.schemaRegistryUrl),
  }),
  schemaRegistryAuth: option<string | undefined>({
    flag: 'schema-registry-auth',
    env: 'CDC_SCHEMA_REGISTRY_AUTH',
    describe: "Basic auth for --schema-registry, user:password (Confluent's basic.auth.user.info); wins over the URL's user:password",
    default: undefined,
    defaultText: 'none',
    parse: parse.optional(parse.basicAuth),
  }),
};

function camel(flag: string): string {
  return flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

function helpText(spec: OptionSpec<unknown>): string {
  const parts = [spec.describe];
  if (spec.env) parts.push(`[env ${spec.env}]`);
  const def = defaultDisplay(spec);
  if (def !== undefined) parts.push(`[default: ${def.text}]`);
  return parts.join(' ');
}

/**
 * How an option's default reads (--help, docs/configuration.md): `derived` when written from the value,
 * as the user would give it, else the spec's `defaultText`. Undefined when there is nothing to show.
 */
export function defaultDisplay(spec: OptionSpec<unknown>): { text: string; derived: boolean } | undefined {
  if (spec.defaultText !== undefined) return { text: spec.defaultText, derived: false };
  const value = spec.default;
  if (typeof value === 'function' || value === undefined) return undefined;
  const empty = value !== null && typeof value === 'object' && Object.keys(value).length === 0;
  return empty ? { text: 'none', derived: false } : { text: formatDefault(spec, value), derived: true };
}

function formatDefault(spec: OptionSpec<unknown>, value: unknown): string {
  if (spec.show) return spec.show(value);
  if (typeof value === 'number' && spec.unit === 'ms') return parse.formatDuration(value);
  if (typeof value === 'number' && spec.unit === 'bytes') return parse.formatBytes(value);
  if (Array.isArray(value)) return value.join(',');
  if (value !== null && typeof value === 'object') {
    return Object.entries(value)
      .map(([k, v]) => `${k}=${String(v)}`)
      .join(',');
  }
  if (typeof value === 'string' && /^postgres(ql)?:/.test(value)) return redactUrl(value);
  return String(value);
}

/**
 * Registers the options as yargs flags. No yargs defaults are set: a flag that was not given must be
 * told apart from one that was, so the environment can take its turn.
 */
export function addOptions<Y>(y: Argv<Y>, specs: Record<string, OptionSpec<unknown>>): Argv<Y> {
  let out = y;
  for (const spec of Object.values(specs)) {
    out = out.option(spec.flag, { type: spec.kind ?? 'string', describe: helpText(spec) }) as Argv<Y>;
  }
  return out;
}

/**
 * Resolves every option: the flag when given, else its environment variable when set and non-empty,
 * else the default. Throws InvalidOptionError naming the flag or variable the bad value came from.
 */
export function resolveOptions<S extends Record<string, OptionSpec<unknown>>>(
  specs: S,
  argv: Record<string, unknown> = {},
  env: Env = process.env,
): SpecValues<S> {
  const out: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(specs)) {
    const fromFlag = argv[camel(spec.flag)] ?? argv[spec.flag] ?? argv[key];
    if (fromFlag !== undefined) {
      // A repeated flag arrives as an array from yargs: the last one wins, as in most CLIs.
      const value = Array.isArray(fromFlag) ? fromFlag.at(-1) : fromFlag;
      out[key] = spec.parse(value, `--${spec.flag}`);
      continue;
    }
    const fromEnv = spec.env ? env[spec.env] : undefined;
    if (fromEnv !== undefined && fromEnv !== '') {
      out[key] = spec.parse(fromEnv, spec.env as string);
      continue;
    }
    const def = typeof spec.default === 'function' ? (spec.default as (e: Env) => unknown)(env) : spec.default;
    out[key] = spec.parse(def, `--${spec.flag}`);
  }
  return out as SpecValues<S>;
}
