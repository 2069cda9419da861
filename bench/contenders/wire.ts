/**
 * How the INSERT baselines read events: JSON.parse of the seed wire format (lib/loadgen/generator/types.ts), as
 * a typical consumer does, and, for batches, folding each key's events in order into one row (a
 * multi-row INSERT ... ON CONFLICT cannot touch the same row twice). multi-row-insert-debezium reads the
 * same events in Debezium form (cdc-produce --format debezium): each is a whole row image. The semantics are those of
 * docs/architecture.md (Semantics), the same the engine's sinks apply:
 * - user CREATE: the whole row, modified_at = created_at, not deleted (an upsert);
 *   UPDATE: name, modified_at; DELETE: is_deleted, modified_at, and the user's orders become deleted;
 * - order CREATE: the whole row, modified_at = placed_at, is_deleted = its user's is_deleted;
 *   UPDATE: status, modified_at; DELETE: status, modified_at, is_deleted;
 * - UPDATE and DELETE of an unknown id change nothing.
 * Values stay text where Postgres should do the parsing: timestamps (nanoseconds, rounded to
 * microseconds by Postgres) and order_total (rounded by numeric(10,2); `String(number)` gives back the
 * shortest round-trip decimal Go wrote).
 */

export type Op = 'CREATE' | 'UPDATE' | 'DELETE';

export interface UserOp {
  entity: 'user';
  op: Op;
  id: string;
  name?: string;
  dob?: string;
  createdAt?: string;
  modifiedAt?: string;
}

export interface OrderOp {
  entity: 'order';
  op: Op;
  id: string;
  status: string;
  userId?: string;
  quantity?: number;
  total?: string;
  placedAt?: string;
  modifiedAt?: string;
}

export type WireOp = UserOp | OrderOp;

interface WireJson {
  event_type?: string;
  user_id?: string;
  order_id?: string;
  name?: string;
  dob?: string;
  created_at?: string;
  modified_at?: string;
  order_status?: string;
  quantity?: number;
  order_total?: number;
  placed_at?: string;
}

function op(value: unknown): Op {
  if (value === 'CREATE' || value === 'UPDATE' || value === 'DELETE') return value;
  throw new Error(`unknown event_type ${JSON.stringify(value)}`);
}

export function decodeEvent(value: Buffer | string): WireOp {
  const e = JSON.parse(typeof value === 'string' ? value : value.toString('utf8')) as WireJson;
  if (typeof e.order_id === 'string') {
    return {
      entity: 'order',
      op: op(e.event_type),
      id: e.order_id,
      status: String(e.order_status),
      userId: e.user_id,
      quantity: e.quantity,
      total: e.order_total === undefined ? undefined : String(e.order_total),
      placedAt: e.placed_at,
      modifiedAt: e.modified_at,
    };
  }
  if (typeof e.user_id !== 'string') throw new Error('neither user_id nor order_id');
  return {
    entity: 'user',
    op: op(e.event_type),
    id: e.user_id,
    name: e.name,
    dob: e.dob,
    createdAt: e.created_at,
    modifiedAt: e.modified_at,
  };
}

/**
 * One user's events of a batch folded: `full` when the batch holds a CREATE (the whole row is known),
 * otherwise a patch of the fields the UPDATE/DELETE events set.
 */
export interface UserFold {
  id: string;
  full: boolean;
  name: string | null;
  dob: string | null;
  createdAt: string | null;
  modifiedAt: string | null;
  deleted: boolean;
  /** A DELETE happened: mark the user's orders deleted. */
  cascade: boolean;
}

export interface OrderFold {
  id: string;
  full: boolean;
  status: string;
  userId: string | null;
  quantity: number | null;
  total: string | null;
  placedAt: string | null;
  modifiedAt: string | null;
  deleted: boolean;
}

/** Folds events (in offset order per key) into one row per user id, in first-seen order. */
export function foldUsers(events: Iterable<UserOp>): Map<string, UserFold> {
  const out = new Map<string, UserFold>();
  for (const e of events) {
    let f = out.get(e.id);
    if (!f) {
      f = { id: e.id, full: false, name: null, dob: null, createdAt: null, modifiedAt: null, deleted: false, cascade: false };
      out.set(e.id, f);
    }
    switch (e.op) {
      case 'CREATE':
        f.full = true;
        f.name = e.name ?? null;
        f.dob = e.dob ?? null;
        f.createdAt = e.createdAt ?? null;
        f.modifiedAt = e.createdAt ?? null;
        f.deleted = false;
        break;
      case 'UPDATE':
        f.name = e.name ?? f.name;
        f.modifiedAt = e.modifiedAt ?? f.modifiedAt;
        break;
      case 'DELETE':
        f.deleted = true;
        f.cascade = true;
        f.modifiedAt = e.modifiedAt ?? f.modifiedAt;
        break;
    }
  }
  return out;
}

