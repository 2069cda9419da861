/**
 * The seed format's fast path: a decoder compiled once per sink that reads the fields it needs straight
 * from the message bytes, with no TextDecoder of the whole value and no JSON.parse object graph (in the
 * worker's profile those and the garbage they leave were a third of its busy time). It allocates only
 * what the event keeps: the values array, the strings of the fields the operation reads, and the event.
 *
 * It is a fast path, not a second decoder: it takes only what it fully understands and otherwise bails
 * (returns undefined), and the compiled seed decoder (./seed.ts) then decodes the message as it always
 * has. So every dead letter, its code and its message, still comes from the one decoder, and the fast
 * path never has to agree with it on an error. What it understands:
 *
 * - one flat JSON object (whitespace anywhere JSON allows it), with plain ASCII keys: no escapes, no
 *   nested objects or arrays, nothing after the closing brace;
 * - strings of valid UTF-8 (checked byte by byte as strictly as a fatal TextDecoder: no overlongs, no
 *   surrogates, nothing above U+10FFFF) with any of JSON's escapes, `\u` included;
 * - numbers of JSON's grammar, true, false and null;
 * - a later duplicate key replaces an earlier one, as in JSON.parse.
 *
 * Anything else bails: empty values, invalid UTF-8 or a byte order mark, a control character in a
 * string, an unknown escape, a nested value, and any value the sink's field readers refuse. The readers
 * are the seed decoder's own (seedPlan), given the same JavaScript values JSON.parse would have given,
 * and the number's own text where the digits matter, so an accepted event is the same event.
 */
import type { Layout } from '../layout.js';
import type { SinkDeclaration } from '../mapping.js';
import type { DecodeResult, Op, RowEvent, Value } from '../types.js';
import { isRejection, type Rejection, validateOp } from '../validate.js';
import { compileSeedDecoder, type SeedPlan, type SeedStep, seedPlan } from './seed.js';

type Accepted = { ok: true; event: RowEvent };

/** Node's Buffer string makers, without toString's encoding dispatch (stable since Node 0.x, untyped). */
interface Slicer {
  latin1Slice(start: number, end: number): string;
  utf8Slice(start: number, end: number): string;
}

// Byte classes inside a JSON string.
const PLAIN = 0;
const QUOTE = 1;
const BACKSLASH = 2;
const CONTROL = 3;
const MULTIBYTE = 4;
const STRING_CLASS = new Uint8Array(256);
for (let c = 0; c < 0x20; c++) STRING_CLASS[c] = CONTROL;
STRING_CLASS[0x22] = QUOTE;
STRING_CLASS[0x5c] = BACKSLASH;
for (let c = 0x80; c < 0x100; c++) STRING_CLASS[c] = MULTIBYTE;

/** JSON's single-character escapes (`\"` and so on) by the byte after the backslash; 0: not one. */
const ESCAPED = new Uint16Array(128);
ESCAPED[0x22] = 0x22;
ESCAPED[0x5c] = 0x5c;
ESCAPED[0x2f] = 0x2f;
ESCAPED[0x62] = 0x08;
ESCAPED[0x66] = 0x0c;
ESCAPED[0x6e] = 0x0a;
ESCAPED[0x72] = 0x0d;
ESCAPED[0x74] = 0x09;

/** Hex digit values; -1: not one. */
const HEX = new Int8Array(256).fill(-1);
for (let c = 0; c < 10; c++) HEX[48 + c] = c;
for (let c = 0; c < 6; c++) {
  HEX[65 + c] = 10 + c;
  HEX[97 + c] = 10 + c;
}

// What a field slot holds after the scan.
const ABSENT = 0;
const STRING = 1;
const NUMBER = 2;
const TRUE = 3;
const FALSE = 4;
const NULL = 5;

// String flags.
const HAS_ESCAPE = 1;
const HAS_MULTIBYTE = 2;

const isSpace = (c: number): boolean => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;

/** The byte length of the valid UTF-8 sequence at v[i] (a lead byte >= 0x80), or 0 when it is not one. */
function utf8Length(v: Uint8Array, i: number, end: number): number {
  const c = v[i] as number;
  if (c < 0xc2) return 0;
  if (c < 0xe0) return i + 1 < end && ((v[i + 1] as number) & 0xc0) === 0x80 ? 2 : 0;
  if (c < 0xf0) {
    if (i + 2 >= end) return 0;
    const c1 = v[i + 1] as number;
    // E0 needs A0..BF (no overlongs), ED needs 80..9F (no surrogates).
    const lo = c === 0xe0 ? 0xa0 : 0x80;
    const hi = c === 0xed ? 0x9f : 0xbf;
    return c1 >= lo && c1 <= hi && ((v[i + 2] as number) & 0xc0) === 0x80 ? 3 : 0;
  }
  if (c < 0xf5) {
    if (i + 3 >= end) return 0;
    const c1 = v[i + 1] as number;
    // F0 needs 90..BF (no overlongs), F4 needs 80..8F (nothing above U+10FFFF).
    const lo = c === 0xf0 ? 0x90 : 0x80;
    const hi = c === 0xf4 ? 0x8f : 0xbf;
    return c1 >= lo && c1 <= hi && ((v[i + 2] as number) & 0xc0) === 0x80 && ((v[i + 3] as number) & 0xc0) === 0x80 ? 4 : 0;
  }
  return 0;
}

