/**
 * Kafka Connect schemas as JsonConverter writes them (`schemas.enable=true`), turned into the columns of
 * a table: which Postgres type each field gets, and whether it may be NULL. The mapping follows
 * Debezium's documented JDBC-sink mapping for PostgreSQL and its connectors' type tables (the table is in
 * docs/sinks.md). Worker threads only, once per distinct schema.
 */
import { type ColumnType, parseColumnType } from './column-types.js';
import { BIT_MAX_LENGTH, NUMERIC_MAX_DECLARED_PRECISION, VARCHAR_MAX_LENGTH } from './pg-limits.js';

/** One field's schema, as JsonConverter writes it (or lib/avro/connect.ts reads it from an Avro schema). */
export interface ConnectSchema {
  type: string;
  optional?: boolean;
  name?: string;
  version?: number;
  doc?: string;
  parameters?: Record<string, string>;
  /** The field's default value (JsonConverter's `default`), in the JSON form of its values. */
  default?: unknown;
  field?: string;
  fields?: ConnectSchema[];
  items?: ConnectSchema;
  /** A map's key and value schemas. */
  keys?: ConnectSchema;
  values?: ConnectSchema;
}

/** A column a schema field gives a table. */
export interface DerivedColumn {
  name: string;
  type: ColumnType;
  /** The field is optional: the column may be NULL. */
  nullable: boolean;
  /** The field's logical type name (`io.debezium.time.MicroTimestamp`), for messages. */
  logical: string | undefined;
  /** The schema type as messages name it: `int64 (io.debezium.time.MicroTimestamp)`. */
  schemaType: string;
}

const type = (sql: string) => parseColumnType(sql) as ColumnType;

/** Logical types, by name: the Postgres type their values load into. */
const BY_NAME: Record<string, ColumnType> = {
  'org.apache.kafka.connect.data.Date': type('date'),
  'io.debezium.time.Date': type('date'),
  'org.apache.kafka.connect.data.Time': type('time'),
  'io.debezium.time.Time': type('time'),
  'io.debezium.time.MicroTime': type('time'),
  'io.debezium.time.NanoTime': type('time'),
  'org.apache.kafka.connect.data.Timestamp': type('timestamp'),
  'io.debezium.time.Timestamp': type('timestamp'),
  'io.debezium.time.MicroTimestamp': type('timestamp'),
  'io.debezium.time.NanoTimestamp': type('timestamp'),
  'io.debezium.time.ZonedTimestamp': type('timestamptz'),
  'io.debezium.time.Year': type('integer'),
  'io.debezium.data.Json': type('jsonb'),
  'io.debezium.data.Uuid': type('uuid'),
  'io.debezium.data.Enum': type('text'),
  'io.debezium.data.EnumSet': type('text'),
  'io.debezium.data.Ltree': type('text'),
  'io.debezium.data.VariableScaleDecimal': type('numeric'),
  'io.debezium.time.MicroDuration': type('interval'),
  'io.debezium.time.ZonedTime': type('timetz'),
  'io.debezium.data.Xml': type('xml'),
  'io.debezium.time.Interval': type('interval'),
};

/**
 * Geometry structs (`wkb` bytes and an optional `srid`; Point adds `x` and `y`): bytea of the WKB when no
 * column type is declared. The WKB is the geometry itself, exact and readable by PostGIS
 * (ST_GeomFromWKB) or any GIS library, where a jsonb of the struct would need unpacking first; a column
 * declared jsonb keeps the whole struct instead (the srid beside the WKB).
 */
const GEOMETRY = new Set(['io.debezium.data.geometry.Point', 'io.debezium.data.geometry.Geometry', 'io.debezium.data.geometry.Geography']);

/** Connect's own types (JsonConverter spells float32 `float` and float64 `double`). */
const BY_TYPE: Record<string, ColumnType> = {
  int8: type('smallint'),
  int16: type('smallint'),
  int32: type('integer'),
  int64: type('bigint'),
  float: type('real'),
  float32: type('real'),
  double: type('double precision'),
  float64: type('double precision'),
  boolean: type('boolean'),
  string: type('text'),
  bytes: type('bytea'),
};

/** The schema type as messages name it: `int64 (io.debezium.time.MicroTimestamp)`, `array of struct`, `map of string to int32`. */
export function schemaTypeName(s: ConnectSchema): string {
  let text = s.type;
  if (s.type === 'array' && s.items !== undefined) text = `array of ${schemaTypeName(s.items)}`;
  else if (s.type === 'map' && s.keys !== undefined && s.values !== undefined)
    text = `map of ${schemaTypeName(s.keys)} to ${schemaTypeName(s.values)}`;
  return s.name === undefined ? text : `${text} (${s.name})`;
}

/** Debezium's bit strings (BIT(n), BIT VARYING): bytes with a `length` parameter. */
export const BITS = 'io.debezium.data.Bits';

/** Bits' `length` parameter, when Postgres can declare it. */
function bitsParameter(parameters: Record<string, unknown> | undefined): number | undefined {
  const length = Number(parameters?.length);
  return Number.isInteger(length) && length >= 1 && length <= BIT_MAX_LENGTH ? length : undefined;
}

function sourceTypeOf(parameters: Record<string, unknown> | undefined): string | undefined {
  const source = parameters?.['__debezium.source.column.type'];
  return typeof source === 'string' ? source.toUpperCase() : undefined;
}

