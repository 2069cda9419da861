/**
 * Debezium change events as Kafka Connect's JsonConverter writes them: with the schema envelope
 * (`{"schema": ..., "payload": ...}`, schemas.enable=true) or the payload alone, detected per message.
 *
 * - `c`, `r` (snapshot read) and `u` upsert the full `after` image; `d` deletes (hard, or the declared
 *   soft delete) by the key in `before`, or in the message key when `before` lacks it (REPLICA IDENTITY
 *   DEFAULT sends only the key there; some setups send nothing); `t` truncates when the sink says
 *   `truncate: true`, else it is skipped and counted, as are `m` (logical decoding messages) and
 *   tombstones (the null value Debezium writes after a delete for log compaction).
 * - A column holding Debezium's unavailable-value placeholder (a TOASTed column the source did not
 *   send) keeps its stored value; the event's other columns still apply.
 * - Values: with a schema, its logical type names decide the encoding (io.debezium.time.Date days,
 *   Timestamp ms, MicroTimestamp µs, NanoTimestamp ns, ZonedTimestamp ISO text, Time/MicroTime/NanoTime,
 *   Kafka Connect's Decimal with `parameters.scale`, VariableScaleDecimal, Json, Uuid, bytes as base64,
 *   Bits with its `length`, geometry structs (their WKB, or the struct's text for a jsonb column), and
 *   time.precision.mode=connect's Kafka Connect Date, Time and Timestamp in ms), as does the message
 *   key's schema when a delete takes its key from there; without one, the declared column type
 *   decides, with the PostgreSQL connector's defaults (date as days, timestamp as µs, timestamptz as ISO
 *   text, numeric as base64 bytes at the declared scale, also plain JSON numbers and decimal strings),
 *   unless the column declares another `encoding`.
 */
import { type AvroDecoders, fieldSchemasOf } from '../../avro/decoder.js';
import { CdcError, type ErrorCode } from '../../errors.js';
import { BITS, bitsLength, type ConnectSchema, isEnvelope, isTransformField } from '../connect-schema.js';
import { changeEventSpans, isNullSpan, splitEnvelope, type Span } from '../envelope.js';
import type { ColumnType } from '../column-types.js';
import { keyOf, type Layout, type StagedColumn } from '../layout.js';
import type { Encoding, SinkDeclaration } from '../mapping.js';
import { SchemaCache } from '../schema-cache.js';
import { BIGINT_MAX, BIGINT_MIN, INTEGER_MAX, INTEGER_MIN, SMALLINT_MAX, SMALLINT_MIN } from '../pg-limits.js';
import type { DeadLetterCode, DecodeResult, RowEvent, Value } from '../types.js';
import {
  isRejection,
  jsonText,
  jsonType,
  elementTextsAtPath,
  type JsonObject,
  numberTextAtPath,
  parseJsonObject,
  preview,
  type Rejection,
  reject,
  validateDate,
  validateFloat,
  validateString,
  validateTime,
  validateTimestamp,
  validateUuid,
  valueTextAtPath,
  wrongType,
} from '../validate.js';
import {
  bitsFromBase64,
  checkNumericRange,
  dateFromEpochDays,
  decimalFromBase64,
  decimalText,
  hexFromBase64,
  timeFromEpoch,
  timestampFromEpoch,
  variableScaleDecimal,
} from './debezium-values.js';

/** What the value's schema says of one field: its logical type name, Decimal's scale, Bits' length. */
export interface FieldSchema {
  name: string | undefined;
  scale: number | undefined;
  /** io.debezium.data.Bits: the exact bit count of its values, where Debezium keeps it. */
  length?: number | undefined;
  /** An array's element schema. */
  items?: FieldSchema | undefined;
}

type RawFieldSchema = { field?: unknown; name?: unknown; parameters?: Record<string, unknown>; items?: RawFieldSchema };

function fieldSchemaOf(f: RawFieldSchema): FieldSchema {
  const scale = f.parameters?.scale;
  const name = typeof f.name === 'string' ? f.name : undefined;
  return {
    name,
    scale: scale === undefined ? undefined : Number(scale),
    length: name === BITS ? bitsLength(f.parameters) : undefined,
    items: f.items && typeof f.items === 'object' ? fieldSchemaOf(f.items) : undefined,
  };
}

/**
 * Reads one column of a Debezium row image. `json` and `path` locate the value in the message text,
 * for the few values whose digits JSON.parse would round.
 */
type ColumnReader = (raw: unknown, schema: FieldSchema | undefined, json: string, path: readonly string[]) => Value | Rejection;

const UNIT_OF: Record<string, 'ms' | 'us' | 'ns'> = {
  'io.debezium.time.Timestamp': 'ms',
  'io.debezium.time.MicroTimestamp': 'us',
  'io.debezium.time.NanoTimestamp': 'ns',
  'io.debezium.time.Time': 'ms',
  'io.debezium.time.MicroTime': 'us',
  'io.debezium.time.NanoTime': 'ns',
  // time.precision.mode=connect: Kafka Connect's own logical types, always milliseconds.
  'org.apache.kafka.connect.data.Timestamp': 'ms',
  'org.apache.kafka.connect.data.Time': 'ms',
};
const ENCODING_UNIT: Partial<Record<Encoding, 'ms' | 'us' | 'ns'>> = { millis: 'ms', micros: 'us', nanos: 'ns' };