/** Folds events (in offset order per key) into one row per order id, in first-seen order. */
export function foldOrders(events: Iterable<OrderOp>): Map<string, OrderFold> {
  const out = new Map<string, OrderFold>();
  for (const e of events) {
    let f = out.get(e.id);
    if (!f) {
      f = {
        id: e.id,
        full: false,
        status: e.status,
        userId: null,
        quantity: null,
        total: null,
        placedAt: null,
        modifiedAt: null,
        deleted: false,
      };
      out.set(e.id, f);
    }
    f.status = e.status;
    switch (e.op) {
      case 'CREATE':
        f.full = true;
        f.userId = e.userId ?? null;
        f.quantity = e.quantity ?? null;
        f.total = e.total ?? null;
        f.placedAt = e.placedAt ?? null;
        f.modifiedAt = e.placedAt ?? null;
        f.deleted = false;
        break;
      case 'UPDATE':
        f.modifiedAt = e.modifiedAt ?? f.modifiedAt;
        break;
      case 'DELETE':
        f.modifiedAt = e.modifiedAt ?? f.modifiedAt;
        f.deleted = true;
        break;
    }
  }
  return out;
}

/** A batch's events folded per key: users in first-seen order, and orders by id. */
export interface Folded {
  users: UserFold[];
  orders: Map<string, OrderFold>;
}

/** Seed events folded with their semantics (above). */
export function foldSeed(events: readonly WireOp[]): Folded {
  const users: UserOp[] = [];
  const orders: OrderOp[] = [];
  for (const e of events) {
    if (e.entity === 'user') users.push(e);
    else orders.push(e);
  }
  return { users: [...foldUsers(users).values()], orders: foldOrders(orders) };
}

/** A Debezium change event of users or orders, read into the row it leaves. */
export type DebeziumRowOp = { entity: 'user'; id: string; row: UserFold } | { entity: 'order'; id: string; row: OrderFold };

interface DebeziumJson {
  op?: string;
  after?: Record<string, unknown> | null;
}

const DAY_MS = 86_400_000;

/** org.apache.kafka.connect.data.Decimal: base64 of the big-endian two's-complement unscaled value. */
function decimalText(base64: string, scale: number): string {
  const bytes = Buffer.from(base64, 'base64');
  let n = 0n;
  for (const b of bytes) n = (n << 8n) | BigInt(b);
  if (bytes.length > 0 && ((bytes[0] as number) & 0x80) !== 0) n -= 1n << BigInt(bytes.length * 8);
  const digits = (n < 0n ? -n : n).toString().padStart(scale + 1, '0');
  return `${n < 0n ? '-' : ''}${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
}

/**
 * JSON.parse of the payload (no schema envelope), its `after` image as the row: dates arrive as days
 * since 1970, numeric(10,2) as Decimal bytes, timestamps as ISO text. The Go tables soft-delete, so
 * every event of this stream is a create or an update (lib/loadgen/generator/debezium.ts).
 */
export function decodeDebeziumEvent(value: Buffer): DebeziumRowOp {
  const e = JSON.parse(value.toString('utf8')) as DebeziumJson;
  const a = e.after;
  if ((e.op !== 'c' && e.op !== 'u' && e.op !== 'r') || a === null || a === undefined)
    throw new Error(`unexpected Debezium event: op ${JSON.stringify(e.op)}`);
  const id = String(a.id);
  if ('status' in a) {
    return {
      entity: 'order',
      id,
      row: {
        id,
        full: true,
        status: String(a.status),
        userId: String(a.user_id),
        quantity: a.quantity as number,
        total: decimalText(String(a.total_amount), 2),
        placedAt: a.placed_at as string,
        modifiedAt: a.modified_at as string,
        deleted: a.is_deleted === true,
      },
    };
  }
  const deleted = a.is_deleted === true;
  return {
    entity: 'user',
    id,
    row: {
      id,
      full: true,
      name: a.name as string,
      dob: new Date((a.dob as number) * DAY_MS).toISOString().slice(0, 10),
      createdAt: a.created_at as string,
      modifiedAt: a.modified_at as string,
      deleted,
      cascade: deleted,
    },
  };
}

/** Debezium events folded: each key's last image, a user's cascade if any of its images was deleted. */
export function foldDebezium(events: readonly DebeziumRowOp[]): Folded {
  const users = new Map<string, UserFold>();
  const orders = new Map<string, OrderFold>();
  for (const e of events) {
    if (e.entity === 'order') {
      orders.set(e.id, e.row);
      continue;
    }
    const before = users.get(e.id);
    users.set(e.id, before?.cascade && !e.row.cascade ? { ...e.row, cascade: true } : e.row);
  }
  return { users: [...users.values()], orders };
}
