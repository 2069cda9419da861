import { expect } from 'chai';
import {
  createGenerator,
  DebeziumEncoder,
  type DebeziumMessage,
  debeziumSource,
  decimalBase64,
  type GeneratedEvent,
  type GeneratorOptions,
  type OrderRow,
  roundDecimal,
  TableModel,
  toModelTimestamp,
  type UserRow,
  type WireEvent,
} from '../../../lib/loadgen/generator/index.js';
import { debeziumKeySchema, debeziumValueSchema, schemaNamePrefix } from '../../../lib/loadgen/generator/debezium.js';

const FIXED_NOW = Date.UTC(2025, 6, 1, 12, 34, 56, 789);
const U1 = '11111111-1111-4111-8111-111111111111';
const U2 = '22222222-2222-4222-8222-222222222222';
const O1 = '0000000a-0000-4000-8000-00000000000a';
const O2 = '0000000b-0000-4000-8000-00000000000b';

/** An event as the generator would hand it out, from a wire event written by hand. */
function handMade(e: WireEvent, slots: { slot?: number; movedFrom?: number } = {}): GeneratedEvent {
  const entity = 'order_id' in e ? 'order' : 'user';
  const id = 'order_id' in e ? e.order_id : e.user_id;
  return {
    topic: entity === 'user' ? 'users' : 'orders',
    key: Buffer.from(id, 'latin1'),
    value: Buffer.from(JSON.stringify(e), 'utf8'),
    entity,
    type: e.event_type,
    id,
    ...slots,
  };
}

function take(n: number, options: GeneratorOptions): GeneratedEvent[] {
  const g = createGenerator({ now: () => FIXED_NOW, ...options });
  return Array.from({ length: n }, () => g.next());
}

interface Envelope {
  before: unknown;
  after: Record<string, unknown>;
  source: Record<string, unknown>;
  transaction: unknown;
  op: string;
  ts_ms: number;
  ts_us: number;
  ts_ns: number;
}

const payload = (m: DebeziumMessage | undefined): Envelope => {
  if (m === undefined) throw new Error('expected a message');
  return JSON.parse(m.value.toString('utf8')) as Envelope;
};
const after = (m: DebeziumMessage | undefined) => payload(m).after;

