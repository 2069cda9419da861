/**
 * What a replay does with one partition's dead letters (a pure function, unit-tested): which dead
 * letters go back through the mapping, which later events of their keys go after them, and which are
 * left alone and why.
 *
 * The guarantee: for every key, the final row equals what it would have been had the dead letters been
 * valid when first consumed. The events of a key that followed a dead letter were applied against a
 * state without it, so the dead letter goes first and those events are applied again after it, in
 * offset order: each event sets the columns it carries, so the last event to set a column decides it,
 * as it would have. Events Kafka no longer holds cannot be applied again, so such a key is not
 * replayed unless forced. A truncate after a dead letter wiped whatever it would have written: the dead
 * letter is removed without being applied.
 */
import type { DecodedKey } from '../apply/batch.js';
import type { PackedMessage } from '../worker-protocol.js';

export interface PlannedDeadLetter {
  id: number;
  message: PackedMessage;
  decoded: DecodedKey;
}

export interface PlanInput {
  /** The selected dead letters of the partition, in offset order. */
  deadLetters: PlannedDeadLetter[];
  /** The partition's stored next offset: events below it were consumed. */
  nextOffset: number;
  /** What Kafka holds of [first dead letter + 1, nextOffset), decoded; `low`/`high` are the log's bounds. */
  later: { low: number; high: number; messages: Array<{ message: PackedMessage; decoded: DecodedKey }> };
  /** Offsets of the partition's other dead letters (not selected): never applied, so not applied now. */
  otherDead: ReadonlySet<number>;
  force: boolean;
}

/** What happens to one key, or to one dead letter that has none (it does not decode, or changes no row). */
export interface KeyPlan {
  /** The row key as batches group by, or undefined for a dead letter without one. */
  key: string | undefined;
  deadLetters: Array<{ id: number; offset: number }>;
  /** Offsets of the later events applied again after them. */
  later: number[];
  action: 'replay' | 'skip' | 'remove';
  /** Why it is skipped or removed without being applied, or what is known about a replay (forced past a gap). */
  reason?: string;
  /** Left alone only because Kafka no longer holds its later events: --force would replay it. */
  forceable?: true;
}

export interface ReplayPlan {
  /** The messages to apply in one transaction, in offset order. */
  messages: PackedMessage[];
  /** Dead letters the transaction removes unless they fail again: offset -> id. */
  deadLetters: Map<number, number>;
  keys: KeyPlan[];
  /** Later events that no longer decode with the current mapping: their keys are unknown, so they are not applied again. */
  undecodable: number;
}

/** Why the events after `offset` are not all in Kafka any more, or undefined when they are. */
function missingAfter(offset: number, input: PlanInput): string | undefined {
  const { low, high } = input.later;
  if (offset + 1 >= input.nextOffset) return undefined;
  if (low > offset + 1)
    return `Kafka no longer holds offsets ${offset + 1}..${Math.min(low, input.nextOffset) - 1} (the log starts at ${low}): later events of this key may have been among them`;
  if (high < input.nextOffset)
    return `the log ends at ${high}, below the consumer's stored offset ${input.nextOffset} (the topic was recreated?): later events of this key are not in it`;
  return undefined;
}

export function planReplay(input: PlanInput): ReplayPlan {
  const plan: ReplayPlan = { messages: [], deadLetters: new Map(), keys: [], undecodable: 0 };
  const selected = new Set(input.deadLetters.map((d) => d.message.offset));
  // The last truncate the consumer applied after the first dead letter: everything before it is gone.
  let truncatedAt = -1;
  for (const { message, decoded } of input.later.messages) {
    if (decoded.kind === 'truncate' && !input.otherDead.has(message.offset) && !selected.has(message.offset))
      truncatedAt = Math.max(truncatedAt, message.offset);
  }
  const byKey = new Map<string, KeyPlan & { first: number }>();
  for (const dead of input.deadLetters) {
    const { offset } = dead.message;
    const entry = { id: dead.id, offset };
    if (offset < truncatedAt) {
      plan.keys.push({
        key: dead.decoded.kind === 'row' ? dead.decoded.key : undefined,
        deadLetters: [entry],
        later: [],
        action: 'remove',
        reason: `a truncate at offset ${truncatedAt} emptied the table after it`,
      });
      plan.deadLetters.set(offset, dead.id);
      continue;
    }
    if (dead.decoded.kind === 'truncate') {
      plan.keys.push({
        key: undefined,
        deadLetters: [entry],
        later: [],
        action: 'skip',
        reason: 'a truncate is not replayed: applied now it would delete the rows written after it (purge it, or reload the table)',
      });
      continue;
    }
    if (dead.decoded.kind !== 'row') {
      // It fails again with its new error, or changes nothing and goes: no key, no later events.
      plan.keys.push({ key: undefined, deadLetters: [entry], later: [], action: 'replay' });
      plan.messages.push(dead.message);
      plan.deadLetters.set(offset, dead.id);
      continue;
    }
    const known = byKey.get(dead.decoded.key);
    if (known) known.deadLetters.push(entry);
    else byKey.set(dead.decoded.key, { key: dead.decoded.key, deadLetters: [entry], later: [], action: 'replay', first: offset });
  }
  for (const keyPlan of byKey.values()) {
    const missing = missingAfter(keyPlan.first, input);
    if (missing !== undefined) {
      keyPlan.reason = input.force ? `forced: ${missing}` : missing;
      if (!input.force) {
        keyPlan.action = 'skip';
        keyPlan.forceable = true;
      }
    }
  }
  for (const { message, decoded } of input.later.messages) {
    if (selected.has(message.offset) || input.otherDead.has(message.offset) || message.offset >= input.nextOffset) continue;
    if (decoded.kind === 'invalid') {
      plan.undecodable++;
      continue;
    }
    if (decoded.kind !== 'row') continue;
    const keyPlan = byKey.get(decoded.key);
    if (keyPlan && keyPlan.action === 'replay' && message.offset > keyPlan.first) {
      keyPlan.later.push(message.offset);
      plan.messages.push(message);
    }
  }
  for (const dead of input.deadLetters) {
    if (dead.decoded.kind !== 'row' || dead.message.offset < truncatedAt) continue;
    if (byKey.get(dead.decoded.key)?.action !== 'replay') continue;
    plan.messages.push(dead.message);
    plan.deadLetters.set(dead.message.offset, dead.id);
  }
  plan.messages.sort((a, b) => a.offset - b.offset);
  for (const { first: _first, ...keyPlan } of byKey.values()) plan.keys.push(keyPlan);
  return plan;
}
