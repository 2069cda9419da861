import { expect } from 'chai';
import { CdcError, fromPlainError, sqlStateOf, toPlainError } from '../lib/errors.js';

describe('errors', () => {
  it('a CdcError crosses a thread as a plain object and comes back as a CdcError with its code, flag and fields', () => {
    const original = new CdcError('ERR_CDC_SCHEMA', 'the tables do not match', { canRetry: false, sqlState: '42P01' });
    const plain = toPlainError(original);
    expect(structuredClone(plain)).to.deep.equal({
      code: 'ERR_CDC_SCHEMA',
      message: 'the tables do not match',
      canRetry: false,
      sqlState: '42P01',
    });
    const back = fromPlainError(structuredClone(plain));
    expect(back).to.be.instanceOf(CdcError);
    expect(back).to.include({ code: 'ERR_CDC_SCHEMA', message: 'the tables do not match', canRetry: false, sqlState: '42P01' });
    // Enumerable, so it survives JSON.stringify and structured logs.
    expect(JSON.parse(JSON.stringify(back))).to.include({ code: 'ERR_CDC_SCHEMA', sqlState: '42P01' });
  });

  it('declares sqlState, fatal and systemCode: set from the options, enumerable, and absent unless given', () => {
    const err = new CdcError('ERR_CDC_POSTGRES', 'password authentication failed', {
      sqlState: '28P01',
      fatal: 'password authentication failed',
      systemCode: undefined,
    });
    expect([err.sqlState, err.fatal, err.systemCode]).to.deep.equal(['28P01', 'password authentication failed', undefined]);
    expect(Object.keys(err)).to.include.members(['sqlState', 'fatal']).and.not.include('systemCode');
    expect(toPlainError(err)).to.deep.equal({
      code: 'ERR_CDC_POSTGRES',
      message: 'password authentication failed',
      canRetry: false,
      sqlState: '28P01',
      fatal: 'password authentication failed',
    });
    const plain = new CdcError('ERR_CDC_KAFKA', 'timed out', { canRetry: true, systemCode: 'ETIMEDOUT' });
    expect(JSON.parse(JSON.stringify(plain))).to.deep.equal({
      name: 'CdcError',
      code: 'ERR_CDC_KAFKA',
      canRetry: true,
      message: 'timed out',
      systemCode: 'ETIMEDOUT',
    });
  });

  it('a foreign error gets the code the caller names, keeping its SQLSTATE or system code', () => {
    const pgError = Object.assign(new Error('duplicate key value'), { code: '23505' });
    expect(toPlainError(pgError, 'ERR_CDC_POSTGRES')).to.deep.equal({
      code: 'ERR_CDC_POSTGRES',
      message: 'duplicate key value',
      canRetry: false,
      sqlState: '23505',
    });
    const socket = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    expect(toPlainError(socket, 'ERR_CDC_POSTGRES')).to.include({ code: 'ERR_CDC_POSTGRES', systemCode: 'ECONNREFUSED' });
    expect(toPlainError('a string')).to.deep.equal({ code: 'ERR_CDC_INTERNAL', message: 'a string', canRetry: false });
    // An unknown code from the other side is not trusted as one of ours.
    expect(fromPlainError({ code: 'NOPE' as never, message: 'm', canRetry: true })).to.include({
      code: 'ERR_CDC_INTERNAL',
      canRetry: true,
    });
  });

  it('sqlStateOf reads only five-character SQLSTATEs', () => {
    expect(sqlStateOf({ code: '57014' })).to.equal('57014');
    expect(sqlStateOf({ code: 'ECONNRESET' })).to.equal(undefined);
    expect(sqlStateOf(null)).to.equal(undefined);
  });
});
