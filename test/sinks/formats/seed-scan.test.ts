/**
 * The seed byte scanner (lib/sinks/formats/seed-scan.ts) against the JSON.parse decoder it speeds up:
 * for generated events and many thousands of mutations of them (the fault suite's poison kinds, byte
 * edits, whitespace, escapes, duplicate keys, nulls, wrong types, odd numbers, invalid UTF-8), the
 * sink's decoder (scanner, then the JSON.parse decoder when it bails) gives exactly what the JSON.parse
 * decoder alone gives, and the scanner alone never gives anything else. And it is the scanner that
 * decodes the generator's events: no bails there.
 */
import { expect } from 'chai';
import { createGenerator, createPrng, type Prng } from '../../../lib/generator/index.js';
import { compileSeedDecoder } from '../../../lib/sinks/formats/seed.js';
import { compileSeedScan } from '../../../lib/sinks/formats/seed-scan.js';
import { resolveMapping, shippedMapping } from '../../../lib/sinks/mapping.js';
import { compileMapping, type Sink } from '../../../lib/sinks/sink.js';
import type { DecodeResult, RowEvent } from '../../../lib/sinks/types.js';
import { makers } from '../../faults/poison.js';

type Result = DecodeResult<RowEvent>;

function sameResult(a: Result, b: Result): boolean {
  if (!a.ok || !b.ok) return !a.ok && !b.ok && a.code === b.code && a.message === b.message;
  const x = a.event;
  const y = b.event;
  if (x.op !== y.op || x.key !== y.key || x.cascades !== y.cascades || x.skipped !== y.skipped) return false;
  if (x.values.length !== y.values.length || !x.values.every((v, i) => Object.is(v, y.values[i]))) return false;
  if (x.set === undefined || y.set === undefined) return x.set === y.set;
  return x.set.length === y.set.length && x.set.every((m, i) => m === y.set?.[i]);
}

/** Decodes with all three and checks them; counts what the scanner took and what it bailed on. */
class Differential {
  readonly slow: (value: Uint8Array | null) => Result;
  readonly scan: (value: Uint8Array | null) => Result | undefined;
  checked = 0;
  threw = 0;
  bails = 0;
  accepted = 0;

  constructor(readonly sink: Sink) {
    this.slow = compileSeedDecoder(sink.declaration, sink.layout);
    this.scan = compileSeedScan(sink.declaration, sink.layout);
  }

  check(value: Uint8Array | null, what: string): boolean {
    const want = outcome(() => this.slow(value));
    const got = outcome(() => this.sink.decode(null, value));
    const scanned = outcome(() => this.scan(value));
    const text = value === null ? 'null' : JSON.stringify(Buffer.from(value).toString('latin1'));
    if (typeof want === 'string' || typeof got === 'string' || typeof scanned === 'string') {
      // A decoder that throws (see `threw`) must throw the same with the scanner in front.
      expect([got, scanned], `${what}: ${text}`).to.deep.equal([want, want]);
      this.threw++;
      return true;
    }
    if (!sameResult(got, want)) expect(got, `${what}: ${text}`).to.deep.equal(want);
    if (scanned !== undefined && !sameResult(scanned, want)) expect(scanned, `scanner, ${what}: ${text}`).to.deep.equal(want);
    this.checked++;
    if (want.ok) this.accepted++;
    if (scanned === undefined) this.bails++;
    return scanned === undefined;
  }
}

/**
 * A decoder's result, or the message of what it threw: the JSON.parse decoder throws a RangeError for
 * a numeric beyond about 10^(2^29) in an unconstrained numeric column (it writes the number out in full).
 */
function outcome<T>(decode: () => T): T | string {
  try {
    return decode();
  } catch (err) {
    return `threw ${(err as Error).name}: ${(err as Error).message}`;
  }
}

/** Copies values into one ArrayBuffer at odd offsets, as a worker's unpacked batch holds them. */
function asBatch(values: readonly Buffer[]): Uint8Array[] {
  const total = values.reduce((n, v) => n + v.length + 3, 0);
  const memory = new ArrayBuffer(total);
  const out: Uint8Array[] = [];
  let at = 3;
  for (const v of values) {
    const view = new Uint8Array(memory, at, v.length);
    view.set(v);
    out.push(view);
    at += v.length + 3;
  }
  return out;
}

