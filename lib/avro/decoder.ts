/**
 * Avro bodies decoded by a reader avsc compiles once per writer schema (per registry id), into the values
 * JsonConverter's payload holds for the same event, which the Debezium value readers
 * (lib/sinks/formats/debezium.ts) take, with two forms JSON cannot carry:
 *
 * | Avro (as AvroConverter writes it)              | decoded                                          |
 * | ---------------------------------------------- | ------------------------------------------------ |
 * | null, boolean, int, string, enum               | null, boolean, number, string, string            |
 * | long                                           | number within ±(2^53-1), else a bigint: exact over the whole int64 range |
 * | float, double                                  | number (-0 kept); NaN, ±Infinity as "NaN", "Infinity", "-Infinity" (JsonConverter's words) |
 * | bytes, fixed                                   | base64 text (JsonConverter's form)               |
 * | Decimal (bytes or fixed, logicalType decimal)  | decimal text with exactly its scale's fraction digits ("12.30"), exact |
 * | io.debezium.data.VariableScaleDecimal record   | decimal text at the value's own scale            |
 * | record, array, map                             | object (one property per field), array, object   |
 * | ["null", T]                                    | null or T's value                                |
 *
 * Decimals arrive as text, not as JsonConverter's base64: fieldSchemasOf gives the readers the schema
 * view that says so (no Decimal name, so a numeric column reads the text as a decimal).
 *
 * The reader is avsc's generated code for the schema (records read field by field in compiled
 * functions), keyed by the schema id in AvroDecoders, so a message costs its body's decoding only.
 */
import avro from 'avsc';
import type { ConnectSchema } from '../sinks/connect-schema.js';
import type { FieldSchema } from '../sinks/formats/debezium.js';
import { decimalFromBytes, isNumericScale } from '../sinks/formats/debezium-values.js';
import { CdcError } from '../errors.js';
import { type AvroObject, type AvroSchema, connectSchemaOf, parseAvroSchema } from './connect.js';
import type { RegisteredSchema } from './registry.js';
import { bodyOf, schemaIdOf } from './wire.js';

const DECIMAL = 'org.apache.kafka.connect.data.Decimal';
const VARIABLE_SCALE_DECIMAL = 'io.debezium.data.VariableScaleDecimal';

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;

/** A long as the readers take it: a number where that is exact, else a bigint. */
function fromBigInt(v: bigint): number | bigint {
  return v <= MAX_SAFE && v >= -MAX_SAFE ? Number(v) : v;
}

/** What avsc's generated readers and writers hand a type: the buffer and the position in it. */
interface Tap {
  buf: Buffer;
  pos: number;
  writeFixed(buf: Buffer, len?: number): void;
}

function varintOfLong(value: number | bigint): Buffer {
  const v = BigInt(value);
  let z = BigInt.asUintN(64, (v << 1n) ^ (v >> 63n));
  const out: number[] = [];
  do {
    const low = Number(z & 0x7fn);
    z >>= 7n;
    out.push(z === 0n ? low : low | 0x80);
  } while (z !== 0n);
  return Buffer.from(out);
}

function isLong(v: unknown): boolean {
  return (typeof v === 'number' && Number.isSafeInteger(v)) || (typeof v === 'bigint' && v >= INT64_MIN && v <= INT64_MAX);
}

/**
 * Avro's long, exact over the whole int64 range: avsc's own refuses values beyond 2^53. Not
 * `LongType.__with` (avsc's documented hook), because it hands each value over as a Buffer of its own,
 * one allocation per long: on a Debezium event of seven longs that took decoding from 3.6 to 5.3 µs.
 * This reads the zig-zag varint where it lies: up to 7 bytes (49 bits) in a double, only longer ones
 * through BigInt. Reading past the end leaves the position there, which avsc reports as truncated.
 */
class ExactLongType extends avro.types.LongType {
  _read(tap: Tap): number | bigint {
    const buf = tap.buf;
    let pos = tap.pos;
    let v = 0;
    let scale = 1;
    let b: number;
    let n = 0;
    do {
      b = buf[pos++] as number;
      v += (b & 0x7f) * scale;
      scale *= 128;
    } while (b & 0x80 && ++n < 7);
    if (!(b & 0x80)) {
      tap.pos = pos;
      // Zig-zag: even is v/2, odd is -(v+1)/2; all exact below 2^49.
      return v % 2 === 0 ? v / 2 : -(v + 1) / 2;
    }
    let big = BigInt(v);
    let shift = 49n;
    do {
      b = buf[pos++] as number;
      big |= BigInt(b & 0x7f) << shift;
      shift += 7n;
    } while (b & 0x80 && shift < 70n);
    // Ten bytes hold 64 bits: an eleventh is not a long (Avro's Java reader refuses it too).
    if (b & 0x80) throw new Error('a long of more than ten bytes');
    tap.pos = pos;
    const z = BigInt.asUintN(64, big);
    return fromBigInt((z >> 1n) ^ -(z & 1n));
  }

