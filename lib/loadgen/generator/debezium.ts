/**
 * cdc-produce's Debezium output: each generated seed event as Debezium's PostgreSQL connector (2.7,
 * default settings) would have captured the change it made to the Go pipeline's `users` and `orders`
 * tables, written as Kafka Connect's JsonConverter writes it: with `schemas` the
 * `{"schema": ..., "payload": ...}` form of `schemas.enable=true`, without it the payload alone.
 *
 * A seed UPDATE or DELETE carries only the columns it changes, but Debezium sends the whole row, so the
 * encoder keeps the row of every id that can still change and applies each event to it with the Go
 * consumer's semantics (see expected-tables.ts). The Go tables soft-delete, so a DELETE is an update (`op: "u"`)
 * that sets `is_deleted`; their soft-delete trigger also marks the user's orders, which shows in the
 * `is_deleted` of those orders' later changes. The trigger's own order updates are not written: the
 * consumer's mapping cascades the user's delete itself (`cascade-delete`), and orders the encoder no
 * longer tracks could not be covered anyway. An UPDATE or DELETE of an id with no row changed nothing
 * in the table, so nothing was captured: `encode` returns undefined and counts it in `skipped`.
 *
 * Memory stays bounded like the generator's id reservoir: rows are kept only for ids in the reservoir,
 * found through the reservoir slots the generator puts on each event, because an id that leaves it
 * (evicted by a newer CREATE, or deleted) is never referred to again.
 *
 * Column encodings (Debezium's defaults for these Postgres types): uuid as a string
 * (io.debezium.data.Uuid); varchar as a string; date as int32 days since 1970-01-01
 * (io.debezium.time.Date); timestamptz as an ISO-8601 UTC string (io.debezium.time.ZonedTimestamp)
 * with as many fraction digits as the column's precision, 6 for a plain timestamptz (Debezium 2.2 and
 * later), which is exactly the model's timestamp form; numeric(10,2) as the base64 of the big-endian
 * two's-complement unscaled value (org.apache.kafka.connect.data.Decimal, scale 2); integer as int32;
 * boolean as boolean.
 */
import { roundDecimal } from './expected-tables.js';
import { nanosToMicros, parseRfc3339, toModelTimestamp } from './timestamps.js';
import type { GeneratedEvent, OrderEvent, TopicNames, UserEvent } from './types.js';

export interface DebeziumEncoderOptions {
  /** JsonConverter `schemas.enable`: key and value as `{"schema": ..., "payload": ...}`. Default false. */
  schemas?: boolean;
  /** Topic names, which name the key, value and envelope schemas (`users.Key`...). Default users, orders. */
  topics?: Partial<TopicNames>;
  /** The connector's clock (epoch ms) for the envelope's `ts_ms`, when it handled the change. Default Date.now. */
  now?: () => number;
}

export type DebeziumOp = 'c' | 'u';

/** One message to send: the event's topic, the JsonConverter key and value. */
export interface DebeziumMessage {
  topic: string;
  key: Buffer;
  value: Buffer;
  op: DebeziumOp;
}

/** Debezium's `source` block constants, as a connector named `cdc` on database `cdc` writes them. */
export const debeziumSource = {
  version: '2.7.0.Final',
  connector: 'postgresql',
  name: 'cdc',
  db: 'cdc',
  schema: 'public',
  tables: { users: 'users', orders: 'orders' },
} as const;

// ---------------------------------------------------------------------------------------------
// Schemas, in JsonConverter's key order: type, fields, optional, name, version, parameters, default,
// then the field name.

type JsonSchema = Record<string, unknown>;

const field = (name: string, schema: JsonSchema): JsonSchema => ({ ...schema, field: name });
const UUID: JsonSchema = { type: 'string', optional: false, name: 'io.debezium.data.Uuid', version: 1 };
const STRING: JsonSchema = { type: 'string', optional: false };
const INT32: JsonSchema = { type: 'int32', optional: false };
const DATE: JsonSchema = { type: 'int32', optional: false, name: 'io.debezium.time.Date', version: 1 };
// The columns are nullable with DEFAULT CURRENT_TIMESTAMP / FALSE; Debezium turns a function default
// into the type's zero value.
const ZONED_DEFAULTED: JsonSchema = {
  type: 'string',
  optional: true,
  name: 'io.debezium.time.ZonedTimestamp',
  version: 1,
  default: '1970-01-01T00:00:00.000000Z',
};
const BOOLEAN_DEFAULT_FALSE: JsonSchema = { type: 'boolean', optional: true, default: false };
const DECIMAL_10_2: JsonSchema = {
  type: 'bytes',
  optional: false,
  name: 'org.apache.kafka.connect.data.Decimal',
  version: 1,
  parameters: { scale: '2', 'connect.decimal.precision': '10' },
};

