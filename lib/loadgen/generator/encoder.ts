/**
 * Writes event bodies byte by byte into large slabs and hands out views of them. Building a body as a
 * JavaScript string and then encoding it cost more than everything else in cdc-produce's hot loop put
 * together (the string is a tree of small pieces that has to be flattened, then copied); writing the
 * bytes in place avoids both, and allocates nothing per event but the two views.
 *
 * A slab region, once handed out, is never written again: callers may keep event buffers as long as they
 * like (a kept view keeps its slab alive, as with Node's own Buffer pool).
 */

const SLAB_BYTES = 256 * 1024;
/** Room reserved before each event: longer than any event the generator writes. */
export const MAX_EVENT_BYTES = 2048;

const HEX_CODES = new Uint8Array(512);
for (let i = 0; i < 256; i++) {
  const h = i.toString(16).padStart(2, '0');
  HEX_CODES[i * 2] = h.charCodeAt(0);
  HEX_CODES[i * 2 + 1] = h.charCodeAt(1);
}

/** The bytes of an ASCII string, for constant pieces written with `bytes()`. */
export function ascii(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c > 127) throw new RangeError(`not ASCII: ${JSON.stringify(text)}`);
    out[i] = c;
  }
  return out;
}

export class SlabEncoder {
  buf: Buffer = Buffer.allocUnsafe(SLAB_BYTES);
  pos = 0;
  #start = 0;

  /** Starts an event; there is room for MAX_EVENT_BYTES. */
  begin(): void {
    if (this.pos + MAX_EVENT_BYTES > this.buf.length) {
      this.buf = Buffer.allocUnsafe(SLAB_BYTES);
      this.pos = 0;
    }
    this.#start = this.pos;
  }

  /** The event written since `begin()`. */
  end(): Buffer {
    return this.buf.subarray(this.#start, this.pos);
  }

  /** A view of bytes [from, to) of the current slab (e.g. the id inside the event, as the key). */
  view(from: number, to: number): Buffer {
    return this.buf.subarray(from, to);
  }

  bytes(src: Uint8Array): void {
    const buf = this.buf;
    let p = this.pos;
    // A plain loop beats Buffer#set for the 10-60 byte pieces written here.
    for (let i = 0; i < src.length; i++) buf[p++] = src[i] as number;
    this.pos = p;
  }

  /** Bytes [from, from + length) of src. */
  slice(src: Uint8Array, from: number, length: number): void {
    const buf = this.buf;
    let p = this.pos;
    for (let i = from; i < from + length; i++) buf[p++] = src[i] as number;
    this.pos = p;
  }

  /** An ASCII string (the caller guarantees it is ASCII: numbers, hex, dates). */
  asciiString(text: string): void {
    const buf = this.buf;
    let p = this.pos;
    for (let i = 0; i < text.length; i++) buf[p++] = text.charCodeAt(i);
    this.pos = p;
  }

  /** Any string, as UTF-8 (names with non-ASCII characters). */
  utf8String(text: string): void {
    this.pos += this.buf.write(text, this.pos, 'utf8');
  }

  /** A version-4 UUID in lower-case hex from four 32-bit words (the caller sets version and variant). */
  uuid(a: number, b: number, c: number, d: number): void {
    const buf = this.buf;
    let p = this.pos;
    p = hex32(buf, p, a);
    buf[p++] = 45; // -
    p = hex8(buf, p, b >>> 24);
    p = hex8(buf, p, (b >>> 16) & 255);
    buf[p++] = 45;
    p = hex8(buf, p, (b >>> 8) & 255);
    p = hex8(buf, p, b & 255);
    buf[p++] = 45;
    p = hex8(buf, p, c >>> 24);
    p = hex8(buf, p, (c >>> 16) & 255);
    buf[p++] = 45;
    p = hex8(buf, p, (c >>> 8) & 255);
    p = hex8(buf, p, c & 255);
    p = hex32(buf, p, d);
    this.pos = p;
  }

  /** A non-negative integer below 2^31 in decimal. */
  uint(n: number): void {
    const buf = this.buf;
    let digits = 1;
    for (let m = n; m >= 10; m = (m / 10) | 0) digits++;
    let p = this.pos + digits;
    this.pos = p;
    let m = n;
    do {
      buf[--p] = 48 + (m % 10);
      m = (m / 10) | 0;
    } while (m > 0);
  }

  /**
   * A fraction of a second as Go writes it: `.` and the nanoseconds with trailing zeros dropped, or
   * nothing at all for zero.
   */
  fraction(nanos: number): void {
    if (nanos === 0) return;
    let digits = 9;
    let m = nanos;
    while (m % 10 === 0) {
      m /= 10;
      digits--;
    }
    const buf = this.buf;
    buf[this.pos] = 46; // .
    let p = this.pos + 1 + digits;
    this.pos = p;
    for (let i = 0; i < digits; i++) {
      buf[--p] = 48 + (m % 10);
      m = Math.floor(m / 10);
    }
  }
}

function hex8(buf: Buffer, p: number, byte: number): number {
  buf[p] = HEX_CODES[byte * 2] as number;
  buf[p + 1] = HEX_CODES[byte * 2 + 1] as number;
  return p + 2;
}

function hex32(buf: Buffer, p: number, w: number): number {
  hex8(buf, p, w >>> 24);
  hex8(buf, p + 2, (w >>> 16) & 255);
  hex8(buf, p + 4, (w >>> 8) & 255);
  hex8(buf, p + 6, w & 255);
  return p + 8;
}