  _write(tap: Tap, value: unknown): void {
    if (!isLong(value)) throw new Error(`invalid "long": ${String(value)}`);
    tap.writeFixed(varintOfLong(value as number | bigint));
  }

  _check(value: unknown, _flags: unknown, hook?: (value: unknown, type: avro.Type) => void): boolean {
    const valid = isLong(value);
    if (!valid && hook) hook(value, this);
    return valid;
  }
}

// As avsc's own custom longs (`__with`) name themselves: an unwrapped union then picks this branch for a
// value by _check (a bigint is no JavaScript number), and the schema still says "long".
Object.defineProperty(ExactLongType.prototype, 'typeName', { value: 'abstract:long' });
Object.defineProperty(ExactLongType.prototype, '_deref', { value: () => 'long' });
Object.defineProperty(ExactLongType.prototype, '_concreteTypeName', { value: 'long' });

/** The long of every reader here (and of writers: producers, tests): numbers where exact, else bigints. */
export const EXACT_LONG: avro.Type = new ExactLongType();

/** avsc's typeHook that makes every long (a reference or a type object with attributes) EXACT_LONG. */
export function exactLongHook(schema: avro.Schema): avro.Type | undefined {
  if (schema === 'long') return EXACT_LONG;
  return typeof schema === 'object' && !Array.isArray(schema) && (schema as { type?: unknown }).type === 'long' ? EXACT_LONG : undefined;
}

const decodeOnly = (): never => {
  throw new CdcError('ERR_CDC_INTERNAL', 'the Avro reader types decode only');
};

/** float and double: JsonConverter's words for what JSON has no number for. */
class FloatWords extends avro.types.LogicalType {
  protected override _fromValue(v: number): number | string {
    if (v - v === 0) return v; // finite (NaN - NaN and Infinity - Infinity are NaN)
    return v !== v ? 'NaN' : v > 0 ? 'Infinity' : '-Infinity';
  }
  protected override _toValue = decodeOnly;
}

/** bytes and fixed: base64, as JsonConverter writes them. */
class Base64 extends avro.types.LogicalType {
  protected override _fromValue(v: Buffer): string {
    return v.toString('base64');
  }
  protected override _toValue = decodeOnly;
}

