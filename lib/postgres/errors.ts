/**
 * Classifies Postgres and connection errors: a data error is the rows' fault (isolate and dead-letter
 * them), a fatal error needs an operator (exit with a clear message), anything else is transient (retry
 * with backoff; never exit, never lose).
 */

import { sqlStateOf as sqlState } from '../errors.js';

/** Class 22 (data exception) and 23 (integrity constraint violation): the rows, not the server. */
export function isDataError(err: unknown): boolean {
  const state = sqlState(err);
  return state !== undefined && (state.startsWith('22') || state.startsWith('23'));
}

/**
 * States that say nothing about the rows or the setup, only that this attempt (or this session) is
 * over: connection exceptions (08), serialization failures and deadlocks (40), too many connections
 * (53), cancellation and shutdown (57: 57014 is also what statement_timeout raises), lock_timeout's
 * 55P03 and idle_in_transaction_session_timeout's 25P03. Retried on a fresh connection.
 */
export function isRetryableState(err: unknown): boolean {
  const state = sqlState(err);
  if (state === undefined) return false;
  return ['08', '40', '53', '57'].includes(state.slice(0, 2)) || state === '55P03' || state === '25P03';
}

const FATAL_STATES: Record<string, string> = {
  '28000': 'authorization rejected',
  '28P01': 'password authentication failed',
  '3D000': 'the database does not exist',
  '3F000': 'the schema does not exist',
  '42501': 'insufficient privilege',
  '42P01': 'a table is missing (was the schema applied? drop --no-migrate)',
  '42703': 'a column is missing: the schema does not match this version',
  '42804': 'a column has another type than expected: the schema does not match this version',
};

/** Why an error cannot be fixed by retrying, or undefined when it might be. */
export function fatalReason(err: unknown): string | undefined {
  const state = sqlState(err);
  if (state && FATAL_STATES[state]) return FATAL_STATES[state];
  const message = (err as Error | null)?.message ?? '';
  if (/getaddrinfo ENOTFOUND/.test(message)) return 'the database host name does not resolve';
  if (/SASL: SCRAM-SERVER-FIRST-MESSAGE: client password must be a string/.test(message)) return 'no password given';
  return undefined;
}

export { sqlState };
