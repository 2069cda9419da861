import { expect } from 'chai';
import { qualified, quoteIdent } from '../../lib/postgres/index.js';

describe('postgres/identifiers', () => {
  it('quotes names and doubles embedded quotes', () => {
    expect(quoteIdent('users')).to.equal('"users"');
    expect(quoteIdent('a"b')).to.equal('"a""b"');
    expect(quoteIdent('x"; DROP TABLE users; --')).to.equal('"x""; DROP TABLE users; --"');
    expect(qualified('my schema', 'T')).to.equal('"my schema"."T"');
  });

  it('rejects empty names and NUL', () => {
    expect(() => quoteIdent('')).to.throw(/invalid SQL identifier/);
    expect(() => quoteIdent('a\0b')).to.throw(/invalid SQL identifier/);
  });

  it('keeps case, backslashes, single quotes and any Unicode as they are (only " is special in a quoted identifier)', () => {
    expect(quoteIdent(`Ab '\\ ж😀`)).to.equal(`"Ab '\\ ж😀"`);
    expect(quoteIdent('"')).to.equal('""""');
    expect(quoteIdent('""')).to.equal('""""""');
  });

  it('cannot be closed early: the quoted name always has an even number of quotes inside', () => {
    for (const name of ['"', 'a"', '"a', 'a""b', '"; DROP SCHEMA public CASCADE; --', '\\"', 'x"."y']) {
      const inner = quoteIdent(name).slice(1, -1);
      expect(inner.replaceAll('""', ''), name).to.not.contain('"');
      expect(inner.replaceAll('""', '"'), name).to.equal(name);
    }
  });

  it('quotes both parts of a qualified name', () => {
    expect(qualified('s"; --', 't"; --')).to.equal('"s""; --"."t""; --"');
  });
});
