/**
 * Per-key folding: a batch's events grouped by key, each key's events (in offset order) collapsed into
 * one staged row whose application equals applying each event in turn. The same rules hold for every
 * format; the formats only differ in which row operations their events become.
 */
import type { RowEvent, Value } from './types.js';

/**
 * `full`: the whole row is known (an upsert, then whatever followed). `merge`: an upsert some of whose
 * columns are unknown (Debezium's unavailable-value placeholder) and keep the stored value. `patch`: only
 * the `set` columns change, on an existing row. `delete`: the row is removed.
 */
export type StagedKind = 'full' | 'merge' | 'patch' | 'delete';

export interface StagedRow {
  kind: StagedKind;
  values: Value[];
  /**
   * For merge and patch, per column: 1 sets it, 0 keeps the stored value, and (merge only) 2 sets it on a
   * stored row but leaves it NULL on a new one: a patch earlier in the batch gave it that value, which
   * only took effect if the row existed.
   */
  set: Uint8Array | undefined;
  /** A soft delete happened among the events: the row's children are to be marked deleted. */
  cascade: boolean;
}

/** Groups events by key, keys in order of first appearance, each group in the order given. */
export function groupByKey<E extends { key: string }>(events: Iterable<E>): Map<string, E[]> {
  const groups = new Map<string, E[]>();
  for (const event of events) {
    const group = groups.get(event.key);
    if (group === undefined) groups.set(event.key, [event]);
    else group.push(event);
  }
  return groups;
}

function allSet(set: Uint8Array): boolean {
  for (let i = 0; i < set.length; i++) if (set[i] !== 1) return false;
  return true;
}

/**
 * Folds one key's events. An upsert replaces what came before, except that a column it does not know
 * keeps the value an earlier event of the batch gave it, and a cascade stays: a soft delete's marks on
 * the children are permanent, even when the row is re-created later in the batch. A patch changes its
 * columns on whatever came before (a patch never clears the soft-delete flag: its events only set it).
 * A hard delete discards what came before; a patch after it is a no-op, as on a missing row.
 */
export function foldKey(events: readonly RowEvent[]): StagedRow {
  if (events.length === 0) throw new RangeError('cannot fold an empty list of events');
  // Most keys have one event in a batch: its arrays become the row's as they are (nothing writes to a
  // one-event row, and the event stays unchanged for a re-fold when a batch is isolated).
  if (events.length === 1) {
    const e = events[0] as RowEvent;
    if (e.op === 'upsert') return { kind: e.set === undefined ? 'full' : 'merge', values: e.values, set: e.set, cascade: e.cascades };
    if (e.op === 'patch') return { kind: 'patch', values: e.values, set: e.set, cascade: e.cascades };
    if (e.op === 'delete') return { kind: 'delete', values: e.values, set: undefined, cascade: false };
  }
  let row: StagedRow | undefined;
  for (const e of events) {
    if (e.op === 'upsert') {
      const prev = row;
      const values = e.values.slice();
      let set = e.set === undefined ? undefined : e.set.slice();
      // After a delete in the batch the row is certainly new: an unknown column is NULL, the row full.
      if (set !== undefined && prev?.kind === 'delete') set = undefined;
      if (set !== undefined && prev !== undefined) {
        for (let i = 0; i < set.length; i++) {
          if (set[i] !== 0) continue;
          const had = prev.set === undefined ? 1 : (prev.set[i] as number);
          if (had === 0) continue;
          values[i] = prev.values[i] as Value;
          // From a full row the value is certain; from a patch (or a merge's 2) only if the row existed.
          set[i] = prev.kind === 'full' || (prev.kind === 'merge' && had === 1) ? 1 : 2;
        }
      }
      if (set !== undefined && allSet(set)) set = undefined;
      row = { kind: set === undefined ? 'full' : 'merge', values, set, cascade: (prev?.cascade ?? false) || e.cascades };
    } else if (e.op === 'patch') {
      if (row === undefined) {
        row = { kind: 'patch', values: e.values.slice(), set: (e.set as Uint8Array).slice(), cascade: e.cascades };
        continue;
      }
      if (row.kind === 'delete') continue;
      const set = e.set as Uint8Array;
      for (let i = 0; i < set.length; i++) {
        if (set[i] === 1) {
          row.values[i] = e.values[i] as Value;
          if (row.set !== undefined) row.set[i] = 1;
        }
      }
      if (row.kind === 'merge' && allSet(row.set as Uint8Array)) {
        row.kind = 'full';
        row.set = undefined;
      }
      if (e.cascades) row.cascade = true;
    } else if (e.op === 'delete') {
      row = { kind: 'delete', values: e.values.slice(), set: undefined, cascade: row?.cascade ?? false };
    }
  }
  return row as StagedRow;
}