/** The inverse of Kafka Connect's Decimal bytes: base64 -> two's complement -> text with `scale` decimals. */
function decodeDecimal(base64: string, scale = 2): string {
  const bytes = Buffer.from(base64, 'base64');
  let n = 0n;
  for (const b of bytes) n = (n << 8n) | BigInt(b);
  if (bytes.length > 0 && (bytes[0] as number) >= 0x80) n -= 1n << BigInt(8 * bytes.length);
  const negative = n < 0n;
  const digits = (negative ? -n : n).toString().padStart(scale + 1, '0');
  return `${negative ? '-' : ''}${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
}

const DAY_MS = 86_400_000;

describe('generator/debezium', () => {
  describe('operations', () => {
    it('writes each seed operation as the change it made to the Go tables, as Debezium captures it', () => {
      const enc = new DebeziumEncoder({ now: () => FIXED_NOW });
      const createdAt = '2025-07-01T12:00:00.1234567+02:00';
      const uc = enc.encode(handMade({ event_type: 'CREATE', user_id: U1, name: 'ann lee', dob: '1990-05-17', created_at: createdAt }));
      expect(uc?.op).to.equal('c');
      expect(payload(uc).before).to.equal(null);
      const userRow = {
        id: U1,
        name: 'ann lee',
        dob: Date.UTC(1990, 4, 17) / DAY_MS,
        created_at: '2025-07-01T10:00:00.123457Z',
        modified_at: '2025-07-01T10:00:00.123457Z',
        is_deleted: false,
      };
      expect(after(uc)).to.deep.equal(userRow);

      const uu = enc.encode(handMade({ event_type: 'UPDATE', user_id: U1, name: 'ann smith', modified_at: '2025-07-01T10:00:01Z' }));
      expect([uu?.op, payload(uu).before]).to.deep.equal(['u', null]);
      expect(after(uu)).to.deep.equal({ ...userRow, name: 'ann smith', modified_at: '2025-07-01T10:00:01.000000Z' });

      const oc = enc.encode(
        handMade({
          event_type: 'CREATE',
          order_id: O1,
          order_status: 'PLACED',
          user_id: U1,
          quantity: 3,
          order_total: 12.345,
          placed_at: '2025-07-01T10:00:02.5Z',
        }),
      );
      expect(oc?.op).to.equal('c');
      const orderRow = {
        id: O1,
        status: 'PLACED',
        user_id: U1,
        quantity: 3,
        total_amount: Buffer.from([0x04, 0xd3]).toString('base64'), // 1235 = 12.35
        placed_at: '2025-07-01T10:00:02.500000Z',
        modified_at: '2025-07-01T10:00:02.500000Z',
        is_deleted: false,
      };
      expect(after(oc)).to.deep.equal(orderRow);

      const ou = enc.encode(handMade({ event_type: 'UPDATE', order_id: O1, order_status: 'SHIPPED', modified_at: '2025-07-01T10:00:03Z' }));
      expect(ou?.op).to.equal('u');
      expect(after(ou)).to.deep.equal({ ...orderRow, status: 'SHIPPED', modified_at: '2025-07-01T10:00:03.000000Z' });

      const od = enc.encode(
        handMade({ event_type: 'DELETE', order_id: O1, order_status: 'CANCELLED', modified_at: '2025-07-01T10:00:04Z' }),
      );
      // The Go tables soft-delete: an update, not a Debezium delete.
      expect(od?.op).to.equal('u');
      expect(after(od)).to.deep.equal({ ...orderRow, status: 'CANCELLED', modified_at: '2025-07-01T10:00:04.000000Z', is_deleted: true });

      const ud = enc.encode(handMade({ event_type: 'DELETE', user_id: U1, modified_at: '2025-07-01T10:00:05Z' }));
      expect(ud?.op).to.equal('u');
      expect(after(ud)).to.deep.equal({ ...userRow, name: 'ann smith', modified_at: '2025-07-01T10:00:05.000000Z', is_deleted: true });

      expect([uc, uu, oc, ou, od, ud].map((m) => m?.topic)).to.deep.equal(['users', 'users', 'orders', 'orders', 'orders', 'users']);
      expect(enc.skipped).to.deep.equal({ users: 0, orders: 0 });
    });

    it("shows the soft-delete trigger's mark in the later changes of the deleted user's orders", () => {
      const enc = new DebeziumEncoder();
      enc.encode(handMade({ event_type: 'CREATE', user_id: U1, name: 'a b', dob: '2000-01-01', created_at: '2025-07-01T00:00:00Z' }));
      enc.encode(handMade({ event_type: 'CREATE', user_id: U2, name: 'c d', dob: '2000-01-01', created_at: '2025-07-01T00:00:00Z' }));
      const order = (id: string, user: string) =>
        handMade({
          event_type: 'CREATE',
          order_id: id,
          order_status: 'PLACED',
          user_id: user,
          quantity: 1,
          order_total: 1,
          placed_at: '2025-07-01T00:00:01Z',
        });
      enc.encode(order(O1, U1));
      enc.encode(order(O2, U2));
      enc.encode(handMade({ event_type: 'DELETE', user_id: U1, modified_at: '2025-07-01T00:00:02Z' }));
      const ship = (id: string) =>
        enc.encode(handMade({ event_type: 'UPDATE', order_id: id, order_status: 'SHIPPED', modified_at: '2025-07-01T00:00:03Z' }));
      expect(after(ship(O1)).is_deleted).to.equal(true);
      expect(after(ship(O2)).is_deleted).to.equal(false);
    });

    it('writes nothing for an UPDATE or DELETE of an id with no row, and counts it', () => {
      const enc = new DebeziumEncoder();
      expect(enc.encode(handMade({ event_type: 'UPDATE', user_id: U1, name: 'x y', modified_at: '2025-07-01T00:00:00Z' }))).to.equal(
        undefined,
      );
      expect(enc.encode(handMade({ event_type: 'DELETE', user_id: U2, modified_at: '2025-07-01T00:00:00Z' }))).to.equal(undefined);
      expect(
        enc.encode(handMade({ event_type: 'DELETE', order_id: O1, order_status: 'CANCELLED', modified_at: '2025-07-01T00:00:00Z' })),
      ).to.equal(undefined);
      expect(enc.skipped).to.deep.equal({ users: 2, orders: 1 });
      // A deleted row is never updated again by the generator; the encoder no longer holds it.
      enc.encode(handMade({ event_type: 'CREATE', user_id: U1, name: 'a b', dob: '2000-01-01', created_at: '2025-07-01T00:00:00Z' }));
      expect(enc.encode(handMade({ event_type: 'DELETE', user_id: U1, modified_at: '2025-07-01T00:00:01Z' }))).not.to.equal(undefined);
      expect(enc.tracked()).to.deep.equal({ users: 0, orders: 0 });
    });

    it('skips exactly the events the model ignores when started in the middle of a stream', () => {
      const events = take(40_000, { seed: 61, reservoirSize: 2000 });
      const tail = events.slice(15_000);
      const enc = new DebeziumEncoder();
      let written = 0;
      for (const e of tail) if (enc.encode(e) !== undefined) written++;
      const model = new TableModel().applyAll(tail.map((e) => e.value));
      const skipped = enc.skipped.users + enc.skipped.orders;
      expect(skipped).to.be.greaterThan(1000);
      expect(skipped).to.equal(model.counts.ignored);
      expect(written + skipped).to.equal(tail.length);
    });

    it('makes a second CREATE of an id an update of the whole row (an upsert)', () => {
      const enc = new DebeziumEncoder();
      const create = (name: string) =>
        enc.encode(handMade({ event_type: 'CREATE', user_id: U1, name, dob: '2000-01-01', created_at: '2025-07-01T00:00:00Z' }));
      expect(create('a b')?.op).to.equal('c');
      const again = create('c d');
      expect(again?.op).to.equal('u');
      expect(after(again).name).to.equal('c d');
    });
  });

  describe('JsonConverter output', () => {
    const events = take(3000, { seed: 71, unicodeShare: 30 });

    it('without schemas: the key {"id"} and the envelope payload, with the source block of a connector named cdc', () => {
      let now = FIXED_NOW;
      const enc = new DebeziumEncoder({ now: () => now++ });
      let lastLsn: number | undefined;
      let lastTx = 0;
      for (const [i, e] of events.entries()) {
        const m = enc.encode(e) as DebeziumMessage;
        expect(m.topic).to.equal(e.topic);
        expect(JSON.parse(m.key.toString('utf8'))).to.deep.equal({ id: e.id });
        const p = payload(m);
        expect(Object.keys(p)).to.deep.equal(['before', 'after', 'source', 'transaction', 'op', 'ts_ms', 'ts_us', 'ts_ns']);
        const body = JSON.parse(e.value.toString('utf8')) as Record<string, string>;
        const at = toModelTimestamp(body.created_at ?? body.placed_at ?? (body.modified_at as string));
        const micros = Date.parse(at) * 1000 + (Number(at.slice(20, 26)) % 1000);
        const lsn = p.source.lsn as number;
        expect(p.source).to.deep.equal({
          version: '2.7.0.Final',
          connector: 'postgresql',
          name: 'cdc',
          ts_ms: Math.floor(micros / 1000),
          snapshot: 'false',
          db: 'cdc',
          sequence: JSON.stringify([lastLsn === undefined ? null : String(lastLsn), String(lsn)]),
          ts_us: micros,
          // Above 2^53: compare the digits.
          ts_ns: p.source.ts_ns,
          schema: 'public',
          table: e.entity === 'user' ? 'users' : 'orders',
          txId: p.source.txId,
          lsn,
          xmin: null,
        });
        expect(/"ts_ns":(\d+),"schema"/.exec(m.value.toString())?.[1]).to.equal(`${micros}000`);
        expect(p.source.txId as number).to.be.greaterThan(lastTx);
        if (lastLsn !== undefined) expect(lsn).to.be.greaterThan(lastLsn);
        lastTx = p.source.txId as number;
        lastLsn = lsn;
        expect([p.transaction, p.ts_ms, p.ts_us]).to.deep.equal([null, FIXED_NOW + i, (FIXED_NOW + i) * 1000]);
        expect(/"ts_ns":(\d+)}$/.exec(m.value.toString())?.[1]).to.equal(`${FIXED_NOW + i}000000`);
      }
    });

    it('with schemas: {"schema", "payload"} for key and value, the schema Debezium declares for each table', () => {
      const plain = new DebeziumEncoder({ now: () => FIXED_NOW });
      const enc = new DebeziumEncoder({ schemas: true, topics: { users: 'u_t', orders: 'o_t' }, now: () => FIXED_NOW });
      const uuid = { type: 'string', optional: false, name: 'io.debezium.data.Uuid', version: 1 };
      const zoned = {
        type: 'string',
        optional: true,
        name: 'io.debezium.time.ZonedTimestamp',
        version: 1,
        default: '1970-01-01T00:00:00.000000Z',
      };
      const isDeleted = { type: 'boolean', optional: true, default: false, field: 'is_deleted' };
      const columns = {
        user: [
          { ...uuid, field: 'id' },
          { type: 'string', optional: false, field: 'name' },
          { type: 'int32', optional: false, name: 'io.debezium.time.Date', version: 1, field: 'dob' },
          { ...zoned, field: 'created_at' },
          { ...zoned, field: 'modified_at' },
          isDeleted,
        ],
        order: [
          { ...uuid, field: 'id' },
          { type: 'string', optional: false, field: 'status' },
          { ...uuid, field: 'user_id' },
          { type: 'int32', optional: false, field: 'quantity' },
          {
            type: 'bytes',
            optional: false,
            name: 'org.apache.kafka.connect.data.Decimal',
            version: 1,
            parameters: { scale: '2', 'connect.decimal.precision': '10' },
            field: 'total_amount',
          },
          { ...zoned, field: 'placed_at' },
          { ...zoned, field: 'modified_at' },
          isDeleted,
        ],
      };
      const prefixes = new Set<string>();
      for (const e of events.slice(0, 500)) {
        const m = enc.encode(e) as DebeziumMessage;
        const topic = e.entity === 'user' ? 'u_t' : 'o_t';
        expect(JSON.parse(m.key.toString('utf8'))).to.deep.equal({
          schema: {
            type: 'struct',
            fields: [{ type: 'string', optional: false, name: 'io.debezium.data.Uuid', version: 1, field: 'id' }],
            optional: false,
            name: `${topic}.Key`,
          },
          payload: { id: e.id },
        });
        const value = JSON.parse(m.value.toString('utf8')) as { schema: Record<string, unknown>; payload: Envelope };
        expect(Object.keys(value)).to.deep.equal(['schema', 'payload']);
        // The payload is exactly what the schema-less form carries.
        expect(value.payload).to.deep.equal(payload(plain.encode(e)));
        const s = value.schema as { type: string; fields: Record<string, unknown>[]; optional: boolean; name: string; version: number };
        expect([s.type, s.optional, s.name, s.version]).to.deep.equal(['struct', false, `${topic}.Envelope`, 2]);
        expect(s.fields.map((f) => f.field)).to.deep.equal(['before', 'after', 'source', 'transaction', 'op', 'ts_ms', 'ts_us', 'ts_ns']);
        for (const f of s.fields.slice(0, 2)) {
          expect(f).to.deep.equal({ type: 'struct', fields: columns[e.entity], optional: true, name: `${topic}.Value`, field: f.field });
        }
        const source = s.fields[2] as { name: string; optional: boolean; fields: { field: string; type: string; optional: boolean }[] };
        expect([source.name, source.optional]).to.deep.equal(['io.debezium.connector.postgresql.Source', false]);
        expect(source.fields.map((f) => `${f.field}:${f.type}${f.optional ? '?' : ''}`)).to.deep.equal([
          'version:string',
          'connector:string',
          'name:string',
          'ts_ms:int64',
          'snapshot:string?',
          'db:string',
          'sequence:string?',
          'ts_us:int64?',
          'ts_ns:int64?',
          'schema:string',
          'table:string',
          'txId:int64?',
          'lsn:int64?',
          'xmin:int64?',
        ]);
        expect(s.fields.slice(3)).to.deep.equal([
          {
            type: 'struct',
            fields: [
              { type: 'string', optional: false, field: 'id' },
              { type: 'int64', optional: false, field: 'total_order' },
              { type: 'int64', optional: false, field: 'data_collection_order' },
            ],
            optional: true,
            name: 'event.block',
            version: 1,
            field: 'transaction',
          },
          { type: 'string', optional: false, field: 'op' },
          { type: 'int64', optional: true, field: 'ts_ms' },
          { type: 'int64', optional: true, field: 'ts_us' },
          { type: 'int64', optional: true, field: 'ts_ns' },
        ]);
        const text = m.value.toString('utf8');
        prefixes.add(text.slice(0, text.indexOf(',"payload":')));
      }
      // One constant schema per topic.
      expect(prefixes.size).to.equal(2);
    });

    it("writes names as JsonConverter does (Jackson's escapes, not Go's) and keeps them exact", () => {
      const enc = new DebeziumEncoder();
      let escaped = 0;
      for (const e of events) {
        const m = enc.encode(e);
        if (e.entity !== 'user' || e.type === 'DELETE') continue;
        const seed = JSON.parse(e.value.toString('utf8')) as { name: string };
        expect(after(m).name).to.equal(seed.name);
        const text = m?.value.toString('utf8') ?? '';
        expect(text).to.include(JSON.stringify(seed.name));
        if (/\\u00(3c|3e|26)/.test(e.value.toString('utf8'))) escaped++;
      }
      expect(escaped).to.be.greaterThan(10);
    });

    it('reads events laid out any other way through JSON.parse, with the same result', () => {
      const a = new DebeziumEncoder({ now: () => FIXED_NOW });
      const b = new DebeziumEncoder({ now: () => FIXED_NOW });
      for (const e of events) {
        const body = JSON.parse(e.value.toString('utf8')) as Record<string, unknown>;
        // Same fields in reverse order, with spaces: not the generator's layout.
        const reordered = `{ ${Object.entries(body)
          .reverse()
          .map(([k, v]) => `${JSON.stringify(k)}: ${JSON.stringify(v)}`)
          .join(', ')} }`;
        const other = { ...e, id: e.id, value: Buffer.from(reordered, 'utf8') };
        expect(b.encode(other)?.value.toString('utf8')).to.equal(a.encode(e)?.value.toString('utf8'));
      }
    });

    it('leaves the events alone and never reuses the bytes of a message it handed out', () => {
      const enc = new DebeziumEncoder({ schemas: true });
      const more = take(30_000, { seed: 72 });
      const kept = more.slice(0, 2000).map((e) => {
        const copy = Buffer.from(e.value);
        const m = enc.encode(e) as DebeziumMessage;
        expect(e.value.equals(copy)).to.equal(true);
        return { m, key: Buffer.from(m.key), value: Buffer.from(m.value) };
      });
      for (const e of more.slice(2000)) enc.encode(e);
      for (const k of kept) expect(k.m.key.equals(k.key) && k.m.value.equals(k.value)).to.equal(true);
    });
  });

  describe('column values', () => {
    it("encodes numeric(10,2) as the unscaled two's-complement bytes of the value rounded as roundDecimal does", () => {
      const enc = new DebeziumEncoder();
      let orders = 0;
      for (const e of take(20_000, { seed: 81 })) {
        const m = enc.encode(e);
        if (e.entity !== 'order' || e.type !== 'CREATE') continue;
        orders++;
        const total = (JSON.parse(e.value.toString('utf8')) as { order_total: number }).order_total;
        expect(decodeDecimal(after(m).total_amount as string)).to.equal(roundDecimal(String(total)));
      }
      expect(orders).to.be.greaterThan(3000);
      const cases: [number | string, number[]][] = [
        [0, [0x00]],
        [0.004, [0x00]],
        [0.005, [0x01]],
        [1.27, [0x7f]],
        [1.28, [0x00, 0x80]],
        [2.55, [0x00, 0xff]],
        [2.56, [0x01, 0x00]],
        [-0.01, [0xff]],
        [-1.28, [0x80]],
        [-1.29, [0xff, 0x7f]],
        [-1.005, [0x9b]],
        ['99999999.99', [0x02, 0x54, 0x0b, 0xe3, 0xff]],
      ];
      for (const [value, bytes] of cases) {
        expect(decimalBase64(value), String(value)).to.equal(Buffer.from(bytes).toString('base64'));
        expect(decodeDecimal(decimalBase64(value))).to.equal(roundDecimal(String(value)));
      }
      // Postgres refuses a value numeric(10,2) cannot hold, so the Go table never had one.
      expect(() => decimalBase64(100_000_000)).to.throw(RangeError);
      expect(() => decimalBase64('99999999.995')).to.throw(RangeError);
    });

    it('encodes dob as days since 1970-01-01, negative before', () => {
      const enc = new DebeziumEncoder();
      for (const e of take(5000, { seed: 82 })) {
        const m = enc.encode(e);
        if (e.entity !== 'user' || e.type !== 'CREATE') continue;
        const dob = (JSON.parse(e.value.toString('utf8')) as { dob: string }).dob;
        expect(new Date((after(m).dob as number) * DAY_MS).toISOString().slice(0, 10)).to.equal(dob);
      }
      const dobOf = (dob: string) =>
        after(
          new DebeziumEncoder().encode(
            handMade({ event_type: 'CREATE', user_id: U1, name: 'a b', dob, created_at: '2025-07-01T00:00:00Z' }),
          ),
        ).dob;
      expect(dobOf('1970-01-01')).to.equal(0);
      expect(dobOf('1969-12-31')).to.equal(-1);
      expect(dobOf('1960-02-29')).to.equal(Date.UTC(1960, 1, 29) / DAY_MS);
      expect(dobOf('1900-03-01')).to.equal(Date.UTC(1900, 2, 1) / DAY_MS);
      expect(dobOf('2000-02-29')).to.equal(Date.UTC(2000, 1, 29) / DAY_MS);
      const year50 = new Date(0);
      year50.setUTCFullYear(50, 0, 1);
      expect(dobOf('0050-01-01')).to.equal(year50.getTime() / DAY_MS);
    });

    it("writes timestamptz as the instant toModelTimestamp gives (UTC, microseconds, Postgres's rounding)", () => {
      const enc = new DebeziumEncoder();
      let checked = 0;
      for (const e of take(20_000, { seed: 83, zoneOffsetsMinutes: [0, 330, -480, 45] })) {
        const m = enc.encode(e);
        const body = JSON.parse(e.value.toString('utf8')) as Record<string, string>;
        const row = after(m);
        const wireAt = body.created_at ?? body.placed_at ?? (body.modified_at as string);
        expect(row.modified_at).to.equal(toModelTimestamp(wireAt));
        if (body.created_at) expect(row.created_at).to.equal(toModelTimestamp(body.created_at));
        if (body.placed_at) expect(row.placed_at).to.equal(toModelTimestamp(body.placed_at));
        checked++;
      }
      expect(checked).to.equal(20_000);
      const at = (wire: string) =>
        enc.encode(handMade({ event_type: 'CREATE', user_id: U2, name: 'a b', dob: '2000-01-01', created_at: wire }));
      for (const wire of [
        '2025-07-01T12:00:00Z',
        '2025-07-01T12:00:00.5Z',
        '2025-07-01T12:00:00.1234565Z', // tie: to even
        '2025-07-01T12:00:00.1234575Z',
        '2025-07-01T12:00:00.123456501Z',
        '2025-12-31T23:59:59.9999995Z', // carries into the next year
        '2025-12-31T23:59:59.9999994Z',
        '2025-07-01T05:30:00.000001+05:30',
        '1969-12-31T23:59:59.999999Z',
      ]) {
        const p = payload(at(wire));
        const model = toModelTimestamp(wire);
        expect(p.after.created_at, wire).to.equal(model);
        expect(p.source.ts_us, wire).to.equal(Date.parse(model) * 1000 + (Number(model.slice(20, 26)) % 1000));
      }
      expect(() => at('2025-02-30T00:00:00Z')).to.throw(RangeError);
      expect(() => at('2025-07-01T12:00:00.Z')).to.throw(RangeError);
    });
  });

  describe('against the model', () => {
    it('leaves, applied with the mapping (soft delete, cascade to orders), the tables the model expects', () => {
      const events = take(60_000, { seed: 91, reservoirSize: 400, unicodeShare: 10, zoneOffsetsMinutes: [0, 330] });
      const enc = new DebeziumEncoder();
      // What the consumer's mapping does with the messages: upsert `after` by key, soft deletes as
      // given, and a user's soft delete marking its orders (cascade-delete).
      const users = new Map<string, Record<string, unknown>>();
      const orders = new Map<string, Record<string, unknown>>();
      for (const e of events) {
        const m = enc.encode(e);
        if (m === undefined) continue;
        const row = after(m);
        (e.entity === 'user' ? users : orders).set(row.id as string, row);
      }
      const userRows: UserRow[] = [...users.values()]
        .map((u) => ({
          id: u.id as string,
          name: u.name as string,
          dob: new Date((u.dob as number) * DAY_MS).toISOString().slice(0, 10),
          created_at: u.created_at as string,
          modified_at: u.modified_at as string,
          is_deleted: u.is_deleted as boolean,
        }))
        .sort((a, b) => (a.id < b.id ? -1 : 1));
      const orderRows: OrderRow[] = [...orders.values()]
        .map((o) => ({
          id: o.id as string,
          status: o.status as string,
          user_id: o.user_id as string,
          quantity: o.quantity as number,
          total_amount: decodeDecimal(o.total_amount as string),
          placed_at: o.placed_at as string,
          modified_at: o.modified_at as string,
          is_deleted: (o.is_deleted as boolean) || users.get(o.user_id as string)?.is_deleted === true,
        }))
        .sort((a, b) => (a.id < b.id ? -1 : 1));
      const model = new TableModel().applyAll(events.map((e) => e.value));
      expect(enc.skipped).to.deep.equal({ users: 0, orders: 0 });
      expect(userRows).to.deep.equal(model.users());
      expect(orderRows).to.deep.equal(model.orders());
    });
  });

  describe('bounded memory', () => {
    it("keeps rows for exactly the generator's known ids, never more than the reservoir holds", () => {
      const g = createGenerator({ seed: 101, reservoirSize: 100 });
      const enc = new DebeziumEncoder();
      let max = 0;
      let mismatches = 0;
      // Plain comparisons in the loop (a chai assertion per event made this test the suite's slowest).
      for (let i = 0; i < 100_000; i++) {
        enc.encode(g.next());
        const t = enc.tracked();
        const known = g.knownIds();
        if (t.users !== known.users || t.orders !== known.orders) mismatches++;
        max = Math.max(max, t.users, t.orders);
      }
      expect(mismatches).to.equal(0);
      expect(max).to.equal(100);
    });
  });

  it('names the source block as documented', () => {
    expect(debeziumSource).to.deep.include({ version: '2.7.0.Final', connector: 'postgresql', name: 'cdc', db: 'cdc', schema: 'public' });
  });

  it('adjusts schema names as schema.name.adjustment.mode=avro does, so a hyphenated topic gives names Avro takes', () => {
    expect(schemaNamePrefix('dbserver1.inventory.customers')).to.equal('dbserver1.inventory.customers');
    expect(schemaNamePrefix('demo-mxd1-users')).to.equal('demo_mxd1_users');
    expect(schemaNamePrefix('1st.a b.')).to.equal('_1st.a_b._');
    expect(debeziumKeySchema('demo-x-users').name).to.equal('demo_x_users.Key');
    const value = debeziumValueSchema('demo-x-users', 'users');
    expect(value.name).to.equal('demo_x_users.Envelope');
    const fields = value.fields as Array<Record<string, unknown>>;
    expect(fields.find((f) => f.field === 'after')?.name).to.equal('demo_x_users.Value');
  });
});