/**
 * The exact bit count of io.debezium.data.Bits values, or undefined where Debezium does not keep it.
 * BIT(n) sources (MySQL's, PostgreSQL's) send `length` = n. PostgreSQL's BIT VARYING(m) sends m, its
 * maximum, and BIT VARYING without one 2^31 - 1: the value's own length (its leading zeros) is lost on
 * the way, which only the propagated source type tells apart from BIT(n).
 */
export function bitsLength(parameters: Record<string, unknown> | undefined): number | undefined {
  const source = sourceTypeOf(parameters);
  return source === 'VARBIT' || source === 'BIT VARYING' ? undefined : bitsParameter(parameters);
}

/** io.debezium.data.Bits: bit(n) when the propagated source type says BIT, else bit varying(length), or unbounded. */
function bitsType(s: ConnectSchema): ColumnType {
  const length = bitsParameter(s.parameters);
  if (length === undefined) return type('bit varying');
  return type(sourceTypeOf(s.parameters) === 'BIT' ? `bit(${length})` : `bit varying(${length})`);
}

/** Debezium's numeric: `numeric(p,s)` with the precision it propagates, else unconstrained. */
function decimalType(s: ConnectSchema): ColumnType {
  const scale = Number(s.parameters?.scale ?? 0);
  const precision = Number(s.parameters?.['connect.decimal.precision']);
  if (Number.isInteger(precision) && precision >= 1 && precision <= NUMERIC_MAX_DECLARED_PRECISION && scale >= 0 && scale <= precision)
    return type(`numeric(${precision},${scale})`);
  return type('numeric');
}

/** Source types the connectors send as plain strings, recognised when they propagate the source type. */
const BY_SOURCE_TYPE: Record<string, ColumnType> = { INET: type('inet'), CIDR: type('cidr'), MACADDR: type('macaddr') };

/** A string column's declared length, when the connector propagates it for a character type. */
function stringType(s: ConnectSchema): ColumnType {
  const source = sourceTypeOf(s.parameters);
  const length = Number(s.parameters?.['__debezium.source.column.length']);
  const network = source === undefined ? undefined : BY_SOURCE_TYPE[source];
  if (network) return network;
  if (
    (source === 'CHAR' || source === 'BPCHAR' || source === 'CHARACTER') &&
    Number.isInteger(length) &&
    length >= 1 &&
    length <= VARCHAR_MAX_LENGTH
  )
    return type(`char(${length})`);
  const character = source === undefined || /CHAR|TEXT|STRING/.test(source);
  if (character && Number.isInteger(length) && length >= 1 && length <= VARCHAR_MAX_LENGTH) return type(`varchar(${length})`);
  return type('text');
}

/** The Postgres type of one field, or why it has none here. */
export function columnTypeOf(s: ConnectSchema): ColumnType | string {
  if (s.name === 'org.apache.kafka.connect.data.Decimal') return decimalType(s);
  if (s.name === BITS) return bitsType(s);
  if (s.name !== undefined) {
    if (GEOMETRY.has(s.name)) return type('bytea');
    const named = BY_NAME[s.name];
    if (named) return named;
  }
  if (s.type === 'array' && s.items !== undefined) {
    const element = columnTypeOf(s.items);
    // One dimension of a type with a column (a plain struct has none): Postgres does not type an array's dimensions.
    if (typeof element !== 'string' && element.kind !== 'array') return { kind: 'array', element, sql: `${element.sql}[]` };
    return notLoaded(s);
  }
  if (s.type === 'string') return stringType(s);
  const plain = BY_TYPE[s.type];
  // A logical type we do not know on a primitive: its values are the primitive's (Connect's rule).
  if (plain) return plain;
  return notLoaded(s);
}

function notLoaded(s: ConnectSchema): string {
  return `${schemaTypeName(s)} is not a type cdc-pipeline loads yet`;
}

/** Is this the value schema of Debezium's change-event envelope (op, before, after), not a row? */
export function isEnvelope(schema: ConnectSchema): boolean {
  const names = new Set((schema.fields ?? []).map((f) => f.field));
  return schema.type === 'struct' && names.has('op') && (names.has('after') || names.has('before'));
}

/** The row struct of a value schema: the envelope's `after` (else `before`), or the schema itself (a flattened row). */
export function rowSchemaOf(schema: ConnectSchema): ConnectSchema | undefined {
  if (schema.type !== 'struct') return undefined;
  if (!isEnvelope(schema)) return schema;
  const fields = schema.fields ?? [];
  return fields.find((f) => f.field === 'after' && f.type === 'struct') ?? fields.find((f) => f.field === 'before' && f.type === 'struct');
}

/** Field names the flattening transform adds (`__op`, `__deleted`, ...): metadata, not columns. */
export function isTransformField(name: string): boolean {
  return name.startsWith('__');
}

/** UNSUPPORTED_TYPE's message: the topic, then each field with its schema type (from deriveColumns' problems). */
export function unsupportedTypesMessage(topic: string, problems: readonly string[]): string {
  return `topic ${topic}: ${problems.join('; ')}`;
}

/**
 * The columns of a row struct, in field order. Fields whose type has no column here are returned as
 * problems (`field: reason`), so the caller can name the topic with them.
 */
export function deriveColumns(row: ConnectSchema): { columns: DerivedColumn[]; problems: string[] } {
  const columns: DerivedColumn[] = [];
  const problems: string[] = [];
  for (const f of row.fields ?? []) {
    const name = f.field;
    if (typeof name !== 'string' || isTransformField(name)) continue;
    const t = columnTypeOf(f);
    if (typeof t === 'string') problems.push(`${name}: ${t}`);
    else columns.push({ name, type: t, nullable: f.optional === true, logical: f.name, schemaType: schemaTypeName(f) });
  }
  return { columns, problems };
}
