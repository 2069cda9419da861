/**
 * The expected final state of the `users` and `orders` tables after a consumer has applied a set of
 * events: what the integration tests compare the database with.
 *
 * Semantics (those of the Go consumer plus its soft-delete trigger):
 * - user CREATE sets name, dob, created_at, and modified_at = created_at, is_deleted = false;
 *   UPDATE sets name and modified_at; DELETE sets is_deleted = true and modified_at, and marks that
 *   user's orders is_deleted = true. That mark is permanent: a user created again is live, the orders
 *   its delete marked stay deleted (as the Go schema's trigger behaved). An order created while its
 *   user is deleted is deleted.
 * - order CREATE sets status, user_id, quantity, total_amount, placed_at, and modified_at = placed_at;
 *   UPDATE sets status and modified_at; DELETE sets status, modified_at and is_deleted = true.
 * - UPDATE or DELETE of an id never created is a no-op; a second CREATE of an id overwrites the row
 *   (an upsert, as the consumer does: a user CREATE also clears is_deleted).
 *
 * Events of one entity must be folded in the order they were produced (Kafka keeps that order per key).
 * Between users and orders the model takes the order it is fed in; that matters only when a deleted
 * user is created again (which the Go generator never does): orders fed after the re-creation are live.
 *
 * Value forms, chosen so rows read from Postgres compare with `===`:
 * - timestamps: UTC, microseconds, `2025-07-01T07:04:56.123457Z` (see timestamps.ts; select them with
 *   `modelTimestampSql(column)`);
 * - dob: `YYYY-MM-DD` (select `dob::text`);
 * - total_amount: the wire value rounded half away from zero to 2 decimals on its decimal digits, as
 *   Postgres rounds the text into DECIMAL(10,2), as text (`1234.57`; select `total_amount::text`).
 */
import { modelTimestampSql, toModelTimestamp } from './timestamps.js';
import type { EventType, OrderEvent, UserEvent, WireEvent } from './types.js';

export interface UserRow {
  id: string;
  name: string;
  dob: string;
  created_at: string;
  modified_at: string;
  is_deleted: boolean;
}

export interface OrderRow {
  id: string;
  status: string;
  user_id: string;
  quantity: number;
  total_amount: string;
  placed_at: string;
  modified_at: string;
  is_deleted: boolean;
}

/** What a model can be fed: a parsed event, or a message body (Buffer or string) to parse. */
export type ModelInput = WireEvent | Buffer | string | { value: Buffer | string | null };

interface OrderState extends Omit<OrderRow, 'is_deleted'> {
  deleted: boolean;
  /** Marked deleted by its user's delete (or created under a deleted user): permanent. */
  cascaded: boolean;
}

/**
 * A decimal number's text rounded half away from zero to `places` decimals, without going through a
 * float: `roundDecimal('1234.5650000000001', 2) === '1234.57'`, `roundDecimal('-1.005', 2) === '-1.01'`.
 */
export function roundDecimal(text: string, places = 2): string {
  const m = /^(-?)(\d+)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(text.trim());
  if (!m) throw new RangeError(`not a decimal number: ${JSON.stringify(text)}`);
  const [, sign, intPart, fracPart = '', exp = '0'] = m as unknown as [string, string, string, string | undefined, string | undefined];
  // All digits as one integer string, and where the decimal point goes.
  let digits = intPart + fracPart;
  let point = intPart.length + Number(exp);
  if (point < 0) {
    digits = '0'.repeat(-point) + digits;
    point = 0;
  }
  if (digits.length < point + places + 1) digits = digits.padEnd(point + places + 1, '0');
  const kept = digits.slice(0, point + places);
  const roundUp = digits.charCodeAt(point + places) - 48 >= 5;
  const n = BigInt(kept === '' ? '0' : kept) + (roundUp ? 1n : 0n);
  const negative = sign === '-' && n !== 0n;
  let s = n.toString().padStart(places + 1, '0');
  s = places > 0 ? `${s.slice(0, s.length - places)}.${s.slice(s.length - places)}` : s;
  return negative ? `-${s}` : s;
}

function toEvent(input: ModelInput): WireEvent {
  if (typeof input === 'string') return JSON.parse(input) as WireEvent;
  if (Buffer.isBuffer(input)) return JSON.parse(input.toString('utf8')) as WireEvent;
  if ('value' in input) {
    if (input.value === null) throw new RangeError('a message with no value is not an event');
    return toEvent(input.value);
  }
  return input;
}

export class TableModel {
  readonly #users = new Map<string, UserRow>();
  readonly #orders = new Map<string, OrderState>();
  /** user id -> its orders, for the cascade. */
  readonly #ordersOf = new Map<string, Set<OrderState>>();
  #applied = 0;
  #ignored = 0;

