/**
 * Avro schemas as Kafka Connect's AvroConverter (Confluent's AvroData) writes them, read back into the
 * Kafka Connect schema model that JsonConverter's envelope carries (lib/sinks/connect-schema.ts), so that
 * a table's columns derive identically from either converter; and the other way (avroSchemaOf), a
 * Connect schema written as AvroData writes it, what a producer registers.
 *
 * AvroData keeps what Avro cannot say in attributes of its own, and those decide here:
 * - `connect.name` (the logical type, `io.debezium.time.MicroTimestamp`, or a struct's name),
 *   `connect.version`, `connect.doc`, `connect.default`, and `connect.parameters` (Debezium's `scale`,
 *   `connect.decimal.precision`, `allowed`, `__debezium.source.column.type`, ...), copied as they are;
 * - `connect.type: int8 | int16` on an Avro `int` (Avro has no narrower integer);
 * - optional fields as the union `["null", T]` (`[T, "null"]` when the field has a non-null default);
 * - Connect's Decimal as `bytes` with Avro's `decimal` logical type: its precision is 64 when the Connect
 *   schema had none, so the precision comes from `connect.parameters` (as JsonConverter would show it),
 *   and only an Avro decimal without them (a producer that is not Kafka Connect) takes Avro's own.
 * A schema without `connect.*` attributes (a plain Avro producer) reads as Connect would read it: Avro's
 * `date`, `time-millis`, `timestamp-millis` as Connect's Date, Time, Timestamp; `time-micros`,
 * `timestamp-micros`, `local-timestamp-*` as Debezium's MicroTime, MicroTimestamp, Timestamp; `uuid`
 * as Debezium's Uuid; an enum as a string; a fixed as bytes; a union of several types as AvroData's
 * `io.confluent.connect.avro.Union` struct (which no column takes).
 */
import type { ConnectSchema } from '../sinks/connect-schema.js';
import { CdcError } from '../errors.js';

/** An Avro schema as JSON: a type name, a union, or a type object. */
export type AvroSchema = string | AvroSchema[] | AvroObject;

export interface AvroObject {
  type: AvroSchema;
  name?: string;
  namespace?: string;
  fields?: Array<{ name: string; type: AvroSchema; default?: unknown; doc?: string }>;
  items?: AvroSchema;
  values?: AvroSchema;
  symbols?: string[];
  size?: number;
  logicalType?: string;
  precision?: number;
  scale?: number;
  'connect.name'?: string;
  'connect.version'?: number;
  'connect.doc'?: string;
  'connect.parameters'?: Record<string, string>;
  'connect.type'?: string;
  'connect.default'?: unknown;
  [attribute: string]: unknown;
}

const DECIMAL = 'org.apache.kafka.connect.data.Decimal';
const PRECISION = 'connect.decimal.precision';
/** What AvroData writes as the precision of a Decimal whose Connect schema has none. */
const AVRODATA_DEFAULT_PRECISION = 64;
/** Parameters AvroData adds for its own round trips (field docs, enum markers): not the source's. */
const AVRODATA_OWN = 'io.confluent.connect.avro.';
const UNION = 'io.confluent.connect.avro.Union';

/** Avro primitive -> Connect type, in JsonConverter's spelling (float32 `float`, float64 `double`). */
const PRIMITIVE: Record<string, string> = {
  boolean: 'boolean',
  int: 'int32',
  long: 'int64',
  float: 'float',
  double: 'double',
  bytes: 'bytes',
  string: 'string',
};

/** Avro's logical types, for schemas that carry no `connect.name`. */
const LOGICAL: Record<string, string> = {
  date: 'org.apache.kafka.connect.data.Date',
  'time-millis': 'org.apache.kafka.connect.data.Time',
  'timestamp-millis': 'org.apache.kafka.connect.data.Timestamp',
  'time-micros': 'io.debezium.time.MicroTime',
  'timestamp-micros': 'io.debezium.time.MicroTimestamp',
  'local-timestamp-millis': 'io.debezium.time.Timestamp',
  'local-timestamp-micros': 'io.debezium.time.MicroTimestamp',
  uuid: 'io.debezium.data.Uuid',
};

