/**
 * A bounded set of known ids. UPDATE and DELETE pick from it and order CREATE picks a user from it, so
 * every reference is to an id this producer created; memory stays fixed on long runs because, once it
 * is full, a new id replaces a random old one (which is then simply never referred to again).
 *
 * Ids are UUIDs kept as four 32-bit words in one typed array: no string per id, nothing for the
 * garbage collector to trace, and the encoder writes the hex straight from the words.
 */
import type { Prng } from './prng.js';

export class IdReservoir {
  readonly capacity: number;
  /** Four words per id; ids [0, size) are live. */
  readonly words: Uint32Array;
  #size = 0;
  readonly #prng: Prng;

  constructor(capacity: number, prng: Prng) {
    if (!Number.isSafeInteger(capacity) || capacity < 1)
      throw new RangeError(`reservoir capacity must be an integer >= 1, got ${capacity}`);
    this.capacity = capacity;
    this.words = new Uint32Array(capacity * 4);
    this.#prng = prng;
  }

  get size(): number {
    return this.#size;
  }

  /** Remembers an id; when full, it takes the place of a random one. Returns the slot used. */
  add(a: number, b: number, c: number, d: number): number {
    const slot = this.#size < this.capacity ? this.#size++ : this.#prng.below(this.capacity);
    const w = this.words;
    const i = slot * 4;
    w[i] = a;
    w[i + 1] = b;
    w[i + 2] = c;
    w[i + 3] = d;
    return slot;
  }

  /** A random live slot, or -1 when there is none. */
  pick(): number {
    return this.#size === 0 ? -1 : this.#prng.below(this.#size);
  }

  /**
   * Forgets the id in `slot` (a deleted entity is not referred to again) by moving the last id into its
   * place; the caller reads the id first, or uses `out`, which receives its four words.
   */
  remove(slot: number, out: Uint32Array): void {
    const w = this.words;
    const i = slot * 4;
    out[0] = w[i] as number;
    out[1] = w[i + 1] as number;
    out[2] = w[i + 2] as number;
    out[3] = w[i + 3] as number;
    const last = --this.#size * 4;
    w[i] = w[last] as number;
    w[i + 1] = w[last + 1] as number;
    w[i + 2] = w[last + 2] as number;
    w[i + 3] = w[last + 3] as number;
  }
}