const userColumns = [
  field('id', UUID),
  field('name', STRING),
  field('dob', DATE),
  field('created_at', ZONED_DEFAULTED),
  field('modified_at', ZONED_DEFAULTED),
  field('is_deleted', BOOLEAN_DEFAULT_FALSE),
];

const orderColumns = [
  field('id', UUID),
  field('status', STRING),
  field('user_id', UUID),
  field('quantity', INT32),
  field('total_amount', DECIMAL_10_2),
  field('placed_at', ZONED_DEFAULTED),
  field('modified_at', ZONED_DEFAULTED),
  field('is_deleted', BOOLEAN_DEFAULT_FALSE),
];

const int64 = (name: string, optional: boolean): JsonSchema => field(name, { type: 'int64', optional });

const SOURCE_SCHEMA: JsonSchema = field('source', {
  type: 'struct',
  fields: [
    field('version', STRING),
    field('connector', STRING),
    field('name', STRING),
    int64('ts_ms', false),
    field('snapshot', {
      type: 'string',
      optional: true,
      name: 'io.debezium.data.Enum',
      version: 1,
      parameters: { allowed: 'true,last,false,incremental' },
      default: 'false',
    }),
    field('db', STRING),
    field('sequence', { type: 'string', optional: true }),
    int64('ts_us', true),
    int64('ts_ns', true),
    field('schema', STRING),
    field('table', STRING),
    int64('txId', true),
    int64('lsn', true),
    int64('xmin', true),
  ],
  optional: false,
  name: 'io.debezium.connector.postgresql.Source',
});

const TRANSACTION_SCHEMA: JsonSchema = field('transaction', {
  type: 'struct',
  fields: [field('id', STRING), int64('total_order', false), int64('data_collection_order', false)],
  optional: true,
  name: 'event.block',
  version: 1,
});

/**
 * The schema names' prefix for a topic, as Debezium's `schema.name.adjustment.mode=avro` makes it: each
 * dot-separated part keeps letters, digits and `_` (anything else becomes `_`) and does not start with
 * a digit, so that the AvroConverter takes it (a topic such as `demo-1-users` would be refused).
 */
export function schemaNamePrefix(topic: string): string {
  return topic
    .split('.')
    .map((part) => part.replace(/[^A-Za-z0-9_]/g, '_').replace(/^(?=[0-9])|^$/, '_'))
    .join('.');
}

/** The JsonConverter schema of a table's message keys (the primary key, `id`). */
export function debeziumKeySchema(topic: string): JsonSchema {
  return { type: 'struct', fields: [field('id', UUID)], optional: false, name: `${schemaNamePrefix(topic)}.Key` };
}

/** The JsonConverter schema of a table's message values: Debezium's envelope around the row. */
export function debeziumValueSchema(topic: string, table: 'users' | 'orders'): JsonSchema {
  const row = {
    type: 'struct',
    fields: table === 'users' ? userColumns : orderColumns,
    optional: true,
    name: `${schemaNamePrefix(topic)}.Value`,
  };
  return {
    type: 'struct',
    fields: [
      field('before', row),
      field('after', row),
      SOURCE_SCHEMA,
      TRANSACTION_SCHEMA,
      field('op', STRING),
      int64('ts_ms', true),
      int64('ts_us', true),
      int64('ts_ns', true),
    ],
    optional: false,
    name: `${schemaNamePrefix(topic)}.Envelope`,
    version: 2,
  };
}

// ---------------------------------------------------------------------------------------------
// Column values.

/** Days from 1970-01-01 to a `YYYY-MM-DD` date (proleptic Gregorian), negative before 1970. */
export function epochDay(date: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  const month = Number(m?.[2]);
  const day = Number(m?.[3]);
  if (!m || month < 1 || month > 12 || day < 1 || day > 31) throw new RangeError(`not a date: ${JSON.stringify(date)}`);
  // Days-from-civil; Date.UTC would read years 0-99 as 1900-1999.
  const y = Number(m[1]) - (month <= 2 ? 1 : 0);
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146_097 + dayOfEra - 719_468;
}

