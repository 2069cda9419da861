/**
 * The SQL of one sink, generated once from its declaration when the worker compiles the mapping: the
 * staging table, its COPY, and the set-based statements that apply a batch's staged rows. Every name
 * is quoted (lib/postgres/identifiers.ts); values only ever travel as COPY data or bind parameters.
 *
 * The lock protocol between a parent and a child table (for every declared relation): a child batch first locks the parent rows its rows reference FOR KEY SHARE,
 * and the rows it could not lock are its orphans; a parent batch that soft-deletes rows locks exactly
 * those FOR UPDATE just before marking their children deleted. The two locks conflict, so a child
 * inserted while its parent is being deleted either commits first (and the cascade, a later statement
 * with a new snapshot, sees it) or waits and then reads the parent as deleted. Both sides lock in key
 * order, and a child batch takes its parent locks before touching any row of its own: no deadlock.
 * FOR KEY SHARE does not conflict with plain updates of the parent (FOR NO KEY UPDATE), so ordinary
 * parent updates never wait for children.
 */
import { quoteIdent } from '../postgres/identifiers.js';
import type { Layout } from './layout.js';

/** The columns every staging table has before the sink's own. */
export const ENGINE_STAGE_COLUMNS = ['cdc_row int', 'cdc_kind text', 'cdc_mask text', 'cdc_cascade boolean'] as const;

export interface RelationSql {
  /** Child side: `SELECT cdc_row` of staged rows whose parent this statement could not lock. */
  orphans: string;
  parentTable: string;
}

export interface CascadeSql {
  childTable: string;
  update: string;
}

export interface SinkSql {
  createStage: string;
  /** COPY text: the fallback for a batch holding a value the binary encoder leaves to Postgres. */
  copy: string;
  copyBinary: string;
  /** Empties the staging table row by row: cheap for a batch's rows, leaves their space behind. */
  clearStage: string;
  /**
   * Empties it to zero pages and records it as analyzed (see createStage), which makes every statement
   * that reads it be planned again.
   */
  resetStage: string;
  deleteStaged: string;
  upsert: string;
  mergeUpdate: string;
  mergeInsert: string;
  patch: string | undefined;
  delete: string;
  truncate: string;
  /** Parent side: locks the rows that cascade, in key order. */
  lockCascading: string | undefined;
  cascades: CascadeSql[];
  relations: RelationSql[];
}

/** A relation as the SQL needs it: child columns -> parent columns, with the parent's soft column. */
export interface ParentLink {
  parentTable: string;
  childColumns: readonly string[];
  parentColumns: readonly string[];
  /** The parent's soft-delete column when its deletes cascade to this child. */
  parentSoft: string | undefined;
}

export interface ChildLink {
  childTable: string;
  childColumns: readonly string[];
  parentColumns: readonly string[];
  childSoft: string;
}

const q = quoteIdent;

function tuple(alias: string, columns: readonly string[]): string {
  const list = columns.map((c) => `${alias}.${q(c)}`).join(', ');
  return columns.length === 1 ? list : `(${list})`;
}

/**
 * Rows of `alias` whose `columns` equal those of staged rows matching `where`: each column
 * `= ANY(ARRAY(SELECT ...))`, and for more than one column the whole tuple's IN as well. The staging
 * table is analyzed while empty, so the planner cannot know that a batch cascades a few rows: given
 * `IN (SELECT ...)` alone it hashed them and scanned the whole target table on every batch (7 ms for
 * 35 of 30,000 rows, growing with the table); arrays of the values are probed through the target's
 * index instead (0.3 ms). Every column gets its array: a composite key's leading column alone may match
 * much of the table (a country of a region's key).
 */
function inStaged(alias: string, columns: readonly string[], stage: string, stageColumns: readonly string[], where: string): string {
  const each = columns.map(
    (c, i) => `${alias}.${q(c)} = ANY(ARRAY(SELECT s.${q(stageColumns[i] as string)} FROM ${stage} s WHERE ${where}))`,
  );
  if (columns.length > 1)
    each.push(`${tuple(alias, columns)} IN (SELECT ${stageColumns.map((c) => `s.${q(c)}`).join(', ')} FROM ${stage} s WHERE ${where})`);
  return each.join(' AND ');
}

