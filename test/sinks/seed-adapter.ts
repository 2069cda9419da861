/**
 * The shipped seed mapping, compiled, seen through the event and staged-row shapes the hand-written
 * users and orders sinks had before the mapping replaced them. The decode and fold tests written against
 * those sinks run unchanged through this view, so they prove the compiled sinks behave the same.
 */
import { type StagedRow, foldKey } from '../../lib/sinks/fold.js';
import { shippedMapping } from '../../lib/sinks/mapping.js';
import { compileMapping, type Sink } from '../../lib/sinks/sink.js';
import type { SeedEventType as Op } from '../../lib/sinks/formats/seed.js';
import type { DecodeResult, RowEvent, Value } from '../../lib/sinks/types.js';

const sinks = compileMapping(shippedMapping('seed'), 'public');
export const usersSink = sinks.find((s) => s.name === 'users') as Sink;
export const ordersSink = sinks.find((s) => s.name === 'orders') as Sink;

/** The old event field names: `created_at` -> `createdAt`, and the few the old types renamed. */
const FIELD_NAMES: Record<string, string> = { total_amount: 'totalAmount' };
const camel = (column: string) => FIELD_NAMES[column] ?? column.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

export type SeedView = { op: Op; id: string } & Record<string, Value>;

function opOf(event: RowEvent): Op {
  if (event.op === 'upsert') return 'CREATE';
  return event.cascades ? 'DELETE' : 'UPDATE';
}

/** An event as the old sinks gave it: op, id, and the fields its op carries, by their old names. */
export function view(sink: Sink, event: RowEvent): SeedView {
  const op = opOf(event);
  const lower = op.toLowerCase() as 'create' | 'update' | 'delete';
  const out: Record<string, Value> = { op };
  sink.layout.columns.forEach((c, i) => {
    if (c.declaration && (c.isKey || c.declaration.ops.includes(lower))) out[camel(c.name)] = event.values[i] as Value;
  });
  return out as SeedView;
}

function decoder(sink: Sink) {
  return (value: Uint8Array | null): DecodeResult<SeedView> => {
    const result = sink.decode(null, value);
    return result.ok ? { ok: true, event: view(sink, result.event) } : result;
  };
}

export const decodeUser = decoder(usersSink);
export const decodeOrder = decoder(ordersSink);

/** The reverse of `view`: an old-shaped event as the compiled sink's row event. */
export function rowEvent(sink: Sink, event: SeedView): RowEvent {
  const n = sink.layout.columns.length;
  const values: Value[] = new Array(n).fill(null);
  const lower = event.op.toLowerCase() as 'create' | 'update' | 'delete';
  const set = new Uint8Array(n);
  sink.layout.columns.forEach((c, i) => {
    if (c.declaration && (c.isKey || c.declaration.ops.includes(lower))) {
      values[i] = (event[camel(c.name)] as Value | undefined) ?? null;
      set[i] = 1;
    }
  });
  const soft = sink.layout.softIndex;
  if (event.op === 'CREATE') {
    sink.layout.columns.forEach((c, i) => {
      const from = c.declaration?.onCreate;
      if (from !== undefined) values[i] = values[sink.layout.columns.findIndex((x) => x.name === from)] as Value;
    });
    values[soft] = false;
    return { op: 'upsert', key: event.id, values, set: undefined, cascades: false };
  }
  if (event.op === 'DELETE') {
    values[soft] = true;
    set[soft] = 1;
  }
  return { op: 'patch', key: event.id, values, set, cascades: event.op === 'DELETE' };
}

/** A staged row as the old sinks' stage rows: every column by its old name, plus kind, isDeleted, cascade. */
export function stageView(sink: Sink, row: StagedRow): Record<string, Value> {
  const out: Record<string, Value> = {};
  sink.layout.columns.forEach((c, i) => {
    if (i === sink.layout.softIndex) out.isDeleted = row.values[i] === true;
    else out[camel(c.name)] = (row.values[i] as Value) ?? null;
  });
  // Only the users rows had a cascade flag: only a parent whose deletes cascade has one.
  return sink.sql.lockCascading === undefined ? { ...out, kind: row.kind } : { ...out, kind: row.kind, cascade: row.cascade };
}

/** The old foldUsers/foldOrders: old-shaped events in, old-shaped stage row out. */
export function folder(sink: Sink) {
  return (events: readonly SeedView[]) => stageView(sink, foldKey(events.map((e) => rowEvent(sink, e))));
}
