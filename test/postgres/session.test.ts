import { expect } from 'chai';
import { serverKeepaliveSql, sessionConfig, type SessionSettings } from '../../lib/postgres/session.js';

describe('postgres/session', () => {
  const settings: SessionSettings = {
    databaseUrl: 'postgres://u:p@h:5432/d',
    pgIdleInTransactionTimeoutMs: 10_000,
    pgLockTimeoutMs: 0,
    pgStatementTimeoutMs: 60_000,
    pgQueryTimeoutMs: 90_000,
    pgKeepaliveMs: 10_500,
  };

  it('carries the server timeouts as startup parameters, the query timeout and keepalive in whole seconds', () => {
    expect(sessionConfig(settings, 'cdc-dead-letters')).to.deep.equal({
      connectionString: 'postgres://u:p@h:5432/d',
      application_name: 'cdc-dead-letters',
      idle_in_transaction_session_timeout: 10_000,
      lock_timeout: 0,
      statement_timeout: 60_000,
      query_timeout: 90_000,
      keepAlive: true,
      keepAliveInitialDelayMillis: 10_000,
    });
  });

  it("sets the server's keepalive to the same idle time, probes 1 s apart, 10 of them; nothing when off", () => {
    expect(serverKeepaliveSql(settings)).to.equal(
      'SET tcp_keepalives_idle = 10; SET tcp_keepalives_interval = 1; SET tcp_keepalives_count = 10',
    );
    expect(serverKeepaliveSql({ ...settings, pgKeepaliveMs: 0 })).to.equal(undefined);
    expect(sessionConfig({ ...settings, pgKeepaliveMs: 0 }, 'x')).to.include({ keepAlive: false, keepAliveInitialDelayMillis: 0 });
  });
});