/** Field names as bytes, grouped by byte length, with the slot each one fills. */
type KeyTable = ({ bytes: Uint8Array; slot: number }[] | undefined)[];

function keyTable(names: readonly string[]): KeyTable {
  const table: KeyTable = [];
  names.forEach((name, slot) => {
    const bytes = Buffer.from(name, 'utf8');
    (table[bytes.length] ??= []).push({ bytes, slot });
  });
  return table;
}

/** The slot of the key v[start, end), or -1 for a key the sink ignores. */
function slotOf(table: KeyTable, v: Uint8Array, start: number, end: number): number {
  const candidates = table[end - start];
  if (candidates === undefined) return -1;
  for (const { bytes, slot } of candidates) {
    let i = 0;
    while (i < bytes.length && bytes[i] === v[start + i]) i++;
    if (i === bytes.length) return slot;
  }
  return -1;
}

/**
 * The fast path alone: the event, or undefined to bail. Exported for the tests, which count bails;
 * the sink uses compileFastSeedDecoder.
 */
export function compileSeedScan(
  sink: SinkDeclaration,
  layout: Layout,
  plan: SeedPlan = seedPlan(sink, layout),
): (value: Uint8Array | null) => Accepted | undefined {
  // Slot 0 is event_type; then every field some step reads, once however many columns read it.
  const names = ['event_type'];
  const slotOfStep = new Map<SeedStep, number>();
  for (const s of [...plan.keySteps, ...plan.create, ...plan.update, ...plan.del]) {
    let slot = names.indexOf(s.field);
    if (slot < 0) slot = names.push(s.field) - 1;
    slotOfStep.set(s, slot);
  }
  const table = keyTable(names);
  const slotsOf = (steps: readonly SeedStep[]) => Int32Array.from(steps, (s) => slotOfStep.get(s) as number);
  const keySlots = slotsOf(plan.keySteps);
  const createSlots = slotsOf(plan.create);
  const updateSlots = slotsOf(plan.update);
  const delSlots = slotsOf(plan.del);
  const n = plan.columns;

  // Where each slot's value lies in the message, from the last scan. Decoding is synchronous, so one
  // set of arrays per sink serves every call.
  const kinds = new Uint8Array(names.length);
  const starts = new Int32Array(names.length);
  const ends = new Int32Array(names.length);
  const flags = new Uint8Array(names.length);

  // The message being decoded: its bytes, and a Buffer over the same memory (at offset `base`) to make
  // strings from. Messages of a batch share one ArrayBuffer: one Buffer per batch, not per message.
  let v: Uint8Array = new Uint8Array(0);
  let slicer: Slicer = Buffer.alloc(0) as unknown as Slicer;
  let base = 0;
  let lastMemory: ArrayBufferLike | undefined;

  /** Index past the string whose opening quote is at v[i] (recording it in `slot` when >= 0), or -1. */
  const scanString = (v: Uint8Array, i: number, end: number, slot: number): number => {
    const start = ++i;
    let f = 0;
    for (;;) {
      if (i >= end) return -1;
      const c = v[i] as number;
      const kind = STRING_CLASS[c];
      if (kind === PLAIN) {
        i++;
        while (i < end && STRING_CLASS[v[i] as number] === PLAIN) i++;
        continue;
      }
      if (kind === QUOTE) break;
      if (kind === BACKSLASH) {
        if (i + 1 >= end) return -1;
        const e = v[i + 1] as number;
        f |= HAS_ESCAPE;
        if (e === 0x75) {
          if (i + 5 >= end || (HEX[v[i + 2] as number] as number) < 0 || (HEX[v[i + 3] as number] as number) < 0) return -1;
          if ((HEX[v[i + 4] as number] as number) < 0 || (HEX[v[i + 5] as number] as number) < 0) return -1;
          i += 6;
        } else if (e < 128 && ESCAPED[e] !== 0) i += 2;
        else return -1;
        continue;
      }
      if (kind === CONTROL) return -1;
      const length = utf8Length(v, i, end);
      if (length === 0) return -1;
      f |= HAS_MULTIBYTE;
      i += length;
    }
    if (slot >= 0) {
      kinds[slot] = STRING;
      starts[slot] = start;
      ends[slot] = i;
      flags[slot] = f;
    }
    return i + 1;
  };

  /** Index past the number starting at v[i], or -1 (JSON's grammar: no leading zeros, no bare dot). */
  const scanNumber = (v: Uint8Array, i: number, end: number, slot: number): number => {
    const start = i;
    let integer = 1;
    if (v[i] === 0x2d) i++;
    let c = i < end ? (v[i] as number) : -1;
    if (c === 0x30) i++;
    else if (c >= 0x31 && c <= 0x39) {
      do i++;
      while (i < end && (v[i] as number) >= 0x30 && (v[i] as number) <= 0x39);
    } else return -1;
    if (i < end && v[i] === 0x2e) {
      i++;
      if (!(i < end && (v[i] as number) >= 0x30 && (v[i] as number) <= 0x39)) return -1;
      do i++;
      while (i < end && (v[i] as number) >= 0x30 && (v[i] as number) <= 0x39);
      integer = 0;
    }
    c = i < end ? (v[i] as number) : -1;
    if (c === 0x65 || c === 0x45) {
      i++;
      if (i < end && (v[i] === 0x2b || v[i] === 0x2d)) i++;
      if (!(i < end && (v[i] as number) >= 0x30 && (v[i] as number) <= 0x39)) return -1;
      do i++;
      while (i < end && (v[i] as number) >= 0x30 && (v[i] as number) <= 0x39);
      integer = 0;
    }
    if (slot >= 0) {
      kinds[slot] = NUMBER;
      starts[slot] = start;
      ends[slot] = i;
      flags[slot] = integer;
    }
    return i;
  };

  /** Index past the literal `word` (its bytes) at v[i], or -1. */
  const scanWord = (v: Uint8Array, i: number, end: number, word: Uint8Array, slot: number, kind: number): number => {
    if (i + word.length > end) return -1;
    for (let k = 0; k < word.length; k++) if (v[i + k] !== word[k]) return -1;
    if (slot >= 0) kinds[slot] = kind;
    return i + word.length;
  };
  const TRUE_BYTES = Buffer.from('true');
  const FALSE_BYTES = Buffer.from('false');
  const NULL_BYTES = Buffer.from('null');

  /** Records every needed field of the flat object in v; false to bail. */
  const scan = (v: Uint8Array, end: number): boolean => {
    kinds.fill(ABSENT);
    let i = 0;
    while (i < end && isSpace(v[i] as number)) i++;
    if (v[i] !== 0x7b) return false;
    i++;
    while (i < end && isSpace(v[i] as number)) i++;
    if (v[i] === 0x7d) i++;
    else {
      for (;;) {
        if (v[i] !== 0x22) return false;
        const keyStart = ++i;
        // Keys are plain ASCII: an escaped or non-ASCII key could spell a field's name another way.
        while (i < end && STRING_CLASS[v[i] as number] === PLAIN) i++;
        if (i >= end || v[i] !== 0x22) return false;
        const slot = slotOf(table, v, keyStart, i);
        i++;
        while (i < end && isSpace(v[i] as number)) i++;
        if (v[i] !== 0x3a) return false;
        i++;
        while (i < end && isSpace(v[i] as number)) i++;
        const c = v[i];
        if (c === 0x22) i = scanString(v, i, end, slot);
        else if (c === 0x2d || (c !== undefined && c >= 0x30 && c <= 0x39)) i = scanNumber(v, i, end, slot);
        else if (c === 0x74) i = scanWord(v, i, end, TRUE_BYTES, slot, TRUE);
        else if (c === 0x66) i = scanWord(v, i, end, FALSE_BYTES, slot, FALSE);
        else if (c === 0x6e) i = scanWord(v, i, end, NULL_BYTES, slot, NULL);
        else return false;
        if (i < 0) return false;
        while (i < end && isSpace(v[i] as number)) i++;
        if (v[i] === 0x2c) {
          i++;
          while (i < end && isSpace(v[i] as number)) i++;
          continue;
        }
        if (v[i] !== 0x7d) return false;
        i++;
        break;
      }
    }
    while (i < end && isSpace(v[i] as number)) i++;
    return i === end;
  };

  /** The string in a STRING slot, as JSON.parse gives it. */
  const stringOf = (slot: number): string => {
    const start = starts[slot] as number;
    const end = ends[slot] as number;
    const f = flags[slot] as number;
    if (f === 0) return slicer.latin1Slice(base + start, base + end);
    if (f === HAS_MULTIBYTE) return slicer.utf8Slice(base + start, base + end);
    let s = '';
    let run = start;
    let i = start;
    while (i < end) {
      if (v[i] !== 0x5c) {
        i++;
        continue;
      }
      if (i > run) s += slicer.utf8Slice(base + run, base + i);
      const e = v[i + 1] as number;
      if (e === 0x75) {
        const unit =
          ((HEX[v[i + 2] as number] as number) << 12) |
          ((HEX[v[i + 3] as number] as number) << 8) |
          ((HEX[v[i + 4] as number] as number) << 4) |
          (HEX[v[i + 5] as number] as number);
        // Each \u is one UTF-16 unit, paired or not, as JSON.parse keeps it.
        s += String.fromCharCode(unit);
        i += 6;
      } else {
        s += String.fromCharCode(ESCAPED[e] as number);
        i += 2;
      }
      run = i;
    }
    if (end > run) s += slicer.utf8Slice(base + run, base + end);
    return s;
  };

  /** The number in a NUMBER slot, as JSON.parse gives it. */
  const numberOf = (slot: number): number => {
    const start = starts[slot] as number;
    const end = ends[slot] as number;
    const negative = v[start] === 0x2d;
    // Up to 15 digits an integer is exact in float64: add it up; otherwise V8's own conversion.
    if (flags[slot] === 1 && end - start - (negative ? 1 : 0) <= 15) {
      let x = 0;
      for (let i = negative ? start + 1 : start; i < end; i++) x = x * 10 + ((v[i] as number) - 48);
      return negative ? -x : x;
    }
    return Number(slicer.latin1Slice(base + start, base + end));
  };

  /** A slot's value as JSON.parse would have given it (undefined: absent). */
  const valueOf = (slot: number): unknown => {
    switch (kinds[slot]) {
      case STRING:
        return stringOf(slot);
      case NUMBER:
        return numberOf(slot);
      case TRUE:
        return true;
      case FALSE:
        return false;
      case NULL:
        return null;
      default:
        return undefined;
    }
  };

  const CREATE = Buffer.from('CREATE');
  const UPDATE = Buffer.from('UPDATE');
  const DELETE = Buffer.from('DELETE');
  const isWord = (start: number, word: Uint8Array): boolean => {
    for (let k = 0; k < 6; k++) if (v[start + k] !== word[k]) return false;
    return true;
  };

  const opOf = (): Op | undefined => {
    if (kinds[0] !== STRING) return undefined;
    const start = starts[0] as number;
    if (flags[0] === 0 && (ends[0] as number) - start === 6) {
      if (isWord(start, CREATE)) return 'CREATE';
      if (isWord(start, UPDATE)) return 'UPDATE';
      if (isWord(start, DELETE)) return 'DELETE';
      return undefined;
    }
    const op = validateOp(stringOf(0));
    return typeof op === 'string' ? op : undefined;
  };

  /** Runs the steps into values; false when a reader refuses a value (the slow path will say why). */
  const read = (steps: readonly SeedStep[], slots: Int32Array, values: Value[]): boolean => {
    for (let k = 0; k < steps.length; k++) {
      const s = steps[k] as SeedStep;
      const slot = slots[k] as number;
      let x: Value | Rejection;
      if (s.readNumber !== undefined) {
        if (kinds[slot] !== NUMBER) return false;
        const text = slicer.latin1Slice(base + (starts[slot] as number), base + (ends[slot] as number));
        x = s.readNumber(numberOf(slot), text);
      } else {
        // The JSON text is only read by numeric and bigint readers, which take readNumber above.
        x = s.read(valueOf(slot), '');
      }
      if (isRejection(x)) return false;
      values[s.index] = x as Value;
    }
    return true;
  };

  return (value) => {
    if (value === null || value.length === 0) return undefined;
    v = value;
    const memory = value.buffer;
    if (value instanceof Buffer) {
      slicer = value as unknown as Slicer;
      base = 0;
      lastMemory = undefined;
    } else {
      if (memory !== lastMemory) {
        slicer = Buffer.from(memory) as unknown as Slicer;
        lastMemory = memory;
      }
      base = value.byteOffset;
    }
    if (!scan(value, value.length)) return undefined;
    const op = opOf();
    if (op === undefined) return undefined;
    const values: Value[] = new Array(n).fill(null);
    if (!read(plan.keySteps, keySlots, values)) return undefined;
    const ok =
      op === 'CREATE'
        ? read(plan.create, createSlots, values)
        : op === 'UPDATE'
          ? read(plan.update, updateSlots, values)
          : read(plan.del, delSlots, values);
    return ok ? plan.finish(op, values) : undefined;
  };
}

/**
 * The seed decoder a sink runs: the byte scanner first, and the JSON.parse decoder for whatever the
 * scanner bails on (every rejection among them), both from one plan.
 */
export function compileFastSeedDecoder(sink: SinkDeclaration, layout: Layout): (value: Uint8Array | null) => DecodeResult<RowEvent> {
  const plan = seedPlan(sink, layout);
  const fast = compileSeedScan(sink, layout, plan);
  const slow = compileSeedDecoder(sink, layout, plan);
  return (value) => fast(value) ?? slow(value);
}
