/**
 * Worker thread: keeps the planner's statistics of young sink tables current.
 *
 * The batch statements are named (planned once per connection) and join the staging table with the
 * sink's tables. A table without statistics (created by the engine, or just emptied and refilled) is
 * planned with default guesses: with no distinct count for a reference column, each staged parent
 * seemed to match a fixed fraction of the child table, so the cascade planned a hash join over a
 * sequential scan of all the children, per batch, growing with the table. Autovacuum's ANALYZE fixes
 * that (it invalidates the cached plans in every session), but only after 10% of the table changed and
 * at its next round (a minute by default): for a table filled from nothing, hash joins over such
 * scans would take a large share of Postgres' CPU until then.
 *
 * So once this thread has written three times as many rows into a sink's table as the table held at
 * its last ANALYZE (at least MIN_ROWS), it analyzes the table's join columns itself, off the batch's
 * transaction and without waiting for a concurrent ANALYZE (SKIP_LOCKED). For a table much larger than
 * what the engine writes, that is never; for a table growing from nothing, a few times while it is
 * young (about 1k, 4k, 16k... rows).
 */
import type pg from 'pg';
import { quoteIdent } from '../postgres/identifiers.js';
import type { Sink } from '../sinks/sink.js';

const MIN_ROWS = 1024;
/**
 * Analyze again once the table may have grown this many times over. ANALYZE is not free: of every
 * column at each doubling it was a measurable share of the server's CPU, hence only the join columns
 * and only at each quadrupling.
 */
const GROWTH = 4;

/** Counts this thread's ANALYZEs: each one invalidated the cached plans (batch.ts resets its stages). */
let generation = 0;

export function statisticsGeneration(): number {
  return generation;
}

interface TableState {
  written: number;
  /** Rows written at which to analyze next; undefined until the table's size has been read. */
  analyzeAt: number | undefined;
  running: boolean;
}

/**
 * The columns the batch statements join on: the key (upserts, patches, a parent's lock) and the
 * references to parents (the orphan check; a parent's cascade joins its children on them). Only these,
 * to keep each ANALYZE short; autovacuum's own analyzes the rest.
 */
function analyzedColumns(sink: Sink): string {
  const names = new Set([...sink.declaration.key, ...sink.parents.flatMap((p) => p.childColumns)]);
  return [...names].map(quoteIdent).join(', ');
}

export class YoungTableStats {
  readonly #pool: pg.Pool;
  readonly #tables = new Map<string, TableState>();

  constructor(pool: pg.Pool) {
    this.#pool = pool;
  }

  /** After a batch of `sink` committed, having written `rows` rows (inserted or updated). */
  written(sink: Sink, rows: number): void {
    let state = this.#tables.get(sink.table);
    if (!state) {
      state = { written: 0, analyzeAt: undefined, running: false };
      this.#tables.set(sink.table, state);
    }
    state.written += rows;
    if (state.running || (state.analyzeAt !== undefined && state.written < state.analyzeAt)) return;
    state.running = true;
    void this.#refresh(sink.table, analyzedColumns(sink), state, state.analyzeAt !== undefined).finally(() => {
      state.running = false;
    });
  }

  /** Reads the table's size (analyzing it first when due) and sets the next threshold. */
  async #refresh(table: string, columns: string, state: TableState, analyze: boolean): Promise<void> {
    let client: pg.PoolClient | undefined;
    let broken: Error | undefined;
    // An idle pool client has the pool's error listener; a checked-out one needs its own, or a server
    // ending the session would be an unhandled 'error' event that takes the thread down.
    const onError = (err: Error) => {
      broken = err;
    };
    try {
      client = await this.#pool.connect();
      client.on('error', onError);
      if (analyze) {
        await client.query(`ANALYZE (SKIP_LOCKED) ${table} (${columns})`);
        generation++;
      }
      const { rows } = await client.query<{ n: number }>('SELECT reltuples::float8 AS n FROM pg_class WHERE oid = $1::regclass', [table]);
      // reltuples is -1 for a table never analyzed: analyze it once MIN_ROWS are written.
      state.analyzeAt = state.written + Math.max(MIN_ROWS, (GROWTH - 1) * (rows[0]?.n ?? 0));
    } catch (err) {
      // Statistics are an optimisation: a failure here (Postgres restarting, the table dropped) must not
      // disturb the batches, which report such problems themselves. Try again after MIN_ROWS more rows.
      state.analyzeAt = state.written + MIN_ROWS;
      // Without a SQLSTATE the connection itself failed: do not hand it back to the pool.
      if ((err as { code?: unknown }).code === undefined) broken ??= err as Error;
    } finally {
      client?.off('error', onError);
      client?.release(broken);
    }
  }
}
