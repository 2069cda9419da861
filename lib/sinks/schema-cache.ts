/**
 * Compiled decoders keyed by the bytes of the schema they were compiled for (worker threads). A message
 * finds its entry by comparing its schema's bytes with the previous message's (consecutive messages of a
 * topic nearly always share one: a memcmp, no string made), else by the schema's text. An entry made
 * once serves every message with the same schema.
 */
import type { Span } from './envelope.js';

const utf8 = new TextDecoder();
const SCHEMA_PREFIX = Buffer.from('{"schema":');
const PAYLOAD_INFIX = Buffer.from(',"payload":');
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;

export class SchemaCache<E> {
  readonly #byText = new Map<string, E>();
  #last: { bytes: Buffer; entry: E } | undefined;

  /** The schema's text, the cache's key. */
  static text(message: Uint8Array, span: Span): string {
    return utf8.decode(message.subarray(span.start, span.end));
  }

  /**
   * The previous message's entry and this message's payload, when the message is written as
   * JsonConverter writes it (`{"schema":` S `,"payload":` P `}`, no spaces) with the previous message's
   * schema S: a memcmp instead of a scan of the schema. Undefined otherwise (scan with splitEnvelope).
   */
  matchLast(message: Uint8Array): { entry: E; payload: Span } | undefined {
    const last = this.#last;
    if (last === undefined) return undefined;
    const n = last.bytes.length;
    const payloadStart = SCHEMA_PREFIX.length + n + PAYLOAD_INFIX.length;
    if (message.length < payloadStart + 3 || message[message.length - 1] !== CLOSE_BRACE || message[payloadStart] !== OPEN_BRACE)
      return undefined;
    const m = Buffer.from(message.buffer, message.byteOffset, message.length);
    if (
      m.compare(SCHEMA_PREFIX, 0, SCHEMA_PREFIX.length, 0, SCHEMA_PREFIX.length) !== 0 ||
      m.compare(last.bytes, 0, n, SCHEMA_PREFIX.length, SCHEMA_PREFIX.length + n) !== 0 ||
      m.compare(PAYLOAD_INFIX, 0, PAYLOAD_INFIX.length, SCHEMA_PREFIX.length + n, payloadStart) !== 0
    )
      return undefined;
    return { entry: last.entry, payload: { start: payloadStart, end: message.length - 1 } };
  }

  /** The entry for the schema at `span` of `message`, or undefined when none was made for it. */
  get(message: Uint8Array, span: Span): E | undefined {
    const bytes = Buffer.from(message.buffer, message.byteOffset + span.start, span.end - span.start);
    if (this.#last !== undefined && this.#last.bytes.equals(bytes)) return this.#last.entry;
    const entry = this.#byText.get(SchemaCache.text(message, span));
    if (entry !== undefined) this.#last = { bytes: Buffer.from(bytes), entry };
    return entry;
  }

  /** The entry made for a schema's text (an Avro schema's Connect form, which no message spells out). */
  byText(text: string): E | undefined {
    return this.#byText.get(text);
  }

  set(text: string, entry: E): void {
    this.#byText.set(text, entry);
    this.#last = undefined;
  }

  /** Every entry, to be made again (the table's columns changed). */
  entries(): IterableIterator<[string, E]> {
    return this.#byText.entries();
  }

  get size(): number {
    return this.#byText.size;
  }
}
