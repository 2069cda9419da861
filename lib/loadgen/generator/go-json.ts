/**
 * The pieces of Go's `encoding/json` output that differ from `JSON.stringify`, so events written here
 * are byte-for-byte what the Go producer wrote for the same values.
 */

// Anything JSON.stringify would escape, anything Go escapes on top of that, and lone surrogates.
// eslint-disable-next-line no-control-regex -- finding control characters is the point.
const NEEDS_WORK = /["\\\u0000-\u001f<>&\u2028\u2029\ud800-\udfff]/;
const GO_EXTRA = /[<>&\u2028\u2029]/g;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
const GO_EXTRA_ESCAPES: Record<string, string> = {
  '<': '\\u003c',
  '>': '\\u003e',
  '&': '\\u0026',
  '\u2028': '\\u2028',
  '\u2029': '\\u2029',
};

/**
 * A JSON string literal as Go writes it: `"`, `\` and control characters escaped like JSON.stringify
 * (Go 1.22+ also writes `\b` and `\f` short), plus `<`, `>`, `&`, U+2028 and U+2029 as `\u003c` and so
 * on. Go replaces invalid UTF-8 with U+FFFD; the JavaScript equivalent is a lone surrogate.
 */
export function goString(s: string): string {
  // Plain names (the common case) take the fast path: no scan beyond the regex, no allocation.
  if (!NEEDS_WORK.test(s)) return `"${s}"`;
  return goJson(s.replace(LONE_SURROGATE, '\ufffd'));
}

/**
 * JSON text as Go writes it for the same value: JSON.stringify's, with Go's extra escapes. Object fields
 * keep their insertion order and `undefined` ones are left out, as Go's struct order and omitempty do.
 * Lone surrogates stay as JSON.stringify escapes them; goString replaces them first, as Go would.
 */
export function goJson(value: unknown): string {
  return JSON.stringify(value).replace(GO_EXTRA, (c) => GO_EXTRA_ESCAPES[c] as string);
}

/**
 * A float64 as Go's encoding/json writes it: the shortest decimal that round-trips, in plain notation
 * for 1e-6 <= |x| < 1e21 and exponent notation outside. JavaScript's Number#toString picks the same
 * digits and the same thresholds; only negative zero differs.
 */
export function goFloat(x: number): string {
  if (!Number.isFinite(x)) throw new RangeError(`JSON cannot encode ${x}`);
  if (x === 0 && Object.is(x, -0)) return '-0';
  return String(x);
}