const INTEGER_RANGE: Record<string, [number, number]> = { smallint: [SMALLINT_MIN, SMALLINT_MAX], integer: [INTEGER_MIN, INTEGER_MAX] };
const FLOAT_WORDS = new Set(['NaN', 'Infinity', '-Infinity']);
/** Decimal text. Digits, '+', 'e' and 'E' are base64 characters too: see numericString. */
const DECIMAL_TEXT = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
/** NaN in any case: decimal.handling.mode=string sends PostgreSQL's NaN as "NAN". */
const NAN_WORD = /^nan$/i;
const HEX = /^(\\x)?([0-9a-fA-F]{2})*$/;

/** A time of day with a zone offset (Z, ±hh, ±hhmm, ±hh:mm), as ZonedTime writes it. */
const TIMETZ = /^([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d{1,9})?(Z|[+-](0\d|1[0-5])(:?[0-5]\d)?)$/;

const ISO_DURATION =
  /^P(?:(-?\d+)Y)?(?:(-?\d+)M)?(?:(-?\d+)W)?(?:(-?\d+)D)?(?:T(?:(-?\d+)H)?(?:(-?\d+)M)?(?:(-?\d+)(?:\.(\d{1,6})\d*)?S)?)?$/;

/**
 * An ISO 8601 duration (as PostgreSQL's connector writes intervals in interval.handling.mode=string, each
 * part with its own sign) -> the engine's interval form, exact: months, days, and microseconds.
 */
function isoDuration(column: string, raw: string): string | Rejection {
  const m = ISO_DURATION.exec(raw);
  if (!m || raw === 'P' || raw.endsWith('T')) return reject('WRONG_TYPE', `${column}: ${preview(raw)} is not an ISO 8601 duration`);
  const n = (i: number) => BigInt(m[i] ?? '0');
  const months = n(1) * 12n + n(2);
  const days = n(3) * 7n + n(4);
  const seconds = n(7);
  const fraction = BigInt((m[8] ?? '').padEnd(6, '0') || '0');
  const micros = (n(5) * 3600n + n(6) * 60n + seconds) * 1_000_000n + (seconds < 0n || m[7]?.startsWith('-') ? -fraction : fraction);
  if (
    months > 2_147_483_647n ||
    months < -2_147_483_648n ||
    days > 2_147_483_647n ||
    days < -2_147_483_648n ||
    micros > BIGINT_MAX ||
    micros < BIGINT_MIN
  )
    return reject('OUT_OF_RANGE', `${column}: ${preview(raw)} out of range for interval`);
  return `${months} mons ${days} days ${micros} microseconds`;
}

/**
 * How a time column's values come without a schema, by its precision, as Debezium's default
 * time.precision.mode (adaptive; MySQL's adaptive_time_microseconds) sends them: milliseconds for
 * precision 0..3 (PostgreSQL timestamp(3), MySQL DATETIME(3)), microseconds above and without one.
 */
function adaptiveEncoding(type: { precision?: number }): Encoding {
  return type.precision !== undefined && type.precision <= 3 ? 'millis' : 'micros';
}

/** An integer from a JSON number, or from the number's own digits beyond 2^53. */
function integerText(
  column: string,
  raw: unknown,
  json: string,
  path: readonly string[],
  lo: bigint,
  hi: bigint,
): string | number | Rejection {
  // An Avro long beyond 2^53 (lib/avro/decoder.ts): exact already.
  if (typeof raw === 'bigint') {
    if (raw < lo || raw > hi) return reject('OUT_OF_RANGE', `${column}: ${raw} out of range ${lo}..${hi}`);
    return String(raw);
  }
  if (typeof raw !== 'number') return wrongType(column, 'an integer', raw);
  if (!Number.isInteger(raw)) return reject('WRONG_TYPE', `${column}: ${raw} is not an integer`);
  if (Number.isSafeInteger(raw)) {
    if (raw < lo || raw > hi) return reject('OUT_OF_RANGE', `${column}: ${raw} out of range ${lo}..${hi}`);
    return raw;
  }
  const text = numberTextAtPath(json, path);
  if (text === undefined || !/^-?\d+$/.test(text)) return reject('WRONG_TYPE', `${column}: ${text ?? raw} is not an integer`);
  const n = BigInt(text);
  if (n < lo || n > hi) return reject('OUT_OF_RANGE', `${column}: ${text} out of range ${lo}..${hi}`);
  return text;
}

function readerFor(c: StagedColumn): ColumnReader {
  const d = c.declaration;
  const column = c.name;
  const type = c.type;
  const encoding = d?.encoding;
  const min = d?.min;
  const max = d?.max;
  switch (type.kind) {
    case 'smallint':
    case 'integer':
    case 'bigint': {
      const [tlo, thi] = type.kind === 'bigint' ? [BIGINT_MIN, BIGINT_MAX] : (INTEGER_RANGE[type.kind] as [number, number]).map(BigInt);
      const lo = min === undefined ? (tlo as bigint) : BigInt(Math.ceil(min)) > (tlo as bigint) ? BigInt(Math.ceil(min)) : (tlo as bigint);
      const hi =
        max === undefined ? (thi as bigint) : BigInt(Math.floor(max)) < (thi as bigint) ? BigInt(Math.floor(max)) : (thi as bigint);
      return (raw, _s, json, path) => integerText(column, raw, json, path, lo, hi);
    }
    case 'numeric':
      return (raw, s, json, path) => {
        let text: string | Rejection;
        if (s?.name === 'org.apache.kafka.connect.data.Decimal' && typeof raw === 'string')
          text = decimalFromBase64(column, raw, s.scale ?? 0);
        else if (s?.name === 'io.debezium.data.VariableScaleDecimal' || (typeof raw === 'object' && raw !== null))
          text = variableScaleDecimal(column, raw);
        else if (typeof raw === 'number') text = decimalText(column, numberTextAtPath(json, path) ?? String(raw));
        else if (typeof raw === 'bigint') text = String(raw);
        else if (typeof raw === 'string') {
          text = numericString(raw, encoding, s !== undefined) ? decimalText(column, raw) : decimalFromBase64(column, raw, type.scale ?? 0);
        } else text = wrongType(column, 'a decimal (base64 bytes, a number or decimal text)', raw);
        if (typeof text !== 'string') return text;
        const checked = checkNumericRange(column, text, type.precision, type.scale);
        if (typeof checked !== 'string') return checked;
        if ((min !== undefined && Number(checked) < min) || (max !== undefined && Number(checked) > max)) {
          return reject('OUT_OF_RANGE', `${column}: ${preview(checked)} out of range ${min ?? ''}..${max ?? ''}`);
        }
        return checked;
      };
    case 'real':
    case 'double precision':
      return (raw) => {
        if (typeof raw === 'string' && FLOAT_WORDS.has(raw)) return raw;
        return validateFloat(column, typeof raw === 'bigint' ? Number(raw) : raw, type.kind === 'real');
      };
    case 'boolean':
      return (raw) => (typeof raw === 'boolean' ? raw : wrongType(column, 'a boolean', raw));
    case 'text':
    case 'varchar': {
      const most = type.length ?? Number.POSITIVE_INFINITY;
      const least = d?.minLength ?? 0;
      return (raw) => validateString(column, raw, most, least);
    }
    case 'uuid':
      return (raw) => validateUuid(column, raw);
    case 'date':
      return (raw) => {
        if (typeof raw === 'number') return dateFromEpochDays(column, raw);
        if (typeof raw === 'string') return validateDate(column, raw);
        return wrongType(column, 'days since 1970-01-01 or a date string', raw);
      };
    case 'timestamp':
    case 'timestamptz': {
      const zoned = type.kind === 'timestamptz';
      const fallback = ENCODING_UNIT[encoding ?? adaptiveEncoding(type)] ?? 'us';
      return (raw, s, json, path) => {
        if (typeof raw === 'string') return zoned ? validateTimestamp(column, raw) : localTimestamp(column, raw);
        const unit = (s?.name && UNIT_OF[s.name]) || fallback;
        if (typeof raw === 'bigint') return timestampFromEpoch(column, String(raw), unit, zoned);
        if (typeof raw !== 'number')
          return wrongType(column, zoned ? 'an ISO-8601 timestamp string' : 'a number of µs since the epoch', raw);
        return timestampFromEpoch(column, Number.isSafeInteger(raw) ? raw : (numberTextAtPath(json, path) ?? raw), unit, zoned);
      };
    }
    case 'time': {
      const fallback = ENCODING_UNIT[encoding ?? adaptiveEncoding(type)] ?? 'us';
      return (raw, s, json, path) => {
        if (typeof raw === 'string') return validateTime(column, raw);
        const unit = (s?.name && UNIT_OF[s.name]) || fallback;
        if (typeof raw === 'bigint') return timeFromEpoch(column, String(raw), unit);
        if (typeof raw !== 'number') return wrongType(column, 'a number of µs since midnight', raw);
        return timeFromEpoch(column, Number.isSafeInteger(raw) ? raw : (numberTextAtPath(json, path) ?? raw), unit);
      };
    }
    case 'json':
    case 'jsonb': {
      const kind = type.kind;
      return (raw, _s, json, path) => {
        if (typeof raw !== 'string') {
          // A JSON value rather than Debezium's Json text: its own text, never re-serialised through
          // JavaScript numbers (12345678901234567890 and 1.50 stay as written).
          const text = valueTextAtPath(json, path);
          if (text === undefined) return jsonText(column, raw, kind);
          if (kind === 'jsonb' && text.includes('\\u0000'))
            return reject('NUL_CHARACTER', `${column}: contains a NUL character (U+0000), which jsonb cannot store`);
          return text;
        }
        // io.debezium.data.Json: the document as text. Parse it here so Postgres never refuses the batch.
        let doc: unknown;
        try {
          doc = JSON.parse(raw);
        } catch {
          return reject('INVALID_JSON', `${column}: ${preview(raw)} is not a JSON document`);
        }
        return kind === 'jsonb' && raw.includes('\\u0000') ? jsonText(column, doc, kind) : raw;
      };
    }
    case 'timetz':
      // io.debezium.time.ZonedTime: `12:05:06.789012Z`, the time with its offset.
      return (raw) => {
        if (typeof raw !== 'string') return wrongType(column, 'a time with a zone, such as 12:05:06.789012Z', raw);
        return TIMETZ.test(raw) ? raw : reject('INVALID_TIMESTAMP', `${column}: ${preview(raw)} is not a time with a zone`);
      };
    case 'xml':
    case 'inet':
    case 'cidr':
    case 'macaddr':
      // Text Postgres' own input checks; a value it refuses is isolated as REJECTED_BY_POSTGRES.
      return (raw) => validateString(column, raw, Number.POSITIVE_INFINITY, 0);
    case 'char': {
      const most = type.length ?? 1;
      return (raw) => validateString(column, raw, most, d?.minLength ?? 0);
    }
    case 'array': {
      // Each element read as a column of the element type would be; NULL elements kept.
      const element = readerFor({ name: `${column}[]`, type: type.element as ColumnType, declaration: undefined, isKey: false });
      return (raw, s, json, path) => {
        if (!Array.isArray(raw)) return wrongType(column, 'an array', raw);
        let literal = '{';
        // The elements' own texts, read once per array and only for numbers and JSON values (an int64
        // beyond 2^53, a decimal's digits, a jsonb document), which JSON.parse has already rounded.
        let texts: string[] | undefined;
        for (let i = 0; i < raw.length; i++) {
          const item = raw[i];
          let v: Value | Rejection = null;
          if (item !== null) {
            if (texts === undefined && typeof item !== 'string' && typeof item !== 'boolean') texts = elementTextsAtPath(json, path) ?? [];
            v = texts === undefined ? element(item, s?.items, '', []) : element(item, s?.items, texts[i] ?? '', []);
          }
          if (isRejection(v)) return v;
          literal += `${i === 0 ? '' : ','}${v === null ? 'NULL' : typeof v === 'boolean' ? (v ? 't' : 'f') : `"${String(v).replace(/[\\"]/g, '\\$&')}"`}`;
        }
        return `${literal}}`;
      };
    }
    case 'interval':
      return (raw, _s, json, path) => {
        // io.debezium.time.MicroDuration: microseconds (its months already converted to days by Debezium).
        if (typeof raw === 'number' || typeof raw === 'bigint') {
          const us = integerText(column, raw, json, path, BIGINT_MIN, BIGINT_MAX);
          return typeof us === 'object' ? us : `0 mons 0 days ${us} microseconds`;
        }
        // io.debezium.time.Interval (interval.handling.mode=string): ISO 8601, P1Y2M3DT4H5M6.78S.
        if (typeof raw === 'string') return isoDuration(column, raw);
        return wrongType(column, 'microseconds or an ISO 8601 duration', raw);
      };
    case 'bit':
    case 'varbit': {
      // bit(n) holds exactly n bits, bit varying(n) at most n: Postgres refuses any other string.
      const exact = type.kind === 'bit';
      const most = type.length;
      return (raw, s) => {
        let bits: string | Rejection;
        // A BIT(1) source column arrives as a boolean.
        if (typeof raw === 'boolean') bits = raw ? '1' : '0';
        else if (typeof raw === 'string') bits = bitsFromBase64(column, raw, s?.name === BITS ? s.length : exact ? most : undefined);
        else return wrongType(column, 'bits (base64 bytes) or a boolean', raw);
        if (typeof bits === 'string' && most !== undefined && (exact ? bits.length !== most : bits.length > most))
          return reject('OUT_OF_RANGE', `${column}: a string of ${bits.length} bits does not fit ${type.sql}`);
        return bits;
      };
    }
    case 'bytea':
      return (raw) => {
        // io.debezium.data.geometry.Point, Geometry, Geography: the struct's WKB (the srid is only kept in a jsonb column).
        if (typeof raw === 'object' && raw !== null && 'wkb' in raw) {
          const wkb = raw.wkb;
          if (wkb === undefined || wkb === null) return reject('MISSING_FIELD', `${column}: a geometry struct without its "wkb"`);
          return hexFromBase64(`${column}.wkb`, wkb as string);
        }
        if (typeof raw !== 'string') return wrongType(column, encoding === 'hex' ? 'a hex string' : 'a base64 string', raw);
        if (encoding === 'hex') {
          if (!HEX.test(raw)) return reject('WRONG_TYPE', `${column}: ${preview(raw)} is not hex`);
          return raw.startsWith('\\x') ? raw.toLowerCase() : `\\x${raw.toLowerCase()}`;
        }
        return hexFromBase64(column, raw);
      };
  }
}

