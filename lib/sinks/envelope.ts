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

/** Where a change event's parts lie: its `op` (one ASCII letter) and its row images' spans. */
export interface ChangeEventSpans {
  op: number;
  before: Span | undefined;
  after: Span | undefined;
}

const BEFORE = Buffer.from('before');
const AFTER = Buffer.from('after');

function isKey(bytes: Uint8Array, start: number, end: number, key: Buffer): boolean {
  if (end - start !== key.length) return false;
  for (let k = 0; k < key.length; k++) if (bytes[start + k] !== key[k]) return false;
  return true;
}

/**
 * A change event's `op` and row images, found by walking the bytes of its top-level members: only the
 * image the event needs is then decoded and parsed, not `source`, `transaction` and the timestamps,
 * which are most of a Debezium event's bytes and which no column reads. The members skipped are checked
 * only for balanced strings and brackets. Undefined for anything else (a key with an escape, an `op`
 * that is not one letter, no `op`, malformed JSON): the caller parses the whole text, which names what
 * is wrong. The last of duplicate keys wins, as in JSON.parse.
 */
export function changeEventSpans(bytes: Uint8Array, span: Span): ChangeEventSpans | undefined {
  const end = span.end;
  let i = skipSpace(bytes, span.start);
  if (bytes[i] !== OPEN_BRACE) return undefined;
  let op = -1;
  let before: Span | undefined;
  let after: Span | undefined;
  i = skipSpace(bytes, i + 1);
  if (bytes[i] === CLOSE_BRACE) return undefined;
  for (;;) {
    if (bytes[i] !== QUOTE) return undefined;
    const keyEnd = endOfString(bytes, i);
    if (keyEnd < 0 || keyEnd > end) return undefined;
    const keyStart = i + 1;
    const keyLast = keyEnd - 1;
    i = skipSpace(bytes, keyEnd);
    if (bytes[i] !== COLON) return undefined;
    i = skipSpace(bytes, i + 1);
    const valueEnd = endOfValue(bytes, i);
    if (valueEnd < 0 || valueEnd > end) return undefined;
    const length = keyLast - keyStart;
    if (length === 2 && bytes[keyStart] === 0x6f && bytes[keyStart + 1] === 0x70) {
      // "op": a one-letter string.
      if (valueEnd - i !== 3 || bytes[i] !== QUOTE) return undefined;
      op = bytes[i + 1] as number;
    } else if (isKey(bytes, keyStart, keyLast, AFTER)) after = { start: i, end: valueEnd };
    else if (isKey(bytes, keyStart, keyLast, BEFORE)) before = { start: i, end: valueEnd };
    else for (let k = keyStart; k < keyLast; k++) if (bytes[k] === BACKSLASH) return undefined;
    i = skipSpace(bytes, valueEnd);
    if (bytes[i] === COMMA) {
      i = skipSpace(bytes, i + 1);
      continue;
    }
    if (bytes[i] !== CLOSE_BRACE || skipSpace(bytes, i + 1) !== end) return undefined;
    return op < 0 ? undefined : { op, before, after };
  }
}
