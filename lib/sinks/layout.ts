/**
 * A sink's staged columns: the declared columns in file order, then the soft-delete column when the
 * engine manages it (seed format, or a Debezium source without such a column). Every per-event array
 * (values, set masks) is indexed by this order, and the staging table has these columns after the
 * engine's own (`cdc_row`, `cdc_kind`, `cdc_mask`, `cdc_cascade`).
 */
import { type ColumnType, parseColumnType } from './column-types.js';
import type { ColumnDeclaration, SinkDeclaration } from './mapping.js';
import type { Value } from './types.js';

export interface StagedColumn {
  name: string;
  type: ColumnType;
  /** Undefined for the engine-managed soft-delete column. */
  declaration: ColumnDeclaration | undefined;
  isKey: boolean;
}

export interface Layout {
  columns: readonly StagedColumn[];
  /** Indexes of the key columns, in the declared key order. */
  keyIndexes: readonly number[];
  /** Index of the soft-delete column, or -1 (hard deletes). */
  softIndex: number;
}

const BOOLEAN = parseColumnType('boolean') as ColumnType;

export function layoutOf(sink: SinkDeclaration): Layout {
  const columns: StagedColumn[] = sink.columns.map((c) => ({
    name: c.name,
    type: c.type,
    declaration: c,
    isKey: sink.key.includes(c.name),
  }));
  let softIndex = -1;
  if (sink.delete !== 'hard') {
    const soft = sink.delete.soft;
    softIndex = columns.findIndex((c) => c.name === soft);
    if (softIndex < 0) {
      softIndex = columns.length;
      columns.push({ name: soft, type: BOOLEAN, declaration: undefined, isKey: false });
    }
  }
  const keyIndexes = sink.key.map((k) => columns.findIndex((c) => c.name === k));
  return { columns, keyIndexes, softIndex };
}

/**
 * Joins a row's key values into the one string its events are grouped by, whatever the format (U+0001
 * cannot appear in a validated value).
 */
export function keyOf(values: readonly Value[], keyIndexes: readonly number[]): string {
  if (keyIndexes.length === 1) return String(values[keyIndexes[0] as number]);
  let key = '';
  for (let i = 0; i < keyIndexes.length; i++) key += `${i === 0 ? '' : '\u0001'}${String(values[keyIndexes[i] as number])}`;
  return key;
}
