import { expect } from 'chai';
import { goFloat, goJson, goString } from '../../../lib/loadgen/generator/go-json.js';

describe('generator/go-json', () => {
  describe('goString', () => {
    it('escapes <, >, &, U+2028 and U+2029 as \\u sequences', () => {
      expect(goString('a<b>&c')).to.equal('"a\\u003cb\\u003e\\u0026c"');
      expect(goString('x\u2028y\u2029z')).to.equal('"x\\u2028y\\u2029z"');
    });

    it('escapes quotes, backslashes and control characters like Go 1.22+', () => {
      expect(goString('say "hi" \\ there')).to.equal('"say \\"hi\\" \\\\ there"');
      expect(goString('\b\f\n\r\t')).to.equal('"\\b\\f\\n\\r\\t"');
      expect(goString('\u0001\u001f')).to.equal('"\\u0001\\u001f"');
    });

    it('writes other non-ASCII text raw, including characters outside the BMP and DEL', () => {
      expect(goString('josé 李 😀 \u007f')).to.equal('"josé 李 😀 \u007f"');
    });

    it('replaces lone surrogates with U+FFFD, as Go does with invalid UTF-8', () => {
      expect(goString('a\ud800b')).to.equal('"a\ufffdb"');
      expect(goString('a\udc00b')).to.equal('"a\ufffdb"');
      expect(goString('\udc00\ud800')).to.equal('"\ufffd\ufffd"');
    });

    it('leaves plain text alone', () => {
      expect(goString('abc defg')).to.equal('"abc defg"');
    });
  });

  describe('goJson', () => {
    it('is JSON.stringify with the escapes Go adds, fields in order, undefined ones left out', () => {
      expect(goJson({ b: '<&>', a: 1, c: undefined, d: '\u2028' })).to.equal('{"b":"\\u003c\\u0026\\u003e","a":1,"d":"\\u2028"}');
    });
  });

  describe('goFloat', () => {
    it("writes the shortest round-trip decimal in plain notation within Go's range", () => {
      expect(goFloat(1234.5678901234567)).to.equal('1234.5678901234567');
      expect(goFloat(0.1)).to.equal('0.1');
      expect(goFloat(100)).to.equal('100');
      expect(goFloat(1e20)).to.equal('100000000000000000000');
      expect(goFloat(0.000001)).to.equal('0.000001');
    });

    it('switches to exponent notation where Go does, and keeps negative zero', () => {
      expect(goFloat(1e21)).to.equal('1e+21');
      expect(goFloat(1.5e-7)).to.equal('1.5e-7');
      expect(goFloat(-0)).to.equal('-0');
    });

    it('refuses NaN and infinities, which JSON cannot hold', () => {
      expect(() => goFloat(Number.NaN)).to.throw(RangeError);
      expect(() => goFloat(Number.POSITIVE_INFINITY)).to.throw(RangeError);
    });
  });
});