/**
 * Whether a numeric column's string is decimal text (else base64 bytes). A schema that is not Decimal's
 * says the field is a string (decimal.handling.mode=string). Without one, Debezium's default is base64,
 * which Jackson always pads to a multiple of 4 characters, and whose alphabet holds digits, '+', 'e' and
 * 'E': "1234" is the base64 of -26588.24 at scale 2. So without a schema, a string of those characters
 * is decimal text only when it holds '.' or '-', or has a length that padded base64 never has.
 */
function numericString(raw: string, encoding: Encoding | undefined, stringSchema: boolean): boolean {
  if (encoding === 'string') return true;
  if (encoding === 'base64' || encoding === 'bytes') return false;
  if (stringSchema || FLOAT_WORDS.has(raw) || NAN_WORD.test(raw)) return true;
  return DECIMAL_TEXT.test(raw) && (raw.length % 4 !== 0 || raw.includes('.') || raw.includes('-'));
}

function localTimestamp(column: string, raw: string): string | Rejection {
  // A zone-less ISO local date-time (Debezium's time.precision.mode=connect is numeric; strings come
  // from custom converters). Checked through the RFC 3339 validator with a neutral zone.
  // The date and the time are separated by T or a space: Postgres would read any other character there
  // as something else (`2020-01-01X10:00:00` is stored as midnight), so it is refused here.
  const sep = raw.charCodeAt(10);
  const t = raw.length >= 19 && (sep === 84 || sep === 116 || sep === 32) ? `${raw.slice(0, 10)}T${raw.slice(11)}` : raw;
  const checked = validateTimestamp(column, `${t}Z`);
  return typeof checked === 'string' ? raw : reject('INVALID_TIMESTAMP', `${column}: ${preview(raw)} is not a timestamp without zone`);
}