const pick = <T>(prng: Prng, list: readonly T[]): T => list[prng.below(list.length)] as T;

/** A member list of raw JSON texts: what the mutations below edit and render back. */
type Members = [key: string, value: string][];

/** The members of a non-empty JSON object's text; throws for anything else. */
function membersOf(json: string): Members {
  const o = JSON.parse(json) as unknown;
  if (o === null || typeof o !== 'object' || Array.isArray(o) || Object.keys(o).length === 0) throw new Error('not a non-empty object');
  return Object.entries(o).map(([k, v]) => [JSON.stringify(k), JSON.stringify(v)]);
}

const SPACES = [' ', '\t', '\n', '\r', '  ', ' \n\t'];
function render(members: Members, prng?: Prng): string {
  const ws = () => (prng !== undefined && prng.below(3) === 0 ? pick(prng, SPACES) : '');
  return `${ws()}{${ws()}${members.map(([k, v]) => `${k}${ws()}:${ws()}${v}`).join(`${ws()},${ws()}`)}${ws()}}${ws()}`;
}

/** A string's JSON text with some characters written as \u escapes (surrogate pairs as two), or \/. */
function escaped(s: string, prng: Prng): string {
  let out = '"';
  for (const ch of s) {
    const r = prng.below(4);
    if (r === 0) {
      for (let i = 0; i < ch.length; i++) {
        const hex = ch.charCodeAt(i).toString(16).padStart(4, '0');
        out += `\\u${prng.below(2) === 0 ? hex : hex.toUpperCase()}`;
      }
    } else if (ch === '/' && r === 1) out += '\\/';
    else out += JSON.stringify(ch).slice(1, -1);
  }
  return `${out}"`;
}

const NUMBERS = [
  '0',
  '-0',
  '1',
  '-1',
  '1e2',
  '1E+2',
  '1e-2',
  '1.50',
  '100.00',
  '0.1e-5',
  '1.0',
  '-0.0',
  '1e400',
  '-1e400',
  '1e-400',
  '99999999.994',
  '99999999.995',
  '99999999.99',
  '-0.5',
  '32767',
  '32768',
  '-32768',
  '-32769',
  '2147483647',
  '2147483648',
  '9007199254740991',
  '9007199254740993',
  '9223372036854775807',
  '9223372036854775808',
  '-9223372036854775808',
  '12345678901234567890123',
  '1234.5678901234567',
  '0.30000000000000004',
  '3.4028234663852886e38',
  '3.5e38',
  '1e21',
  '1e-7',
  '00',
  '01',
  '1.',
  '.5',
  '+1',
  '-',
  '1e',
  '1e+',
  '- 1',
  '0x10',
  'NaN',
  'Infinity',
  '1_000',
];
const LITERALS = ['null', 'true', 'false', 'nul', 'tru', 'True', 'NULL', '""', '"x"', '[]', '{}', '[1]', '{"a":1}', '[[{}]]'];
/** Byte sequences strict UTF-8 refuses (and a few it takes), to splice into strings. */
const UTF8_BYTES = [
  [0xff],
  [0xc0, 0x80],
  [0xc1, 0xbf],
  [0xe0, 0x80, 0x80],
  [0xed, 0xa0, 0x80],
  [0xed, 0x9f, 0xbf],
  [0xf4, 0x90, 0x80, 0x80],
  [0xf4, 0x8f, 0xbf, 0xbf],
  [0xf0, 0x8f, 0xbf, 0xbf],
  [0xf0, 0x90, 0x80, 0x80],
  [0xf5, 0x80, 0x80, 0x80],
  [0x80],
  [0xc3],
  [0xe2, 0x82],
  [0xc3, 0xa9],
  [0xef, 0xbb, 0xbf],
  [0x00],
  [0x1f],
  [0x7f],
  [0xe2, 0x80, 0xa8],
];
/** A lead byte of any kind and up to three bytes around the continuation range: every boundary of strict UTF-8. */
const randomSequence = (prng: Prng) => [0x80 + prng.below(128), ...Array.from({ length: prng.below(4) }, () => 0x70 + prng.below(144))];
const STRING_PIECES = [
  '\\u0000',
  '\\ud800',
  '\\udc00',
  '\\ud83d\\ude00',
  '\\ude00\\ud83d',
  '\\x41',
  '\\a',
  '\\',
  '\\"',
  '\\u12',
  '\\uZZZZ',
  '\\U0041',
];

