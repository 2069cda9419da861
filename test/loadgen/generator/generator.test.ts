import { createHash } from 'node:crypto';
import v8 from 'node:v8';
import vm from 'node:vm';
import { expect } from 'chai';
import { createGenerator, type GeneratedEvent, parseRfc3339, validateEvent, wireFields } from '../../../lib/loadgen/generator/index.js';

const FIXED_NOW = Date.UTC(2025, 6, 1, 12, 34, 56, 789);

function take(n: number, options: Parameters<typeof createGenerator>[0]): GeneratedEvent[] {
  const g = createGenerator(options);
  return Array.from({ length: n }, () => g.next());
}

/** Go's RFC 3339 with nanoseconds: no trailing zero in the fraction, Z or a numeric offset. */
const GO_TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{0,8}[1-9])?(Z|[+-]\d{2}:\d{2})$/;

function epochNanos(text: string): bigint {
  const t = parseRfc3339(text);
  if (!t) throw new Error(`bad timestamp ${text}`);
  return BigInt(t.epochSeconds) * 1_000_000_000n + BigInt(t.nanos);
}

describe('generator/generator', () => {
  describe('wire format', () => {
    // A clock that moves one millisecond every third read: a new millisecond every few events, as a
    // producer running at its usual pace sees, the same on every machine (with the wall clock, a fast run
    // could go by in so few milliseconds that no whole-millisecond fraction was drawn).
    let reads = 0;
    const events = take(20_000, { seed: 11, now: () => FIXED_NOW + Math.floor(reads++ / 3) });

    it('writes exactly the fields of each event type, in Go struct order, with absent (not null) optional fields', () => {
      const seen = new Set<string>();
      for (const e of events) {
        const text = e.value.toString('utf8');
        expect(text).not.to.include('null');
        const keys = Object.keys(JSON.parse(text));
        expect(keys).to.deep.equal([...wireFields[e.entity][e.type]], text);
        seen.add(`${e.entity} ${e.type}`);
        validateEvent(e.value);
      }
      expect([...seen].sort()).to.deep.equal(['order CREATE', 'order DELETE', 'order UPDATE', 'user CREATE', 'user DELETE', 'user UPDATE']);
    });

    it('keys each message by its entity id and sends users and orders to their own topics', () => {
      for (const e of events) {
        const body = JSON.parse(e.value.toString('utf8'));
        const id = e.entity === 'user' ? body.user_id : body.order_id;
        expect(e.key.toString('latin1')).to.equal(id);
        expect(e.id).to.equal(id);
        expect(e.topic).to.equal(e.entity === 'user' ? 'users' : 'orders');
        expect(id).to.match(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      }
    });

    it('writes timestamps as Go does, with every fraction length, and dob as a 1970-2015 date', () => {
      const fractionLengths = new Set<number>();
      for (const e of events) {
        const body = JSON.parse(e.value.toString('utf8'));
        for (const field of ['created_at', 'modified_at', 'placed_at']) {
          const ts = body[field];
          if (ts === undefined) continue;
          expect(ts).to.match(GO_TIMESTAMP);
          fractionLengths.add(/\.(\d+)/.exec(ts)?.[1]?.length ?? 0);
        }
        if (body.dob !== undefined) {
          expect(body.dob).to.match(/^\d{4}-\d{2}-\d{2}$/);
          expect(body.dob >= '1970-01-01' && body.dob <= '2015-12-31').to.equal(true, body.dob);
        }
      }
      // Full nanoseconds, whole microseconds and whole milliseconds all occur.
      expect(fractionLengths).to.include(9);
      expect([...fractionLengths].some((n) => n > 0 && n <= 6)).to.equal(true);
      expect([...fractionLengths].some((n) => n > 0 && n <= 3)).to.equal(true);
    });

    it('writes order_total as the shortest round-trip float64, with full precision', () => {
      let longDigits = 0;
      for (const e of events) {
        if (e.entity !== 'order' || e.type !== 'CREATE') continue;
        const raw = /"order_total":([^,}]+)/.exec(e.value.toString('utf8'))?.[1] as string;
        expect(raw).to.match(/^\d+(\.\d+)?$/);
        expect(String(Number(raw))).to.equal(raw);
        if (raw.replace('.', '').length >= 15) longDigits++;
      }
      expect(longDigits).to.be.greaterThan(1000);
    });

    it('escapes <, >, &, U+2028 and U+2029 as Go does and writes other non-ASCII text as raw UTF-8', () => {
      const special = take(3000, { seed: 5, unicodeShare: 100 });
      let astral = 0;
      let escaped = 0;
      for (const e of special) {
        if (!(e.entity === 'user' && e.type !== 'DELETE')) continue;
        const text = e.value.toString('utf8');
        expect(text).not.to.match(/[<>&\u2028\u2029]/);
        if (/\\u003c|\\u003e|\\u0026|\\u2028|\\u2029/.test(text)) escaped++;
        const name: string = JSON.parse(text).name;
        expect([...name].length).to.be.at.most(50);
        if (/[\u{10000}-\u{10FFFF}]/u.test(name)) {
          astral++;
          // Raw UTF-8, not \ud83d-style escapes.
          expect(text).not.to.match(/\\ud[89ab]/i);
        }
      }
      expect(escaped).to.be.greaterThan(10);
      expect(astral).to.be.greaterThan(10);
    });

    it('keeps every event intact after later events are written (no buffer reuse)', () => {
      const g = createGenerator({ seed: 3 });
      const kept = Array.from({ length: 5000 }, () => g.next());
      const copies = kept.map((e) => Buffer.from(e.value));
      for (let i = 0; i < 20_000; i++) g.next();
      kept.forEach((e, i) => {
        expect(e.value.equals(copies[i] as Buffer)).to.equal(true);
        expect(validateEvent(e.value).id).to.equal(e.key.toString('latin1'));
      });
    });

    it('gives strictly increasing timestamps that are never a half-microsecond tie, in every zone asked for', () => {
      const zoned = take(5000, { seed: 8, zoneOffsetsMinutes: [0, 330, -480] });
      let last = -1n;
      const zones = new Set<string>();
      for (const e of zoned) {
        const body = JSON.parse(e.value.toString('utf8'));
        const ts: string = body.created_at ?? body.placed_at ?? body.modified_at;
        zones.add(/(Z|[+-]\d{2}:\d{2})$/.exec(ts)?.[1] as string);
        const ns = epochNanos(ts);
        expect(ns > last).to.equal(true, ts);
        expect(ns % 1000n).not.to.equal(500n);
        last = ns;
      }
      expect([...zones].sort()).to.deep.equal(['+05:30', '-08:00', 'Z']);
    });
  });

  describe('mix', () => {
    function shares(events: GeneratedEvent[]) {
      const n = events.length;
      const count = (f: (e: GeneratedEvent) => boolean) => events.filter(f).length / n;
      return {
        user: count((e) => e.entity === 'user'),
        create: count((e) => e.type === 'CREATE'),
        update: count((e) => e.type === 'UPDATE'),
        delete: count((e) => e.type === 'DELETE'),
      };
    }

    it('holds the default 60/30/10 mix and a 50% user share within one point', () => {
      const s = shares(take(100_000, { seed: 21 }));
      expect(s.user).to.be.closeTo(0.5, 0.01);
      expect(s.create).to.be.closeTo(0.6, 0.01);
      expect(s.update).to.be.closeTo(0.3, 0.01);
      expect(s.delete).to.be.closeTo(0.1, 0.01);
    });

    it('holds a requested mix and user share', () => {
      const s = shares(take(100_000, { seed: 22, mix: { create: 70, update: 10, delete: 20 }, userShare: 30 }));
      expect(s.user).to.be.closeTo(0.3, 0.01);
      expect(s.create).to.be.closeTo(0.7, 0.01);
      expect(s.update).to.be.closeTo(0.1, 0.01);
      expect(s.delete).to.be.closeTo(0.2, 0.01);
    });

    it('rejects a mix that does not sum to 100 or has no CREATE, and a zero user share', () => {
      expect(() => createGenerator({ mix: { create: 50, update: 30, delete: 10 } })).to.throw(/sum to 100/);
      expect(() => createGenerator({ mix: { create: 0, update: 90, delete: 10 } })).to.throw(/CREATE must be above 0/);
      expect(() => createGenerator({ userShare: 0 })).to.throw(/user-share/);
    });
  });

  describe('references', () => {
    it('updates, deletes and orders only ids it created earlier and has not deleted', () => {
      const g = createGenerator({ seed: 31, reservoirSize: 500 });
      const users = new Set<string>();
      const orders = new Set<string>();
      const deletedUsers = new Set<string>();
      const deletedOrders = new Set<string>();
      let refs = 0;
      for (let i = 0; i < 50_000; i++) {
        const e = g.next();
        const body = JSON.parse(e.value.toString('utf8'));
        const [live, deleted] = e.entity === 'user' ? [users, deletedUsers] : [orders, deletedOrders];
        if (e.type === 'CREATE') {
          expect(live.has(e.id) || deleted.has(e.id)).to.equal(false, `id ${e.id} created twice`);
          live.add(e.id);
          if (e.entity === 'order') {
            expect(users.has(body.user_id)).to.equal(true, `order refers to unknown or deleted user ${body.user_id}`);
            refs++;
          }
        } else {
          expect(live.has(e.id)).to.equal(true, `${e.type} of ${e.entity} ${e.id} that was never created or is deleted`);
          refs++;
          if (e.type === 'DELETE') {
            live.delete(e.id);
            deleted.add(e.id);
          }
        }
      }
      expect(refs).to.be.greaterThan(30_000);
    });

    it('starts with a user CREATE even when the first draw is an order or an UPDATE', () => {
      for (let seed = 0; seed < 50; seed++) {
        const first = createGenerator({ seed }).next();
        expect([first.entity, first.type]).to.deep.equal(['user', 'CREATE']);
      }
    });
  });

  describe('determinism', () => {
    it('repeats the same events for the same seed and clock', () => {
      const a = take(10_000, { seed: 42, now: () => FIXED_NOW, unicodeShare: 20, zoneOffsetsMinutes: [0, 60] });
      const b = take(10_000, { seed: 42, now: () => FIXED_NOW, unicodeShare: 20, zoneOffsetsMinutes: [0, 60] });
      a.forEach((e, i) => {
        expect(e.value.equals((b[i] as GeneratedEvent).value)).to.equal(true);
        expect(e.topic).to.equal(b[i]?.topic);
      });
    });

    it('writes byte for byte what it wrote before the Debezium format was added', () => {
      const h = createHash('sha256');
      let t = FIXED_NOW;
      const g = createGenerator({
        seed: 4242,
        reservoirSize: 300,
        unicodeShare: 20,
        zoneOffsetsMinutes: [0, 330, -480],
        now: () => (t += 0.37),
      });
      for (let i = 0; i < 30_000; i++) {
        const e = g.next();
        h.update(`${e.topic} ${e.entity} ${e.type} `);
        h.update(e.key);
        h.update(e.value);
      }
      expect(h.digest('hex')).to.equal('6146e319ef002e2848f4716ea4633e84bfd5b040c4d1b78c0033acdeef4610a1');
    });

    it('repeats the same entities and operations for the same seed whatever the clock says', () => {
      const strip = (e: GeneratedEvent) => e.value.toString('utf8').replace(/"(created_at|modified_at|placed_at)":"[^"]+"/g, '"$1":""');
      let tick = FIXED_NOW;
      const a = take(5000, { seed: 43, now: () => FIXED_NOW }).map(strip);
      const b = take(5000, { seed: 43, now: () => (tick += 7) }).map(strip);
      expect(a).to.deep.equal(b);
    });

    it('gives different events for different seeds, and reports the seed it drew when none was given', () => {
      const a = take(100, { seed: 1 }).map((e) => e.value.toString());
      const b = take(100, { seed: 2 }).map((e) => e.value.toString());
      expect(a.filter((v, i) => v === b[i])).to.have.length(0);
      const g = createGenerator();
      expect(Number.isSafeInteger(g.seed)).to.equal(true);
      const replay = createGenerator({ seed: g.seed, now: () => FIXED_NOW });
      const again = createGenerator({ seed: g.seed, now: () => FIXED_NOW });
      expect(replay.next().value.equals(again.next().value)).to.equal(true);
    });
  });

  describe('bounded memory', () => {
    it("puts the id's reservoir slot on each event, mirroring the reservoir", () => {
      const g = createGenerator({ seed: 53, reservoirSize: 50 });
      const slots = { user: [] as (string | undefined)[], order: [] as (string | undefined)[] };
      for (let i = 0; i < 20_000; i++) {
        const e = g.next();
        const s = slots[e.entity];
        if (e.type === 'DELETE') {
          expect(s[e.slot as number]).to.equal(e.id);
          s[e.slot as number] = s[e.movedFrom as number];
          s[e.movedFrom as number] = undefined;
        } else {
          if (e.type === 'UPDATE') expect(s[e.slot as number]).to.equal(e.id);
          else s[e.slot as number] = e.id;
          expect(e.movedFrom).to.equal(-1);
        }
        expect(s.filter((id) => id !== undefined).length).to.equal(e.entity === 'user' ? g.knownIds().users : g.knownIds().orders);
      }
    });

    it('never remembers more ids than the reservoir holds', () => {
      const g = createGenerator({ seed: 51, reservoirSize: 100 });
      let maxUsers = 0;
      let maxOrders = 0;
      for (let i = 0; i < 100_000; i++) {
        g.next();
        const k = g.knownIds();
        maxUsers = Math.max(maxUsers, k.users);
        maxOrders = Math.max(maxOrders, k.orders);
      }
      expect(maxUsers).to.equal(100);
      expect(maxOrders).to.equal(100);
    });

    it('keeps memory flat over a long run', function () {
      this.timeout(30_000);
      v8.setFlagsFromString('--expose-gc');
      const gc = vm.runInNewContext('gc') as () => void;
      const used = () => {
        gc();
        const m = process.memoryUsage();
        return m.heapUsed + m.arrayBuffers;
      };
      const g = createGenerator({ seed: 52, reservoirSize: 1000 });
      const run = (n: number) => {
        for (let i = 0; i < n; i++) g.next();
      };
      run(100_000);
      const before = used();
      run(1_000_000);
      // A million events would keep well over 100 MB if ids or bodies were retained.
      expect(used() - before).to.be.below(8 * 1024 * 1024);
    });
  });
});
