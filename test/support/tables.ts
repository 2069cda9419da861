/** Reads the loaded tables in the forms lib/loadgen/generator/expected-tables.ts uses, so tests compare with deep equality. */
import pg from 'pg';
import { type OrderRow, readModelTables, type UserRow } from '../../lib/loadgen/generator/index.js';
import { qualified } from '../../lib/postgres/index.js';
import { testStack } from './stack.js';

export interface DeadLetterRow {
  topic: string;
  partition: number;
  offset: number;
  key: string | null;
  value: string | null;
  error_code: string;
}

export interface TableState {
  users: UserRow[];
  orders: OrderRow[];
  deadLetters: DeadLetterRow[];
  offsets: Array<{ group_id: string; topic: string; partition: number; next_offset: number }>;
}

export async function readTables(schema: string): Promise<TableState> {
  const c = new pg.Client({ connectionString: testStack().databaseUrl });
  await c.connect();
  try {
    const { users, orders } = await readModelTables(c, { users: qualified(schema, 'users'), orders: qualified(schema, 'orders') });
    const dead = await c.query<DeadLetterRow>(
      `SELECT topic, partition, "offset"::int AS offset, convert_from(key, 'UTF8') AS key, encode(value, 'escape') AS value, error_code
         FROM ${qualified(schema, 'cdc_dead_letters')} ORDER BY topic, partition, "offset"`,
    );
    const offsets = await c.query(
      `SELECT group_id, topic, partition, next_offset::int AS next_offset FROM ${qualified(schema, 'cdc_offsets')} ORDER BY 1, 2, 3`,
    );
    return { users, orders, deadLetters: dead.rows, offsets: offsets.rows };
  } finally {
    await c.end();
  }
}

/** Ids sorted like Postgres sorts uuids (byte order = lower-case hex order). */
export function sortById<T extends { id: string }>(rows: T[]): T[] {
  return [...rows].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}
