/**
 * The generated Debezium messages as Kafka Connect's AvroConverter writes them: each JsonConverter
 * message (`{"schema": ..., "payload": ...}`, DebeziumEncoder with schemas) rewritten as the Confluent
 * wire format, its schema registered under the topic's subject (TopicNameStrategy: `<topic>-key`,
 * `<topic>-value`) and its payload in Avro. Each distinct schema is compiled and registered once.
 */
import { AvroEncoder } from '../../avro/encoder.js';
import { CdcError } from '../../errors.js';
import type { ConnectSchema } from '../../sinks/connect-schema.js';
import { splitEnvelope } from '../../sinks/envelope.js';
import type { DebeziumMessage } from './debezium.js';

/** What the writer needs of a registry (lib/avro/registry.ts SchemaRegistry). */
export interface SchemaRegistrar {
  register(subject: string, schema: string): Promise<number>;
}

const EXACT = '~exact-integer~';

/**
 * A payload's JSON with integers of 16 digits or more kept exact, as bigints: JSON.parse would round an
 * int64 such as a nanosecond timestamp, which Avro then writes as a long.
 */
export function parseExactJson(text: string): unknown {
  const marked = text.replace(/([:,[]\s*)(-?\d{16,})(?=\s*[,}\]])/g, `$1"${EXACT}$2"`);
  return JSON.parse(marked, (_k, v: unknown) => (typeof v === 'string' && v.startsWith(EXACT) ? BigInt(v.slice(EXACT.length)) : v));
}

interface Compiled {
  encoder: AvroEncoder;
  id: Promise<number>;
}

export class DebeziumAvroWriter {
  readonly #registry: SchemaRegistrar;
  /** By subject and the schema's JSON text. */
  readonly #compiled = new Map<string, Compiled>();

  constructor(registry: SchemaRegistrar) {
    this.#registry = registry;
  }

  /** The message with key and value in the wire format. */
  async encode(message: DebeziumMessage): Promise<DebeziumMessage> {
    const { key, value } = await this.record(message.topic, message.key, message.value);
    return { ...message, key, value: value as Buffer };
  }

  /** Any JsonConverter key and value of `topic` in the wire format; a null value (a tombstone) stays null. */
  async record(topic: string, key: Buffer, value: Buffer | null): Promise<{ key: Buffer; value: Buffer | null }> {
    const [k, v] = await Promise.all([this.#avroOf(key, `${topic}-key`), value === null ? null : this.#avroOf(value, `${topic}-value`)]);
    return { key: k, value: v };
  }

  async #avroOf(json: Buffer, subject: string): Promise<Buffer> {
    const spans = splitEnvelope(json);
    if (spans === undefined)
      throw new CdcError('ERR_CDC_INTERNAL', `${subject}: Avro needs the JsonConverter envelope (a Debezium encoder with schemas)`);
    const schemaText = json.toString('utf8', spans.schema.start, spans.schema.end);
    const cacheKey = `${subject}\u0000${schemaText}`;
    let compiled = this.#compiled.get(cacheKey);
    if (compiled === undefined) {
      const encoder = new AvroEncoder(JSON.parse(schemaText) as ConnectSchema);
      compiled = { encoder, id: this.#registry.register(subject, JSON.stringify(encoder.schema)) };
      this.#compiled.set(cacheKey, compiled);
      // A failed registration is asked again by the next message rather than remembered.
      compiled.id.catch(() => this.#compiled.delete(cacheKey));
    }
    const id = await compiled.id;
    return compiled.encoder.encode(id, parseExactJson(json.toString('utf8', spans.payload.start, spans.payload.end)));
  }
}
