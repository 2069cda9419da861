/**
 * The event generator: a pure library (no Kafka) that turns a seeded PRNG into a stream of wire-format
 * User and Order events. It is cdc-produce's hot loop, so `next()` builds each body with one template
 * string and no intermediate objects, and caches the date part of timestamps per second.
 *
 * Determinism: the same seed and options give the same entities, operations, names, dates, totals and
 * zones, in the same order. Timestamps follow the wall clock (`now`), so they differ between runs unless
 * `now` is fixed; the number of PRNG draws per event never depends on the clock.
 */
import { InvalidOptionError } from '../../errors.js';
import { ascii, SlabEncoder } from './encoder.js';
import { goFloat, goString } from './go-json.js';
import { specialName, writeAsciiName } from './names.js';
import { createPrng, type Prng, randomSeed } from './prng.js';
import { IdReservoir } from './reservoir.js';
import { secondPrefix, zoneSuffix } from './timestamps.js';
import type { EntityKind, EventType, GeneratedEvent, Mix, TopicNames } from './types.js';

export const generatorDefaults = {
  /** The Go producer's mix. */
  mix: { create: 60, update: 30, delete: 10 } as Mix,
  /** Percent of events that are user events; the rest are order events. */
  userShare: 50,
  /** Known ids remembered per entity kind (users, orders): bounds memory on long runs. */
  reservoirSize: 10_000,
  /** Percent of generated names that use non-ASCII or escaped characters. */
  unicodeShare: 5,
  /** UTC offsets timestamps are written in, chosen at random per event; [0] writes `Z` only. */
  zoneOffsetsMinutes: [0] as readonly number[],
  topics: { users: 'users', orders: 'orders' } as TopicNames,
} as const;

export interface GeneratorOptions {
  /** Non-negative safe integer; default: a random seed (see `Generator.seed`). */
  seed?: number;
  mix?: Mix;
  userShare?: number;
  reservoirSize?: number;
  unicodeShare?: number;
  zoneOffsetsMinutes?: readonly number[];
  topics?: Partial<TopicNames>;
  /** Wall clock in epoch milliseconds; default Date.now. Fix it to make timestamps reproducible too. */
  now?: () => number;
}

export interface Generator {
  /** The seed in use (the one given, or the random one drawn): pass it back to reproduce the stream. */
  readonly seed: number;
  readonly topics: TopicNames;
  next(): GeneratedEvent;
  /** How many ids are remembered right now; never above the reservoir size. */
  knownIds(): { users: number; orders: number };
}

const DOB_FIRST_DAY = Date.UTC(1970, 0, 1) / 86_400_000;
const DOB_DAYS = Date.UTC(2015, 11, 31) / 86_400_000 - DOB_FIRST_DAY + 1;
let dobTable: Uint8Array | undefined;

/** Every date from 1970-01-01 to 2015-12-31 as 10 ASCII bytes each, built once (about 170 KB). */
function dobs(): Uint8Array {
  if (!dobTable) {
    dobTable = new Uint8Array(DOB_DAYS * 10);
    for (let i = 0; i < DOB_DAYS; i++) dobTable.set(ascii(new Date((DOB_FIRST_DAY + i) * 86_400_000).toISOString().slice(0, 10)), i * 10);
  }
  return dobTable;
}

class Event implements GeneratedEvent {
  constructor(
    readonly topic: string,
    readonly key: Buffer,
    readonly value: Buffer,
    readonly entity: EntityKind,
    readonly type: EventType,
    readonly slot: number,
    readonly movedFrom: number,
  ) {}

  get id(): string {
    return this.key.toString('latin1');
  }
}

/**
 * Event times: strictly increasing across all events, close to the wall clock, with a nanosecond part
 * that varies in length (full nanoseconds, whole microseconds, whole milliseconds) so consumers see
 * every form Go writes. The nanosecond part modulo 1000 is never 500: no value is a rounding tie.
 */
class EventClock {
  readonly #now: () => number;
  readonly #prng: Prng;
  readonly #offsets: readonly number[];
  readonly #zones: Uint8Array[];
  readonly #prefixSecond: number[];
  readonly #prefix: Uint8Array[];
  #ms = Number.NEGATIVE_INFINITY;
  #subMs = 0;

  constructor(now: () => number, prng: Prng, offsets: readonly number[]) {
    this.#now = now;
    this.#prng = prng;
    this.#offsets = offsets;
    this.#zones = offsets.map((o) => ascii(zoneSuffix(o)));
    this.#prefixSecond = offsets.map(() => Number.NaN);
    this.#prefix = offsets.map(() => new Uint8Array(0));
  }

