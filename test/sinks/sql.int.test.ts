/**
 * The cascade statements of lib/sinks/sql.ts against a real Postgres, with parent and child tables far
 * larger than a batch: a parent batch's lock of the rows it soft-deletes and the update of their
 * children must find those rows through the tables' indexes, not by scanning the whole tables on every
 * batch (the staging table is analyzed while empty, so the planner cannot tell how few rows cascade).
 * A single-column key and a composite one.
 */
import { expect } from 'chai';
import pg from 'pg';
import { qualified } from '../../lib/postgres/index.js';
import { resolveMapping } from '../../lib/sinks/mapping.js';
import { compileMapping, type Sink } from '../../lib/sinks/sink.js';
import { prepareSinkTables } from '../../lib/sinks/tables.js';
import { testStack, withTestSchema } from '../support/stack.js';

const PARENTS = 3000;
const CASCADING = [7, 500, 2999];

describe('sinks/sql: cascades on large tables (integration)', function () {
  this.timeout(60_000);
  let schema: string;
  let drop: () => Promise<void>;
  let client: pg.Client;
  let sinks: Sink[];

  before(async () => {
    ({ schema, drop } = await withTestSchema('sql'));
    client = new pg.Client({ connectionString: testStack().databaseUrl });
    await client.connect();
    const mapping = resolveMapping(
      {
        sinks: [
          {
            topic: 'authors',
            table: 'authors',
            format: 'debezium',
            key: ['id'],
            'create-table': true,
            columns: { id: 'bigint', name: 'text' },
            delete: { soft: 'removed' },
          },
          {
            topic: 'books',
            table: 'books',
            format: 'debezium',
            key: ['id'],
            'create-table': true,
            columns: { id: 'bigint', author_id: { type: 'bigint', references: { table: 'authors', 'cascade-delete': true } } },
            delete: { soft: 'removed' },
          },
          {
            topic: 'regions',
            table: 'regions',
            format: 'debezium',
            key: ['country', 'code'],
            'create-table': true,
            columns: { country: 'text', code: 'integer', name: 'text' },
            delete: { soft: 'removed' },
          },
          {
            topic: 'stores',
            table: 'stores',
            format: 'debezium',
            key: ['id'],
            'create-table': true,
            columns: {
              id: 'bigint',
              country: { type: 'text', references: { table: 'regions', column: 'country', 'cascade-delete': true } },
              region: { type: 'integer', references: { table: 'regions', column: 'code', 'cascade-delete': true } },
            },
            delete: { soft: 'removed' },
          },
        ],
      },
      'sql.yaml',
    );
    sinks = compileMapping(mapping, schema);
    await prepareSinkTables(client, mapping, schema, true);
    const t = (name: string) => qualified(schema, name);
    // Two children per parent; the countries repeat, so a country alone does not pick a region.
    await client.query(`INSERT INTO ${t('authors')} SELECT n, 'a' || n, false FROM generate_series(0, ${PARENTS - 1}) n`);
    await client.query(`INSERT INTO ${t('books')} SELECT n, n / 2, false FROM generate_series(0, ${2 * PARENTS - 1}) n`);
    await client.query(`INSERT INTO ${t('regions')} SELECT 'c' || (n % 10), n, 'r' || n, false FROM generate_series(0, ${PARENTS - 1}) n`);
    await client.query(
      `INSERT INTO ${t('stores')} SELECT n, 'c' || ((n / 2) % 10), n / 2, false FROM generate_series(0, ${2 * PARENTS - 1}) n`,
    );
    for (const name of ['authors', 'books', 'regions', 'stores']) await client.query(`ANALYZE ${t(name)}`);
  });

  after(async () => {
    await client.end();
    await drop();
  });

  const sinkOf = (table: string) => sinks.find((s) => s.table.endsWith(`."${table}"`)) as Sink;

  /** A batch of the parent's staged rows, a few of which cascade, in a transaction rolled back after `check`. */
  async function withCascadingBatch(parent: string, keyOf: (n: number) => string, check: (sink: Sink) => Promise<void>): Promise<void> {
    const sink = sinkOf(parent);
    await client.query('BEGIN');
    try {
      // As the worker makes it: created and analyzed while empty, then filled by the batch.
      await client.query(sink.sql.createStage);
      const stage = /CREATE TEMP TABLE IF NOT EXISTS (\S+)/.exec(sink.sql.createStage)?.[1] as string;
      const rows = Array.from({ length: 500 }, (_, i) => 2 * i + 1).concat(CASCADING);
      const cascading = new Set(CASCADING);
      const values = rows.map((n, i) => `(${i}, 'full', '1', ${cascading.has(n)}, ${keyOf(n)})`).join(', ');
      const keyColumns = parent === 'authors' ? 'id' : 'country, code';
      await client.query(`INSERT INTO ${stage} (cdc_row, cdc_kind, cdc_mask, cdc_cascade, ${keyColumns}) VALUES ${values}`);
      await check(sink);
    } finally {
      await client.query('ROLLBACK');
    }
  }

  async function plan(sql: string): Promise<string> {
    const { rows } = await client.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${sql}`);
    return rows.map((r) => r['QUERY PLAN']).join('\n');
  }

  for (const [parent, child, keyOf, childKey] of [
    ['authors', 'books', (n: number) => String(n), 'author_id'],
    ['regions', 'stores', (n: number) => `'c${n % 10}', ${n}`, 'region'],
  ] as const) {
    it(`${parent} -> ${child}: locks and cascades exactly the soft-deleted parents' rows, through the indexes`, async () => {
      await withCascadingBatch(parent, keyOf, async (sink) => {
        const lock = sink.sql.lockCascading as string;
        const cascade = sink.sql.cascades[0]?.update as string;
        for (const sql of [lock, cascade]) {
          const p = await plan(sql);
          expect(p, sql).not.to.match(new RegExp(`Seq Scan on (${parent}|${child})\\b`));
          expect(p, sql).to.match(/Index|Bitmap/);
        }
        const locked = await client.query(lock);
        expect(locked.rowCount).to.equal(CASCADING.length);
        const updated = await client.query(cascade);
        expect(updated.rowCount).to.equal(2 * CASCADING.length);
        const removed = await client.query<{ k: number }>(
          `SELECT ${childKey}::int AS k FROM ${qualified(schema, child)} WHERE removed ORDER BY id`,
        );
        expect(removed.rows.map((r) => r.k)).to.deep.equal(CASCADING.flatMap((n) => [n, n]));
      });
    });
  }
});
