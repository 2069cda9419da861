/**
 * How a consumer's tables are checked against the expected ones: rows matched by id, fields compared
 * with `===` (so a number read back as text differs), differences listed in id order. The benchmark
 * counts a contender's result only when there are none; the fault suite reports them.
 */
import type { OrderRow, UserRow } from './expected-tables.js';

export interface Tables {
  users: UserRow[];
  orders: OrderRow[];
}

export type RowDifference<T> =
  | { kind: 'missing'; id: string; expected: T }
  | { kind: 'unexpected'; id: string; actual: T }
  | { kind: 'differs'; id: string; field: keyof T & string; expected: T; actual: T }
  /** A second row with an id already seen. */
  | { kind: 'duplicate'; id: string; actual: T };

function byId<T extends { id: string }>(rows: readonly T[]): T[] {
  return [...rows].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** Every difference between the two sets of rows, in id order. */
export function diffRows<T extends { id: string }>(expected: readonly T[], actual: readonly T[]): RowDifference<T>[] {
  const e = byId(expected);
  const a = byId(actual);
  const out: RowDifference<T>[] = [];
  let i = 0;
  let j = 0;
  while (i < e.length || j < a.length) {
    const er = e[i];
    const ar = a[j];
    if (ar !== undefined && j > 0 && (a[j - 1] as T).id === ar.id) {
      out.push({ kind: 'duplicate', id: ar.id, actual: ar });
      j++;
    } else if (ar === undefined || (er !== undefined && er.id < ar.id)) {
      out.push({ kind: 'missing', id: (er as T).id, expected: er as T });
      i++;
    } else if (er === undefined || ar.id < er.id) {
      out.push({ kind: 'unexpected', id: ar.id, actual: ar });
      j++;
    } else {
      const field = (Object.keys(er) as Array<keyof T & string>).find((key) => er[key] !== ar[key]);
      if (field !== undefined) out.push({ kind: 'differs', id: er.id, field, expected: er, actual: ar });
      i++;
      j++;
    }
  }
  return out;
}

export interface TableDiff {
  table: 'users' | 'orders';
  expectedRows: number;
  actualRows: number;
  /** Rows missing, unexpected, or with a differing field. */
  differences: number;
  /** The first difference, for the report. */
  first?: string;
}

export interface Comparison {
  equal: boolean;
  tables: TableDiff[];
}

/** One difference as a line of a report. */
export function describeDifference<T>(table: string, d: RowDifference<T>): string {
  switch (d.kind) {
    case 'missing':
      return `${table} ${d.id}: missing`;
    case 'unexpected':
      return `${table} ${d.id}: not expected`;
    case 'duplicate':
      return `${table} ${d.id}: duplicate id`;
    case 'differs':
      return `${table} ${d.id}: ${d.field} is ${JSON.stringify(d.actual[d.field])}, expected ${JSON.stringify(d.expected[d.field])}`;
  }
}

function diffTable<T extends { id: string }>(table: 'users' | 'orders', expected: readonly T[], actual: readonly T[]): TableDiff {
  const differences = diffRows(expected, actual);
  const first = differences[0];
  return {
    table,
    expectedRows: expected.length,
    actualRows: actual.length,
    differences: differences.length,
    ...(first === undefined ? {} : { first: describeDifference(table, first) }),
  };
}

/** Field-by-field equality of both tables. */
export function compareTables(expected: Tables, actual: Tables): Comparison {
  const tables = [diffTable('users', expected.users, actual.users), diffTable('orders', expected.orders, actual.orders)];
  return { equal: tables.every((t) => t.differences === 0), tables };
}

export function describeComparison(c: Comparison): string {
  return c.tables
    .map(
      (t) =>
        `${t.table}: ${t.actualRows} rows, expected ${t.expectedRows}${t.differences > 0 ? `, ${t.differences} differ (first: ${t.first})` : ', all equal'}`,
    )
    .join('; ');
}