  /** Writes the next timestamp (without quotes). */
  write(out: SlabEncoder): void {
    // Exactly one draw for the time (and one for the zone when there is a choice), whatever the clock.
    const r = this.#prng.u32();
    const zone = this.#offsets.length > 1 ? this.#prng.below(this.#offsets.length) : 0;
    const wall = this.#now();
    if (wall > this.#ms) {
      this.#ms = wall;
      const style = r & 15;
      this.#subMs = style === 0 ? 0 : style < 3 ? ((r >>> 4) % 1000) * 1000 : (r >>> 4) % 1_000_000;
    } else {
      // Same millisecond (or a clock that went back): step forward by 1..997 ns.
      this.#subMs += 1 + (r % 997);
      if (this.#subMs >= 1_000_000) {
        this.#ms++;
        this.#subMs -= 1_000_000;
      }
    }
    if (this.#subMs % 1000 === 500) this.#subMs++;
    const ms = this.#ms;
    const second = Math.floor(ms / 1000);
    if (this.#prefixSecond[zone] !== second) {
      this.#prefixSecond[zone] = second;
      this.#prefix[zone] = ascii(secondPrefix(second, this.#offsets[zone] as number));
    }
    out.bytes(this.#prefix[zone] as Uint8Array);
    out.fraction((ms - second * 1000) * 1_000_000 + this.#subMs);
    out.bytes(this.#zones[zone] as Uint8Array);
  }
}

// The constant pieces of each body, pre-encoded.
const P = {
  userCreate: ascii('{"event_type":"CREATE","user_id":"'),
  userUpdate: ascii('{"event_type":"UPDATE","user_id":"'),
  userDelete: ascii('{"event_type":"DELETE","user_id":"'),
  name: ascii('","name":'),
  dob: ascii(',"dob":"'),
  createdAt: ascii('","created_at":"'),
  modifiedAtAfterName: ascii(',"modified_at":"'),
  modifiedAtAfterId: ascii('","modified_at":"'),
  orderCreate: ascii('{"event_type":"CREATE","order_id":"'),
  orderUpdate: ascii('{"event_type":"UPDATE","order_id":"'),
  orderDelete: ascii('{"event_type":"DELETE","order_id":"'),
  placedUserId: ascii('","order_status":"PLACED","user_id":"'),
  quantity: ascii('","quantity":'),
  total: ascii(',"order_total":'),
  placedAt: ascii(',"placed_at":"'),
  shippedAt: ascii('","order_status":"SHIPPED","modified_at":"'),
  cancelledAt: ascii('","order_status":"CANCELLED","modified_at":"'),
  end: ascii('"}'),
};

function percent(value: number, name: string): number {
  if (!Number.isFinite(value) || value < 0 || value > 100)
    throw new InvalidOptionError(name, `invalid ${name} ${value}: expected a percentage from 0 to 100`);
  return value;
}

export function validateMix(mix: Mix, name = 'mix'): Mix {
  const parts = [mix.create, mix.update, mix.delete];
  if (parts.some((p) => typeof p !== 'number' || !Number.isFinite(p) || p < 0) || Math.abs(parts.reduce((a, b) => a + b, 0) - 100) > 1e-9) {
    throw new InvalidOptionError(name, `invalid ${name} ${parts.join(',')}: expected CREATE,UPDATE,DELETE percentages that sum to 100`);
  }
  if (mix.create === 0)
    throw new InvalidOptionError(name, `invalid ${name} ${parts.join(',')}: CREATE must be above 0, or nothing can be updated or deleted`);
  return mix;
}

const U32 = 0x1_0000_0000;

/**
 * Creates a generator. Each `next()` picks the entity (user with probability `userShare`), then the
 * operation by `mix`. When there is no known id to update or delete, or no user for an order to refer
 * to, it makes a CREATE of the entity that allows one instead, so the realised mix drifts from the
 * requested one only while the reservoirs are empty (the first few events) or when DELETE outpaces
 * CREATE.
 */
export function createGenerator(options: GeneratorOptions = {}): Generator {
  const d = generatorDefaults;
  const seed = options.seed ?? randomSeed();
  if (!Number.isSafeInteger(seed) || seed < 0)
    throw new InvalidOptionError('seed', `invalid seed ${seed}: expected a non-negative integer`);
  const mix = validateMix(options.mix ?? d.mix);
  const userShare = percent(options.userShare ?? d.userShare, 'user-share');
  if (userShare === 0) throw new InvalidOptionError('user-share', 'invalid user-share 0: orders must refer to users this producer created');
  const unicodeShare = percent(options.unicodeShare ?? d.unicodeShare, 'unicode-share');
  const reservoirSize = options.reservoirSize ?? d.reservoirSize;
  if (!Number.isSafeInteger(reservoirSize) || reservoirSize < 1) {
    throw new InvalidOptionError('reservoir-size', `invalid reservoir-size ${reservoirSize}: expected an integer >= 1`);
  }
  const offsets = options.zoneOffsetsMinutes ?? d.zoneOffsetsMinutes;
  if (offsets.length === 0 || offsets.some((o) => !Number.isInteger(o) || Math.abs(o) >= 24 * 60)) {
    throw new InvalidOptionError(
      'zone-offsets',
      `invalid zone offsets ${offsets.join(',')}: expected whole minutes between -1439 and 1439`,
    );
  }
  const topics: TopicNames = { ...d.topics, ...options.topics };

  const prng = createPrng(seed);
  const clock = new EventClock(options.now ?? Date.now, prng, offsets);
  const users = new IdReservoir(reservoirSize, prng);
  const orders = new IdReservoir(reservoirSize, prng);
  const dobTable = dobs();
  const out = new SlabEncoder();
  const removed = new Uint32Array(4);
  // Thresholds on a 32-bit draw, so each choice costs one draw and one comparison.
  const userBelow = (userShare / 100) * U32;
  const createBelow = (mix.create / 100) * U32;
  const updateBelow = ((mix.create + mix.update) / 100) * U32;
  const specialBelow = (unicodeShare / 100) * U32;
  const usersTopic = topics.users;
  const ordersTopic = topics.orders;

  /** Writes the id in a reservoir slot; returns where it starts. */
  const writeId = (words: Uint32Array, i: number): number => {
    const at = out.pos;
    out.uuid(words[i] as number, words[i + 1] as number, words[i + 2] as number, words[i + 3] as number);
    return at;
  };

  // The slot of the id newId() last placed; returning it alongside the position would allocate.
  let newSlot = -1;

  /** Draws a new version-4 UUID (crypto.randomUUID cannot be seeded), remembers it, writes it. */
  const newId = (reservoir: IdReservoir): number => {
    newSlot = reservoir.add(prng.u32(), (prng.u32() & 0xffff0fff) | 0x4000, ((prng.u32() & 0x3fffffff) | 0x80000000) >>> 0, prng.u32());
    return writeId(reservoir.words, newSlot * 4);
  };

  const writeName = (): void => {
    if (prng.u32() < specialBelow) out.utf8String(goString(specialName(prng)));
    else writeAsciiName(prng, out);
  };

  const finish = (topic: string, keyAt: number, entity: EntityKind, type: EventType, slot: number, movedFrom: number): GeneratedEvent =>
    new Event(topic, out.view(keyAt, keyAt + 36), out.end(), entity, type, slot, movedFrom);

  const userEvent = (op: number): GeneratedEvent => {
    out.begin();
    if (op >= createBelow && users.size > 0) {
      if (op < updateBelow) {
        out.bytes(P.userUpdate);
        const slot = users.pick();
        const keyAt = writeId(users.words, slot * 4);
        out.bytes(P.name);
        writeName();
        out.bytes(P.modifiedAtAfterName);
        clock.write(out);
        out.bytes(P.end);
        return finish(usersTopic, keyAt, 'user', 'UPDATE', slot, -1);
      }
      out.bytes(P.userDelete);
      const slot = users.pick();
      users.remove(slot, removed);
      const keyAt = writeId(removed, 0);
      out.bytes(P.modifiedAtAfterId);
      clock.write(out);
      out.bytes(P.end);
      return finish(usersTopic, keyAt, 'user', 'DELETE', slot, users.size);
    }
    out.bytes(P.userCreate);
    const keyAt = newId(users);
    out.bytes(P.name);
    writeName();
    out.bytes(P.dob);
    out.slice(dobTable, prng.below(DOB_DAYS) * 10, 10);
    out.bytes(P.createdAt);
    clock.write(out);
    out.bytes(P.end);
    return finish(usersTopic, keyAt, 'user', 'CREATE', newSlot, -1);
  };

  const orderEvent = (op: number): GeneratedEvent => {
    out.begin();
    if (op >= createBelow && orders.size > 0) {
      if (op < updateBelow) {
        out.bytes(P.orderUpdate);
        const slot = orders.pick();
        const keyAt = writeId(orders.words, slot * 4);
        out.bytes(P.shippedAt);
        clock.write(out);
        out.bytes(P.end);
        return finish(ordersTopic, keyAt, 'order', 'UPDATE', slot, -1);
      }
      out.bytes(P.orderDelete);
      const slot = orders.pick();
      orders.remove(slot, removed);
      const keyAt = writeId(removed, 0);
      out.bytes(P.cancelledAt);
      clock.write(out);
      out.bytes(P.end);
      return finish(ordersTopic, keyAt, 'order', 'DELETE', slot, orders.size);
    }
    // No user yet for an order to refer to: create one instead.
    if (users.size === 0) return userEvent(0);
    out.bytes(P.orderCreate);
    const keyAt = newId(orders);
    out.bytes(P.placedUserId);
    writeId(users.words, users.pick() * 4);
    out.bytes(P.quantity);
    const quantity = 1 + prng.below(100);
    out.uint(quantity);
    out.bytes(P.total);
    // A unit price of 1..100 with full float64 precision: totals like 1234.5678901234567.
    out.asciiString(goFloat(quantity * (1 + prng.float53() * 99)));
    out.bytes(P.placedAt);
    clock.write(out);
    out.bytes(P.end);
    return finish(ordersTopic, keyAt, 'order', 'CREATE', newSlot, -1);
  };

  return {
    seed,
    topics,
    next: () => {
      const entity = prng.u32();
      const op = prng.u32();
      return entity < userBelow ? userEvent(op) : orderEvent(op);
    },
    knownIds: () => ({ users: users.size, orders: orders.size }),
  };
}
