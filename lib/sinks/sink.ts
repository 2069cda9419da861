/**
 * The shape of a sink module. Adding an event type means writing one module of this shape and adding
 * it to `registry.ts`; the worker's transaction, staging COPY, offsets and dead letters are generic.
 */
import type pg from 'pg';
import type { StageColumn } from './copy-text.js';
import type { BaseEvent, DecodeResult } from './types.js';

/** Quoted, schema-qualified names of the tables a sink's SQL may touch. */
export interface SinkTables {
  /** The temporary staging table the worker COPYs this sink's folded rows into. */
  stage: string;
  users: string;
  orders: string;
}

export interface SinkApplyResult {
  /** `full` rows inserted or overwritten. */
  upserted: number;
  /** `patch` rows that found their target row (the rest are UPDATE/DELETE of unknown ids: no-ops). */
  patched: number;
}

export interface StageRow {
  id: string;
  kind: 'full' | 'patch';
  /** Users only: a DELETE happened, the user's orders are to be marked deleted. */
  cascade?: boolean;
}

/** How many staged rows of each kind a batch has: statements with nothing to do are skipped. */
export interface StagedCounts {
  full: number;
  patch: number;
  cascade: number;
}

export interface Sink<E extends BaseEvent = BaseEvent, R extends StageRow = StageRow> {
  /** Registry key and default topic name. */
  readonly name: string;
  /** The target table (unqualified); the worker qualifies it with the configured schema. */
  readonly table: string;
  decode(value: Uint8Array | null): DecodeResult<E>;
  /** Folds one key's events (offset order) into one staging row. */
  fold(events: readonly E[]): R;
  readonly stageColumns: readonly StageColumn[];
  /** One COPY text line, ending in `\n`. */
  encodeRow(row: R): string;
  /**
   * Keys of staged rows that cannot be applied yet because a row they reference is missing (an order
   * whose user has not landed). The worker retries the batch, and dead-letters them after a deadline.
   */
  findOrphans?(client: pg.ClientBase, tables: SinkTables, staged: StagedCounts): Promise<string[]>;
  /** Set-based SQL applying every staged row; runs inside the batch's transaction. */
  apply(client: pg.ClientBase, tables: SinkTables, staged: StagedCounts): Promise<SinkApplyResult>;
}
