/**
 * The producer's side: a Connect schema's values, in the JSON forms JsonConverter's payload holds, written
 * as AvroConverter writes them (the schema from avroSchemaOf, the Confluent wire format around the body).
 * What a load generator or a test sends, so that the consumer's decoder reads the same rows as from the
 * JSON. Any thread.
 */
import avro from 'avsc';
import type { ConnectSchema } from '../sinks/connect-schema.js';
import { CdcError } from '../errors.js';
import { avroSchemaOf, type AvroSchema } from './connect.js';
import { exactLongHook } from './decoder.js';
import { encodeWire } from './wire.js';

const FLOAT_WORDS: Record<string, number> = { NaN: Number.NaN, Infinity: Number.POSITIVE_INFINITY, '-Infinity': Number.NEGATIVE_INFINITY };
const INTEGER_TEXT = /^-?\d+$/;

function wrong(path: string, expected: string, value: unknown): CdcError {
  return new CdcError(
    'ERR_CDC_INTERNAL',
    `${path}: expected ${expected} for Avro, got ${typeof value === 'string' ? JSON.stringify(value) : typeof value}`,
  );
}

/**
 * One value of `schema` from JsonConverter's form to what avsc writes: base64 bytes (Decimal's too) as
 * Buffers, int64 as a number or, beyond 2^53, a bigint (given as a bigint or as its digits: a JSON
 * number there has lost its digits already, and is refused), NaN and the infinities from their words.
 */
export function avroValueOf(schema: ConnectSchema, value: unknown, path = '$'): unknown {
  if (value === null || value === undefined) {
    if (schema.optional) return null;
    if (schema.default !== undefined) return avroValueOf(schema, schema.default, path);
    throw wrong(path, `a ${schema.type}`, value);
  }
  switch (schema.type) {
    case 'struct': {
      if (typeof value !== 'object' || Array.isArray(value)) throw wrong(path, 'an object', value);
      const o = value as Record<string, unknown>;
      const out: Record<string, unknown> = {};
      for (const f of schema.fields ?? []) out[f.field as string] = avroValueOf(f, o[f.field as string], `${path}.${f.field}`);
      return out;
    }
    case 'array':
      if (!Array.isArray(value)) throw wrong(path, 'an array', value);
      return value.map((v, i) => avroValueOf(schema.items as ConnectSchema, v, `${path}[${i}]`));
    case 'map': {
      if (typeof value !== 'object' || Array.isArray(value)) throw wrong(path, 'an object', value);
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) out[k] = avroValueOf(schema.values as ConnectSchema, v, `${path}.${k}`);
      return out;
    }
    case 'bytes':
      if (typeof value !== 'string') throw wrong(path, 'base64 text', value);
      return Buffer.from(value, 'base64');
    case 'int64':
      if (typeof value === 'bigint') return value;
      if (typeof value === 'number' && Number.isSafeInteger(value)) return value;
      if (typeof value === 'string' && INTEGER_TEXT.test(value)) {
        const n = BigInt(value);
        return n <= BigInt(Number.MAX_SAFE_INTEGER) && n >= -BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n;
      }
      throw wrong(path, 'an integer within 2^53, or a bigint or its digits', value);
    case 'float':
    case 'float32':
    case 'double':
    case 'float64':
      if (typeof value === 'string' && value in FLOAT_WORDS) return FLOAT_WORDS[value];
      return value;
    default:
      return value;
  }
}

/** The Avro writer of one Connect schema, compiled once; its registry id is the caller's. */
export class AvroEncoder {
  readonly schema: AvroSchema;
  readonly #connect: ConnectSchema;
  readonly #type: avro.Type;

  constructor(connect: ConnectSchema) {
    this.#connect = connect;
    this.schema = avroSchemaOf(connect);
    this.#type = avro.Type.forSchema(this.schema as avro.Schema, { typeHook: exactLongHook });
  }

  /** The Avro body of a payload in JsonConverter's form. */
  body(payload: unknown): Buffer {
    return this.#type.toBuffer(avroValueOf(this.#connect, payload));
  }

  /** The message: the wire format's header for `schemaId`, then the body. */
  encode(schemaId: number, payload: unknown): Buffer {
    return encodeWire(schemaId, this.body(payload));
  }
}
