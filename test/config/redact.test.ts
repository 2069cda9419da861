import { expect } from 'chai';
import { redactUrl } from '../../lib/config/index.js';

describe('config/redact', () => {
  it('hides the password of a database URL and keeps the rest', () => {
    expect(redactUrl('postgres://cdc:s3cret@db:5432/cdc')).to.equal('postgres://cdc:***@db:5432/cdc');
  });

  it('hides password-like query parameters', () => {
    const out = redactUrl('postgres://u@h/d?sslmode=require&password=hunter2');
    expect(out).to.contain('sslmode=require').and.not.contain('hunter2');
  });

  it('leaves a URL without secrets unchanged', () => {
    expect(redactUrl('postgres://u@h:1/d')).to.equal('postgres://u@h:1/d');
  });

  it('hides the secret even in a string that is not a valid URL', () => {
    expect(redactUrl('postgres://u:p w@bad host/d')).to.not.contain('p w');
  });
});
