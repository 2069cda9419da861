/**
 * Postgres COPY text format (the default of `COPY ... FROM STDIN`): one line per row, fields separated
 * by a tab, `\N` for NULL. In a field, backslash, tab, newline and carriage return must be written as
 * backslash escapes; every other character goes through raw (the connection's client_encoding must be
 * UTF8). With backslashes escaped, a field holding `\N` or `\.` is sent as `\\N` / `\\.` and can
 * neither read as NULL nor end the data.
 */
import type { OrderStageRow, UserStageRow } from './types.js';

export interface StageColumn {
  readonly name: string;
  /** The Postgres type of the staging table's column. */
  readonly type: string;
}

/** COPY text's NULL marker (the default `NULL '\N'`). */
export const COPY_TEXT_NULL = '\\N';

function columns(list: StageColumn[]): readonly StageColumn[] {
  return Object.freeze(list.map((c) => Object.freeze(c)));
}

/** The users staging table's columns, in the order encodeUserStageRow writes them. */
export const USER_STAGE_COLUMNS = columns([
  { name: 'id', type: 'uuid' },
  { name: 'kind', type: 'text' },
  { name: 'name', type: 'text' },
  { name: 'dob', type: 'date' },
  { name: 'created_at', type: 'timestamptz' },
  { name: 'modified_at', type: 'timestamptz' },
  { name: 'is_deleted', type: 'boolean' },
  { name: 'cascade', type: 'boolean' },
]);

/** The orders staging table's columns, in the order encodeOrderStageRow writes them. */
export const ORDER_STAGE_COLUMNS = columns([
  { name: 'id', type: 'uuid' },
  { name: 'kind', type: 'text' },
  { name: 'status', type: 'text' },
  { name: 'user_id', type: 'uuid' },
  { name: 'quantity', type: 'integer' },
  { name: 'total_amount', type: 'numeric' },
  { name: 'placed_at', type: 'timestamptz' },
  { name: 'modified_at', type: 'timestamptz' },
  { name: 'is_deleted', type: 'boolean' },
]);

/** `"id" uuid, "kind" text, ...`: the column list of a CREATE TABLE (names quoted: `cascade` is a keyword). */
export function columnDefinitions(columns: readonly StageColumn[]): string {
  return columns.map((c) => `"${c.name}" ${c.type}`).join(', ');
}

/** `"id", "kind", ...`: the column list of `COPY table (...) FROM STDIN`. */
export function columnNames(columns: readonly StageColumn[]): string {
  return columns.map((c) => `"${c.name}"`).join(', ');
}

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
 * pass finite integers), strings with backslash, tab, newline and carriage return escaped.
 */
export function copyField(value: string | number | boolean | null): string {
  if (value === null) return COPY_TEXT_NULL;
  if (typeof value === 'string') return NEEDS_ESCAPE.test(value) ? value.replace(ESCAPABLE, escapeChar) : value;
  if (typeof value === 'boolean') return value ? 't' : 'f';
  return String(value);
}

/** One line (ending in `\n`) in USER_STAGE_COLUMNS order. */
export function encodeUserStageRow(row: UserStageRow): string {
  return `${copyField(row.id)}\t${row.kind}\t${copyField(row.name)}\t${copyField(row.dob)}\t${copyField(row.createdAt)}\t${copyField(
    row.modifiedAt,
  )}\t${row.isDeleted ? 't' : 'f'}\t${row.cascade ? 't' : 'f'}\n`;
}

/** One line (ending in `\n`) in ORDER_STAGE_COLUMNS order. */
export function encodeOrderStageRow(row: OrderStageRow): string {
  return `${copyField(row.id)}\t${row.kind}\t${copyField(row.status)}\t${copyField(row.userId)}\t${copyField(row.quantity)}\t${copyField(
    row.totalAmount,
  )}\t${copyField(row.placedAt)}\t${copyField(row.modifiedAt)}\t${row.isDeleted ? 't' : 'f'}\n`;
}
