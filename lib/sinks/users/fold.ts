/**
 * Folds one user's events (in offset order) into one staging row whose application equals applying
 * each event in turn: CREATE upserts the whole row (modified_at = created_at, not deleted); UPDATE sets
 * name and modified_at; DELETE sets is_deleted and modified_at, and cascades to the user's orders.
 */
import { assertNotEmpty, lastCreateIndex } from '../fold.js';
import type { UserEvent, UserStageRow } from '../types.js';

/**
 * With a CREATE in the sequence the row is `full`: the last CREATE's state with the later events
 * applied (events before it are overwritten by the upsert). Without one it is a `patch`: name from the
 * last UPDATE (null: keep), modifiedAt from the last event, isDeleted when any DELETE (a patch never
 * un-deletes). `cascade` is set when any DELETE occurs, even one a later CREATE overwrote: the orders
 * it marked deleted stay deleted.
 */
export function foldUsers(events: readonly UserEvent[]): UserStageRow {
  assertNotEmpty(events);
  const from = lastCreateIndex(events);
  let cascade = false;
  for (let i = 0; i < from; i++) if (events[i].op === 'DELETE') cascade = true;
  let row: UserStageRow;
  if (from >= 0) {
    const create = events[from];
    row = {
      id: create.id,
      kind: 'full',
      name: create.name ?? null,
      dob: create.dob ?? null,
      createdAt: create.createdAt ?? null,
      modifiedAt: create.createdAt ?? null,
      isDeleted: false,
      cascade,
    };
  } else {
    row = { id: events[0].id, kind: 'patch', name: null, dob: null, createdAt: null, modifiedAt: null, isDeleted: false, cascade };
  }
  for (let i = from + 1; i < events.length; i++) {
    const event = events[i];
    if (event.op === 'UPDATE') {
      row.name = event.name ?? null;
    } else if (event.op === 'DELETE') {
      row.isDeleted = true;
      row.cascade = true;
    }
    row.modifiedAt = event.modifiedAt ?? null;
  }
  return row;
}
