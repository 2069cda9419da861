/**
 * Postgres COPY text format (the default of `COPY ... FROM STDIN`): one line per row, fields separated
 * by a tab, `\N` for NULL. In a field, backslash, tab, newline and carriage return must be written as
 * backslash escapes; every other character goes through raw (the connection's client_encoding must be
 * UTF8). With backslashes escaped, a field holding `\N` or `\.` is sent as `\\N` / `\\.` and can
 * neither read as NULL nor end the data.
 */
import type { StagedRow } from './fold.js';
import type { Layout } from './layout.js';
import type { Value } from './types.js';

/** COPY text's NULL marker (the default `NULL '\N'`). */
export const COPY_TEXT_NULL = '\\N';

const NEEDS_ESCAPE = /[\\\t\n\r]/;
const ESCAPABLE = /[\\\t\n\r]/g;

function escapeChar(c: string): string {
  switch (c) {
    case '\\':
      return '\\\\';
    case '\t':
      return '\\t';
    case '\n':
      return '\\n';
    default:
      return '\\r';
  }
}

/**
 * One field: null -> `\N`, booleans `t`/`f`, numbers in JavaScript's own notation (the callers only
 * pass finite numbers), strings with backslash, tab, newline and carriage return escaped.
 */
export function copyField(value: Value): string {
  if (value === null) return COPY_TEXT_NULL;
  if (typeof value === 'string') return NEEDS_ESCAPE.test(value) ? value.replace(ESCAPABLE, escapeChar) : value;
  if (typeof value === 'boolean') return value ? 't' : 'f';
  return String(value);
}

/** Types whose validated text never holds a backslash, tab or newline: written without the escape check. */
const PLAIN_KINDS = new Set([
  'smallint',
  'integer',
  'bigint',
  'numeric',
  'real',
  'double precision',
  'boolean',
  'uuid',
  'date',
  'timestamp',
  'timestamptz',
  'time',
]);

function mask(set: Uint8Array): string {
  let s = '';
  for (let i = 0; i < set.length; i++) s += set[i] === 1 ? '1' : set[i] === 2 ? '2' : '0';
  return s;
}

/** The encoder of one sink's staging rows: `cdc_row, cdc_kind, cdc_mask, cdc_cascade`, then its columns. */
export function stageRowEncoder(layout: Layout): (row: StagedRow, index: number) => string {
  const plain = layout.columns.map((c) => PLAIN_KINDS.has(c.type.kind));
  const n = plain.length;
  return (row, index) => {
    let line = `${index}\t${row.kind}\t${row.set === undefined ? COPY_TEXT_NULL : mask(row.set)}\t${row.cascade ? 't' : 'f'}`;
    const values = row.values;
    for (let i = 0; i < n; i++) {
      const v = values[i] as Value;
      line += '\t';
      line += v === null ? COPY_TEXT_NULL : plain[i] ? (typeof v === 'boolean' ? (v ? 't' : 'f') : String(v)) : copyField(v);
    }
    return `${line}\n`;
  };
}