/** One mutation of a good event's JSON; several kinds, each chosen at random. */
function mutate(raw: Buffer, prng: Prng, fields: readonly string[]): Buffer {
  let members: Members;
  try {
    members = membersOf(raw.toString('utf8'));
  } catch {
    // Not a JSON object with members already: only a cut is left to make.
    return raw.subarray(0, prng.below(raw.length));
  }
  const at = () => prng.below(members.length);
  const anyKey = () => JSON.stringify(pick(prng, [...fields, 'event_type', 'extra', ...members.map(([k]) => JSON.parse(k) as string)]));
  const splice = (text: string, insert: string) => {
    const i = prng.below(text.length + 1);
    return text.slice(0, i) + insert + text.slice(i);
  };
  switch (prng.below(16)) {
    case 0: {
      // A byte replaced, inserted or removed anywhere.
      const v = Buffer.from(raw);
      const i = prng.below(v.length);
      const byte = pick(prng, [0x22, 0x7b, 0x7d, 0x2c, 0x3a, 0x5c, 0x20, 0x30, 0x2d, 0x65, 0x2e, prng.below(256)]);
      const how = prng.below(3);
      if (how === 0) v[i] = byte;
      else
        return how === 1
          ? Buffer.concat([v.subarray(0, i), Buffer.from([byte]), v.subarray(i)])
          : Buffer.concat([v.subarray(0, i), v.subarray(i + 1)]);
      return v;
    }
    case 1:
      return raw.subarray(0, prng.below(raw.length));
    case 2:
      return Buffer.from(render(members, prng));
    case 3: {
      // A duplicate of a key, before or after, with its own value or another.
      const [k, v] = members[at()] as [string, string];
      const dup: [string, string] = [k, prng.below(2) === 0 ? v : pick(prng, [...NUMBERS, ...LITERALS, '"CREATE"', '"DELETE"'])];
      if (prng.below(2) === 0) members.push(dup);
      else members.unshift(dup);
      return Buffer.from(render(members, prng));
    }
    case 4: {
      // Escapes in a string value or a key.
      const m = members[at()] as [string, string];
      if (prng.below(3) === 0) m[0] = escaped(JSON.parse(m[0]) as string, prng);
      else if (m[1].startsWith('"')) m[1] = escaped(JSON.parse(m[1]) as string, prng);
      return Buffer.from(render(members));
    }
    case 5: {
      // NUL, surrogates and bad escapes inside a string value.
      const m = members[at()] as [string, string];
      if (!m[1].startsWith('"')) return Buffer.from(render(members));
      m[1] = `"${splice(m[1].slice(1, -1), pick(prng, STRING_PIECES))}"`;
      return Buffer.from(render(members));
    }
    case 6: {
      // Invalid (or valid) UTF-8 bytes in a string value, a key, or an extra field the sink ignores.
      const where = prng.below(3);
      const m = members[at()] as [string, string];
      if (where === 2) members.push(['"extra"', '"a@@b"']);
      else if (where === 0 && m[1].startsWith('"')) m[1] = `"@@${m[1].slice(1)}`;
      else m[0] = `"@@${m[0].slice(1)}`;
      const [before, after] = render(members).split('@@') as [string, string];
      return Buffer.concat([
        Buffer.from(before),
        Buffer.from(prng.below(2) === 0 ? pick(prng, UTF8_BYTES) : randomSequence(prng)),
        Buffer.from(after),
      ]);
    }
    case 7:
      (members[at()] as [string, string])[1] = 'null';
      return Buffer.from(render(members));
    case 8:
      (members[at()] as [string, string])[1] = pick(prng, [...NUMBERS, ...LITERALS, '"1"', '"2025-01-01"', '12345']);
      return Buffer.from(render(members));
    case 9:
      members.splice(at(), 1);
      return Buffer.from(render(members));
    case 10:
      // Extra fields: unknown ones, nested ones, and fields of another operation.
      members.splice(prng.below(members.length + 1), 0, [anyKey(), pick(prng, [...NUMBERS.slice(0, 5), ...LITERALS, '"Ω"'])]);
      return Buffer.from(render(members, prng));
    case 11:
      return Buffer.concat([Buffer.from(pick(prng, [[0xef, 0xbb, 0xbf], [0xc2, 0xa0], [0x00], [0x0b], [0x0c]])), raw]);
    case 12: {
      // Case: lower-case event_type, upper-case uuid, lower-case t and z in timestamps.
      const m = members[at()] as [string, string];
      m[1] = prng.below(2) === 0 ? m[1].toUpperCase() : m[1].toLowerCase();
      return Buffer.from(render(members));
    }
    case 13:
      return Buffer.from(`${render(members)}${pick(prng, ['x', '{}', ',', ' }', '\u0000', '1'])}`);
    case 14:
      return Buffer.from(
        pick(prng, ['{}', '[]', '{"event_type":"CREATE"}', 'null', '""', ' ', '{"event_type":"CREATE",}', '{,}', '{"a"}']),
      );
    default: {
      // Several of the above at once.
      let v = raw;
      for (let k = 0; k < 2; k++) v = mutate(v, prng, fields);
      return v;
    }
  }
}

