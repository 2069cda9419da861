/**
 * How dead letters look: the list table, JSON lines, the summary, and one dead letter whole (show).
 * Pure functions of the rows. What came from Kafka (names, messages, payloads) may hold control
 * characters; none reaches the terminal raw.
 */
import { textTable } from '../cli/text-table.js';
import { deadLetterDefaults } from './defaults.js';
import type { DeadLetter, SummaryRow } from './store.js';

// ignoreBOM: a leading byte-order mark is part of the bytes and stays in the text.
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** The bytes as text, when they are valid UTF-8; undefined when they are not. */
export function utf8Text(bytes: Uint8Array): string | undefined {
  try {
    return utf8.decode(bytes);
  } catch {
    return undefined;
  }
}

export type PayloadEncoding = 'utf8' | 'base64';

/** A key or value for JSON: UTF-8 text when the bytes are valid UTF-8, else base64; null stays null. */
export function encodePayload(bytes: Uint8Array | null | undefined): { text: string | null; encoding: PayloadEncoding | null } {
  if (bytes === null || bytes === undefined) return { text: null, encoding: null };
  const text = utf8Text(bytes);
  return text === undefined ? { text: Buffer.from(bytes).toString('base64'), encoding: 'base64' } : { text, encoding: 'utf8' };
}

/** One dead letter as a JSON object with the table's column names (key and value as encodePayload says). */
export function jsonRecord(row: DeadLetter): Record<string, unknown> {
  const key = encodePayload(row.key);
  const value = encodePayload(row.value);
  return {
    id: row.id,
    group_id: row.group_id,
    topic: row.topic,
    partition: row.partition,
    offset: row.offset,
    key: key.text,
    key_encoding: key.encoding,
    value: value.text,
    value_encoding: value.encoding,
    headers: typeof row.headers === 'string' ? JSON.parse(row.headers) : (row.headers ?? null),
    error_code: row.error_code,
    error_message: row.error_message,
    failed_at: row.failed_at,
  };
}

// C0 and C1 controls and DEL: a hostile topic name or message must not move the cursor or recolour the terminal.
// eslint-disable-next-line no-control-regex -- finding control characters is the point.
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;