/** Connect's Decimal: the unscaled two's complement at the schema's scale, as text. */
class DecimalText extends avro.types.LogicalType {
  readonly #scale: number;
  constructor(schema: AvroObject, opts?: unknown) {
    super(schema as unknown as avro.Schema, opts);
    this.#scale = schema['cdc.scale'] as number;
  }
  protected override _fromValue(v: Buffer): string {
    return decimalFromBytes(v, this.#scale);
  }
  protected override _toValue = decodeOnly;
}

/**
 * Debezium's VariableScaleDecimal record {scale, value}: text at its scale. A scale numeric cannot hold
 * is passed on as JsonConverter's object (value in base64), for the reader to refuse, naming the column.
 */
class VariableScaleText extends avro.types.LogicalType {
  protected override _fromValue(v: { scale: number; value: Buffer }): string | { scale: number; value: string } {
    return isNumericScale(v.scale) ? decimalFromBytes(v.value, v.scale) : { scale: v.scale, value: v.value.toString('base64') };
  }
  protected override _toValue = decodeOnly;
}

const LOGICAL_TYPES = {
  'cdc-float': FloatWords,
  'cdc-base64': Base64,
  'cdc-decimal': DecimalText,
  'cdc-variable-scale-decimal': VariableScaleText,
} as unknown as Record<string, new (schema: avro.Schema, opts?: unknown) => avro.types.LogicalType>;

function isDecimal(s: AvroObject): boolean {
  return s['connect.name'] === DECIMAL || s.logicalType === 'decimal';
}

/**
 * The writer schema with this engine's logical types put where its values need converting (a copy;
 * Avro's own logical types are dropped, field defaults too: a writer schema reads its own bodies, so
 * neither changes what is read).
 */
function readerSchema(s: AvroSchema, path: string): AvroSchema {
  if (typeof s === 'string') {
    if (s === 'float' || s === 'double') return { type: s, logicalType: 'cdc-float' };
    if (s === 'bytes') return { type: s, logicalType: 'cdc-base64' };
    return s;
  }
  if (Array.isArray(s)) return s.map((b) => readerSchema(b, path));
  const t = s.type;
  if (typeof t !== 'string') return readerSchema(t, path);
  const { logicalType: _dropped, ...rest } = s;
  switch (t) {
    case 'record':
    case 'error':
      // The VariableScaleDecimal record's own fields stay raw: its logical type reads them.
      if (s['connect.name'] === VARIABLE_SCALE_DECIMAL) return { ...rest, logicalType: 'cdc-variable-scale-decimal' };
      return {
        ...rest,
        fields: (s.fields ?? []).map(({ default: _default, ...f }) => ({ ...f, type: readerSchema(f.type, `${path}.${f.name}`) })),
      };
    case 'array':
      return { ...rest, items: readerSchema(s.items as AvroSchema, `${path}[]`) };
    case 'map':
      return { ...rest, values: readerSchema(s.values as AvroSchema, `${path}{}`) };
    case 'bytes':
    case 'fixed': {
      if (!isDecimal(s)) return { ...rest, logicalType: 'cdc-base64' };
      const scale = Number(s['connect.parameters']?.scale ?? s.scale ?? 0);
      if (!isNumericScale(scale)) throw new CdcError('ERR_CDC_SCHEMA', `${path}: decimal scale ${scale} is beyond what numeric holds`);
      return { ...rest, logicalType: 'cdc-decimal', 'cdc.scale': scale };
    }
    case 'float':
    case 'double':
      return { ...rest, logicalType: 'cdc-float' };
    default:
      return rest;
  }
}

/** One writer schema, compiled. */
export interface AvroDecoder {
  /** The schema's Kafka Connect form (lib/sinks/connect-schema.ts derives columns from it). */
  connect: ConnectSchema;
  /** The values of one body (the bytes after the wire format's header). Throws ERR_CDC_AVRO_*. */
  decode(body: Uint8Array): unknown;
}

/** Compiles a writer schema (its text, as the registry returns it, or parsed). Throws ERR_CDC_SCHEMA. */
export function compileAvroDecoder(schema: string | AvroSchema, schemaId?: number): AvroDecoder {
  const parsed = parseAvroSchema(schema);
  const connect = connectSchemaOf(parsed);
  let type: avro.Type;
  try {
    type = avro.Type.forSchema(readerSchema(parsed, '$') as avro.Schema, {
      logicalTypes: LOGICAL_TYPES,
      omitRecordMethods: true,
      wrapUnions: 'auto',
      typeHook: exactLongHook,
    });
  } catch (err) {
    if (err instanceof CdcError) throw err;
    throw new CdcError(
      'ERR_CDC_SCHEMA',
      `schema${schemaId === undefined ? '' : ` id ${schemaId}`} is not an Avro schema avsc compiles: ${(err as Error).message}`,
      {
        ...(schemaId === undefined ? {} : { schemaId }),
      },
    );
  }
  const withId = schemaId === undefined ? {} : { schemaId };
  const named = schemaId === undefined ? 'its schema' : `schema id ${schemaId}`;
  return {
    connect,
    decode: (body) => {
      try {
        return type.fromBuffer(Buffer.from(body.buffer, body.byteOffset, body.length));
      } catch (err) {
        const message = (err as Error).message;
        if (message === 'truncated buffer') {
          throw new CdcError('ERR_CDC_AVRO_TRUNCATED', `the Avro body (${body.length} bytes) ends before ${named} has read it all`, withId);
        }
        throw new CdcError('ERR_CDC_AVRO_BODY', `the Avro body (${body.length} bytes) is not one ${named} writes: ${message}`, withId);
      }
    },
  };
}

/** What AvroDecoders needs of a registry (lib/avro/registry.ts's SchemaRegistry). */
export interface SchemaSource {
  schema(id: number): Promise<RegisteredSchema>;
}

/**
 * Compiled decoders by schema id, each made once. `prepare` fetches and compiles the ids a batch brings
 * (asynchronously, before it is decoded); `decode` then runs synchronously per message.
 *
 * An id that cannot be read for good (the registry does not know it, its schema is not Avro or does not
 * compile) is remembered with its error: prepare goes on, and decode throws that error for each of its
 * messages, which become dead letters. A registry that cannot answer now makes prepare reject (the
 * batch is retried); nothing of it is remembered.
 */
export class AvroDecoders {
  readonly #source: SchemaSource;
  readonly #byId = new Map<number, AvroDecoder | CdcError>();
  readonly #pending = new Map<number, Promise<void>>();

