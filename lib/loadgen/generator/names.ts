/**
 * Random user names. Most are like the Go producer's: two lower-case words (`"abc defg"`). A share of
 * them carry what a consumer must get right: non-ASCII letters, characters outside the BMP, and the
 * characters Go escapes (`<`, `>`, `&`, U+2028, U+2029), quotes and backslashes. Every name fits the
 * `VARCHAR(50)` column (at most 50 code points) and holds no NUL, which Postgres text cannot store.
 */
import type { SlabEncoder } from './encoder.js';
import type { Prng } from './prng.js';

const LETTERS = 'abcdefghijklmnopqrstuvwxyz';

/** Words that exercise encoding; none longer than 12 code points. */
export const specialWords: readonly string[] = [
  'josé',
  'zoë',
  'Ærøskøbing',
  'Łódź',
  'Ελένη',
  'Дмитрий',
  '李小龍',
  '山田太郎',
  'محمد',
  'שרה',
  'नमस्ते',
  '😀smile',
  '𝒜lice',
  '🇳🇴nora',
  'tom&jerry',
  '<b>bold</b>',
  'a>b<c',
  'line\u2028sep',
  'para\u2029sep',
  'say "hi"',
  'back\\slash',
  "o'brien",
];

function word(prng: Prng, length: number): string {
  let r = prng.u32();
  let s = '';
  for (let i = 0; i < length; i++) {
    // One draw gives six letters (26^6 < 2^32).
    if (i === 6) r = prng.u32();
    s += LETTERS[r % 26];
    r = Math.floor(r / 26);
  }
  return s;
}

/** Two lower-case words of 3 to 8 letters. */
export function asciiName(prng: Prng): string {
  const lengths = prng.u32();
  return `${word(prng, 3 + (lengths % 6))} ${word(prng, 3 + ((lengths >>> 8) % 6))}`;
}

function writeWord(prng: Prng, out: SlabEncoder, length: number): void {
  const buf = out.buf;
  let p = out.pos;
  let r = prng.u32();
  for (let i = 0; i < length; i++) {
    if (i === 6) r = prng.u32();
    buf[p++] = 97 + (r % 26);
    r = Math.floor(r / 26);
  }
  out.pos = p;
}

/**
 * `asciiName(prng)` written straight into the encoder (same draws, same letters), quoted. The hot loop
 * uses this; it never needs the name as a string.
 */
export function writeAsciiName(prng: Prng, out: SlabEncoder): void {
  const lengths = prng.u32();
  out.buf[out.pos++] = 34; // "
  writeWord(prng, out, 3 + (lengths % 6));
  out.buf[out.pos++] = 32; // space
  writeWord(prng, out, 3 + ((lengths >>> 8) % 6));
  out.buf[out.pos++] = 34;
}

/** A special word and a lower-case word, in either order. */
export function specialName(prng: Prng): string {
  const r = prng.u32();
  const special = specialWords[r % specialWords.length] as string;
  const plain = word(prng, 3 + ((r >>> 8) % 6));
  return (r >>> 16) & 1 ? `${special} ${plain}` : `${plain} ${special}`;
}
