import { expect } from 'chai';
import { redactSecrets, redactUrl } from '../../lib/config/index.js';

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

  it('hides percent-encoded passwords, whatever characters they encode', () => {
    expect(redactUrl('postgres://cdc:p%40ss%3Aw0rd%2F@db:5432/cdc')).to.equal('postgres://cdc:***@db:5432/cdc');
    expect(redactUrl('postgresql://:only-a-password@h/d')).to.equal('postgresql://:***@h/d');
  });

  it('hides a password holding a raw "@" entirely', () => {
    const out = redactUrl('postgres://u:hun@ter2@h/d');
    expect(out).to.not.contain('hun').and.not.contain('ter2');
  });

  it('hides the password of multi-host and IPv6 URLs', () => {
    expect(redactUrl('postgresql://u:hunter2@h1:5432,h2:5433/db')).to.equal('postgresql://u:***@h1:5432,h2:5433/db');
    expect(redactUrl('postgres://u:hunter2@[::1]:5432/d')).to.equal('postgres://u:***@[::1]:5432/d');
  });

  it('hides secret query parameters whatever their case, and keeps the others', () => {
    const out = redactUrl('postgres://u:hunter2@h/d?sslpassword=abc123&PassWord=xyz789&application_name=cdc');
    expect(out).to.not.contain('hunter2').and.not.contain('abc123').and.not.contain('xyz789');
    expect(out).to.contain('application_name=cdc');
  });

  it('redactSecrets hides the URL and its password (raw or percent-decoded) wherever a message carries them', () => {
    const url = 'postgres://cdc:p%40ssw0rd-long@db:5432/cdc';
    expect(redactSecrets(`connect to ${url} failed: p@ssw0rd-long rejected`, url)).to.equal(
      'connect to postgres://cdc:***@db:5432/cdc failed: *** rejected',
    );
    // A short password would match ordinary words: only the URL is replaced then.
    expect(redactSecrets('cdc says: postgres://u:cdc@h/d', 'postgres://u:cdc@h/d')).to.equal('cdc says: postgres://u:***@h/d');
  });
});
