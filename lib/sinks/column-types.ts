/**
 * The Postgres column types a mapping file may declare: how a declaration such as `numeric(12,2)` is
 * parsed, what it is called in SQL, and which existing column types are compatible with it when the
 * engine checks a table it did not create. Used on both threads (the main thread validates the mapping,
 * the worker compiles it).
 */
import { BIT_MAX_LENGTH, NUMERIC_MAX_DECLARED_PRECISION, VARCHAR_MAX_LENGTH } from './pg-limits.js';

/** Kinds only Debezium events carry: the seed format's Go events have none (the mapping refuses them there). */
export const DebeziumOnlyKinds = ['interval', 'timetz', 'xml', 'char', 'inet', 'cidr', 'macaddr', 'bit', 'varbit', 'array'] as const;

export const TypeKinds = [
  'smallint',
  'integer',
  'bigint',
  'numeric',
  'real',
  'double precision',
  'boolean',
  'text',
  'varchar',
  'uuid',
  'date',
  'timestamp',
  'timestamptz',
  'time',
  'jsonb',
  'json',
  'bytea',
  ...DebeziumOnlyKinds,
] as const;

export type TypeKind = (typeof TypeKinds)[number];

export interface ColumnType {
  kind: TypeKind;
  /** varchar(n), char(n): most characters (code points). bit(n): bits; bit varying(n): most bits. */
  length?: number;
  /** numeric(p, s). Both absent: unconstrained numeric. timestamp(p), time(p): fractional digits of seconds. */
  precision?: number;
  scale?: number;
  /** Canonical SQL spelling, e.g. `numeric(12,2)`, `varchar(255)`, `timestamptz`, `integer[]`. */
  sql: string;
  /** An array's element type (a scalar type). */
  element?: ColumnType;
}

/** Spellings accepted in a mapping file for each kind (lower case, spaces collapsed). */
const ALIASES: Record<string, TypeKind> = {
  smallint: 'smallint',
  int2: 'smallint',
  integer: 'integer',
  int: 'integer',
  int4: 'integer',
  bigint: 'bigint',
  int8: 'bigint',
  numeric: 'numeric',
  decimal: 'numeric',
  real: 'real',
  float4: 'real',
  'double precision': 'double precision',
  float8: 'double precision',
  boolean: 'boolean',
  bool: 'boolean',
  text: 'text',
  varchar: 'varchar',
  'character varying': 'varchar',
  uuid: 'uuid',
  date: 'date',
  timestamp: 'timestamp',
  'timestamp without time zone': 'timestamp',
  timestamptz: 'timestamptz',
  'timestamp with time zone': 'timestamptz',
  time: 'time',
  'time without time zone': 'time',
  jsonb: 'jsonb',
  json: 'json',
  bytea: 'bytea',
  interval: 'interval',
  timetz: 'timetz',
  'time with time zone': 'timetz',
  xml: 'xml',
  char: 'char',
  character: 'char',
  bpchar: 'char',
  inet: 'inet',
  cidr: 'cidr',
  macaddr: 'macaddr',
  bit: 'bit',
  'bit varying': 'varbit',
  varbit: 'varbit',
};

/** What the error message lists as accepted. */
export const ACCEPTED_TYPES =
  'smallint, integer, bigint, numeric or numeric(p,s), real, double precision, boolean, text, varchar(n), uuid, date, timestamp or timestamp(p), timestamptz or timestamptz(p), time or time(p), jsonb, json, bytea, interval, timetz or timetz(p), xml, char(n), inet, cidr, macaddr, bit(n), bit varying(n) or varbit, and arrays of them (integer[])';