/** Field name -> logical type, from the envelope's schema of `before` or `after`. */
function fieldSchemas(schema: unknown, image: 'before' | 'after'): Map<string, FieldSchema> | undefined {
  const fields = (schema as { fields?: unknown } | null)?.fields;
  if (!Array.isArray(fields)) return undefined;
  const struct = fields.find((f) => (f as { field?: unknown })?.field === image) as { fields?: unknown } | undefined;
  return structSchemas(struct);
}

/** Field name -> logical type, from a struct's schema (a row image's, or the message key's). */
export function structSchemas(struct: unknown): Map<string, FieldSchema> | undefined {
  const fields = (struct as { fields?: unknown } | null | undefined)?.fields;
  if (!Array.isArray(fields)) return undefined;
  const out = new Map<string, FieldSchema>();
  for (const f of fields as RawFieldSchema[]) {
    if (typeof f?.field !== 'string') continue;
    out.set(f.field, fieldSchemaOf(f));
  }
  return out;
}

const OPS = new Set(['c', 'r', 'u', 'd', 't', 'm']);

/** What an Avro message that cannot be read becomes (lib/avro/decoder.ts AvroDecoders.decode). */
const AVRO_DEAD_LETTERS: Partial<Record<ErrorCode, DeadLetterCode>> = {
  ERR_CDC_AVRO_MAGIC: 'INVALID_AVRO',
  ERR_CDC_AVRO_TRUNCATED: 'INVALID_AVRO',
  ERR_CDC_AVRO_BODY: 'INVALID_AVRO',
  ERR_CDC_SCHEMA_UNKNOWN_ID: 'UNKNOWN_SCHEMA_ID',
  // A schema id read for good but not usable here: not Avro, or not a schema avsc compiles.
  ERR_CDC_SCHEMA: 'INVALID_AVRO',
  ERR_CDC_SCHEMA_REGISTRY: 'INVALID_AVRO',
};

