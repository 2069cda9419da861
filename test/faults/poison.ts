/**
 * Bad events: every malformation issue 4 lists, plus random bytes and mutated JSON. Each is made from a
 * real good event (same key, so it lands in that entity's partition among its good events) with exactly
 * one thing wrong, so the dead-letter code the consumer must record is known in advance.
 *
 * The expected codes come from the wire format and the tables' column types, not from the consumer's
 * decoder: a byte-level mutation is kept only if the standard UTF-8 decoder or JSON.parse refuses it.
 */
import type { Prng } from '../../lib/loadgen/generator/index.js';
import type { Outgoing } from './produce.js';

type Json = Record<string, unknown>;
type Role = 'user' | 'order';
type Maker = (e: Json, role: Role, prng: Prng, raw: Buffer) => { value: Buffer | null; codes: readonly string[] } | undefined;

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** True when a strict UTF-8 decoder and JSON.parse both accept the bytes. */
export function parsesAsJson(bytes: Buffer): boolean {
  try {
    JSON.parse(utf8.decode(bytes));
    return true;
  } catch {
    return false;
  }
}

const idField = (role: Role) => (role === 'user' ? 'user_id' : 'order_id');
const json = (o: unknown) => Buffer.from(JSON.stringify(o));
const one = (code: string) => [code] as const;

/** A copy of the event with one field replaced (or removed, with `undefined`), keeping field order. */
function withField(e: Json, field: string, value: unknown): Json {
  const out: Json = {};
  for (const [k, v] of Object.entries(e)) {
    if (k !== field) out[k] = v;
    else if (value !== undefined) out[k] = value;
  }
  return out;
}

/** Fields the event's op requires (the decoder reads only these), in wire order, without event_type and id. */
function requiredFields(e: Json, role: Role): string[] {
  const op = e.event_type;
  if (role === 'user') return op === 'CREATE' ? ['name', 'dob', 'created_at'] : op === 'UPDATE' ? ['name', 'modified_at'] : ['modified_at'];
  return op === 'CREATE' ? ['order_status', 'user_id', 'quantity', 'order_total', 'placed_at'] : ['order_status', 'modified_at'];
}

const timestampField = (e: Json, role: Role) =>
  requiredFields(e, role).find((f) => f === 'created_at' || f === 'modified_at' || f === 'placed_at') as string;
const stringField = (e: Json, role: Role) => (role === 'order' ? 'order_status' : e.event_type === 'DELETE' ? undefined : 'name');

function pick<T>(prng: Prng, list: readonly T[]): T {
  return list[prng.below(list.length)] as T;
}

/** `count` code points drawn from scripts of every UTF-8 length, including characters outside the BMP. */
export function multiScriptName(prng: Prng, count: number): string {
  const alphabets = ['abcxyz', 'éøłżß', 'Дмитрийж', 'Ελένη', '李小龍山田', 'नमस्ते', '😀🎉🦄', '𝒜𝒞𝒟𝓔', '𐐷𐑌'];
  let s = '';
  for (let i = 0; i < count; i++) s += pick(prng, [...pick(prng, alphabets)]);
  return s;
}

