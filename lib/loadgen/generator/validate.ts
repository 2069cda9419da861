/**
 * Checks one event body against the wire format: field set and order, types and value forms. Used by
 * the integration tests on what they read back from Kafka, and usable by anyone holding events from
 * another producer.
 */
import { parseRfc3339 } from './timestamps.js';
import { type EntityKind, type EventType, EventTypes, OrderStatusByType, type WireEvent, wireFields } from './types.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;
/** A JSON number in plain notation (what Go writes for order totals in range). */
const PLAIN_NUMBER = /"order_total":(-?\d+(?:\.\d+)?)[,}]/;

export interface ValidEvent {
  entity: EntityKind;
  type: EventType;
  /** user_id or order_id: the key the message must carry. */
  id: string;
  event: WireEvent;
}

/**
 * Parses and checks one event body. Returns the parsed event, or throws an Error that says what is
 * wrong. The entity is recognised by its id field (`order_id` makes it an order event).
 */
export function validateEvent(body: Buffer | string): ValidEvent {
  const text = typeof body === 'string' ? body : body.toString('utf8');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new Error(`not JSON: ${(err as Error).message}`, { cause: err });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not a JSON object');
  const event = parsed as Record<string, unknown>;
  const entity: EntityKind = 'order_id' in event ? 'order' : 'user';
  const type = event.event_type as EventType;
  if (!EventTypes.includes(type)) throw new Error(`event_type ${JSON.stringify(event.event_type)} is not CREATE, UPDATE or DELETE`);
  const expected = wireFields[entity][type];
  const actual = Object.keys(event);
  if (actual.join(',') !== expected.join(',')) {
    throw new Error(`${entity} ${type} has fields [${actual.join(', ')}], expected [${expected.join(', ')}] in that order`);
  }
  const id = (entity === 'user' ? event.user_id : event.order_id) as string;
  const fail = (field: string, what: string): never => {
    throw new Error(`${entity} ${type} ${field} ${JSON.stringify(event[field])} is not ${what}`);
  };
  for (const field of expected) {
    const v = event[field];
    switch (field) {
      case 'user_id':
      case 'order_id':
        if (typeof v !== 'string' || !UUID.test(v)) fail(field, 'a lower-case UUID');
        break;
      case 'name':
        if (typeof v !== 'string' || v.length === 0 || [...v].length > 50) fail(field, 'a string of 1 to 50 characters');
        break;
      case 'dob':
        if (typeof v !== 'string' || !DATE.test(v) || Number.isNaN(Date.parse(`${v}T00:00:00Z`))) fail(field, 'a YYYY-MM-DD date');
        break;
      case 'created_at':
      case 'modified_at':
      case 'placed_at':
        if (typeof v !== 'string' || !parseRfc3339(v)) fail(field, 'an RFC 3339 timestamp');
        break;
      case 'order_status':
        if (v !== OrderStatusByType[type]) fail(field, OrderStatusByType[type]);
        break;
      case 'quantity':
        if (!Number.isInteger(v) || (v as number) < 1 || (v as number) > 100) fail(field, 'an integer from 1 to 100');
        break;
      case 'order_total': {
        // Full precision: the text on the wire must be exactly the shortest round-trip form.
        const raw = PLAIN_NUMBER.exec(text)?.[1];
        if (typeof v !== 'number' || !(v > 0 && v < 1e8) || raw !== String(v)) fail(field, 'a positive number below 1e8 in shortest form');
        break;
      }
    }
  }
  return { entity, type, id, event: event as unknown as WireEvent };
}