const OP_C = 0x63;
const OP_D = 0x64;
const OP_R = 0x72;
const OP_U = 0x75;
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** The JSON object at `span` of `bytes`, with its text; undefined when there is none or it is not valid. */
function imageAt(bytes: Uint8Array, span: Span | undefined): JsonObject | undefined {
  if (span === undefined || bytes[span.start] !== 0x7b) return undefined;
  try {
    const json = strictUtf8.decode(bytes.subarray(span.start, span.end));
    return { object: JSON.parse(json) as Record<string, unknown>, json };
  } catch {
    return undefined;
  }
}

/**
 * A change event has its row images (`before`, `after`) or `op` beside `source`; anything else is taken
 * for a flattened record (the row itself), unless the sink declares which it reads (`envelope`).
 */
function isChangeEvent(p: Record<string, unknown>): boolean {
  return 'after' in p || 'before' in p || ('op' in p && 'source' in p);
}

/**
 * A decoder bound to one envelope schema (a sink whose columns come from its events' schemas): it is
 * given the payload alone, and reads its fields with the logical types the schema gave once.
 */
export interface SchemaBinding {
  before: Map<string, FieldSchema> | undefined;
  after: Map<string, FieldSchema> | undefined;
  /** Fields of the row no column takes: counted per event (see FieldObserver). */
  ignored?: readonly string[];
  /** Layout columns the schema has no field for: an upsert leaves them as they are (NULL in a new row). */
  absent: ReadonlySet<number>;
}

/** Told of the fields a schema has that no declared column takes: never dropped silently. */
export interface FieldObserver {
  /** A schema with such fields was met for the first time. */
  unknownFields(fields: readonly string[]): void;
  /** An event carried one of them. */
  ignored(field: string): void;
}

/**
 * The decoder of a Debezium sink. With `avro`, values are in the Confluent wire format (Avro, as
 * AvroConverter writes them; a null value is a tombstone), read by the schema id's compiled reader
 * (which `avro.prepare` must have been given before), and so are keys in that format; the Avro schema
 * says each field's logical type as the JSON envelope's schema does.
 */
