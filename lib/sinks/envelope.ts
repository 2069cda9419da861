/**
 * Where the two parts of a JsonConverter envelope (`{"schema": ..., "payload": ...}`) lie in a message,
 * found by scanning its bytes without parsing them: the schema's bytes are the key of its compiled
 * decoder, so a message costs the parse of its payload only. Worker threads.
 */

export interface Span {
  start: number;
  end: number;
}

export interface EnvelopeSpans {
  schema: Span;
  payload: Span;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const COMMA = 0x2c;
const COLON = 0x3a;

function isSpace(b: number): boolean {
  return b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;
}

function skipSpace(bytes: Uint8Array, i: number): number {
  while (i < bytes.length && isSpace(bytes[i] as number)) i++;
  return i;
}

/** The index after a string that starts at `i` (its opening quote), or -1. */
function endOfString(bytes: Uint8Array, i: number): number {
  for (let j = i + 1; j < bytes.length; j++) {
    const b = bytes[j] as number;
    if (b === BACKSLASH) j++;
    else if (b === QUOTE) return j + 1;
  }
  return -1;
}

/** The index after the JSON value that starts at `i` (an object, array, string or scalar), or -1. */
function endOfValue(bytes: Uint8Array, i: number): number {
  const first = bytes[i];
  if (first === QUOTE) return endOfString(bytes, i);
  if (first === OPEN_BRACE || first === OPEN_BRACKET) {
    let depth = 0;
    for (let j = i; j < bytes.length; j++) {
      const b = bytes[j] as number;
      if (b === QUOTE) {
        j = endOfString(bytes, j) - 1;
        if (j < 0) return -1;
      } else if (b === OPEN_BRACE || b === OPEN_BRACKET) depth++;
      else if (b === CLOSE_BRACE || b === CLOSE_BRACKET) {
        if (--depth === 0) return j + 1;
      }
    }
    return -1;
  }
  // A scalar (null, true, a number): up to the next delimiter.
  let j = i;
  while (j < bytes.length) {
    const b = bytes[j] as number;
    if (b === COMMA || b === CLOSE_BRACE || b === CLOSE_BRACKET || isSpace(b)) break;
    j++;
  }
  return j > i ? j : -1;
}

/** Whether the bytes at `i` are the quoted key `key` (ASCII), followed by a colon; the index after the colon, or -1. */
function expectKey(bytes: Uint8Array, i: number, key: string): number {
  i = skipSpace(bytes, i);
  if (bytes[i] !== QUOTE) return -1;
  for (let k = 0; k < key.length; k++) if (bytes[i + 1 + k] !== key.charCodeAt(k)) return -1;
  if (bytes[i + 1 + key.length] !== QUOTE) return -1;
  i = skipSpace(bytes, i + key.length + 2);
  return bytes[i] === COLON ? skipSpace(bytes, i + 1) : -1;
}

/**
 * The spans of `schema` and `payload` when the message is exactly `{"schema": S, "payload": P}` in that
 * order (how JsonConverter writes it); undefined for anything else, which the caller parses whole.
 */
export function splitEnvelope(bytes: Uint8Array): EnvelopeSpans | undefined {
  let i = skipSpace(bytes, 0);
  if (bytes[i] !== OPEN_BRACE) return undefined;
  i = expectKey(bytes, i + 1, 'schema');
  if (i < 0) return undefined;
  const schemaEnd = endOfValue(bytes, i);
  if (schemaEnd < 0) return undefined;
  const schema = { start: i, end: schemaEnd };
  i = skipSpace(bytes, schemaEnd);
  if (bytes[i] !== COMMA) return undefined;
  i = expectKey(bytes, i + 1, 'payload');
  if (i < 0) return undefined;
  const payloadEnd = endOfValue(bytes, i);
  if (payloadEnd < 0) return undefined;
  const payload = { start: i, end: payloadEnd };
  i = skipSpace(bytes, payloadEnd);
  if (bytes[i] !== CLOSE_BRACE || skipSpace(bytes, i + 1) !== bytes.length) return undefined;
  return { schema, payload };
}

/** Is the span the JSON literal `null`? */
export function isNullSpan(bytes: Uint8Array, span: Span): boolean {
  return span.end - span.start === 4 && bytes[span.start] === 0x6e && bytes[span.start + 1] === 0x75;
}
