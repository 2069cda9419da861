/**
 * The queries of cdc-dead-letters on `cdc_dead_letters`: SQL built by pure functions (unit-tested as
 * text), run on one client. Rows are read in keyset pages by id, so a selection of any size is read with
 * one page in memory; replay will read its dead letters the same way.
 */
import type pg from 'pg';
import { CdcError } from '../errors.js';
import { qualified } from '../postgres/identifiers.js';
import { deadLetterDefaults } from './defaults.js';
import type { Selection } from './options.js';
import { selectionWhere } from './selection.js';

export const DEAD_LETTERS_TABLE = 'cdc_dead_letters';

/** One row of cdc_dead_letters; `key`, `value` and `headers` only when read with the payload. */
export interface DeadLetter {
  id: number;
  group_id: string;
  topic: string;
  partition: number;
  offset: number;
  key?: Buffer | null;
  value?: Buffer | null;
  /** The headers as JSON text (jsonb read as text, so numbers stay as stored). */
  headers?: string | null;
  error_code: string;
  error_message: string;
  /** UTC, to the microsecond Postgres stores: `2024-05-01T12:00:00.123456Z` (a form --since reads back). */
  failed_at: string;
}

export interface SummaryRow {
  group_id: string;
  topic: string;
  error_code: string;
  count: number;
  first_failed_at: string;
  last_failed_at: string;
}

export interface Query {
  text: string;
  values: unknown[];
}

const failedAtText = (column: string) => `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

/** bigint columns arrive as text; dead letter ids and Kafka offsets stay far below 2^53. */
const COLUMNS = `id::float8 AS id, group_id, topic, partition, "offset"::float8 AS "offset", error_code, error_message, ${failedAtText('failed_at')} AS failed_at`;

/** The page of the selection after id `afterId`, in id order (the order they were recorded). */
export function pageQuery(schema: string, selection: Selection, page: { afterId: number; rows: number; payload: boolean }): Query {
  const values: unknown[] = [];
  const where = selectionWhere(selection, values);
  values.push(page.afterId, page.rows);
  const n = values.length;
  return {
    text: `SELECT ${COLUMNS}${page.payload ? ', key, value, headers::text AS headers' : ''} FROM ${qualified(schema, DEAD_LETTERS_TABLE)}
            WHERE ${where} AND id > $${n - 1}::bigint ORDER BY id LIMIT $${n}::int`,
    values,
  };
}

export function countQuery(schema: string, selection: Selection): Query {
  const values: unknown[] = [];
  const where = selectionWhere(selection, values);
  return { text: `SELECT count(*)::float8 AS n FROM ${qualified(schema, DEAD_LETTERS_TABLE)} WHERE ${where}`, values };
}

export function summaryQuery(schema: string, selection: Selection): Query {
  const values: unknown[] = [];
  const where = selectionWhere(selection, values);
  return {
    text: `SELECT group_id, topic, error_code, count(*)::float8 AS count,
                  ${failedAtText('min(failed_at)')} AS first_failed_at, ${failedAtText('max(failed_at)')} AS last_failed_at
             FROM ${qualified(schema, DEAD_LETTERS_TABLE)} WHERE ${where}
            GROUP BY group_id, topic, error_code ORDER BY group_id, topic, error_code`,
    values,
  };
}

export function purgeQuery(schema: string, selection: Selection): Query {
  const values: unknown[] = [];
  const where = selectionWhere(selection, values);
  return { text: `DELETE FROM ${qualified(schema, DEAD_LETTERS_TABLE)} WHERE ${where}`, values };
}

/**
 * Fails with a message that says what to check when the schema has no dead-letter table (a wrong
 * --db-schema, or a consumer never started there), rather than Postgres' bare "relation does not exist".
 */
export async function checkTable(client: pg.ClientBase, schema: string): Promise<void> {
  const { rows } = await client.query<{ found: boolean }>(`SELECT to_regclass(format('%I.%I', $1::text, $2::text)) IS NOT NULL AS found`, [
    schema,
    DEAD_LETTERS_TABLE,
  ]);
  if (rows[0]?.found !== true) {
    throw new CdcError(
      'ERR_CDC_SCHEMA',
      `schema ${JSON.stringify(schema)} has no ${DEAD_LETTERS_TABLE} table: is --db-schema (CDC_DB_SCHEMA) the consumer's? cdc-consume creates it at start`,
    );
  }
}

/**
 * The selected dead letters in id order, at most `limit` (0: all), read a page at a time. With
 * `payload`, each carries its key, value and headers.
 */
