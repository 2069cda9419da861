/**
 * Reading a contender's tables in the model's forms (as test/support/tables.ts does) and comparing them
 * with the model: a contender's result counts only if they are equal.
 */
import type pg from 'pg';
import { qualified } from '../lib/postgres/index.js';
import { type OrderRow, readModelTables, type UserRow } from '../lib/producer/index.js';

export interface Tables {
  users: UserRow[];
  orders: OrderRow[];
}

export function readTables(client: pg.ClientBase, schema: string): Promise<Tables> {
  return readModelTables(client, { users: qualified(schema, 'users'), orders: qualified(schema, 'orders') });
}

/** Dead letters in a schema that has the engine's tables (0 when the table does not exist). */
export async function countDeadLetters(client: pg.ClientBase, schema: string): Promise<number> {
  const { rows } = await client.query<{ n: number }>(
    `SELECT CASE WHEN to_regclass($1) IS NULL THEN 0 ELSE (SELECT count(*)::int FROM ${qualified(schema, 'cdc_dead_letters')}) END AS n`,
    [qualified(schema, 'cdc_dead_letters')],
  );
  return rows[0]?.n ?? 0;
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

function byId<T extends { id: string }>(rows: readonly T[]): T[] {
  return [...rows].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

function diffRows<T extends { id: string }>(table: 'users' | 'orders', expected: readonly T[], actual: readonly T[]): TableDiff {
  const e = byId(expected);
  const a = byId(actual);
  let i = 0;
  let j = 0;
  let differences = 0;
  let first: string | undefined;
  const note = (text: string) => {
    differences++;
    first ??= text;
  };
  while (i < e.length || j < a.length) {
    const er = e[i];
    const ar = a[j];
    if (ar === undefined || (er !== undefined && er.id < ar.id)) {
      note(`${table} ${(er as T).id}: missing`);
      i++;
    } else if (er === undefined || ar.id < er.id) {
      note(`${table} ${ar.id}: not expected`);
      j++;
    } else {
      for (const key of Object.keys(er) as Array<keyof T>) {
        if (er[key] !== ar[key]) {
          note(`${table} ${er.id}: ${String(key)} is ${JSON.stringify(ar[key])}, expected ${JSON.stringify(er[key])}`);
          break;
        }
      }
      i++;
      j++;
    }
  }
  return { table, expectedRows: e.length, actualRows: a.length, differences, ...(first === undefined ? {} : { first }) };
}

/** Field-by-field equality of both tables, ids matched in sorted order. */
export function compareTables(expected: Tables, actual: Tables): Comparison {
  const tables = [diffRows('users', expected.users, actual.users), diffRows('orders', expected.orders, actual.orders)];
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
