/**
 * The Go pipeline's event wire format as types, and what the generator hands out: one JSON object per
 * Kafka message, keyed by the entity's id, carrying `event_type` and only the fields of that operation
 * (`wireFields`). Field order in these interfaces is the order on the wire; value forms are Go's
 * encoding/json ones (docs/producer.md: How it works).
 */

export const EventTypes = ['CREATE', 'UPDATE', 'DELETE'] as const;
export type EventType = (typeof EventTypes)[number];

export type EntityKind = 'user' | 'order';

export const OrderStatusByType = { CREATE: 'PLACED', UPDATE: 'SHIPPED', DELETE: 'CANCELLED' } as const;
export type OrderStatus = (typeof OrderStatusByType)[EventType];

export interface UserEvent {
  event_type: EventType;
  user_id: string;
  /** CREATE, UPDATE */
  name?: string;
  /** CREATE; `YYYY-MM-DD` */
  dob?: string;
  /** CREATE; RFC 3339 with nanoseconds */
  created_at?: string;
  /** UPDATE, DELETE */
  modified_at?: string;
}

export interface OrderEvent {
  event_type: EventType;
  order_id: string;
  order_status: OrderStatus;
  /** CREATE: the ordering user's id */
  user_id?: string;
  /** CREATE; 1..100 */
  quantity?: number;
  /** CREATE; a float64 written with full precision */
  order_total?: number;
  /** CREATE */
  placed_at?: string;
  /** UPDATE, DELETE */
  modified_at?: string;
}

export type WireEvent = UserEvent | OrderEvent;

/** The wire fields of each event, in wire order; anything not listed is absent. */
export const wireFields = {
  user: {
    CREATE: ['event_type', 'user_id', 'name', 'dob', 'created_at'],
    UPDATE: ['event_type', 'user_id', 'name', 'modified_at'],
    DELETE: ['event_type', 'user_id', 'modified_at'],
  },
  order: {
    CREATE: ['event_type', 'order_id', 'order_status', 'user_id', 'quantity', 'order_total', 'placed_at'],
    UPDATE: ['event_type', 'order_id', 'order_status', 'modified_at'],
    DELETE: ['event_type', 'order_id', 'order_status', 'modified_at'],
  },
} as const satisfies Record<EntityKind, Record<EventType, readonly string[]>>;

/** One generated event, ready to send: the message key is the entity's id. */
export interface GeneratedEvent {
  topic: string;
  /** The entity id (user_id or order_id) as ASCII bytes: the Kafka message key. */
  key: Buffer;
  /** The JSON body, UTF-8. */
  value: Buffer;
  entity: EntityKind;
  type: EventType;
  /** The entity id as a string (made on demand: the hot loop never needs it). */
  readonly id: string;
  /**
   * Where the id sits in the generator's id reservoir, so that state kept per entity (the Debezium
   * encoder's rows) can be bounded exactly as the reservoir is: CREATE and UPDATE give the id's slot (a
   * CREATE into a slot that held another id evicted that id, which is never referred to again); DELETE
   * gives the slot the id left. Absent for events not made by the generator.
   */
  readonly slot?: number;
  /** DELETE: the slot whose id the reservoir moved into `slot` to close the gap (its last one); else -1. */
  readonly movedFrom?: number;
}

/** Topic names by role. */
export interface TopicNames {
  users: string;
  orders: string;
}

/** CREATE/UPDATE/DELETE shares in percent; they sum to 100. */
export interface Mix {
  create: number;
  update: number;
  delete: number;
}