const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/**
 * A numeric(precision, scale) value as Kafka Connect's Decimal carries it: the base64 of the unscaled
 * value (value x 10^scale) as a minimal big-endian two's-complement integer, as Java's
 * BigInteger.toByteArray gives it. The number is first rounded as Postgres stores it (`roundDecimal`).
 */
export function decimalBase64(value: number | string, precision = 10, scale = 2): string {
  const rounded = roundDecimal(String(value), scale);
  const negative = rounded.startsWith('-');
  const digits = (negative ? rounded.slice(1) : rounded).replace('.', '').replace(/^0+(?=\d)/, '');
  // Postgres refuses what does not fit (numeric field overflow): the Go table never held it.
  if (digits.length > precision) throw new RangeError(`${value} does not fit numeric(${precision},${scale})`);
  if (digits.length > 15) throw new RangeError(`numeric(${precision},${scale}) is wider than this encoder handles`);
  let n = negative ? -Number(digits) : Number(digits);
  const bytes: number[] = [];
  // Least significant byte first, until what is left is the sign extension of the last byte.
  for (;;) {
    const byte = ((n % 256) + 256) % 256;
    bytes.push(byte);
    n = (n - byte) / 256;
    if ((n === 0 && byte < 0x80) || (n === -1 && byte >= 0x80)) break;
  }
  bytes.reverse();
  let out = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const b0 = bytes[i] as number;
    const b1 = bytes[i + 1];
    const b2 = bytes[i + 2];
    const triple = (b0 << 16) | ((b1 ?? 0) << 8) | (b2 ?? 0);
    out += BASE64[triple >>> 18];
    out += BASE64[(triple >>> 12) & 63];
    out += b1 === undefined ? '=' : BASE64[(triple >>> 6) & 63];
    out += b2 === undefined ? '=' : BASE64[triple & 63];
  }
  return out;
}

/**
 * Wire timestamps to the model form (`2025-07-01T07:04:56.123457Z`, which is also Debezium's
 * ZonedTimestamp of a timestamptz) and to epoch microseconds. UTC ones (all of them unless --zones
 * says otherwise) take a path without regular expressions or Date objects, parsing the date part once
 * per second; the rest go through toModelTimestamp.
 */
class Timestamps {
  text = '';
  micros = 0;
  #second = '';
  #epochSecond = 0;

  convert(wire: string): void {
    const n = wire.length;
    // `YYYY-MM-DDTHH:MM:SS`, then nothing or `.` and 1 to 9 digits, then `Z`.
    if (n <= 30 && wire.charCodeAt(n - 1) === 90 && (n === 20 || (n >= 22 && wire.charCodeAt(19) === 46))) {
      let nanos = 0;
      let scale = 100_000_000;
      let digits = true;
      for (let i = 20; i < n - 1; i++, scale /= 10) {
        const d = wire.charCodeAt(i) - 48;
        if (d < 0 || d > 9) digits = false;
        nanos += d * scale;
      }
      const micros = nanosToMicros(nanos);
      // A carry into the next second (rare) goes the slow way.
      if (digits && micros < 1_000_000 && this.#sameSecond(wire)) {
        this.text = `${this.#second}.${String(micros + 1_000_000).slice(1)}Z`;
        this.micros = this.#epochSecond * 1_000_000 + micros;
        return;
      }
    }
    this.text = toModelTimestamp(wire);
    this.micros = Date.parse(`${this.text.slice(0, 19)}Z`) * 1000 + Number(this.text.slice(20, 26));
  }

  #sameSecond(wire: string): boolean {
    const second = wire.slice(0, 19);
    if (second === this.#second) return true;
    const t = parseRfc3339(`${second}Z`);
    if (t === undefined) return false;
    this.#second = second;
    this.#epochSecond = t.epochSeconds;
    return true;
  }
}

// ---------------------------------------------------------------------------------------------
// Reading seed events. The generator writes one fixed layout per event type (types.ts wireFields), so
// the fields are cut out at known places; anything else (hand-written events, other producers) goes
// through JSON.parse.