export function compileDebeziumDecoder(
  sink: SinkDeclaration,
  layout: Layout,
  binding?: SchemaBinding,
  observer?: FieldObserver,
  avro?: AvroDecoders,
): (key: Uint8Array | null, value: Uint8Array | null) => DecodeResult<RowEvent> {
  const cols = layout.columns;
  const n = cols.length;
  const absent = new Uint8Array(n);
  for (const i of binding?.absent ?? []) absent[i] = 1;
  const readers = cols.map((c) => (c.declaration ? readerFor(c) : undefined));
  const fields = cols.map((c) => c.declaration?.field ?? c.name);
  const nullable = cols.map((c) => c.declaration?.nullable ?? true);
  const paths = (prefix: readonly string[]) => fields.map((f) => [...prefix, f]);
  const plainPaths = paths(['after']);
  const envelopedPaths = paths(['payload', 'after']);
  const flatPlainPaths = paths([]);
  const flatEnvelopedPaths = paths(['payload']);
  const envelope = sink.envelope;
  const placeholder = sink.unavailableValue;
  // A bytea column carries the placeholder's bytes, in the column's binary encoding.
  const bytesPlaceholder = cols.map((c) => {
    if (c.type.kind !== 'bytea') return undefined;
    return Buffer.from(placeholder, 'utf8').toString(c.declaration?.encoding === 'hex' ? 'hex' : 'base64');
  });
  const hexColumn = cols.map((c) => c.type.kind === 'bytea' && c.declaration?.encoding === 'hex');
  const soft = layout.softIndex;
  const softDeclared = soft >= 0 && cols[soft]?.declaration !== undefined;
  const hard = sink.delete === 'hard';
  const keyIndexes = layout.keyIndexes;
  const skip = (skipped: RowEvent['skipped']): DecodeResult<RowEvent> => ({
    ok: true,
    event: { op: 'skip', key: '', values: [], set: undefined, cascades: false, skipped },
  });
  const deleteMask = new Uint8Array(n);
  for (const i of keyIndexes) deleteMask[i] = 1;
  if (soft >= 0) deleteMask[soft] = 1;

  /** `missing`: the first key field that `before` lacks. */
  const keyFromMessage = (key: Uint8Array | null, values: Value[], missing: string): Rejection | undefined => {
    if (key === null || key.length === 0) return reject('MISSING_FIELD', `${missing}: missing in before, and the message has no key`);
    if (avro !== undefined && key[0] === 0) {
      const decoded = decodeAvroKey(key);
      if (isRejection(decoded)) return reject(decoded.code, decoded.message);
      return readKey(decoded.object, decoded.schemas, '', [], values);
    }
    const parsed = parseJsonObject(key);
    if (isRejection(parsed)) return reject(parsed.code, `message key: ${parsed.message}`);
    let o = parsed.object;
    let schemas: Map<string, FieldSchema> | undefined;
    let prefix: string[] = [];
    if ('payload' in o && 'schema' in o) {
      const p = o.payload;
      if (p === null || typeof p !== 'object') return reject('NOT_AN_OBJECT', `message key: payload is ${jsonType(p)}, expected an object`);
      schemas = structSchemas(o.schema);
      prefix = ['payload'];
      o = p as Record<string, unknown>;
    }
    return readKey(o, schemas, parsed.json, prefix, values);
  };
  /** The key columns from the message key's fields. */
  const readKey = (
    o: Record<string, unknown>,
    schemas: Map<string, FieldSchema> | undefined,
    json: string,
    prefix: string[],
    values: Value[],
  ): Rejection | undefined => {
    for (const i of keyIndexes) {
      const field = fields[i] as string;
      const raw = o[field];
      if (raw === undefined || raw === null) return reject('MISSING_FIELD', `${field}: missing in before and in the message key`);
      const v = (readers[i] as ColumnReader)(raw, schemas?.get(field), json, [...prefix, field]);
      if (isRejection(v)) return v;
      values[i] = v;
    }
    return undefined;
  };

  /** A delete of the row `values` holds the key of: hard, or the soft-delete flag with its cascade. */
  const deleted = (values: Value[]): DecodeResult<RowEvent> => {
    const k = keyOf(values, keyIndexes);
    if (hard) return { ok: true, event: { op: 'delete', key: k, values, set: undefined, cascades: false } };
    values[soft] = true;
    return { ok: true, event: { op: 'patch', key: k, values, set: deleteMask, cascades: true } };
  };
  /** A tombstone of flattened records (delete.handling.mode=none) deletes by the message key. */
  const tombstone = (key: Uint8Array | null): DecodeResult<RowEvent> => {
    if (envelope !== 'flattened') return skip('tombstone');
    const values: Value[] = new Array(n).fill(null);
    const problem = keyFromMessage(key, values, fields[keyIndexes[0] as number] as string);
    return problem ?? deleted(values);
  };

  /**
   * Schemas met in envelopes, each read once into the logical types of its row images: a message of a
   * known schema costs the parse of its payload only.
   */
  const schemas = new SchemaCache<SchemaBinding>();
  const noneAbsent: ReadonlySet<number> = new Set();

  /** Bindings of Avro value schemas by id (their row images' logical types), each made once. */
  const avroBindings = new Map<number, SchemaBinding>();
  /** Field schemas of Avro key schemas by id. */
  const avroKeys = new Map<number, Map<string, FieldSchema>>();
  const connectOf = (schemaId: number) => (avro as AvroDecoders).get(schemaId)?.connect as ConnectSchema;

  const avroBinding = (schemaId: number): SchemaBinding => {
    let bound = avroBindings.get(schemaId);
    if (bound === undefined) {
      const connect = connectOf(schemaId);
      const image = (name: string) => {
        const struct = connect.fields?.find((f) => f.field === name && f.type === 'struct');
        return struct ? fieldSchemasOf(struct) : undefined;
      };
      const envelope = isEnvelope(connect);
      const after = envelope ? image('after') : fieldSchemasOf(connect);
      const declared = new Set(fields);
      const ignored = [...(after?.keys() ?? [])].filter((f) => !declared.has(f) && !isTransformField(f));
      bound = { before: envelope ? image('before') : after, after, absent: noneAbsent, ignored };
      avroBindings.set(schemaId, bound);
      if (ignored.length > 0) observer?.unknownFields(ignored);
    }
    return bound;
  };

  /** A record in the Confluent wire format, decoded; what is not one is a dead letter naming `what`. */
  const decodeAvroStruct = (message: Uint8Array, what: string): { object: Record<string, unknown>; schemaId: number } | Rejection => {
    let decoded: { schemaId: number; value: unknown };
    try {
      decoded = (avro as AvroDecoders).decode(message);
    } catch (err) {
      const code = err instanceof CdcError ? AVRO_DEAD_LETTERS[err.code] : undefined;
      if (code === undefined) throw err;
      return reject(code, `${what}: ${(err as CdcError).message}`);
    }
    const o = decoded.value;
    if (o === null || typeof o !== 'object' || Array.isArray(o)) {
      return reject('NOT_AN_OBJECT', `${what}: schema id ${decoded.schemaId} is not an Avro record`);
    }
    return { object: o as Record<string, unknown>, schemaId: decoded.schemaId };
  };

  const decodeAvroKey = (key: Uint8Array): { object: Record<string, unknown>; schemas: Map<string, FieldSchema> } | Rejection => {
    const decoded = decodeAvroStruct(key, 'message key');
    if (isRejection(decoded)) return decoded;
    let schemas = avroKeys.get(decoded.schemaId);
    if (schemas === undefined) {
      schemas = fieldSchemasOf(connectOf(decoded.schemaId));
      avroKeys.set(decoded.schemaId, schemas);
    }
    return { object: decoded.object, schemas };
  };

  const decodeAvro = (key: Uint8Array | null, value: Uint8Array | null): DecodeResult<RowEvent> => {
    if (value === null) return tombstone(key);
    if (value.length === 0) return reject('EMPTY_VALUE', 'value: empty (zero bytes), not a message in the Confluent wire format');
    const decoded = decodeAvroStruct(value, 'value');
    if (isRejection(decoded)) return decoded;
    if (binding !== undefined) return decodeObject(key, decoded.object, '', binding, false, undefined);
    const bound = avroBinding(decoded.schemaId);
    if (observer !== undefined && bound.ignored !== undefined) for (const f of bound.ignored) observer.ignored(f);
    return decodeObject(key, decoded.object, '', bound, false, undefined);
  };

  const decode = (key: Uint8Array | null, value: Uint8Array | null): DecodeResult<RowEvent> => {
    if (avro !== undefined) return decodeAvro(key, value);
    if (value === null || binding !== undefined) return decodeWith(key, value, binding);
    const same = schemas.matchLast(value);
    if (same !== undefined) return decodeBound(key, value.subarray(same.payload.start, same.payload.end), same.entry);
    const spans = splitEnvelope(value);
    // Anything but a schema and an object payload takes the whole-message path, which names what is wrong.
    if (spans === undefined || isNullSpan(value, spans.schema) || value[spans.payload.start] !== 0x7b)
      return decodeWith(key, value, undefined);
    let bound = schemas.get(value, spans.schema);
    if (bound === undefined) {
      const text = SchemaCache.text(value, spans.schema);
      let schema: unknown;
      try {
        schema = JSON.parse(text);
      } catch {
        return decodeWith(key, value, undefined);
      }
      const envelope = isEnvelope(schema as ConnectSchema);
      const after = envelope ? fieldSchemas(schema, 'after') : structSchemas(schema);
      const declared = new Set(fields);
      const ignored = [...(after?.keys() ?? [])].filter((f) => !declared.has(f) && !isTransformField(f));
      bound = { before: envelope ? fieldSchemas(schema, 'before') : structSchemas(schema), after, absent: noneAbsent, ignored };
      schemas.set(text, bound);
      if (ignored.length > 0) observer?.unknownFields(ignored);
    }
    return decodeBound(key, value.subarray(spans.payload.start, spans.payload.end), bound);
  };

  const decodeBound = (key: Uint8Array | null, payload: Uint8Array, bound: SchemaBinding): DecodeResult<RowEvent> => {
    if (observer !== undefined && bound.ignored !== undefined) for (const f of bound.ignored) observer.ignored(f);
    return decodeWith(key, payload, bound);
  };

  const decodeWith = (key: Uint8Array | null, value: Uint8Array | null, binding: SchemaBinding | undefined): DecodeResult<RowEvent> => {
    if (value === null) return tombstone(key);
    if (envelope !== 'flattened') {
      const scanned = decodeImage(key, value, binding);
      if (scanned !== undefined) return scanned;
    }
    const parsed = parseJsonObject(value);
    if (isRejection(parsed)) return parsed.message === 'value is JSON null' ? tombstone(key) : parsed;
    let payload: unknown = parsed.object;
    let schema: unknown;
    let enveloped = false;
    if (binding === undefined && 'payload' in parsed.object && 'schema' in parsed.object) {
      enveloped = true;
      payload = parsed.object.payload;
      schema = parsed.object.schema;
      if (payload === null) return tombstone(key);
    }
    if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
      return reject('NOT_AN_OBJECT', `payload: expected a JSON object, got ${jsonType(payload)}`);
    }
    return decodeObject(key, payload as Record<string, unknown>, parsed.json, binding, enveloped, schema);
  };

  /**
   * A change event whose parts the byte scan found: only the row image its op needs is decoded and
   * parsed, and its text is where the readers find numbers' digits. Undefined when the scan found no
   * plain change event or the image is not a JSON object: the whole text is parsed then.
   */
  const decodeImage = (
    key: Uint8Array | null,
    value: Uint8Array,
    binding: SchemaBinding | undefined,
  ): DecodeResult<RowEvent> | undefined => {
    const spans = changeEventSpans(value, { start: 0, end: value.length });
    if (spans === undefined) return undefined;
    const op = spans.op;
    const deletes = op === OP_D;
    if (!deletes && op !== OP_C && op !== OP_U && op !== OP_R) return undefined;
    const image = imageAt(value, deletes ? spans.before : spans.after);
    if (image === undefined) return undefined;
    const p = deletes ? { op: 'd', before: image.object } : { op: String.fromCharCode(op), after: image.object };
    return decodeObject(key, p, image.json, binding, false, undefined, true);
  };

  /**
   * A payload (a change event, or a flattened row), parsed from JSON or decoded from Avro; `json` is the
   * message's text, where the readers find the digits of numbers JSON.parse rounds ('' for Avro, whose
   * numbers are exact), and `schema` the envelope's when there is one and no binding.
   */
  const decodeObject = (
    key: Uint8Array | null,
    p: Record<string, unknown>,
    json: string,
    binding: SchemaBinding | undefined,
    enveloped: boolean,
    schema: unknown,
    imageText = false,
  ): DecodeResult<RowEvent> => {
    // A flattened record (ExtractNewRecordState) is the row itself: `__deleted` marks a delete.
    const flat = envelope === 'flattened' || (envelope === 'auto' && !isChangeEvent(p));
    const prefix = enveloped ? ['payload'] : [];
    let op = p.op;
    if (flat) op = p.__deleted === true || p.__deleted === 'true' ? 'd' : 'u';
    if (op === undefined || op === null) return reject('MISSING_FIELD', 'op: missing (absent or null)');
    if (typeof op !== 'string') return wrongType('op', 'a string', op);
    if (!OPS.has(op)) return reject('UNKNOWN_EVENT_TYPE', `op: ${preview(op)} is not c, r, u, d, t or m`);
    if (op === 'm') return skip('message');
    if (op === 't') {
      if (!sink.truncate) return skip('truncate');
      return { ok: true, event: { op: 'truncate', key: '', values: [], set: undefined, cascades: false } };
    }
    const values: Value[] = new Array(n).fill(null);
    if (op === 'd') {
      const before = flat ? p : p.before;
      let missing = before === null || typeof before !== 'object' ? (fields[keyIndexes[0] as number] as string) : undefined;
      if (missing === undefined) {
        const b = before as Record<string, unknown>;
        const bs = binding ? binding.before : enveloped ? (flat ? structSchemas(schema) : fieldSchemas(schema, 'before')) : undefined;
        for (const i of keyIndexes) {
          const raw = b[fields[i] as string];
          if (raw === undefined || raw === null) {
            missing = fields[i] as string;
            break;
          }
          const v = (readers[i] as ColumnReader)(
            raw,
            bs?.get(fields[i] as string),
            json,
            imageText ? (flatPlainPaths[i] as string[]) : [...prefix, ...(flat ? [] : ['before']), fields[i] as string],
          );
          if (isRejection(v)) return v;
          values[i] = v;
        }
      }
      if (missing !== undefined) {
        const problem = keyFromMessage(key, values, missing);
        if (problem) return problem;
      }
      return deleted(values);
    }
    const after = flat ? p : p.after;
    if (after === undefined || after === null) return reject('MISSING_FIELD', `after: missing (absent or null) on op ${preview(op)}`);
    if (typeof after !== 'object' || Array.isArray(after)) return wrongType('after', 'an object', after);
    const a = after as Record<string, unknown>;
    const as = binding ? binding.after : enveloped ? (flat ? structSchemas(schema) : fieldSchemas(schema, 'after')) : undefined;
    const pathsNow = flat || imageText ? (enveloped ? flatEnvelopedPaths : flatPlainPaths) : enveloped ? envelopedPaths : plainPaths;
    let set: Uint8Array | undefined;
    for (let i = 0; i < n; i++) {
      const read = readers[i];
      if (read === undefined) {
        values[i] = false; // the engine's soft-delete flag: an upsert is a live row
        continue;
      }
      const field = fields[i] as string;
      if (absent[i]) {
        if (cols[i]?.isKey) return reject('MISSING_FIELD', `${field}: the event's schema has no such field, and it is a key column`);
        set ??= new Uint8Array(n).fill(1);
        set[i] = 0;
        continue;
      }
      const raw = a[field];
      if (raw === undefined) return reject('MISSING_FIELD', `${field}: absent from the after image`);
      if (raw === null) {
        if (!nullable[i]) return reject('MISSING_FIELD', `${field}: null, but the column is declared not nullable`);
        continue;
      }
      const bytesForm = bytesPlaceholder[i];
      if (
        raw === placeholder ||
        (bytesForm !== undefined &&
          typeof raw === 'string' &&
          raw.length === bytesForm.length &&
          (raw === bytesForm || (hexColumn[i] && raw.toLowerCase() === bytesForm)))
      ) {
        if (cols[i]?.isKey) return reject('MISSING_FIELD', `${field}: a key column holds the unavailable-value placeholder`);
        set ??= new Uint8Array(n).fill(1);
        set[i] = 0;
        continue;
      }
      const v = read(raw, as?.get(field), json, pathsNow[i] as string[]);
      if (isRejection(v)) return v;
      values[i] = v;
    }
    for (const i of keyIndexes) if (values[i] === null) return reject('MISSING_FIELD', `${fields[i]}: a key column is null`);
    const cascades = softDeclared && values[soft] === true;
    return { ok: true, event: { op: 'upsert', key: keyOf(values, keyIndexes), values, set, cascades } };
  };
  return decode;
}
