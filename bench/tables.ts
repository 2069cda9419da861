/**
 * A contender's tables, read in the expected tables' forms (as test/support/tables.ts does), and the
 * comparison with the expected ones (lib/loadgen/generator/compare-tables.ts): a contender's result counts only
 * if they are equal.
 */
import type pg from 'pg';
import { readModelTables, type Tables } from '../lib/loadgen/generator/index.js';
import { qualified } from '../lib/postgres/index.js';

export { type Comparison, compareTables, describeComparison, type Tables } from '../lib/loadgen/generator/index.js';

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