  constructor(source: SchemaSource) {
    this.#source = source;
  }

  /** The decoder of every id given, fetched and compiled when new. Rejects on a transient failure. */
  async prepare(ids: Iterable<number>): Promise<void> {
    const waits: Array<Promise<void>> = [];
    for (const id of ids) if (!this.#byId.has(id)) waits.push(this.#compile(id));
    await Promise.all(waits);
  }

  /**
   * The schema ids of a batch's values and of its keys in the wire format (a JSON or string key never
   * starts with the magic byte 0), prepared.
   */
  prepareBatch(messages: ReadonlyArray<{ key: Uint8Array | null; value: Uint8Array | null }>): Promise<void> {
    const ids = AvroDecoders.idsOf(messages.map((m) => m.value));
    for (const id of AvroDecoders.idsOf(messages.map((m) => m.key))) ids.add(id);
    return this.prepare(ids);
  }

  /** The schema ids of messages in the wire format (others are skipped: decode names what is wrong). */
  static idsOf(messages: Iterable<Uint8Array | null>): Set<number> {
    const ids = new Set<number>();
    for (const m of messages) {
      if (m === null || m.length < 5 || m[0] !== 0) continue;
      ids.add(schemaIdOf(m));
    }
    return ids;
  }

  /** The decoder of a prepared id; undefined when not prepared or not readable. */
  get(id: number): AvroDecoder | undefined {
    const entry = this.#byId.get(id);
    return entry instanceof CdcError ? undefined : entry;
  }

  /**
   * One message: its schema id and values. Throws ERR_CDC_AVRO_* for what is not readable, the
   * remembered error of an id that cannot be read (ERR_CDC_SCHEMA_UNKNOWN_ID, ...), ERR_CDC_INTERNAL
   * for an id that was not prepared.
   */
  decode(message: Uint8Array): { schemaId: number; value: unknown } {
    const schemaId = schemaIdOf(message);
    const entry = this.#byId.get(schemaId);
    // prepare() was given every id of the batch: a miss is a bug.
    if (entry === undefined) throw new CdcError('ERR_CDC_INTERNAL', `schema id ${schemaId} was not prepared`, { schemaId });
    if (entry instanceof CdcError) throw entry;
    return { schemaId, value: entry.decode(bodyOf(message)) };
  }

  get size(): number {
    return this.#byId.size;
  }

  #compile(id: number): Promise<void> {
    let pending = this.#pending.get(id);
    if (pending === undefined) {
      pending = this.#source.schema(id).then(
        (registered) => {
          try {
            this.#byId.set(id, compileAvroDecoder(registered.schema, id));
          } catch (err) {
            this.#byId.set(id, err instanceof CdcError ? err : new CdcError('ERR_CDC_SCHEMA', (err as Error).message, { schemaId: id }));
          }
        },
        (err: unknown) => {
          // Refused credentials or a URL that is not a registry (`fatal`) say nothing of the id: the
          // batch fails and an operator acts, rather than every message becoming a dead letter.
          if (err instanceof CdcError && !err.canRetry && err.fatal === undefined) this.#byId.set(id, err);
          else throw err;
        },
      );
      this.#pending.set(id, pending);
      const forget = () => this.#pending.delete(id);
      pending.then(forget, forget);
    }
    return pending;
  }
}

/**
 * The readers' schema view of decoded values (lib/sinks/formats/debezium.ts FieldSchema), by field:
 * the logical type names and scales, except that Decimal and VariableScaleDecimal fields, already
 * decimal text, carry no name (a numeric column then reads the text as a decimal).
 */
export function fieldSchemasOf(row: ConnectSchema): Map<string, FieldSchema> {
  const view = (s: ConnectSchema): FieldSchema => {
    const text = s.name === DECIMAL || s.name === VARIABLE_SCALE_DECIMAL;
    const scale = s.parameters?.scale;
    return {
      name: text ? undefined : s.name,
      scale: scale === undefined ? undefined : Number(scale),
      items: s.items === undefined ? undefined : view(s.items),
    };
  };
  const out = new Map<string, FieldSchema>();
  for (const f of row.fields ?? []) if (typeof f.field === 'string') out.set(f.field, view(f));
  return out;
}