export async function* readDeadLetters(
  client: pg.ClientBase,
  schema: string,
  selection: Selection,
  options: { limit: number; payload: boolean },
): AsyncGenerator<DeadLetter> {
  const pageRows = options.payload ? deadLetterDefaults.pageRowsWithPayload : deadLetterDefaults.pageRows;
  let afterId = 0;
  let left = options.limit === 0 ? Number.POSITIVE_INFINITY : options.limit;
  while (left > 0) {
    const rows = Math.min(pageRows, left);
    const { rows: page } = await client.query<DeadLetter>(pageQuery(schema, selection, { afterId, rows, payload: options.payload }));
    yield* page;
    if (page.length < rows) return;
    left -= page.length;
    afterId = (page.at(-1) as DeadLetter).id;
  }
}

export async function countDeadLetters(client: pg.ClientBase, schema: string, selection: Selection): Promise<number> {
  const { rows } = await client.query<{ n: number }>(countQuery(schema, selection));
  return rows[0]?.n ?? 0;
}

export async function summarizeDeadLetters(client: pg.ClientBase, schema: string, selection: Selection): Promise<SummaryRow[]> {
  const { rows } = await client.query<SummaryRow>(summaryQuery(schema, selection));
  return rows;
}

/** One dead letter whole, or undefined when there is none with that id. */
export async function readDeadLetter(client: pg.ClientBase, schema: string, id: number): Promise<DeadLetter | undefined> {
  for await (const row of readDeadLetters(client, schema, { ids: [id] }, { limit: 1, payload: true })) return row;
  return undefined;
}

/** Deletes the selected dead letters in one statement; returns how many. */
export async function purgeDeadLetters(client: pg.ClientBase, schema: string, selection: Selection): Promise<number> {
  const result = await client.query(purgeQuery(schema, selection));
  return result.rowCount ?? 0;
}

/** A partition of one group's dead letters: what a replay works through, one at a time. */
export interface DeadLetterPartition {
  group_id: string;
  topic: string;
  partition: number;
  count: number;
}

export function partitionsQuery(schema: string, selection: Selection): Query {
  const values: unknown[] = [];
  const where = selectionWhere(selection, values);
  return {
    text: `SELECT group_id, topic, partition, count(*)::float8 AS count FROM ${qualified(schema, DEAD_LETTERS_TABLE)}
            WHERE ${where} GROUP BY group_id, topic, partition ORDER BY group_id, topic, partition`,
    values,
  };
}

/** The selected dead letters of one partition after `afterOffset`, in offset order, with their payload. */
export function partitionPageQuery(
  schema: string,
  selection: Selection,
  page: { group: string; topic: string; partition: number; afterOffset: number; rows: number },
): Query {
  const values: unknown[] = [];
  const where = selectionWhere(selection, values);
  values.push(page.group, page.topic, page.partition, page.afterOffset, page.rows);
  const n = values.length;
  return {
    text: `SELECT ${COLUMNS}, key, value, headers::text AS headers FROM ${qualified(schema, DEAD_LETTERS_TABLE)}
            WHERE ${where} AND group_id = $${n - 4}::text AND topic = $${n - 3}::text AND partition = $${n - 2}::int
              AND "offset" > $${n - 1}::bigint ORDER BY "offset" LIMIT $${n}::int`,
    values,
  };
}

export async function deadLetterPartitions(client: pg.ClientBase, schema: string, selection: Selection): Promise<DeadLetterPartition[]> {
  const { rows } = await client.query<DeadLetterPartition>(partitionsQuery(schema, selection));
  return rows;
}

/** Offsets of a partition's dead letters (any selection) in [from, to). */
export async function deadLetterOffsets(
  client: pg.ClientBase,
  schema: string,
  p: { group: string; topic: string; partition: number; from: number; to: number },
): Promise<Set<number>> {
  const { rows } = await client.query<{ offset: number }>(
    `SELECT "offset"::float8 AS "offset" FROM ${qualified(schema, DEAD_LETTERS_TABLE)}
      WHERE group_id = $1 AND topic = $2 AND partition = $3 AND "offset" >= $4 AND "offset" < $5`,
    [p.group, p.topic, p.partition, p.from, p.to],
  );
  return new Set(rows.map((r) => r.offset));
}

/** A group's stored next offset of a partition (cdc_offsets), or undefined when it has none. */
export async function storedNextOffset(
  client: pg.ClientBase,
  schema: string,
  p: { group: string; topic: string; partition: number },
): Promise<number | undefined> {
  const { rows } = await client.query<{ next_offset: number }>(
    `SELECT next_offset::float8 AS next_offset FROM ${qualified(schema, 'cdc_offsets')} WHERE group_id = $1 AND topic = $2 AND partition = $3`,
    [p.group, p.topic, p.partition],
  );
  return rows[0]?.next_offset;
}
