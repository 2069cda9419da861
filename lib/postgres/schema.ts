/**
 * Applies the schema idempotently: one transaction, under an advisory lock, so processes that start
 * together cannot race (the second waits, then finds everything applied).
 */
import type pg from 'pg';
import { CdcError } from '../errors.js';
import { isRetryableState, sqlState } from './errors.js';
import { quoteIdent } from './identifiers.js';
import { migrations as allMigrations, type Migration } from './migrations.js';

/** Arbitrary but fixed: the advisory lock key space shared by every cdc-pipeline process. */
const SCHEMA_LOCK_NAMESPACE = 'cdc-pipeline:schema';

export interface ApplySchemaResult {
  schema: string;
  /** Versions applied by this call (empty when the schema was already current). */
  applied: number[];
  version: number;
}

export async function applySchema(
  client: pg.ClientBase,
  schema = 'public',
  migrations: readonly Migration[] = allMigrations,
): Promise<ApplySchemaResult> {
  const s = quoteIdent(schema);
  await client.query('BEGIN');
  try {
    // Serialise on the schema name, so two schemas in one database migrate independently.
    await client.query('SELECT pg_advisory_xact_lock(hashtext($1), hashtext($2))', [SCHEMA_LOCK_NAMESPACE, schema]);
    // CREATE SCHEMA IF NOT EXISTS needs the CREATE privilege on the database even when the schema
    // exists; a role that only owns its schema must still be able to start.
    const { rowCount } = await client.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema]);
    if (rowCount === 0) await client.query(`CREATE SCHEMA ${s}`);
    await client.query(`SET LOCAL search_path TO ${s}`);
    await client.query(
      `CREATE TABLE IF NOT EXISTS cdc_schema_version (
         version int PRIMARY KEY,
         name text NOT NULL,
         applied_at timestamptz NOT NULL DEFAULT now()
       )`,
    );
    const { rows } = await client.query<{ v: number | null }>('SELECT max(version) AS v FROM cdc_schema_version');
    const current = rows[0]?.v ?? 0;
    const latest = migrations.at(-1)?.version ?? 0;
    if (current > latest) {
      throw new CdcError(
        'ERR_CDC_SCHEMA',
        `schema ${s} is at version ${current}, newer than this cdc-pipeline knows (${latest}); upgrade cdc-pipeline or use another --db-schema`,
      );
    }
    const applied: number[] = [];
    for (const m of migrations) {
      if (m.version <= current) continue;
      await client.query(m.sql);
      await client.query('INSERT INTO cdc_schema_version (version, name) VALUES ($1, $2)', [m.version, m.name]);
      applied.push(m.version);
    }
    await client.query('COMMIT');
    return { schema, applied, version: Math.max(current, latest) };
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    if (err instanceof CdcError) throw err;
    const e = err as Error & { code?: string };
    // A lost connection (no SQLSTATE: node-postgres' own errors, or a socket's ECONNRESET or a
    // keepalive's ETIMEDOUT) or one of our session limits firing (waiting for another process's
    // migration past lock_timeout, say) is worth retrying; a statement Postgres refused is not.
    const state = sqlState(err);
    throw new CdcError('ERR_CDC_SCHEMA', `could not apply the schema to ${s}: ${e.message}${state ? ` (SQLSTATE ${state})` : ''}`, {
      cause: err,
      canRetry: state === undefined || isRetryableState(err),
    });
  }
}
