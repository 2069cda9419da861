/**
 * The one Postgres session cdc-dead-letters works on: opened with the consumer's validated connection
 * and session options (lib/postgres/session.ts), so the same --pg-* limits bound a purge's locks and
 * statements; closed whatever happens. Errors come out as one CdcError with no password in it.
 */
import pg from 'pg';
import { redactSecrets, type SpecValues } from '../config/index.js';
import { CdcError } from '../errors.js';
import { fatalReason, sqlState } from '../postgres/errors.js';
import { serverKeepaliveSql, sessionConfig } from '../postgres/session.js';
import { deadLetterDefaults } from './defaults.js';
import type { deadLetterConnectionOptions } from './options.js';
import { checkTable } from './store.js';

export type ConnectionSettings = SpecValues<typeof deadLetterConnectionOptions>;

/** Runs `work` on a connection to the dead letters' schema (checked to hold the table first). */
export async function withDeadLetters<T>(settings: ConnectionSettings, work: (client: pg.ClientBase) => Promise<T>): Promise<T> {
  const client = new pg.Client({
    ...sessionConfig(settings, 'cdc-dead-letters'),
    connectionTimeoutMillis: deadLetterDefaults.connectTimeoutMs,
  });
  // A session the server ends between queries must fail the next query, not crash the process.
  client.on('error', () => {});
  try {
    await client.connect();
    const keepalive = serverKeepaliveSql(settings);
    if (keepalive !== undefined) await client.query(keepalive);
    await checkTable(client, settings.dbSchema);
    return await work(client);
  } catch (err) {
    throw asPostgresError(err, settings.databaseUrl);
  } finally {
    await client.end().catch(() => {});
  }
}

/** Our own errors as they are; anything from Postgres or the network as ERR_CDC_POSTGRES, with why an operator must act. */
function asPostgresError(err: unknown, databaseUrl: string): Error {
  if (err instanceof CdcError) return err;
  const message = redactSecrets(err instanceof Error ? err.message : String(err), databaseUrl);
  const fatal = fatalReason(err);
  return new CdcError('ERR_CDC_POSTGRES', `Postgres: ${fatal ? `${fatal}: ` : ''}${message}`, { sqlState: sqlState(err), fatal });
}