interface Fields {
  id: string;
  /** Users: the name as a JSON literal, as JsonConverter writes it. */
  nameJson: string;
  dob: string;
  /** The event's timestamp: created_at, placed_at or modified_at. */
  at: string;
  status: string;
  userId: string;
  quantity: number;
  total: number;
}

const HEAD = { user: '{"event_type":"CREATE","user_id":"', order: '{"event_type":"CREATE","order_id":"' };
const ID_AT = HEAD.user.length;
const ORDER_ID_AT = HEAD.order.length;
const TYPE_AT = '{"event_type":"'.length;

/** Reads a generator-layout event into `f`; false when the text is laid out any other way. */
function readLayout(text: string, entity: 'user' | 'order', type: string, f: Fields): boolean {
  if (!text.startsWith('{"event_type":"') || !text.startsWith(type, TYPE_AT)) return false;
  if (entity === 'user') {
    if (!text.startsWith('","user_id":"', TYPE_AT + 6) || text.charCodeAt(ID_AT + 36) !== 34) return false;
    f.id = text.slice(ID_AT, ID_AT + 36);
    let p = ID_AT + 37;
    if (type !== 'DELETE') {
      if (!text.startsWith(',"name":"', p)) return false;
      const end = stringEnd(text, p + 8);
      if (end < 0) return false;
      const literal = text.slice(p + 8, end + 1);
      // Go's escapes (\u003c for <...) are not JsonConverter's; a literal without any is the same in both.
      f.nameJson = literal.includes('\\') ? JSON.stringify(JSON.parse(literal)) : literal;
      p = end + 1;
    }
    if (type === 'CREATE') {
      if (!text.startsWith(',"dob":"', p) || text.charCodeAt(p + 18) !== 34) return false;
      f.dob = text.slice(p + 8, p + 18);
      p += 19;
      return atEnd(text, p, ',"created_at":"', f);
    }
    return atEnd(text, p, ',"modified_at":"', f);
  }
  if (!text.startsWith('","order_id":"', TYPE_AT + 6) || text.charCodeAt(ORDER_ID_AT + 36) !== 34) return false;
  f.id = text.slice(ORDER_ID_AT, ORDER_ID_AT + 36);
  let p = ORDER_ID_AT + 37;
  if (!text.startsWith(',"order_status":"', p)) return false;
  p += 17;
  const statusEnd = text.indexOf('"', p);
  if (statusEnd < 0) return false;
  f.status = text.slice(p, statusEnd);
  p = statusEnd + 1;
  if (type !== 'CREATE') return atEnd(text, p, ',"modified_at":"', f);
  if (!text.startsWith(',"user_id":"', p) || text.charCodeAt(p + 48) !== 34) return false;
  f.userId = text.slice(p + 12, p + 48);
  p += 49;
  if (!text.startsWith(',"quantity":', p)) return false;
  p += 12;
  const quantityEnd = text.indexOf(',', p);
  f.quantity = Number(text.slice(p, quantityEnd));
  p = quantityEnd;
  if (!Number.isSafeInteger(f.quantity) || !text.startsWith(',"order_total":', p)) return false;
  p += 15;
  const totalEnd = text.indexOf(',', p);
  f.total = Number(text.slice(p, totalEnd));
  if (totalEnd < 0 || !Number.isFinite(f.total)) return false;
  return atEnd(text, totalEnd, ',"placed_at":"', f);
}

/** `name":"<timestamp>"}` closing the event at `p`. */
function atEnd(text: string, p: number, name: string, f: Fields): boolean {
  if (!text.startsWith(name, p) || !text.endsWith('"}')) return false;
  f.at = text.slice(p + name.length, text.length - 2);
  return !f.at.includes('"');
}

/** The index of the quote closing the JSON string that starts after index `from`, or -1. */
function stringEnd(text: string, from: number): number {
  for (let i = from + 1; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 92) i++;
    else if (c === 34) return i;
  }
  return -1;
}