function joinOn(left: string, leftColumns: readonly string[], right: string, rightColumns: readonly string[]): string {
  return leftColumns.map((c, i) => `${left}.${q(c)} = ${right}.${q(rightColumns[i] as string)}`).join(' AND ');
}

export function sinkSql(
  table: string,
  stage: string,
  layout: Layout,
  parents: readonly ParentLink[],
  children: readonly ChildLink[],
  seed: boolean,
): SinkSql {
  const cols = layout.columns;
  const key = layout.keyIndexes.map((i) => (cols[i] as { name: string }).name);
  const nonKey = cols.filter((c) => !c.isKey);
  const soft = layout.softIndex >= 0 ? (cols[layout.softIndex] as { name: string }).name : undefined;
  const names = cols.map((c) => q(c.name)).join(', ');
  const keyList = key.map(q).join(', ');
  const stageCols = [...ENGINE_STAGE_COLUMNS, ...cols.map((c) => `${q(c.name)} ${c.type.sql}`)].join(', ');
  const cascading = parents.filter((p) => p.parentSoft !== undefined);
  // A child written under a deleted parent is deleted: OR in the parents' soft-delete flags.
  const parentJoins = cascading
    .map((p, i) => ` LEFT JOIN ${p.parentTable} p${i} ON ${joinOn(`p${i}`, p.parentColumns, 's', p.childColumns)}`)
    .join('');
  const softFromParents = cascading.map((p, i) => ` OR COALESCE(p${i}.${q(p.parentSoft as string)}, false)`).join('');
  const selected = (value: (name: string, index: number) => string) =>
    cols
      .map((c, i) => (c.name === soft && softFromParents !== '' ? `(${value(c.name, i)}${softFromParents})` : value(c.name, i)))
      .join(', ');
  // The mask (lib/sinks/fold.ts): 0 keeps the stored value; 1 sets it; 2 sets it on a stored row only.
  const masked = (name: string, index: number) =>
    `CASE WHEN substr(s.cdc_mask, ${index + 1}, 1) <> '0' THEN s.${q(name)} ELSE t.${q(name)} END`;
  const insertable = (name: string, index: number) => `CASE WHEN substr(s.cdc_mask, ${index + 1}, 1) = '1' THEN s.${q(name)} END`;
  const conflict =
    nonKey.length === 0 ? 'DO NOTHING' : `DO UPDATE SET ${nonKey.map((c) => `${q(c.name)} = EXCLUDED.${q(c.name)}`).join(', ')}`;
  const keyMatch = joinOn('t', key, 's', key);
  const orderBy = key.map((k) => `s.${q(k)}`).join(', ');

  // The columns a patch may set: seed columns carried by UPDATE or DELETE events, and the soft flag
  // (a Debezium patch is a soft delete and sets nothing else).
  const patchable = cols
    .map((c, i) => ({ c, i }))
    .filter(({ c }) => !c.isKey && (c.name === soft || (seed && (c.declaration?.ops.some((op) => op !== 'create') ?? false))));
  const patchSet = patchable.map(({ c, i }) => `${q(c.name)} = ${masked(c.name, i)}`).join(', ');

  return {
    // Not ON COMMIT DELETE ROWS: that truncates every such table of the session (heap, TOAST table and
    // its index) at every commit, which costs the server more than a small batch does. lib/apply/batch.ts
    // clears the table itself (see StageUse).
    // Analyzed while empty: a table never analyzed is planned as at least 10 pages (850 rows and more),
    // which made hash joins with sequential scans of the sink's tables look cheaper than one index probe
    // per staged row; analyzed, the planner scales its estimate by the table's actual pages.
    createStage: `CREATE TEMP TABLE IF NOT EXISTS ${stage} (${stageCols}); ANALYZE ${stage}`,
    copy: `COPY ${stage} (cdc_row, cdc_kind, cdc_mask, cdc_cascade, ${names}) FROM STDIN`,
    copyBinary: `COPY ${stage} (cdc_row, cdc_kind, cdc_mask, cdc_cascade, ${names}) FROM STDIN (FORMAT binary)`,
    clearStage: `DELETE FROM ${stage}`,
    // TRUNCATE forgets the statistics (back to "never analyzed"): analyze again.
    resetStage: `TRUNCATE ${stage}; ANALYZE ${stage}`,
    deleteStaged: `DELETE FROM ${stage} WHERE cdc_row = ANY($1::int[])`,
    upsert: `INSERT INTO ${table} AS t (${names}) SELECT ${selected((n) => `s.${q(n)}`)} FROM ${stage} s${parentJoins}
      WHERE s.cdc_kind = 'full' ORDER BY ${orderBy} ON CONFLICT (${keyList}) ${conflict}`,
    mergeUpdate:
      nonKey.length === 0
        ? 'SELECT 1'
        : `UPDATE ${table} AS t SET ${nonKey.map((c) => `${q(c.name)} = ${c.name === soft ? `(${masked(c.name, cols.indexOf(c))}${softFromParents})` : masked(c.name, cols.indexOf(c))}`).join(', ')}
      FROM ${stage} s${parentJoins} WHERE s.cdc_kind = 'merge' AND ${keyMatch}`,
    mergeInsert: `INSERT INTO ${table} AS t (${names}) SELECT ${selected(insertable)} FROM ${stage} s${parentJoins}
      WHERE s.cdc_kind = 'merge' ORDER BY ${orderBy} ON CONFLICT (${keyList}) DO NOTHING`,
    patch:
      patchable.length === 0
        ? undefined
        : `UPDATE ${table} AS t SET ${patchSet} FROM ${stage} s WHERE s.cdc_kind = 'patch' AND ${keyMatch}`,
    delete: `DELETE FROM ${table} AS t USING ${stage} s WHERE s.cdc_kind = 'delete' AND ${keyMatch}`,
    // Row deletes, not TRUNCATE: TRUNCATE's ACCESS EXCLUSIVE lock would stall this table's other
    // partitions for the rest of the transaction, and it refuses tables that others reference.
    truncate: `DELETE FROM ${table}`,
    lockCascading:
      children.length === 0 || soft === undefined
        ? undefined
        : `SELECT 1 FROM ${table} t WHERE ${inStaged('t', key, stage, key, 's.cdc_cascade')} ORDER BY ${key.map((k) => `t.${q(k)}`).join(', ')} FOR UPDATE`,
    cascades: children.map((c) => ({
      childTable: c.childTable,
      update: `UPDATE ${c.childTable} AS c SET ${q(c.childSoft)} = true
      WHERE ${inStaged('c', c.childColumns, stage, c.parentColumns, 's.cdc_cascade')} AND c.${q(c.childSoft)} IS DISTINCT FROM true`,
    })),
    relations: parents.map((p) => ({
      parentTable: p.parentTable,
      // One statement: the orphans are exactly the rows whose parent it did not lock. Asking again in a
      // later statement would be racy: a parent committed in between would count as present without
      // being locked, and a concurrent soft delete of it could then slip past our insert.
      // NOT IN, not NOT EXISTS: the planner's estimates of the staging table (from its pages) and of
      // the CTE are often a few rows, and it then chose a nested-loop anti join over the CTE, comparing
      // every staged row with every locked parent (n² per batch); NOT IN over a subquery is a hashed
      // subplan whatever the estimate. Neither side holds NULLs here: the children's are filtered out,
      // and a locked parent's key equals a non-null child value.
      orphans: `WITH locked AS MATERIALIZED (
        SELECT ${p.parentColumns.map((c) => `p.${q(c)}`).join(', ')} FROM ${p.parentTable} p
         WHERE ${tuple('p', p.parentColumns)} IN (SELECT ${p.childColumns.map((c) => `s.${q(c)}`).join(', ')} FROM ${stage} s WHERE s.cdc_kind IN ('full', 'merge'))
         ORDER BY ${p.parentColumns.map((c) => `p.${q(c)}`).join(', ')} FOR KEY SHARE)
      SELECT s.cdc_row FROM ${stage} s WHERE s.cdc_kind IN ('full', 'merge')
        AND ${p.childColumns.map((c) => `s.${q(c)} IS NOT NULL`).join(' AND ')}
        AND (${p.childColumns.map((c) => `s.${q(c)}`).join(', ')}) NOT IN (SELECT ${p.parentColumns.map((c) => `l.${q(c)}`).join(', ')} FROM locked l)`,
    })),
  };
}
