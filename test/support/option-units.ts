import { expect } from 'chai';
import { defaultDisplay } from '../../lib/config/index.js';
import type { Specs } from '../../lib/config/reference.js';

/**
 * Every duration and size option with a number default declares its unit, and shows a default derived
 * from its value: one without would show a bare count of milliseconds or bytes.
 */
export function expectUnitsDeclared(set: string, specs: Specs): void {
  for (const [key, spec] of Object.entries(specs)) {
    if (typeof spec.default !== 'number') continue;
    const reads = (text: string) => {
      try {
        return spec.parse(text, key);
      } catch {
        return undefined;
      }
    };
    if (reads('2s') === 2000) expect(spec.unit, `${set}.${key}`).to.equal('ms');
    if (reads('2MiB') === 2 * 1024 * 1024) expect(spec.unit, `${set}.${key}`).to.equal('bytes');
    expect(defaultDisplay(spec)?.derived, `${set}.${key}: defaultText beside a value it can be derived from`).to.equal(true);
  }
}
