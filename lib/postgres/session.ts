/**
 * The settings every Postgres session of ours carries, whoever opens it (a worker's pool, the
 * cdc-dead-letters command): the server-side limits that keep a frozen or cut-off client from holding
 * its locks, and TCP keepalive on both ends. One place, so each command honours the same validated
 * --pg-* options.
 */
import type pg from 'pg';
import type { ConsumerOptions } from '../consumer/options.js';

export const SESSION_OPTIONS = [
  'databaseUrl',
  'pgIdleInTransactionTimeoutMs',
  'pgLockTimeoutMs',
  'pgStatementTimeoutMs',
  'pgQueryTimeoutMs',
  'pgKeepaliveMs',
] as const satisfies ReadonlyArray<keyof ConsumerOptions>;

export type SessionSettings = Pick<ConsumerOptions, (typeof SESSION_OPTIONS)[number]>;

/**
 * node-postgres sends the three server timeouts as startup parameters and leaves out a 0 (the server's
 * own setting then applies). Keepalive on the server's end has no startup parameter: see
 * serverKeepaliveSql.
 */
export function sessionConfig(settings: SessionSettings, applicationName: string): pg.ClientConfig {
  const keepaliveSeconds = Math.floor(settings.pgKeepaliveMs / 1000);
  return {
    connectionString: settings.databaseUrl,
    application_name: applicationName,
    idle_in_transaction_session_timeout: settings.pgIdleInTransactionTimeoutMs,
    lock_timeout: settings.pgLockTimeoutMs,
    statement_timeout: settings.pgStatementTimeoutMs,
    query_timeout: settings.pgQueryTimeoutMs,
    keepAlive: keepaliveSeconds > 0,
    keepAliveInitialDelayMillis: keepaliveSeconds * 1000,
  };
}

/**
 * The statement that sets keepalive on the server's end of a new session (interval and count as libuv
 * sets them on the client's socket; ignored on a Unix socket), or undefined when keepalive is off.
 */
export function serverKeepaliveSql(settings: SessionSettings): string | undefined {
  const keepaliveSeconds = Math.floor(settings.pgKeepaliveMs / 1000);
  if (keepaliveSeconds <= 0) return undefined;
  return `SET tcp_keepalives_idle = ${keepaliveSeconds}; SET tcp_keepalives_interval = 1; SET tcp_keepalives_count = 10`;
}
