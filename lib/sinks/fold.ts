/**
 * Per-key folding, shared part: a batch's decoded events grouped by entity id, each group in the
 * batch's (offset) order, so a sink's fold can collapse one key's events into one staging row.
 */
import type { BaseEvent } from './types.js';

/** Groups events by id, keys in order of first appearance, each group in the order given. */
export function groupByKey<E extends BaseEvent>(events: Iterable<E>): Map<string, E[]> {
  const groups = new Map<string, E[]>();
  for (const event of events) {
    const group = groups.get(event.id);
    if (group === undefined) groups.set(event.id, [event]);
    else group.push(event);
  }
  return groups;
}

/** Index of the last CREATE, or -1: from there on, a key's whole state is known. */
export function lastCreateIndex(events: readonly BaseEvent[]): number {
  for (let i = events.length - 1; i >= 0; i--) if (events[i].op === 'CREATE') return i;
  return -1;
}

export function assertNotEmpty(events: readonly BaseEvent[]): void {
  if (events.length === 0) throw new RangeError('cannot fold an empty list of events');
}