/** The text with control characters (other than tab and newline) written as `\u001b`. */
export function printable(text: string): string {
  return text.replace(CONTROL, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** One line of at most `max` characters: whitespace runs (newlines too) as one space, an ellipsis when cut. */
export function shortMessage(message: string, max: number = deadLetterDefaults.shortMessageChars): string {
  const line = printable(message.replace(/\s+/g, ' ').trim());
  const chars = [...line];
  return chars.length <= max ? line : `${chars.slice(0, max - 1).join('')}…`;
}

/** The table list prints: one line per dead letter. */
export function formatList(rows: readonly DeadLetter[]): string {
  const header = ['id', 'group', 'topic', 'partition', 'offset', 'code', 'failed_at', 'message'];
  const body = rows.map((r) => [
    String(r.id),
    printable(r.group_id),
    printable(r.topic),
    String(r.partition),
    String(r.offset),
    printable(r.error_code),
    r.failed_at,
    shortMessage(r.error_message),
  ]);
  const numeric = new Set([0, 3, 4]);
  return textTable([header, ...body], (c) => numeric.has(c));
}

/** The summary table: a line per group, topic and code, then the total. */
export function formatSummary(rows: readonly SummaryRow[]): string {
  const header = ['group', 'topic', 'code', 'count', 'first failed_at', 'last failed_at'];
  const body = rows.map((r) => [
    printable(r.group_id),
    printable(r.topic),
    printable(r.error_code),
    String(r.count),
    r.first_failed_at,
    r.last_failed_at,
  ]);
  const total = rows.reduce((n, r) => n + r.count, 0);
  return `${textTable([header, ...body], (c) => c === 3)}\ntotal: ${total} dead letter${total === 1 ? '' : 's'}`;
}

/**
 * Valid JSON text re-indented by two spaces, token by token: strings and numbers stay exactly as
 * written (JSON.parse and stringify would round 12345678901234567890, turn 1.0 into 1 and drop all but
 * one of repeated keys, which are the details a dead letter is often about).
 */
export function prettyJson(json: string): string {
  let out = '';
  let depth = 0;
  const newline = () => `\n${'  '.repeat(depth)}`;
  for (let i = 0; i < json.length; i++) {
    const c = json[i] as string;
    if (c === '"') {
      let end = i + 1;
      while (json[end] !== '"') end += json[end] === '\\' ? 2 : 1;
      out += json.slice(i, end + 1);
      i = end;
    } else if (c === '{' || c === '[') {
      const close = c === '{' ? '}' : ']';
      let next = i + 1;
      while (/\s/.test(json[next] ?? '')) next++;
      if (json[next] === close) {
        out += c + close;
        i = next;
      } else {
        depth++;
        out += c + newline();
      }
    } else if (c === '}' || c === ']') {
      depth--;
      out += newline() + c;
    } else if (c === ',') {
      out += `,${newline()}`;
    } else if (c === ':') {
      out += ': ';
    } else if (!/\s/.test(c)) {
      out += c;
    }
  }
  return out;
}

/** The bytes as `hexdump -C` shows them: offset, 16 bytes in hex (8 and 8), the printable ASCII. */
export function hexDump(bytes: Uint8Array): string {
  const lines: string[] = [];
  for (let at = 0; at < bytes.length; at += 16) {
    const row = bytes.subarray(at, at + 16);
    const hex = [...row].map((b) => b.toString(16).padStart(2, '0'));
    const left = hex.slice(0, 8).join(' ');
    const right = hex.slice(8).join(' ');
    const ascii = [...row].map((b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.')).join('');
    lines.push(`${at.toString(16).padStart(8, '0')}  ${left.padEnd(23)}  ${right.padEnd(23)}  |${ascii}|`);
  }
  return lines.join('\n');
}

/** A key or value for show: a heading saying what it is, then the JSON pretty-printed or a hex dump. */
export function describePayload(name: string, bytes: Uint8Array | null | undefined): string {
  if (bytes === null || bytes === undefined) return `${name}: null`;
  if (bytes.length === 0) return `${name}: empty (0 bytes)`;
  const size = `${bytes.length} byte${bytes.length === 1 ? '' : 's'}`;
  const text = utf8Text(bytes);
  if (text !== undefined && isJson(text)) return `${name}: ${size}, JSON\n${indent(printable(prettyJson(text)))}`;
  const what = text === undefined ? 'not UTF-8' : 'UTF-8 text, not JSON';
  return `${name}: ${size}, ${what}; hex dump:\n${indent(hexDump(bytes))}`;
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

function indent(text: string): string {
  return text.replace(/^/gm, '  ');
}

/** One dead letter whole: every column, then headers, key and value. */
export function formatShow(row: DeadLetter): string {
  const fields: Array<[string, string]> = [
    ['id', String(row.id)],
    ['group_id', printable(row.group_id)],
    ['topic', printable(row.topic)],
    ['partition', String(row.partition)],
    ['offset', String(row.offset)],
    ['error_code', printable(row.error_code)],
    ['failed_at', row.failed_at],
    // A long message (Postgres' own, with DETAIL lines) keeps its lines, each under the first.
    ['error_message', printable(row.error_message).replace(/\n/g, `\n${' '.repeat(15)}`)],
  ];
  const headers = typeof row.headers === 'string' ? `headers: JSON\n${indent(printable(prettyJson(row.headers)))}` : 'headers: null';
  return [
    ...fields.map(([name, value]) => `${name.padEnd(13)}  ${value}`),
    headers,
    describePayload('key', row.key),
    describePayload('value', row.value),
  ].join('\n');
}
