/**
 * Postgres COPY text format (the default of `COPY ... FROM STDIN`): one line per row, fields separated
 * by a tab, `\N` for NULL. In a field, backslash, tab, newline and carriage return must be written as
 * backslash escapes; every other character goes through raw (the connection's client_encoding must be
 * UTF8). With backslashes escaped, a field holding `\N` or `\.` is sent as `\\N` / `\\.` and can
 * neither read as NULL nor end the data.
 */
import { type TypeKind, TypeKinds } from './column-types.js';
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

/** Types whose text can hold a backslash, tab or newline; every other type's validated text cannot. */
const ESCAPED_KINDS: readonly TypeKind[] = ['text', 'varchar', 'char', 'xml', 'json', 'jsonb', 'bytea', 'array'];
/** Written without the escape check: numbers, and the validated text of numerics, uuids, dates and times. */
const PLAIN_KINDS = new Set(TypeKinds.filter((k) => !ESCAPED_KINDS.includes(k)));

function mask(set: Uint8Array): string {
  let s = '';
  for (let i = 0; i < set.length; i++) s += set[i] === 1 ? '1' : set[i] === 2 ? '2' : '0';
  return s;
}

/**
 * The encoder of one sink's staging rows: `cdc_row, cdc_kind, cdc_mask, cdc_cascade`, then its columns.
 * Generated once per sink as one concatenation (like ajv compiles a schema): per column the type
 * decides at compile time whether the value needs escaping or is written as it is, so a row is one
 * expression with no loop and no per-column checks of the declaration.
 */
export function stageRowEncoder(layout: Layout): (row: StagedRow, index: number) => string {
  const fields = layout.columns.map((c, i) => {
    const v = `v[${i}]`;
    if (c.type.kind === 'boolean') return `(${v} === null ? N : ${v} ? 't' : 'f')`;
    if (PLAIN_KINDS.has(c.type.kind)) return `(${v} === null ? N : '' + ${v})`;
    return `copyField(${v})`;
  });
  const body = `const v = row.values;
    return index + '\\t' + row.kind + '\\t' + (row.set === undefined ? N : mask(row.set)) + '\\t' + (row.cascade ? 't' : 'f')${fields
      .map((f) => ` + '\\t' + ${f}`)
      .join('')} + '\\n';`;
  return new Function('copyField', 'mask', 'N', `return function encodeStageRow(row, index) { ${body} };`)(
    copyField,
    mask,
    COPY_TEXT_NULL,
  ) as (row: StagedRow, index: number) => string;
}
