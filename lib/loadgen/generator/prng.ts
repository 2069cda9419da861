/**
 * A small, fast, seedable PRNG (sfc32, Chris Doty-Humphrey's "small fast counting" generator). The
 * generator draws several numbers per event, so this has to be cheap: four 32-bit words of state and a
 * handful of integer operations per draw, with no allocation. It is not for cryptography.
 */
import { randomBytes } from 'node:crypto';

export interface Prng {
  /** A uniformly distributed unsigned 32-bit integer. */
  u32(): number;
  /** A uniformly distributed integer in [0, n) for 0 < n <= 2^32 (relative bias at most n / 2^32). */
  below(n: number): number;
  /** A double in [0, 1) with all 53 bits random. */
  float53(): number;
}

/** A seed drawn from the operating system, for runs without --seed; the summary prints it. */
export function randomSeed(): number {
  // 48 bits keep the seed a safe integer that prints and parses back exactly.
  return randomBytes(6).readUIntBE(0, 6);
}

/** splitmix32: spreads a seed's bits so nearby seeds (1, 2, 3) give unrelated streams. */
function splitmix32(state: number): [number, number] {
  const s = (state + 0x9e3779b9) | 0;
  let z = s;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return [s, (z ^ (z >>> 16)) >>> 0];
}

/** Creates a PRNG from a non-negative safe integer seed; the same seed always gives the same stream. */
export function createPrng(seed: number): Prng {
  if (!Number.isSafeInteger(seed) || seed < 0) throw new RangeError(`seed must be a non-negative safe integer, got ${seed}`);
  // Fold the high bits of seeds above 2^32 in, so every safe integer gives its own stream.
  let s = (seed >>> 0) ^ Math.imul(Math.floor(seed / 0x1_0000_0000), 0x9e3779b1);
  let a: number;
  let b: number;
  let c: number;
  let d: number;
  [s, a] = splitmix32(s);
  [s, b] = splitmix32(s);
  [s, c] = splitmix32(s);
  [, d] = splitmix32(s);
  const u32 = (): number => {
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return t >>> 0;
  };
  // Discard the first outputs: sfc32's state needs a few rounds to mix.
  for (let i = 0; i < 12; i++) u32();
  return {
    u32,
    below: (n) => Math.floor((u32() / 0x1_0000_0000) * n),
    float53: () => ((u32() >>> 5) * 0x400_0000 + (u32() >>> 6)) / 0x20_0000_0000_0000,
  };
}