/** Any valid seed event, through JSON.parse. */
function readParsed(text: string, entity: 'user' | 'order', type: string, f: Fields): void {
  const need = <T>(value: T | undefined | null, name: string): T => {
    if (value === undefined || value === null) throw new RangeError(`event is missing ${name}: ${text}`);
    return value;
  };
  if (entity === 'user') {
    const e = JSON.parse(text) as UserEvent;
    f.id = need(e.user_id, 'user_id');
    if (type !== 'DELETE') f.nameJson = JSON.stringify(need(e.name, 'name'));
    if (type === 'CREATE') f.dob = need(e.dob, 'dob');
    f.at = type === 'CREATE' ? need(e.created_at, 'created_at') : need(e.modified_at, 'modified_at');
    return;
  }
  const e = JSON.parse(text) as OrderEvent;
  f.id = need(e.order_id, 'order_id');
  f.status = need(e.order_status, 'order_status');
  if (type === 'CREATE') {
    f.userId = need(e.user_id, 'user_id');
    f.quantity = need(e.quantity, 'quantity');
    f.total = need(e.order_total, 'order_total');
    f.at = need(e.placed_at, 'placed_at');
  } else {
    f.at = need(e.modified_at, 'modified_at');
  }
}

// ---------------------------------------------------------------------------------------------
// The encoder.

interface UserRow {
  id: string;
  nameJson: string;
  dob: number;
  createdAt: string;
  modifiedAt: string;
  deleted: boolean;
}

interface OrderRow {
  id: string;
  status: string;
  userId: string;
  quantity: number;
  total: string;
  placedAt: string;
  modifiedAt: string;
  deleted: boolean;
  /** The user's row when the order was placed: its soft delete (the trigger) marks this order too. */
  user: UserRow | undefined;
}

/** Rows by id, and which reservoir slot holds which row (to learn of evictions). */
class Rows<R extends { id: string }> {
  readonly byId = new Map<string, R>();
  readonly #slots: (R | undefined)[] = [];

  /** The row of an id; Postgres reads uuid text in any case. */
  find(id: string): R | undefined {
    return this.byId.get(id) ?? (UUID_TEXT.test(id) ? undefined : this.byId.get(id.toLowerCase()));
  }

  /** A CREATE: whatever id held the slot has left the reservoir. */
  place(row: R, slot: number | undefined): void {
    if (slot !== undefined && slot >= 0) {
      const evicted = this.#slots[slot];
      // Only if the map still holds that very row (a later CREATE of its id may have replaced it).
      if (evicted !== undefined && this.byId.get(evicted.id) === evicted) this.byId.delete(evicted.id);
      this.#slots[slot] = row;
    }
    this.byId.set(row.id, row);
  }

  /** A DELETE: the id leaves the reservoir, which moves its last id into the gap. */
  remove(id: string, slot: number | undefined, movedFrom: number | undefined): void {
    this.byId.delete(id);
    if (slot !== undefined && slot >= 0 && movedFrom !== undefined && movedFrom >= 0) {
      this.#slots[slot] = this.#slots[movedFrom];
      this.#slots[movedFrom] = undefined;
    }
  }
}

const SLAB_BYTES = 1024 * 1024;

function statusJson(status: string): string {
  switch (status) {
    case 'PLACED':
      return '"PLACED"';
    case 'SHIPPED':
      return '"SHIPPED"';
    case 'CANCELLED':
      return '"CANCELLED"';
    default:
      return JSON.stringify(status);
  }
}

const UUID_TEXT = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** A uuid as Postgres prints it (and Debezium passes on): lower-case hex with hyphens. */
function uuidText(id: string): string {
  if (UUID_TEXT.test(id)) return id;
  const lower = id.toLowerCase();
  if (UUID_TEXT.test(lower)) return lower;
  throw new RangeError(`not a uuid: ${JSON.stringify(id)}`);
}

const s = debeziumSource;
const SOURCE_HEAD = `},"source":{"version":"${s.version}","connector":"${s.connector}","name":"${s.name}","ts_ms":`;
const SOURCE_TABLE = {
  users: `000,"schema":"${s.schema}","table":"${s.tables.users}","txId":`,
  orders: `000,"schema":"${s.schema}","table":"${s.tables.orders}","txId":`,
};
const ENVELOPE_OP = { c: ',"xmin":null},"transaction":null,"op":"c","ts_ms":', u: ',"xmin":null},"transaction":null,"op":"u","ts_ms":' };

/**
 * Turns generated seed events into Debezium change events. Feed it every event of a generator, in
 * order, from the first (rows exist only for CREATEs it has seen).
 */
