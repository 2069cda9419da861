/** Test helpers: event bodies as the Go producer's encoding/json writes them (see lib/loadgen/generator/go-json.ts). */
import { goJson } from '../../lib/loadgen/generator/go-json.js';

export { goJson };

export function goValue(fields: Record<string, unknown>): Buffer {
  return Buffer.from(goJson(fields), 'utf8');
}

export function raw(text: string): Buffer {
  return Buffer.from(text, 'utf8');
}
