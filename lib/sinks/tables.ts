/**
 * The mapping's tables at start-up (worker side, before anything is consumed): a missing table is created
 * when its sink says `create-table: true`; every table, created or found, is then checked to have each
 * declared column with a compatible type and its key as a primary key or unique index (what the upsert's
 * ON CONFLICT needs). Problems are collected and reported together, naming the table and column.
 */
import type pg from 'pg';
import { CdcError } from '../errors.js';
import { qualified, quoteIdent } from '../postgres/identifiers.js';
import { incompatibility } from './column-types.js';
import { layoutOf } from './layout.js';
import type { Mapping, SinkDeclaration } from './mapping.js';
import { tableSchema } from './sink.js';

/**
 * The same key space as the engine's own schema (lib/postgres/schema.ts), its own namespace; also the
 * namespace of the per-table locks of tables made at run time (lib/apply/topic-sinks.ts).
 */
export const TABLES_LOCK_NAMESPACE = 'cdc-pipeline:sink-tables';

/** Parents before children, so a child's FOREIGN KEY finds its parent table. */
function parentsFirst(mapping: Mapping): SinkDeclaration[] {
  const out: SinkDeclaration[] = [];
  const visit = (s: SinkDeclaration, path: Set<SinkDeclaration>) => {
    if (out.includes(s) || path.has(s)) return;
    path.add(s);
    for (const c of s.columns) {
      const r = c.references;
      const parent = r && mapping.sinks.find((p) => p.table === r.parentTable && p.schema === r.parentSchema);
      if (parent) visit(parent, path);
    }
    out.push(s);
  };
  for (const s of mapping.sinks) visit(s, new Set());
  return out;
}

function createTableSql(sink: SinkDeclaration, dbSchema: string, table: string): string[] {
  const layout = layoutOf(sink);
  const defs = layout.columns.map((c) => {
    const d = c.declaration;
    const isSoft = sink.delete !== 'hard' && c.name === sink.delete.soft;
    const notNull = d !== undefined && !d.nullable && !c.isKey ? ' NOT NULL' : '';
    const def = d?.defaultSql ?? (isSoft ? 'false' : undefined);
    return `${quoteIdent(c.name)} ${c.type.sql}${notNull}${def === undefined ? '' : ` DEFAULT ${def}`}`;
  });
  defs.push(`PRIMARY KEY (${sink.key.map(quoteIdent).join(', ')})`);
  const indexes: string[] = [];
  const byParent = new Map<string, { child: string[]; parent: string[]; fk: boolean }>();
  for (const c of sink.columns) {
    const r = c.references;
    if (!r) continue;
    const parent = qualified(r.parentSchema ?? dbSchema, r.parentTable);
    const g = byParent.get(parent) ?? { child: [], parent: [], fk: r.foreignKey };
    g.child.push(c.name);
    g.parent.push(r.parentColumn);
    byParent.set(parent, g);
  }
  for (const [parent, g] of byParent) {
    if (g.fk)
      defs.push(`FOREIGN KEY (${g.child.map(quoteIdent).join(', ')}) REFERENCES ${parent} (${g.parent.map(quoteIdent).join(', ')})`);
    // A parent's cascade and the orphan check look children up by these columns.
    indexes.push(`CREATE INDEX ON ${table} (${g.child.map(quoteIdent).join(', ')})`);
  }
  return [`CREATE TABLE ${table} (${defs.join(', ')})`, ...indexes];
}

async function checkTable(client: pg.ClientBase, sink: SinkDeclaration, table: string, at: string, problems: string[]): Promise<void> {
  const { rows: columns } = await client.query<{ name: string; type: string }>(
    `SELECT attname AS name, format_type(atttypid, atttypmod) AS type FROM pg_attribute
      WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped`,
    [table],
  );
  const existing = new Map(columns.map((c) => [c.name, c.type]));
  for (const c of layoutOf(sink).columns) {
    const type = existing.get(c.name);
    const path = c.declaration ? `${at}.columns.${c.name}` : `${at}.delete.soft`;
    if (type === undefined) problems.push(`${table}: column ${quoteIdent(c.name)} does not exist (${path})`);
    else {
      const problem = incompatibility(c.type, type);
      if (problem) problems.push(`${table}: column ${quoteIdent(c.name)} ${problem} (${path})`);
    }
  }
  const { rows: uniques } = await client.query<{ cols: string[] }>(
    `SELECT array_agg(a.attname::text ORDER BY a.attname) AS cols FROM pg_index i
       JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)
      WHERE i.indrelid = $1::regclass AND i.indisunique AND i.indimmediate AND i.indpred IS NULL AND i.indexprs IS NULL
      GROUP BY i.indexrelid`,
    [table],
  );
  const key = [...sink.key].sort().join(',');
  if (!uniques.some((u) => [...u.cols].sort().join(',') === key)) {
    problems.push(`${table}: the key (${sink.key.join(', ')}) is neither its primary key nor a unique index (${at}.key)`);
  }
}

export interface PrepareTablesResult {
  created: string[];
}

/**
 * Creates (when allowed) and checks every table of the mapping, in one transaction under an advisory
 * lock, so consumers starting together cannot race to create a table.
 */
export async function prepareSinkTables(
  client: pg.ClientBase,
  mapping: Mapping,
  dbSchema: string,
  create: boolean,
): Promise<PrepareTablesResult> {
  const problems: string[] = [];
  const created: string[] = [];
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock(hashtext($1), hashtext($2))', [TABLES_LOCK_NAMESPACE, dbSchema]);
    for (const sink of parentsFirst(mapping)) {
      const at = `sinks[${mapping.sinks.indexOf(sink)}]`;
      const schema = tableSchema(sink, dbSchema);
      const table = qualified(schema, sink.table);
      const { rows } = await client.query<{ oid: string | null }>('SELECT to_regclass($1)::text AS oid', [table]);
      if (rows[0]?.oid == null) {
        if (!create || !sink.createTable) {
          problems.push(
            `${table} (${at}, topic ${sink.topic}) does not exist: create it, or set create-table: true${create ? '' : ' and drop --no-migrate'}`,
          );
          continue;
        }
        const { rowCount } = await client.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema]);
        if (rowCount === 0) await client.query(`CREATE SCHEMA ${quoteIdent(schema)}`);
        for (const statement of createTableSql(sink, dbSchema, table)) await client.query(statement);
        created.push(table);
      }
      await checkTable(client, sink, table, at, problems);
    }
    if (problems.length > 0)
      throw new CdcError('ERR_CDC_SCHEMA', `${mapping.source}: the tables do not match the mapping:\n  ${problems.join('\n  ')}`);
    await client.query('COMMIT');
    return { created };
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    if (err instanceof CdcError) throw err;
    const e = err as Error & { code?: string };
    throw new CdcError(
      'ERR_CDC_SCHEMA',
      `${mapping.source}: could not prepare the tables: ${e.message}${e.code ? ` (SQLSTATE ${e.code})` : ''}`,
      {
        cause: err,
        canRetry: !e.code,
      },
    );
  }
}
