/**
 * The engine's Postgres sessions as the server sees them (pg_stat_activity), read on a direct
 * connection of the test's own, never through a fault proxy: what a frozen or cut-off consumer left
 * open, what it waits for, and when the server ended it.
 */
import pg from 'pg';
import { testStack } from '../support/stack.js';

export interface Session {
  pid: number;
  applicationName: string;
  /** `active`, `idle`, `idle in transaction`, `idle in transaction (aborted)`, ... */
  state: string;
  inTransaction: boolean;
  waitEventType: string | null;
  waitEvent: string | null;
  query: string;
  /** Milliseconds in the current state, by the server's clock. */
  stateMs: number;
}

export const isIdleInTransaction = (s: Session) => s.state.startsWith('idle in transaction');
/** Waiting for the rest of a COPY's data: the one state no server-side timeout ends (see docs/operations.md). */
export const isReadingCopy = (s: Session) => s.state === 'active' && s.waitEvent === 'ClientRead' && /^\s*COPY\b/i.test(s.query);

export class SessionWatch {
  readonly #client: pg.Client;

  private constructor(client: pg.Client) {
    this.#client = client;
  }

  static async open(): Promise<SessionWatch> {
    // Named, so the watcher is never mistaken for one of the sessions it watches.
    const client = new pg.Client({ connectionString: testStack().databaseUrl, application_name: 'cdc-fault-watch' });
    await client.connect();
    return new SessionWatch(client);
  }

  /** The sessions of these application names in this database. */
  async list(applicationNames: readonly string[]): Promise<Session[]> {
    const { rows } = await this.#client.query<{
      pid: number;
      application_name: string;
      state: string | null;
      in_transaction: boolean;
      wait_event_type: string | null;
      wait_event: string | null;
      query: string;
      state_ms: number;
    }>(
      `SELECT pid, application_name, state, xact_start IS NOT NULL AS in_transaction, wait_event_type, wait_event, query,
              (extract(epoch FROM clock_timestamp() - state_change) * 1000)::float8 AS state_ms
         FROM pg_stat_activity
        WHERE datname = current_database() AND application_name = ANY($1::text[]) AND pid <> pg_backend_pid()`,
      [applicationNames],
    );
    return rows.map((r) => ({
      pid: r.pid,
      applicationName: r.application_name,
      state: r.state ?? '',
      inTransaction: r.in_transaction,
      waitEventType: r.wait_event_type,
      waitEvent: r.wait_event,
      query: r.query,
      stateMs: r.state_ms ?? 0,
    }));
  }

  async close(): Promise<void> {
    await this.#client.end().catch(() => {});
  }
}

/**
 * A session of the test's own that holds `table` (qualified) in EXCLUSIVE mode inside an open
 * transaction: other sessions' writes to it wait until the caller commits and ends the client.
 */
export async function lockExclusive(table: string): Promise<pg.Client> {
  const locker = new pg.Client({ connectionString: testStack().databaseUrl, application_name: 'cdc-fault-locker' });
  await locker.connect();
  await locker.query('BEGIN');
  await locker.query(`LOCK TABLE ${table} IN EXCLUSIVE MODE`);
  return locker;
}

/** A DATABASE_URL that names its sessions `name`: settings in the URL take precedence over the engine's. */
export function withApplicationName(url: string, name: string): string {
  const u = new URL(url);
  u.searchParams.set('application_name', name);
  return u.toString();
}