  /** Events applied so far, and how many of them were no-ops (UPDATE or DELETE of an unknown id). */
  get counts(): { applied: number; ignored: number } {
    return { applied: this.#applied, ignored: this.#ignored };
  }

  apply(input: ModelInput): this {
    const event = toEvent(input);
    this.#applied++;
    const changed = 'order_id' in event ? this.#applyOrder(event) : this.#applyUser(event as UserEvent);
    if (!changed) this.#ignored++;
    return this;
  }

  applyAll(inputs: Iterable<ModelInput>): this {
    for (const input of inputs) this.apply(input);
    return this;
  }

  /** The users table, sorted by id. */
  users(): UserRow[] {
    return [...this.#users.values()].sort(byId).map((u) => ({ ...u }));
  }

  /** The orders table, sorted by id. */
  orders(): OrderRow[] {
    return [...this.#orders.values()].sort(byId).map(({ deleted, cascaded, ...o }) => ({ ...o, is_deleted: deleted || cascaded }));
  }

  #applyUser(e: UserEvent): boolean {
    const row = this.#users.get(e.user_id);
    switch (e.event_type as EventType) {
      case 'CREATE': {
        const created = toModelTimestamp(required(e, 'created_at'));
        this.#users.set(e.user_id, {
          id: e.user_id,
          name: required(e, 'name'),
          dob: required(e, 'dob'),
          created_at: created,
          modified_at: created,
          is_deleted: false,
        });
        return true;
      }
      case 'UPDATE':
        if (!row) return false;
        row.name = required(e, 'name');
        row.modified_at = toModelTimestamp(required(e, 'modified_at'));
        return true;
      case 'DELETE':
        if (!row) return false;
        row.is_deleted = true;
        row.modified_at = toModelTimestamp(required(e, 'modified_at'));
        for (const order of this.#ordersOf.get(e.user_id) ?? []) order.cascaded = true;
        return true;
      default:
        throw new RangeError(`unknown event_type ${JSON.stringify(e.event_type)}`);
    }
  }

  #applyOrder(e: OrderEvent): boolean {
    const row = this.#orders.get(e.order_id);
    switch (e.event_type as EventType) {
      case 'CREATE': {
        const placed = toModelTimestamp(required(e, 'placed_at'));
        const userId = required(e, 'user_id');
        if (row) this.#ordersOf.get(row.user_id)?.delete(row);
        // A second CREATE overwrites the row (the consumer's upsert): deleted only if its user is now.
        const order: OrderState = {
          id: e.order_id,
          status: e.order_status,
          user_id: userId,
          quantity: required(e, 'quantity'),
          total_amount: roundDecimal(String(required(e, 'order_total'))),
          placed_at: placed,
          modified_at: placed,
          deleted: false,
          cascaded: this.#users.get(userId)?.is_deleted === true,
        };
        this.#orders.set(e.order_id, order);
        let orders = this.#ordersOf.get(userId);
        if (!orders) this.#ordersOf.set(userId, (orders = new Set()));
        orders.add(order);
        return true;
      }
      case 'UPDATE':
        if (!row) return false;
        row.status = e.order_status;
        row.modified_at = toModelTimestamp(required(e, 'modified_at'));
        return true;
      case 'DELETE':
        if (!row) return false;
        row.status = e.order_status;
        row.modified_at = toModelTimestamp(required(e, 'modified_at'));
        row.deleted = true;
        return true;
      default:
        throw new RangeError(`unknown event_type ${JSON.stringify(e.event_type)}`);
    }
  }
}

function required<E extends object, K extends keyof E>(event: E, field: K): NonNullable<E[K]> {
  const v = event[field];
  if (v === undefined || v === null) throw new RangeError(`event is missing ${String(field)}: ${JSON.stringify(event)}`);
  return v as NonNullable<E[K]>;
}

function byId(a: { id: string }, b: { id: string }): number {
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** Folds events (in production order per entity) into the expected final rows of both tables. */
export function expectedTables(events: Iterable<ModelInput>): { users: UserRow[]; orders: OrderRow[] } {
  const model = new TableModel().applyAll(events);
  return { users: model.users(), orders: model.orders() };
}

/**
 * Reads `users` and `orders` of a schema in exactly the model's forms (see the top of this file), so
 * rows from Postgres compare with the model's by deep equality. `tables` are quoted, qualified names.
 */
export async function readModelTables(
  client: { query<R>(sql: string): Promise<{ rows: R[] }> },
  tables: { users: string; orders: string },
): Promise<{ users: UserRow[]; orders: OrderRow[] }> {
  const users = await client.query<UserRow>(
    `SELECT id::text, name, dob::text, ${modelTimestampSql('created_at')} AS created_at, ${modelTimestampSql('modified_at')} AS modified_at, is_deleted
       FROM ${tables.users} ORDER BY id`,
  );
  const orders = await client.query<OrderRow>(
    `SELECT id::text, status, user_id::text, quantity, total_amount::text, ${modelTimestampSql('placed_at')} AS placed_at,
            ${modelTimestampSql('modified_at')} AS modified_at, is_deleted
       FROM ${tables.orders} ORDER BY id`,
  );
  return { users: users.rows, orders: orders.rows };
}
