/**
 * Exponential backoff with a bound on the total time, for the first writes to a cluster that is still
 * warming up (leaders not elected yet, topics still being created) and similar start-up waits.
 */
import { setTimeout as sleep } from 'node:timers/promises';

export interface BackoffOptions {
  /** Delay before the second attempt; doubled after each failure. */
  initialDelayMs: number;
  /** Ceiling for a single delay. */
  maxDelayMs: number;
  /** No new attempt starts once this long has passed since the first one began. */
  totalMs: number;
  /** Errors for which another attempt makes sense; anything else is thrown at once. */
  isRetriable: (err: unknown) => boolean;
  /** Called before each wait. */
  onRetry?: (info: { attempt: number; delayMs: number; error: unknown }) => void;
  /** Builds the error thrown when time runs out; default: the last error. */
  giveUp?: (info: { attempts: number; elapsedMs: number; error: unknown }) => Error;
  /** Stops waiting: the pending wait rejects with the signal's reason. */
  signal?: AbortSignal;
  /** For tests. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<unknown>;
  now?: () => number;
}

export async function retryWithBackoff<T>(attempt: (n: number) => Promise<T>, options: BackoffOptions): Promise<T> {
  const now = options.now ?? performance.now.bind(performance);
  const wait = options.sleep ?? ((ms: number, signal?: AbortSignal) => sleep(ms, undefined, { signal }));
  const started = now();
  let delay = options.initialDelayMs;
  for (let n = 1; ; n++) {
    options.signal?.throwIfAborted();
    try {
      return await attempt(n);
    } catch (error) {
      if (!options.isRetriable(error) || options.signal?.aborted) throw error;
      const elapsedMs = now() - started;
      const remaining = options.totalMs - elapsedMs;
      if (remaining <= 0) {
        throw options.giveUp ? options.giveUp({ attempts: n, elapsedMs, error }) : error;
      }
      const delayMs = Math.min(delay, options.maxDelayMs, remaining);
      options.onRetry?.({ attempt: n, delayMs, error });
      await wait(delayMs, options.signal);
      delay = Math.min(delay * 2, options.maxDelayMs);
    }
  }
}
