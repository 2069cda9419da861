/**
 * Test helpers: event JSON as the Go producer's encoding/json writes it (fields in struct order,
 * `<`, `>`, `&`, U+2028 and U+2029 escaped as \u003c etc., other non-ASCII as raw UTF-8).
 */

const GO_ESCAPES: Record<string, string> = {
  '<': '\\u003c',
  '>': '\\u003e',
  '&': '\\u0026',
  '\u2028': '\\u2028',
  '\u2029': '\\u2029',
};

/** JSON text as Go writes it; `undefined` fields are left out (omitempty). */
export function goJson(fields: Record<string, unknown>): string {
  return JSON.stringify(fields).replace(/[<>&\u2028\u2029]/g, (c) => GO_ESCAPES[c]);
}

export function goValue(fields: Record<string, unknown>): Buffer {
  return Buffer.from(goJson(fields), 'utf8');
}

export function raw(text: string): Buffer {
  return Buffer.from(text, 'utf8');
}