/** Parses a declared type; returns an explanation of the problem instead when it is not one we take. */
export function parseColumnType(text: string): ColumnType | string {
  const trimmed = text.trim();
  // One dimension: Postgres does not enforce declared dimensions anyway.
  if (trimmed.endsWith('[]')) {
    const element = parseColumnType(trimmed.slice(0, -2));
    // The message names what was declared, the brackets included.
    if (typeof element === 'string') return element.replace(JSON.stringify(trimmed.slice(0, -2)), JSON.stringify(text));
    if (element.kind === 'array') return `${JSON.stringify(text)}: arrays of arrays are not supported`;
    return { kind: 'array', element, sql: `${element.sql}[]` };
  }
  const spec = text.trim().toLowerCase().replace(/\s+/g, ' ');
  const m = /^([a-z][a-z0-9 ]*?)\s*(?:\(\s*(\d+)\s*(?:,\s*(-?\d+)\s*)?\))?$/.exec(spec);
  const kind = m ? ALIASES[m[1] as string] : undefined;
  if (!m || !kind) return `${JSON.stringify(text)} is not a supported type (accepted: ${ACCEPTED_TYPES})`;
  const a = m[2] === undefined ? undefined : Number(m[2]);
  const b = m[3] === undefined ? undefined : Number(m[3]);
  switch (kind) {
    case 'numeric': {
      if (a === undefined) return { kind, sql: 'numeric' };
      const scale = b ?? 0;
      if (a < 1 || a > NUMERIC_MAX_DECLARED_PRECISION)
        return `${JSON.stringify(text)}: precision must be 1..${NUMERIC_MAX_DECLARED_PRECISION}`;
      if (scale < 0 || scale > a) return `${JSON.stringify(text)}: scale must be 0..precision`;
      return { kind, precision: a, scale, sql: `numeric(${a},${scale})` };
    }
    case 'varchar': {
      if (b !== undefined) return `${JSON.stringify(text)}: varchar takes one length, varchar(n)`;
      if (a === undefined) return { kind, sql: 'varchar' };
      if (a < 1 || a > VARCHAR_MAX_LENGTH) return `${JSON.stringify(text)}: length must be 1..${VARCHAR_MAX_LENGTH}`;
      return { kind, length: a, sql: `varchar(${a})` };
    }
    case 'char': {
      if (b !== undefined) return `${JSON.stringify(text)}: char takes one length, char(n)`;
      const n = a ?? 1;
      if (n < 1 || n > VARCHAR_MAX_LENGTH) return `${JSON.stringify(text)}: length must be 1..${VARCHAR_MAX_LENGTH}`;
      return { kind, length: n, sql: `char(${n})` };
    }
    case 'bit':
    case 'varbit': {
      if (b !== undefined) return `${JSON.stringify(text)}: ${kind === 'bit' ? 'bit' : 'bit varying'} takes one length`;
      // Bare `bit` is bit(1), as in Postgres; bare `bit varying` has no limit.
      const n = a ?? (kind === 'bit' ? 1 : undefined);
      if (n === undefined) return { kind, sql: 'bit varying' };
      if (n < 1 || n > BIT_MAX_LENGTH) return `${JSON.stringify(text)}: length must be 1..${BIT_MAX_LENGTH}`;
      return { kind, length: n, sql: kind === 'bit' ? `bit(${n})` : `bit varying(${n})` };
    }
    case 'timestamp':
    case 'timestamptz':
    case 'timetz':
    case 'time': {
      if (b !== undefined) return `${JSON.stringify(text)}: ${kind} takes one precision, ${kind}(p)`;
      if (a === undefined) return { kind, sql: kind };
      if (a > 6) return `${JSON.stringify(text)}: precision must be 0..6`;
      // Fractional digits of seconds; a source's precision also says how Debezium encodes it (see formats/debezium.ts).
      return { kind, precision: a, sql: kind === 'timestamptz' ? `timestamptz(${a})` : `${kind}(${a})` };
    }
    default:
      if (a !== undefined) return `${JSON.stringify(text)}: ${kind} takes no modifier`;
      return { kind, sql: kind };
  }
}

/** An existing column as the catalog describes it (`format_type(atttypid, atttypmod)`). */
export interface ExistingColumn {
  name: string;
  /** e.g. `character varying(50)`, `numeric(10,2)`, `timestamp with time zone`. */
  type: string;
}

/** Kinds an existing column may have for a declared kind: the declared values always fit in it. */
const WIDER: Partial<Record<TypeKind, readonly TypeKind[]>> = {
  smallint: ['smallint', 'integer', 'bigint', 'numeric'],
  integer: ['integer', 'bigint', 'numeric'],
  bigint: ['bigint', 'numeric'],
  real: ['real', 'double precision'],
  text: ['text'],
  varchar: ['varchar', 'text'],
  char: ['char', 'varchar', 'text'],
  inet: ['inet', 'text'],
  cidr: ['cidr', 'inet', 'text'],
  macaddr: ['macaddr', 'text'],
  json: ['json', 'jsonb'],
  bit: ['bit', 'varbit'],
};

/**
 * A column type as the catalog spells it (`format_type`): `timestamp(3) with time zone` reads as
 * `timestamp with time zone`, the precision changing nothing in what loads.
 */
export function parseCatalogType(formatted: string): ColumnType | string {
  return parseColumnType(formatted.replace(/^(timestamp|time)\(\d\)/, '$1'));
}

/**
 * Why an existing column (its type as the catalog spells it) cannot hold the declared values, or
 * undefined when it can. Wider is fine (an integer into bigint, varchar(50) into varchar(100) or text,
 * numeric(10,2) into unconstrained numeric); narrower or another kind is not.
 */
export function incompatibility(declared: ColumnType, existing: string): string | undefined {
  const actual = parseCatalogType(existing);
  if (typeof actual === 'string') return `has type ${existing}, which cdc-pipeline does not load (declared ${declared.sql})`;
  if (declared.kind === 'array' || actual.kind === 'array') {
    if (declared.kind !== actual.kind) return `has type ${existing}, declared ${declared.sql}`;
    const inner = incompatibility(declared.element as ColumnType, (actual.element as ColumnType).sql);
    return inner === undefined ? undefined : `has type ${existing}, declared ${declared.sql}`;
  }
  const accepted = WIDER[declared.kind] ?? [declared.kind];
  if (!accepted.includes(actual.kind)) return `has type ${existing}, declared ${declared.sql}`;
  if ((actual.kind === 'varchar' || actual.kind === 'varbit') && actual.length !== undefined) {
    if (declared.length === undefined || actual.length < declared.length)
      return `has type ${existing}, narrower than the declared ${declared.sql}`;
  }
  // bit(n) takes exactly n bits: any other length is refused, shorter or longer.
  if (actual.kind === 'bit' && actual.length !== declared.length) return `has type ${existing}, declared ${declared.sql}`;
  if (actual.kind === 'numeric' && actual.precision !== undefined) {
    if (declared.kind !== 'numeric' || declared.precision === undefined)
      return `has type ${existing}, narrower than the declared ${declared.sql}`;
    const declaredInt = declared.precision - (declared.scale ?? 0);
    const actualInt = actual.precision - (actual.scale ?? 0);
    if (actual.scale !== declared.scale || actualInt < declaredInt) {
      return `has type ${existing}, which would round or refuse values of the declared ${declared.sql}`;
    }
  }
  return undefined;
}
