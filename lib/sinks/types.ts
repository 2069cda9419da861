/**
 * What a sink is: one event type (topic) loaded into one table. The worker owns the transaction, the
 * staging COPY, offsets and dead letters; a sink owns decoding/validation, per-key folding, the staging
 * row layout and the set-based SQL that applies staged rows to its table.
 */

export type Op = 'CREATE' | 'UPDATE' | 'DELETE';

/**
 * Why an event was dead-lettered. Stored in cdc_dead_letters.error_code; the message beside it says
 * which field and what was wrong.
 */
export const DeadLetterCodes = [
  'EMPTY_VALUE', // null (tombstone) or zero-length value
  'VALUE_TOO_LARGE', // larger than the configured limit; rejected before decoding
  'INVALID_JSON', // not parseable JSON (includes invalid UTF-8)
  'NOT_AN_OBJECT', // JSON, but not an object
  'MISSING_FIELD', // a field the event type requires is absent (or null)
  'WRONG_TYPE', // a field has the wrong JSON type
  'INVALID_ID', // an id that is not a canonical UUID
  'UNKNOWN_EVENT_TYPE', // event_type is not CREATE, UPDATE or DELETE
  'INVALID_TIMESTAMP', // not RFC 3339 with a zone, or an impossible date/time
  'INVALID_DATE', // not YYYY-MM-DD, or an impossible date
  'STRING_TOO_LONG', // longer than its column allows, counted in Unicode code points as Postgres does
  'OUT_OF_RANGE', // a number outside what its column or the data model allows
  'NUL_CHARACTER', // a string holding U+0000, which Postgres text cannot store
  'INVALID_STRING', // a string with an unpaired UTF-16 surrogate (not encodable as UTF-8)
  'ORPHAN_ORDER', // an order whose user never arrived within the orphan wait
  'REJECTED_BY_POSTGRES', // Postgres refused the row for a reason validation missed
] as const;

export type DeadLetterCode = (typeof DeadLetterCodes)[number];

export type DecodeResult<E> = { ok: true; event: E } | { ok: false; code: DeadLetterCode; message: string };

/** Every decoded event has an op and the id that is also its Kafka key. */
export interface BaseEvent {
  op: Op;
  id: string;
}

export interface UserEvent extends BaseEvent {
  /** CREATE, UPDATE. */
  name?: string;
  /** CREATE: `YYYY-MM-DD`. */
  dob?: string;
  /** CREATE: RFC 3339 text as received (validated); Postgres parses it, keeping microseconds. */
  createdAt?: string;
  /** UPDATE, DELETE. */
  modifiedAt?: string;
}

export interface OrderEvent extends BaseEvent {
  /** All ops: PLACED, SHIPPED, CANCELLED in the seed data; at most 10 characters. */
  status: string;
  /** CREATE. */
  userId?: string;
  /** CREATE: integer. */
  quantity?: number;
  /** CREATE: the JSON number's own decimal text (never float arithmetic), normalised to plain notation. */
  totalAmount?: string;
  /** CREATE. */
  placedAt?: string;
  /** UPDATE, DELETE. */
  modifiedAt?: string;
}

/**
 * The result of folding one key's events (in offset order) within a batch.
 * `full`: the batch holds a CREATE, so the row's whole state is known (from the last CREATE on).
 * `patch`: no CREATE; only the fields the UPDATE/DELETE events set, applied to an existing row.
 */
export interface UserStageRow {
  id: string;
  kind: 'full' | 'patch';
  name: string | null;
  dob: string | null;
  createdAt: string | null;
  modifiedAt: string | null;
  isDeleted: boolean;
  /** A DELETE happened: that user's orders are to be marked deleted. */
  cascade: boolean;
}

export interface OrderStageRow {
  id: string;
  kind: 'full' | 'patch';
  status: string;
  userId: string | null;
  quantity: number | null;
  totalAmount: string | null;
  placedAt: string | null;
  modifiedAt: string | null;
  isDeleted: boolean;
}