/** The malformations, by kind. A maker returns undefined when the kind does not apply to this event. */
export const makers: Record<string, Maker> = {
  'empty value': () => ({ value: Buffer.alloc(0), codes: one('EMPTY_VALUE') }),
  'null value (tombstone)': () => ({ value: null, codes: one('EMPTY_VALUE') }),
  'JSON null': () => ({ value: Buffer.from('null'), codes: one('EMPTY_VALUE') }),
  'truncated JSON': (_e, _r, prng, raw) => ({ value: raw.subarray(0, 1 + prng.below(raw.length - 1)), codes: one('INVALID_JSON') }),
  'invalid UTF-8': (_e, _r, prng, raw) => {
    const v = Buffer.from(raw);
    v[1 + prng.below(v.length - 2)] = 0xff; // never valid anywhere in UTF-8
    return { value: v, codes: one('INVALID_JSON') };
  },
  'not an object': (_e, _r, prng) => ({
    value: Buffer.from(pick(prng, ['[1,2]', '"just a string"', '42', 'true', '[]'])),
    codes: one('NOT_AN_OBJECT'),
  }),
  'missing id': (e, role) => ({ value: json(withField(e, idField(role), undefined)), codes: one('MISSING_FIELD') }),
  'malformed id': (e, role, prng) => {
    const id = String(e[idField(role)]);
    const bad = pick(prng, ['nope', id.slice(1), `${id.slice(0, 35)}g`, id.replaceAll('-', ''), `{${id}}`]);
    return { value: json(withField(e, idField(role), bad)), codes: one('INVALID_ID') };
  },
  'id of the wrong type': (e, role) => ({ value: json(withField(e, idField(role), 12345)), codes: one('WRONG_TYPE') }),
  'unknown event_type': (e, _r, prng) => ({
    value: json(withField(e, 'event_type', pick(prng, ['UPSERT', 'create', 'TRUNCATE', '']))),
    codes: one('UNKNOWN_EVENT_TYPE'),
  }),
  'missing event_type': (e) => ({ value: json(withField(e, 'event_type', undefined)), codes: one('MISSING_FIELD') }),
  'missing required field': (e, role, prng) => {
    const field = pick(prng, requiredFields(e, role));
    return { value: json(withField(e, field, prng.below(2) === 0 ? undefined : null)), codes: one('MISSING_FIELD') };
  },
  'wrong type': (e, role, prng) => {
    const field = pick(prng, requiredFields(e, role));
    const current = e[field];
    const wrong = typeof current === 'number' ? String(current) : pick(prng, [42, true, [current], { v: current }]);
    return { value: json(withField(e, field, wrong)), codes: one('WRONG_TYPE') };
  },
  'impossible date': (e, role, prng) => {
    if (role === 'user' && e.event_type === 'CREATE' && prng.below(2) === 0) {
      return {
        value: json(withField(e, 'dob', pick(prng, ['2001-02-30', '1999-13-01', '0000-01-01', '2023-02-29']))),
        codes: one('INVALID_DATE'),
      };
    }
    const field = timestampField(e, role);
    const bad = pick(prng, [
      '2025-02-30T10:00:00Z',
      '2025-04-31T10:00:00.5Z',
      '2025-01-01T24:00:00Z',
      '2025-01-01T10:60:00Z',
      '2025-06-01T10:00:00',
    ]);
    return { value: json(withField(e, field, bad)), codes: one('INVALID_TIMESTAMP') };
  },
  'too-long string': (e, role, prng) => {
    const field = stringField(e, role);
    if (!field) return undefined;
    // One code point over the column's limit, counted as Postgres counts (non-BMP = one).
    const bad = field === 'name' ? multiScriptName(prng, 51) : 'CANCELLED!!';
    return { value: json(withField(e, field, bad)), codes: one('STRING_TOO_LONG') };
  },
  'out-of-range number': (e, role, prng) => {
    if (role !== 'order' || e.event_type !== 'CREATE') return undefined;
    return prng.below(2) === 0
      ? { value: json(withField(e, 'quantity', pick(prng, [0, -3, 2_147_483_648]))), codes: one('OUT_OF_RANGE') }
      : { value: json(withField(e, 'order_total', pick(prng, [100_000_000, 99_999_999.995, -0.5, 1e300]))), codes: one('OUT_OF_RANGE') };
  },
  'NUL character': (e, role) => {
    const field = stringField(e, role);
    if (!field) return undefined;
    return { value: json(withField(e, field, `${String(e[field]).slice(0, 4)}\u0000x`)), codes: one('NUL_CHARACTER') };
  },
  'unpaired surrogate': (e, role) => {
    const field = stringField(e, role);
    if (!field) return undefined;
    // JSON.stringify writes a lone surrogate as the escape \ud800: valid JSON, not encodable as UTF-8.
    return { value: json(withField(e, field, `ab\ud800c`)), codes: one('INVALID_STRING') };
  },
  'random bytes': (_e, _r, prng) => {
    for (;;) {
      const v = Buffer.alloc(1 + prng.below(400));
      for (let i = 0; i < v.length; i++) v[i] = prng.below(256);
      if (!parsesAsJson(v)) return { value: v, codes: one('INVALID_JSON') };
    }
  },
  'mutated JSON': (_e, _r, prng, raw) => {
    // Random byte edits (replace, insert, delete) until the result is no longer JSON at all.
    for (;;) {
      let v = Buffer.from(raw);
      for (let edits = 1 + prng.below(3); edits > 0; edits--) {
        const at = prng.below(v.length);
        const byte = Buffer.from([pick(prng, [0x22, 0x7b, 0x7d, 0x2c, 0x3a, 0x5c, 0x20, prng.below(256)])]);
        const how = prng.below(3);
        v =
          how === 0
            ? Buffer.concat([v.subarray(0, at), byte, v.subarray(at + 1)])
            : how === 1
              ? Buffer.concat([v.subarray(0, at), byte, v.subarray(at)])
              : Buffer.concat([v.subarray(0, at), v.subarray(at + 1)]);
      }
      if (v.length > 0 && !parsesAsJson(v)) return { value: v, codes: one('INVALID_JSON') };
    }
  },
};

export const poisonKinds = Object.keys(makers);

/**
 * A bad copy of `good` of the given kind (or the next kind that applies to it), keyed like `good`.
 * Returns the kind used as well, so callers can cover every kind.
 */
export function poisonFrom(good: Outgoing, kindIndex: number, prng: Prng): Outgoing {
  const raw = good.value as Buffer;
  const event = JSON.parse(raw.toString('utf8')) as Json;
  const role: Role = 'order_id' in event ? 'order' : 'user';
  for (let i = 0; i < poisonKinds.length; i++) {
    const kind = poisonKinds[(kindIndex + i) % poisonKinds.length] as string;
    const made = (makers[kind] as Maker)(event, role, prng, raw);
    if (made) return { topic: good.topic, key: good.key, value: made.value, bad: { kind, codes: made.codes } };
  }
  throw new Error('no malformation applies'); // unreachable: the value-level kinds always apply
}

/**
 * Mixes bad copies into a stream of good events: after each good event, with probability `share`, a
 * bad copy of it, the kinds taken in turn so every kind appears when there are enough.
 */
export function withPoison(good: readonly Outgoing[], share: number, prng: Prng): Outgoing[] {
  const out: Outgoing[] = [];
  let kind = 0;
  for (const m of good) {
    out.push(m);
    if (prng.float53() < share) out.push(poisonFrom(m, kind++, prng));
  }
  return out;
}