function invalid(message: string): CdcError {
  return new CdcError('ERR_CDC_SCHEMA', `not an Avro schema this engine reads: ${message}`);
}

function isObject(s: AvroSchema): s is AvroObject {
  return s !== null && typeof s === 'object' && !Array.isArray(s);
}

/** A name's full name in `namespace` (a dotted name is full already). */
function fullName(name: string, namespace: string | undefined): string {
  return name.includes('.') || !namespace ? name : `${namespace}.${name}`;
}

/** The namespace a named type gives the types inside it. */
function innerNamespace(s: AvroObject, outer: string | undefined): string | undefined {
  const name = s.name ?? '';
  const dot = name.lastIndexOf('.');
  if (dot >= 0) return name.slice(0, dot);
  return s.namespace ?? outer;
}

function sourceParameters(s: AvroObject): Record<string, string> | undefined {
  const given = s['connect.parameters'];
  if (given === undefined || given === null || typeof given !== 'object') return undefined;
  const kept = Object.entries(given).filter(([k]) => !k.startsWith(AVRODATA_OWN));
  return kept.length === 0 ? undefined : Object.fromEntries(kept.map(([k, v]) => [k, String(v)]));
}

/** The `connect.*` attributes of a type as Connect schema properties. */
function connectAttributes(s: AvroObject, name: string | undefined): Partial<ConnectSchema> {
  const out: Partial<ConnectSchema> = {};
  if (name !== undefined) out.name = name;
  if (typeof s['connect.version'] === 'number') out.version = s['connect.version'];
  if (typeof s['connect.doc'] === 'string') out.doc = s['connect.doc'];
  const parameters = sourceParameters(s);
  if (parameters !== undefined) out.parameters = parameters;
  if (s['connect.default'] !== undefined) out.default = s['connect.default'];
  return out;
}

class Reader {
  /** Named types (records, enums, fixed) by full name, for the references that follow them. */
  readonly #named = new Map<string, ConnectSchema>();

  /** A type, not yet optional (the union around it says that) nor a field. */
  read(s: AvroSchema, namespace: string | undefined): ConnectSchema {
    if (typeof s === 'string') return this.#reference(s, namespace);
    if (Array.isArray(s)) return this.#union(s, namespace);
    if (!isObject(s)) throw invalid(`${JSON.stringify(s)} is not a type`);
    const t = s.type;
    if (typeof t !== 'string') return this.read(t, namespace);
    switch (t) {
      case 'record':
      case 'error':
        return this.#record(s, namespace);
      case 'enum':
        return this.#define(s, namespace, { type: 'string', optional: false, ...connectAttributes(s, s['connect.name']) });
      case 'fixed':
        return this.#define(s, namespace, this.#bytes(s));
      case 'array':
        return {
          type: 'array',
          optional: false,
          items: this.read(s.items as AvroSchema, namespace),
          ...connectAttributes(s, s['connect.name']),
        };
      case 'map':
        return {
          type: 'map',
          optional: false,
          keys: { type: 'string', optional: false },
          values: this.read(s.values as AvroSchema, namespace),
          ...connectAttributes(s, s['connect.name']),
        };
      case 'bytes':
        return this.#bytes(s);
      default: {
        const primitive = PRIMITIVE[t];
        if (primitive === undefined) return this.#reference(t, namespace);
        const narrow = s['connect.type'];
        const type = t === 'int' && (narrow === 'int8' || narrow === 'int16') ? narrow : primitive;
        const logical = s.logicalType === undefined ? undefined : LOGICAL[s.logicalType];
        return { type, optional: false, ...connectAttributes(s, s['connect.name'] ?? logical) };
      }
    }
  }

