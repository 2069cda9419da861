/**
 * What a decoded event is, whatever its wire format: a row operation on one key of one table, with the
 * values of the sink's columns already validated and in their COPY text forms. See lib/sinks/sink.ts for
 * the compiled sink that produces and applies them.
 */

/**
 * Why the engine dead-lettered an event. Stored in cdc_dead_letters.error_code; the message beside it
 * says which field and what was wrong. A mapping may add one code of its own per reference, for the
 * children whose parent never arrived (`orphan-code`, see lib/sinks/mapping.ts): this list does not
 * hold those, so the engine names no table of any mapping.
 */
export const DeadLetterCodes = [
  'EMPTY_VALUE', // null (tombstone) or zero-length value
  'VALUE_TOO_LARGE', // larger than the configured limit; rejected before decoding
  'INVALID_JSON', // not parseable JSON (includes invalid UTF-8)
  'NOT_AN_OBJECT', // JSON, but not an object
  'MISSING_FIELD', // a field the event type requires is absent (or null)
  'WRONG_TYPE', // a field has the wrong JSON type
  'INVALID_ID', // a uuid field that is not a canonical UUID
  'UNKNOWN_EVENT_TYPE', // the event's operation field (the format's event_type or op) names no operation the format has
  'INVALID_TIMESTAMP', // not RFC 3339 with a zone, or an impossible date/time
  'INVALID_DATE', // not YYYY-MM-DD, or an impossible date
  'STRING_TOO_LONG', // longer than its column allows, counted in Unicode code points as Postgres does
  'OUT_OF_RANGE', // a number outside what its column or the data model allows
  'NUL_CHARACTER', // a string holding U+0000, which Postgres text cannot store
  'INVALID_STRING', // a string with an unpaired UTF-16 surrogate (not encodable as UTF-8)
  'MISSING_PARENT', // a row whose parent row (a declared reference) never arrived within the orphan wait; a mapping may choose another code
  'REJECTED_BY_POSTGRES', // Postgres refused the row for a reason validation missed
  'DECODER_FAILED', // the decoder threw on this value (a bug): dead-lettered so its partition goes on
  'MISSING_SCHEMA', // a sink whose columns come from the events' schemas got a value without JsonConverter's schema envelope
  'SCHEMA_CHANGE', // the event's schema gives a column a type its table's column cannot hold (text where the column is integer)
  'MISSING_KEY', // the message has no key, and the sink declares none to take from the row
  'UNSUPPORTED_TYPE', // the event's schema has a field of a type cdc-pipeline does not load
  'INVALID_AVRO', // not a message in the Confluent wire format (first byte not 0, shorter than its header), or an Avro body its schema cannot read
  'UNKNOWN_SCHEMA_ID', // the message's schema id is not in the schema registry
] as const;

export type DeadLetterCode = (typeof DeadLetterCodes)[number];

export type DecodeResult<E> = { ok: true; event: E } | { ok: false; code: DeadLetterCode; message: string };

/** A value ready for COPY text: strings are escaped when written, numbers and booleans are not. */
export type Value = string | number | boolean | null;

/**
 * One event as a row operation. `upsert` writes the whole row (seed CREATE, Debezium c/r/u); `patch`
 * changes only the columns `set` marks on an existing row (seed UPDATE, a soft delete); `delete` removes
 * the row; `truncate` empties the table; `skip` is an event that changes nothing (a tombstone, a Debezium
 * `m` message or a truncate the sink ignores): counted, not dead-lettered.
 */
export interface RowEvent {
  op: 'upsert' | 'patch' | 'delete' | 'truncate' | 'skip';
  /** The row's key columns' values joined; events of one key fold together. */
  key: string;
  /** One per staged column (lib/sinks/layout.ts); a patch's unset columns are null. */
  values: Value[];
  /**
   * Which columns the event sets (1) or leaves as they are (0): a patch's own columns, or an upsert's
   * columns other than Debezium's unavailable-value placeholders. undefined: all of them.
   */
  set: Uint8Array | undefined;
  /** The event sets the soft-delete column to true: children of this row are to be marked deleted. */
  cascades: boolean;
  /** What a skip was, for the counters. */
  skipped?: 'tombstone' | 'message' | 'truncate';
}
