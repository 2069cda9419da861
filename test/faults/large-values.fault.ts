/**
 * Large values: message values around the 1 MiB size limit (the consumer's --max-value-bytes
 * default, and Kafka's default broker limit), and names exactly at the 50-character column limit in
 * multi-byte scripts, including characters outside the BMP (one character for Postgres, two UTF-16
 * units for JavaScript), written raw and as JSON \u escapes.
 */
import { expect } from 'chai';
import pg from 'pg';
import { qualified } from '../../lib/postgres/index.js';
import type { Prng } from '../../lib/loadgen/generator/index.js';
import { testStack } from '../support/stack.js';
import { FaultScenario } from './harness.js';
import { multiScriptName } from './poison.js';
import type { Outgoing } from './produce.js';

const MIB = 1024 * 1024;
/** The consumer's default --max-value-bytes: a value of exactly this size is accepted, one byte more is not. */
const LIMIT = MIB;

function uuid(prng: Prng): string {
  const hex = [prng.u32(), prng.u32(), prng.u32(), prng.u32()].map((w) => w.toString(16).padStart(8, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** JSON with every non-ASCII character written as \u escapes (surrogate pairs as two escapes). */
function asciiJson(value: unknown): string {
  return JSON.stringify(value).replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

const codePoints = (s: string) => [...s].length;

/** Repeats the characters of `unit` (cycling) until the name has exactly `n` code points. */
function fill(prefix: string, unit: string, n: number): string {
  const chars = [...unit];
  let s = prefix;
  for (let i = 0; codePoints(s) < n; i++) s += chars[i % chars.length];
  return s;
}

/** Names of exactly 50 code points that stress every layer: UTF-8 lengths 1-4, COPY escapes, Go's escapes. */
function fiftyCharNames(prng: Prng): string[] {
  return [
    fill('', 'ж', 50),
    fill('', '龍', 50),
    fill('', '😀', 50), // 100 UTF-16 units
    fill('', '𝒜𝒞𝒟', 50),
    fill('', '🇳🇴', 50), // regional indicators: two code points per flag
    fill('', '👩‍👩‍👧', 50), // zero-width-joiner sequences
    fill('', 'नमस्ते', 50), // combining marks are code points too
    fill('tab\there\nnew\rcr\\back\\N\\.end"q<&>\u2028\u2029 ', '𐐷', 50),
    fill('\\.', 'x', 50),
    fill('\\N', '😀', 50),
    multiScriptName(prng, 50),
    multiScriptName(prng, 50),
    multiScriptName(prng, 50),
  ];
}

describe('large-values', function () {
  this.timeout(300_000);
  let s: FaultScenario;

  beforeEach(async () => {
    s = await FaultScenario.create(7, 'large-values');
  });
  afterEach(async () => s.cleanup());

  it('loads values up to the 1 MiB limit and 50-character multi-byte names, and dead-letters what is over', async () => {
    const prng = s.prng;
    const background = s.goodEvents(4000);
    const userIds = background.filter((m) => m.topic === s.users && m.value?.includes('"CREATE"')).map((m) => m.key as string);
    const orderIds = background.filter((m) => m.topic === s.orders && m.value?.includes('"CREATE"')).map((m) => m.key as string);
    const small: Outgoing[] = [];
    const user = (o: object, raw: boolean, bad?: Outgoing['bad']): Outgoing => {
      const text = raw ? JSON.stringify(o) : asciiJson(o);
      return { topic: s.users, key: (o as { user_id: string }).user_id, value: Buffer.from(text), ...(bad ? { bad } : {}) };
    };
    const names = fiftyCharNames(prng);
    names.forEach((name, i) => {
      const id = uuid(prng);
      const raw = i % 2 === 0;
      small.push(user({ event_type: 'CREATE', user_id: id, name, dob: '1990-02-28', created_at: '2025-06-01T12:34:56.123456789Z' }, raw));
      // Then renamed to another 50-character name (UPDATE takes another code path).
      const other = names[(i + 5) % names.length] as string;
      small.push(user({ event_type: 'UPDATE', user_id: id, name: other, modified_at: '2025-06-02T01:02:03.5+02:00' }, !raw));
      // Short in characters but long in UTF-16 units: 26 non-BMP characters are 52 units, and valid.
      const wide = uuid(prng);
      small.push(
        user(
          {
            event_type: 'CREATE',
            user_id: wide,
            name: fill('', '😀𝒜', 26 + (i % 25)),
            dob: '2000-02-29',
            created_at: '2025-06-01T00:00:00Z',
          },
          raw,
        ),
      );
      // One character over: dead letter.
      small.push(
        user(
          {
            event_type: 'CREATE',
            user_id: uuid(prng),
            name: `${name}${i % 2 ? '😀' : 'x'}`,
            dob: '1990-01-01',
            created_at: '2025-06-01T00:00:00Z',
          },
          raw,
          {
            kind: '51-character name',
            codes: ['STRING_TOO_LONG'],
          },
        ),
      );
    });
    // Order statuses at their 10-character limit in multi-byte characters, on existing orders.
    for (const [i, id] of orderIds.slice(0, 20).entries()) {
      const status = fill('', i % 2 ? 'Ü😀' : 'ДОСТАВЛЕН', 10);
      small.push({
        topic: s.orders,
        key: id,
        value: Buffer.from(
          JSON.stringify({ event_type: 'UPDATE', order_id: id, order_status: status, modified_at: '2025-07-01T00:00:00.000001Z' }),
        ),
      });
    }

    // Large values, spread over the partitions by hand: the mock keeps only ~5 MiB per partition.
    const padded = (o: object, size: number): Buffer => {
      const text = JSON.stringify(o);
      return Buffer.from(`{${' '.repeat(size - Buffer.byteLength(text))}${text.slice(1)}`);
    };
    const large: Outgoing[] = [];
    const bigUser = (size: number, bad?: Outgoing['bad']) => {
      const id = uuid(prng);
      const value = padded(
        {
          event_type: 'CREATE',
          user_id: id,
          name: multiScriptName(prng, 50),
          dob: '1985-12-31',
          created_at: '2025-06-03T00:00:00.999999999Z',
        },
        size,
      );
      large.push({
        topic: s.users,
        key: id,
        value,
        partition: large.filter((m) => m.topic === s.users).length % 4,
        ...(bad ? { bad } : {}),
      });
    };
    bigUser(LIMIT - 576);
    bigUser(LIMIT - 1);
    bigUser(LIMIT); // exactly at the limit: accepted
    bigUser(LIMIT + 1, { kind: 'value 1 byte over the limit', codes: ['VALUE_TOO_LARGE'] });
    bigUser(2 * LIMIT, { kind: 'value twice the limit', codes: ['VALUE_TOO_LARGE'] });
    const hugeName = uuid(prng);
    large.push({
      topic: s.users,
      key: hugeName,
      partition: 1,
      value: Buffer.from(
        JSON.stringify({
          event_type: 'CREATE',
          user_id: hugeName,
          name: '😀'.repeat(LIMIT / 4 - 40),
          dob: '1990-01-01',
          created_at: '2025-06-01T00:00:00Z',
        }),
      ),
      bad: { kind: '1 MiB name', codes: ['STRING_TOO_LONG'] },
    });
    large.push({
      topic: s.users,
      key: null,
      partition: 2,
      value: Buffer.from(`[${'1,'.repeat(LIMIT / 2 - 2)}1]`),
      bad: { kind: '1 MiB array', codes: ['NOT_AN_OBJECT'] },
    });
    for (let p = 0; p < 4; p++) {
      const id = uuid(prng);
      const userId = userIds[p] as string;
      const order = {
        event_type: 'CREATE',
        order_id: id,
        order_status: 'PLACED',
        user_id: userId,
        quantity: 3,
        order_total: 123.456,
        placed_at: '2025-06-04T00:00:00Z',
      };
      large.push({ topic: s.orders, key: id, partition: p, value: padded(order, LIMIT - p) });
    }
    await s.produce(background);
    await s.produce([...small, ...large]);
    const run = s.consume(['--json']);
    await s.waitAllCommitted(180_000, [run]);
    run.signal('SIGTERM');
    expect(await run.exited, s.logs()).to.equal(0);
    // Postgres counts these as 50 characters, though some are 100 UTF-16 units here.
    const c = new pg.Client({ connectionString: testStack().databaseUrl });
    await c.connect();
    try {
      const { rows } = await c.query<{ n: number; longest: number }>(
        `SELECT count(*) FILTER (WHERE char_length(name) = 50)::int AS n, max(char_length(name)) AS longest FROM ${qualified(s.schema, 'users')}`,
      );
      expect(rows[0]?.longest).to.equal(50);
      expect(rows[0]?.n).to.be.at.least(names.length + 1);
    } finally {
      await c.end();
    }
    const loaded = large.filter((m) => !m.bad).length;
    await s.finish(
      `${loaded} values of 1 MiB - 576 B .. 1 MiB loaded, ${large.length - loaded} dead-lettered (1 MiB + 1 B, 2 MiB, 1 MiB name, 1 MiB array); ` +
        `${names.length} names of exactly 50 code points (CREATE + UPDATE), ${names.length} of 26-38 non-BMP characters, ${names.length} of 51 dead-lettered`,
    );
  });
});