  #reference(name: string, namespace: string | undefined): ConnectSchema {
    if (name === 'null') throw invalid('"null" outside a union');
    const primitive = PRIMITIVE[name];
    if (primitive !== undefined) return { type: primitive, optional: false };
    const found = this.#named.get(fullName(name, namespace)) ?? this.#named.get(name);
    if (found === undefined) throw invalid(`the type ${JSON.stringify(name)} is not defined before it is used`);
    return found;
  }

  /** `["null", T]` is an optional T; any other union is AvroData's Union struct, one field per branch. */
  #union(branches: AvroSchema[], namespace: string | undefined): ConnectSchema {
    const others = branches.filter((b) => b !== 'null');
    const optional = others.length < branches.length;
    if (others.length === 1) return { ...this.read(others[0] as AvroSchema, namespace), optional };
    const fields = others.map((b, i) => ({
      ...this.read(b, namespace),
      optional: true,
      field: `${typeof b === 'string' ? b : 'branch'}${i}`,
    }));
    return { type: 'struct', optional, name: UNION, fields };
  }

  /** Avro bytes or fixed: Connect bytes, or Decimal when Avro's decimal logical type or AvroData says so. */
  #bytes(s: AvroObject): ConnectSchema {
    const decimal = s['connect.name'] === DECIMAL || s.logicalType === 'decimal';
    if (!decimal) return { type: 'bytes', optional: false, ...connectAttributes(s, s['connect.name']) };
    const attributes = connectAttributes(s, DECIMAL);
    if (attributes.parameters === undefined) {
      // Not written by AvroData: Avro's own scale and precision (required by Avro's spec) say it.
      const precision = typeof s.precision === 'number' && s.precision !== AVRODATA_DEFAULT_PRECISION ? s.precision : undefined;
      attributes.parameters = { scale: String(s.scale ?? 0), ...(precision === undefined ? {} : { [PRECISION]: String(precision) }) };
    }
    return { type: 'bytes', optional: false, ...attributes };
  }

  #define(s: AvroObject, namespace: string | undefined, schema: ConnectSchema): ConnectSchema {
    if (typeof s.name === 'string') this.#named.set(fullName(s.name, s.namespace ?? namespace), schema);
    return schema;
  }

  #record(s: AvroObject, namespace: string | undefined): ConnectSchema {
    if (typeof s.name !== 'string' || !Array.isArray(s.fields)) throw invalid('a record without a name or fields');
    const full = fullName(s.name, s.namespace ?? namespace);
    // AvroData names a nameless Connect struct io.confluent.connect.avro.ConnectDefault: it had none.
    const name = s['connect.name'] ?? (full.startsWith('io.confluent.connect.avro.ConnectDefault') ? undefined : full);
    const fields: ConnectSchema[] = [];
    const struct: ConnectSchema = { type: 'struct', optional: false, fields, ...connectAttributes(s, name) };
    // Defined before its fields: a field may refer to the record itself.
    this.#named.set(full, struct);
    const inner = innerNamespace(s, namespace);
    for (const f of s.fields) {
      if (typeof f?.name !== 'string') throw invalid(`a field of ${full} without a name`);
      fields.push({ ...this.read(f.type, inner), field: f.name });
    }
    return struct;
  }
}

/**
 * The Connect schema of an Avro schema (parsed JSON, or its text as the registry returns it): a struct
 * for a record, with each field's `field` and `optional` as JsonConverter writes them. Throws
 * ERR_CDC_SCHEMA for what is not an Avro schema (a reference to an undefined name, a record without
 * fields).
 */
export function connectSchemaOf(avro: AvroSchema | string): ConnectSchema {
  return new Reader().read(parseAvroSchema(avro), undefined);
}

/**
 * A schema's text (as the registry returns it) parsed; a bare type name (`"long"`, or `long`) and an
 * already parsed schema as they are. Throws ERR_CDC_SCHEMA for text that is not JSON.
 */
