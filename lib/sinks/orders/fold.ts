/**
 * Folds one order's events (in offset order) into one staging row whose application equals applying
 * each event in turn: CREATE inserts the whole row (modified_at = placed_at, not deleted; the apply SQL
 * ORs in "user already deleted"); UPDATE sets status and modified_at; DELETE sets status, modified_at
 * and is_deleted.
 */
import { assertNotEmpty, lastCreateIndex } from '../fold.js';
import type { OrderEvent, OrderStageRow } from '../types.js';

/**
 * With a CREATE in the sequence the row is `full`: the last CREATE's state with the later events
 * applied. Without one it is a `patch`: status and modifiedAt from the last event, isDeleted when any
 * DELETE (a patch never un-deletes), the CREATE-only fields null.
 */
export function foldOrders(events: readonly OrderEvent[]): OrderStageRow {
  assertNotEmpty(events);
  const from = lastCreateIndex(events);
  let row: OrderStageRow;
  if (from >= 0) {
    const create = events[from];
    row = {
      id: create.id,
      kind: 'full',
      status: create.status,
      userId: create.userId ?? null,
      quantity: create.quantity ?? null,
      totalAmount: create.totalAmount ?? null,
      placedAt: create.placedAt ?? null,
      modifiedAt: create.placedAt ?? null,
      isDeleted: false,
    };
  } else {
    row = {
      id: events[0].id,
      kind: 'patch',
      status: events[0].status,
      userId: null,
      quantity: null,
      totalAmount: null,
      placedAt: null,
      modifiedAt: null,
      isDeleted: false,
    };
  }
  for (let i = from + 1; i < events.length; i++) {
    const event = events[i];
    if (event.op === 'DELETE') row.isDeleted = true;
    row.status = event.status;
    row.modifiedAt = event.modifiedAt ?? null;
  }
  return row;
}