export class DebeziumEncoder {
  readonly schemas: boolean;
  readonly topics: TopicNames;
  readonly #now: () => number;
  readonly #users = new Rows<UserRow>();
  readonly #orders = new Rows<OrderRow>();
  readonly #f: Fields = { id: '', nameJson: '', dob: '', at: '', status: '', userId: '', quantity: 0, total: 0 };
  readonly #ts = new Timestamps();
  #skippedUsers = 0;
  #skippedOrders = 0;
  // Each seed event was one autocommitted statement: one transaction and one WAL position per change.
  #txId = 1000;
  #lsn = 33_554_432;
  /** The previous change's LSN as the sequence array shows it (`null` before the first). */
  #lastLsn = 'null';
  #nowMs = Number.NaN;
  /** The envelope's ts_ms, ts_us, ts_ns for #nowMs, to the end of the value. */
  #nowText = '';
  // The schemas are large and constant: encoded once per topic.
  readonly #valuePrefix: { users: Buffer; orders: Buffer };
  readonly #keyPrefix: { users: string; orders: string };
  readonly #keySuffix: string;
  readonly #valueSuffix: string;
  #buf = Buffer.allocUnsafe(SLAB_BYTES);
  #pos = 0;

  constructor(options: DebeziumEncoderOptions = {}) {
    this.schemas = options.schemas ?? false;
    this.topics = { users: 'users', orders: 'orders', ...options.topics };
    this.#now = options.now ?? Date.now;
    const { users, orders } = this.topics;
    const schema = (x: JsonSchema) => (this.schemas ? `{"schema":${JSON.stringify(x)},"payload":` : '');
    this.#valuePrefix = {
      users: Buffer.from(schema(debeziumValueSchema(users, 'users'))),
      orders: Buffer.from(schema(debeziumValueSchema(orders, 'orders'))),
    };
    this.#keyPrefix = { users: `${schema(debeziumKeySchema(users))}{"id":"`, orders: `${schema(debeziumKeySchema(orders))}{"id":"` };
    this.#keySuffix = this.schemas ? '"}}' : '"}';
    this.#valueSuffix = this.schemas ? '}' : '';
  }

  /** UPDATE and DELETE events that changed no row (their id has none), so nothing was captured. */
  get skipped(): { users: number; orders: number } {
    return { users: this.#skippedUsers, orders: this.#skippedOrders };
  }

  /** Rows kept right now: for a generator's events exactly its `knownIds()`, so at most the reservoir size. */
  tracked(): { users: number; orders: number } {
    return { users: this.#users.byId.size, orders: this.#orders.byId.size };
  }

  /** The Debezium message for the change the event made, or undefined when it changed nothing. */
  encode(event: GeneratedEvent): DebeziumMessage | undefined {
    const text = event.value.toString('utf8');
    const f = this.#f;
    if (!readLayout(text, event.entity, event.type, f)) readParsed(text, event.entity, event.type, f);
    return event.entity === 'user' ? this.#user(event, f) : this.#order(event, f);
  }

  #user(event: GeneratedEvent, f: Fields): DebeziumMessage | undefined {
    const ts = this.#ts;
    let op: DebeziumOp = 'u';
    let row: UserRow | undefined;
    if (event.type === 'CREATE') {
      ts.convert(f.at);
      const id = uuidText(f.id);
      // A second CREATE of an id upserts (the model's rule), which Debezium sees as an update.
      if (!this.#users.byId.has(id)) op = 'c';
      row = { id, nameJson: f.nameJson, dob: epochDay(f.dob), createdAt: ts.text, modifiedAt: ts.text, deleted: false };
      this.#users.place(row, event.slot);
    } else {
      row = this.#users.find(f.id);
      if (event.type === 'DELETE') this.#users.remove(row?.id ?? f.id, event.slot, event.movedFrom);
      else if (event.type !== 'UPDATE') throw new RangeError(`unknown event_type ${JSON.stringify(event.type)}`);
      if (row === undefined) {
        this.#skippedUsers++;
        return undefined;
      }
      ts.convert(f.at);
      row.modifiedAt = ts.text;
      if (event.type === 'UPDATE') row.nameJson = f.nameJson;
      else row.deleted = true;
    }
    const after = `{"before":null,"after":{"id":"${row.id}","name":${row.nameJson},"dob":${row.dob},"created_at":"${row.createdAt}","modified_at":"${row.modifiedAt}","is_deleted":${row.deleted}`;
    return this.#message('users', event.topic, row.id, op, after);
  }

  #order(event: GeneratedEvent, f: Fields): DebeziumMessage | undefined {
    const ts = this.#ts;
    let op: DebeziumOp = 'u';
    let row: OrderRow | undefined;
    if (event.type === 'CREATE') {
      ts.convert(f.at);
      const id = uuidText(f.id);
      if (!this.#orders.byId.has(id)) op = 'c';
      const userId = uuidText(f.userId);
      row = {
        id,
        status: statusJson(f.status),
        userId,
        quantity: f.quantity,
        total: decimalBase64(f.total),
        placedAt: ts.text,
        modifiedAt: ts.text,
        deleted: false,
        user: this.#users.byId.get(userId),
      };
      this.#orders.place(row, event.slot);
    } else {
      row = this.#orders.find(f.id);
      if (event.type === 'DELETE') this.#orders.remove(row?.id ?? f.id, event.slot, event.movedFrom);
      else if (event.type !== 'UPDATE') throw new RangeError(`unknown event_type ${JSON.stringify(event.type)}`);
      if (row === undefined) {
        this.#skippedOrders++;
        return undefined;
      }
      ts.convert(f.at);
      row.status = statusJson(f.status);
      row.modifiedAt = ts.text;
      if (event.type === 'DELETE') row.deleted = true;
    }
    const deleted = row.deleted || row.user?.deleted === true;
    const after = `{"before":null,"after":{"id":"${row.id}","status":${row.status},"user_id":"${row.userId}","quantity":${row.quantity},"total_amount":"${row.total}","placed_at":"${row.placedAt}","modified_at":"${row.modifiedAt}","is_deleted":${deleted}`;
    return this.#message('orders', event.topic, row.id, op, after);
  }

  /** The row (already written up to the end of `after`), the source block and envelope; then the key. */
  #message(table: 'users' | 'orders', topic: string, id: string, op: DebeziumOp, after: string): DebeziumMessage {
    // The change committed when the event says it happened; the connector handled it a little later.
    const commit = String(this.#ts.micros);
    // Number-to-text is a good part of the cost; the clock reads the same for many events in a row.
    const now = Math.floor(this.#now());
    if (now !== this.#nowMs) {
      this.#nowMs = now;
      this.#nowText = `${now},"ts_us":${now}000,"ts_ns":${now}000000}${this.#valueSuffix}`;
    }
    const lsn = String(this.#lsn);
    // Debezium's sequence: the last commit's LSN and this change's, a JSON array inside a string.
    const payload =
      `${after}${SOURCE_HEAD}${Math.floor(this.#ts.micros / 1000)},"snapshot":"false","db":"${s.db}","sequence":"[${this.#lastLsn},\\"${lsn}\\"]",` +
      `"ts_us":${commit},"ts_ns":${commit}${SOURCE_TABLE[table]}${this.#txId},"lsn":${lsn}${ENVELOPE_OP[op]}${this.#nowText}`;
    this.#txId++;
    this.#lastLsn = `\\"${lsn}\\"`;
    // A plausible WAL distance for a one-row transaction; only the order matters.
    this.#lsn += 256;
    const prefix = this.#valuePrefix[table];
    // UTF-8 takes at most 3 bytes per UTF-16 unit; the key is a little ASCII.
    this.#room(prefix.length + payload.length * 3 + 512);
    const buf = this.#buf;
    const start = this.#pos;
    buf.set(prefix, start);
    const keyAt = start + prefix.length + buf.write(payload, start + prefix.length, 'utf8');
    const end = keyAt + buf.write(`${this.#keyPrefix[table]}${id}${this.#keySuffix}`, keyAt, 'latin1');
    this.#pos = end;
    return { topic, key: buf.subarray(keyAt, end), value: buf.subarray(start, keyAt), op };
  }

  /** Each message gets its own region of a slab, never written again (callers may keep it). */
  #room(bytes: number): void {
    if (this.#pos + bytes > this.#buf.length) {
      this.#buf = Buffer.allocUnsafe(Math.max(SLAB_BYTES, bytes));
      this.#pos = 0;
    }
  }
}