export function parseAvroSchema(avro: AvroSchema | string): AvroSchema {
  if (typeof avro !== 'string' || !/^\s*[[{"]/.test(avro)) return avro;
  try {
    return JSON.parse(avro) as AvroSchema;
  } catch (err) {
    throw invalid(`its text is not JSON (${(err as Error).message})`);
  }
}

// ---------------------------------------------------------------------------------------------------
// Connect -> Avro

const AVRO_PRIMITIVE: Record<string, string> = {
  int8: 'int',
  int16: 'int',
  int32: 'int',
  int64: 'long',
  float: 'float',
  float32: 'float',
  double: 'double',
  float64: 'double',
  boolean: 'boolean',
  string: 'string',
  bytes: 'bytes',
};

/** Connect's logical types that are Avro's too: AvroData marks them with both names. */
const AVRO_LOGICAL: Record<string, string> = {
  'org.apache.kafka.connect.data.Date': 'date',
  'org.apache.kafka.connect.data.Time': 'time-millis',
  'org.apache.kafka.connect.data.Timestamp': 'timestamp-millis',
};

class Writer {
  /** Records already written: a second use is a reference by full name (Avro defines a name once). */
  readonly #defined = new Set<string>();
  #anonymous = 0;

  /**
   * A field's or an item's type: optional as a union with null (first, or second behind a non-null
   * default). `namespace` is the enclosing record's: names in it are written short, as Avro's own
   * writer does.
   */
  type(s: ConnectSchema, namespace: string | undefined): AvroSchema {
    const t = this.#required(s, namespace);
    if (!s.optional) return t;
    return s.default === undefined || s.default === null ? ['null', t] : [t, 'null'];
  }

  #attributes(s: ConnectSchema, into: AvroObject): AvroObject {
    if (s.version !== undefined) into['connect.version'] = s.version;
    if (s.doc !== undefined) into['connect.doc'] = s.doc;
    if (s.parameters !== undefined) into['connect.parameters'] = { ...s.parameters };
    if (s.default !== undefined && s.default !== null) into['connect.default'] = s.default;
    if (s.name !== undefined) into['connect.name'] = s.name;
    return into;
  }

  #required(s: ConnectSchema, namespace: string | undefined): AvroSchema {
    switch (s.type) {
      case 'struct':
        return this.#record(s, namespace);
      case 'array':
        return this.#attributes(s, { type: 'array', items: this.type(s.items ?? { type: 'null' }, namespace) });
      case 'map':
        return this.#attributes(s, { type: 'map', values: this.type(s.values ?? { type: 'null' }, namespace) });
      default: {
        const primitive = AVRO_PRIMITIVE[s.type];
        if (primitive === undefined) throw invalid(`no Avro type for the Connect type ${JSON.stringify(s.type)}`);
        if (s.name === DECIMAL) {
          const scale = Number(s.parameters?.scale ?? 0);
          const precision = Number(s.parameters?.[PRECISION] ?? AVRODATA_DEFAULT_PRECISION);
          return this.#attributes(s, { type: 'bytes', scale, precision, logicalType: 'decimal' });
        }
        const narrow = s.type === 'int8' || s.type === 'int16' ? { 'connect.type': s.type } : {};
        const logical = s.name === undefined ? undefined : AVRO_LOGICAL[s.name];
        const out = this.#attributes(s, { type: primitive, ...narrow, ...(logical === undefined ? {} : { logicalType: logical }) });
        return Object.keys(out).length === 1 ? primitive : out;
      }
    }
  }

  #record(s: ConnectSchema, enclosing: string | undefined): AvroSchema {
    const full = s.name ?? `io.confluent.connect.avro.ConnectDefault${++this.#anonymous}`;
    const dot = full.lastIndexOf('.');
    const namespace = dot > 0 ? full.slice(0, dot) : undefined;
    const name = full.slice(dot + 1);
    if (this.#defined.has(full)) return namespace === enclosing ? name : full;
    this.#defined.add(full);
    const record: AvroObject = {
      type: 'record',
      name,
      ...(namespace !== undefined && namespace !== enclosing ? { namespace } : {}),
      fields: (s.fields ?? []).map((f) => {
        const type = this.type(f, namespace);
        const fallback = f.default !== undefined ? f.default : f.optional ? null : undefined;
        return { name: f.field as string, type, ...(fallback === undefined ? {} : { default: fallback }) };
      }),
    };
    return this.#attributes({ ...s, default: undefined }, record);
  }
}

/**
 * A Connect schema (JsonConverter's, or connectSchemaOf's) as AvroConverter writes it: what a producer
 * registers for its messages. connectSchemaOf reads it back to the same schema.
 */
export function avroSchemaOf(connect: ConnectSchema): AvroSchema {
  return new Writer().type({ ...connect, optional: false }, undefined);
}
