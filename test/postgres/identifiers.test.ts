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
});