const fieldsOf = (sink: Sink) => sink.declaration.columns.map((c) => c.field);

describe('sinks/formats/seed-scan', function () {
  this.timeout(120_000);
  const seedSinks = compileMapping(shippedMapping('seed'), 'public');
  const bySinkTopic = new Map(seedSinks.map((s) => [s.topic, new Differential(s)]));

  it('decodes every generated event itself (no bails), as the JSON.parse decoder does, from Buffers and batch views', () => {
    for (const unicodeShare of [5, 100]) {
      let ms = 1_750_000_000_000;
      const g = createGenerator({ seed: 42 + unicodeShare, unicodeShare, zoneOffsetsMinutes: [0, 330, -420], now: () => (ms += 0.4) });
      const events = Array.from({ length: 10_000 }, () => g.next());
      for (const [i, view] of asBatch(events.map((e) => e.value)).entries()) {
        const e = events[i] as (typeof events)[number];
        const d = bySinkTopic.get(e.topic) as Differential;
        expect(d.check(e.value, `generated ${e.entity} ${e.type}`), 'bailed on a generated event (Buffer)').to.equal(false);
        expect(d.check(view, `generated ${e.entity} ${e.type}`), 'bailed on a generated event (batch view)').to.equal(false);
      }
    }
    for (const d of bySinkTopic.values()) expect(d.accepted).to.equal(d.checked);
  });

  it('gives what the JSON.parse decoder gives for the poison kinds of the fault suite and random mutations', () => {
    const prng = createPrng(7);
    const g = createGenerator({ seed: 7, unicodeShare: 20, now: () => 1_750_000_000_000 });
    const counts = new Map<Differential, { checked: number; bails: number }>();
    for (const d of bySinkTopic.values()) counts.set(d, { checked: d.checked, bails: d.bails });
    const poison = Object.entries(makers);
    for (let n = 0; n < 5_000; n++) {
      const e = g.next();
      const d = bySinkTopic.get(e.topic) as Differential;
      const event = JSON.parse(e.value.toString('utf8')) as Record<string, unknown>;
      const role = e.entity;
      const batch: Buffer[] = [];
      for (const [kind, make] of poison) {
        const made = make(event, role, prng, e.value);
        if (made !== undefined) {
          if (made.value === null) d.check(null, kind);
          else batch.push(made.value);
        }
      }
      for (let k = 0; k < 12; k++) batch.push(mutate(e.value, prng, fieldsOf(d.sink)));
      for (const [i, view] of asBatch(batch).entries()) {
        d.check(view, 'mutation');
        d.check(batch[i] as Buffer, 'mutation');
      }
    }
    for (const [d, before] of counts) {
      const checked = d.checked - before.checked;
      expect(checked).to.be.above(80_000);
      // Most mutations are refused or need the slow path; a good share still scan (whitespace, escapes, extras).
      expect(d.checked - before.checked - (d.bails - before.bails), d.sink.name).to.be.above(checked / 20);
    }
  });

  describe('a mapping with every column type', () => {
    const mapping = resolveMapping(
      {
        sinks: [
          {
            topic: 'all',
            table: 'all_types',
            key: ['id'],
            columns: {
              id: 'uuid',
              s: { type: 'text', ops: ['create', 'update'] },
              v: { type: 'varchar(5)', ops: ['create', 'update'], 'min-length': 1 },
              d: { type: 'date', ops: ['create'] },
              ts: { type: 'timestamp', ops: ['create'] },
              tz: { type: 'timestamptz', ops: ['create', 'update', 'delete'] },
              t: { type: 'time', ops: ['create'] },
              i2: { type: 'smallint', ops: ['create'] },
              i4: { type: 'integer', ops: ['create', 'update'], min: -5, max: 1000 },
              i8: { type: 'bigint', ops: ['create'] },
              i8r: { type: 'bigint', ops: ['create'], min: -10, max: 1e18 },
              n: { type: 'numeric(10,2)', ops: ['create'], min: 0 },
              nu: { type: 'numeric', ops: ['create'] },
              nn: { type: 'numeric(5,5)', ops: ['update'], max: 0.5 },
              r: { type: 'real', ops: ['create'] },
              f: { type: 'double precision', ops: ['create'] },
              b: { type: 'boolean', ops: ['create', 'delete'] },
              j: { type: 'json', ops: ['create'] },
              jb: { type: 'jsonb', ops: ['create'] },
              by: { type: 'bytea', ops: ['create'] },
              copy: { type: 'timestamptz', ops: ['update'], 'on-create': 'tz' },
            },
            delete: { soft: 'gone' },
          },
          {
            topic: 'pairs',
            table: 'pairs',
            key: ['a', 'b'],
            columns: { a: 'integer', b: 'text', c: { type: 'numeric', ops: ['create', 'update'], field: 'amount' } },
          },
        ],
      },
      'test.yaml',
    );
    const [all, pairs] = compileMapping(mapping, 'public').map((s) => new Differential(s)) as [Differential, Differential];

    const hex = (prng: Prng, n: number) => Array.from({ length: n }, () => '0123456789abcdefABCDEF'[prng.below(22)]).join('');
    const uuid = (prng: Prng) => `${hex(prng, 8)}-${hex(prng, 4)}-${hex(prng, 4)}-${hex(prng, 4)}-${hex(prng, 12)}`;
    const str = (prng: Prng, alphabet: string, n: number) => {
      const chars = [...alphabet];
      return Array.from({ length: n }, () => pick(prng, chars)).join('');
    };
    const ALPHABET = 'abc xyz"\\/\t\n<>&éß李😀𝒜\u2028\u0001';
    const base64 = (prng: Prng) => Buffer.from(Array.from({ length: prng.below(12) }, () => prng.below(256))).toString('base64');
    const pad = (x: number, n = 2) => String(x).padStart(n, '0');
    const date = (prng: Prng) => `${pad(1 + prng.below(2999), 4)}-${pad(1 + prng.below(12))}-${pad(1 + prng.below(28))}`;
    const clock = (prng: Prng) =>
      `${pad(prng.below(24))}:${pad(prng.below(60))}:${pad(prng.below(60))}${prng.below(2) === 0 ? '' : `.${1 + prng.below(999_999)}`}`;
    const jsonValue = (prng: Prng): unknown =>
      pick(prng, [1, 'x', true, null, 'nul\u0000', 1.5e300, [1, 'a'], { a: { b: [] } }, 'ünï', '😀']);

    /** A valid event of each operation (scalars only), as JSON text; json values nested only when `nested`. */
    function event(prng: Prng, op: string, nested: boolean): string {
      const o: Record<string, unknown> = { event_type: op, id: uuid(prng) };
      const raw: Record<string, string> = {};
      if (op !== 'DELETE') {
        o.s = str(prng, ALPHABET, prng.below(20));
        o.v = str(prng, ALPHABET, 1 + prng.below(5));
        raw.i4 = String(prng.below(1006) - 5);
      }
      if (op === 'CREATE') {
        o.d = date(prng);
        o.ts = `${date(prng)}${prng.below(2) === 0 ? 'T' : ' '}${clock(prng)}`;
        o.t = clock(prng);
        raw.i2 = String(prng.below(65536) - 32768);
        raw.i8 = pick(prng, [String(prng.u32() * 1_000_000 + prng.u32()), '-9223372036854775808', '9007199254740993', '-0', '12']);
        raw.i8r = pick(prng, ['-10', '999999999999999999', '5', '1e3']);
        raw.n = pick(prng, [String(prng.below(1e6) / 100), '0', '-0', '1e2', '1.50', '99999999.994', '12345678.9999']);
        raw.nu = pick(prng, ['123456789012345678901234567890.123', '-1.5e-20', '7', '1E+30', '0.000']);
        raw.r = pick(prng, ['1.5', '-2.5e-10', '3.4028234663852886e38', '0']);
        raw.f = pick(prng, [String(prng.float53() * 1e10), '-2.25e-300', '1e308']);
        o.b = prng.below(2) === 0;
        o.j = nested ? jsonValue(prng) : pick(prng, [1, 'a"b', true, 'ü\u2028', 1.25e-7]);
        o.jb = nested ? jsonValue(prng) : pick(prng, [2, 'x', false, '😀', -0]);
        o.by = base64(prng);
      }
      if (op === 'UPDATE') raw.nn = pick(prng, ['0.5', '0.12345', '0.499999', '-0.1']);
      if (op === 'DELETE') o.b = prng.below(2) === 0;
      o.tz = `${date(prng)}T${clock(prng)}${pick(prng, ['Z', '+05:30', '-07:00', 'z'])}`;
      const members = membersOf(JSON.stringify(o));
      for (const [k, v] of Object.entries(raw)) members.splice(prng.below(members.length + 1), 0, [JSON.stringify(k), v]);
      return render(members);
    }

    it('takes the valid events itself and gives what the JSON.parse decoder gives, mutated ones included', () => {
      const prng = createPrng(11);
      let scannedValid = 0;
      let valid = 0;
      for (let n = 0; n < 8_000; n++) {
        const op = pick(prng, ['CREATE', 'UPDATE', 'DELETE']);
        const raw = Buffer.from(event(prng, op, false));
        const bailed = all.check(raw, `all types ${op}`);
        if (all.slow(raw).ok) {
          valid++;
          if (!bailed) scannedValid++;
        }
        all.check(Buffer.from(event(prng, op, true)), `all types, nested json ${op}`);
        for (let k = 0; k < 8; k++) all.check(mutate(raw, prng, fieldsOf(all.sink)), `all types, mutated ${op}`);
      }
      expect(valid).to.be.above(2_000);
      // The slow path's refusals of a valid-looking event (an impossible generated date, say) bail too.
      expect(scannedValid).to.equal(valid);
    });

    it('a composite key and hard deletes', () => {
      const prng = createPrng(12);
      for (let n = 0; n < 5_000; n++) {
        const op = pick(prng, ['CREATE', 'UPDATE', 'DELETE']);
        const members: Members = [
          ['"event_type"', JSON.stringify(op)],
          ['"a"', pick(prng, NUMBERS)],
          ['"b"', escaped(str(prng, ALPHABET, prng.below(6)), prng)],
        ];
        if (op !== 'DELETE') members.push(['"amount"', pick(prng, NUMBERS)]);
        const raw = Buffer.from(render(members, prng));
        pairs.check(raw, `pairs ${op}`);
        for (let k = 0; k < 4; k++) pairs.check(mutate(raw, prng, fieldsOf(pairs.sink)), `pairs, mutated ${op}`);
      }
      expect(pairs.accepted).to.be.above(2_000);
    });
  });
});
