/**
 * The one backoff: capped exponential delays, optionally jittered, and a retry loop bounded in total
 * time. The engine retries Postgres and orphaned batches with it; the Kafka producer retries its first
 * write to a cluster that is still warming up (leaders not elected yet, topics still being created).
 */
import { setTimeout as sleep } from 'node:timers/promises';

export interface BackoffPolicy {
  /** Delay before the first retry; doubled after each failure. */
  initialDelayMs: number;
  /** Ceiling for a single delay. */
  maxDelayMs: number;
  /**
   * 'equal': each delay is drawn between half the capped delay and all of it, so callers that failed
   * together (partitions when Postgres went away) do not all come back at the same moment.
   */
  jitter?: 'none' | 'equal';
}

/** The delay before retry `retry` (0 for the first). */
export function backoffDelayMs(retry: number, policy: BackoffPolicy, random: () => number = Math.random): number {
  // The exponent is capped only so that 0 * 2^n stays a number; the ceiling does the real capping.
  const capped = Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** Math.min(retry, 30));
  return policy.jitter === 'equal' ? Math.round(capped / 2 + (random() * capped) / 2) : capped;
}

export interface RetryOptions extends BackoffPolicy {
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

export async function retryWithBackoff<T>(attempt: (n: number) => Promise<T>, options: RetryOptions): Promise<T> {
  const now = options.now ?? performance.now.bind(performance);
  const wait = options.sleep ?? ((ms: number, signal?: AbortSignal) => sleep(ms, undefined, { signal }));
  const started = now();
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
      const delayMs = Math.min(backoffDelayMs(n - 1, options), remaining);
      options.onRetry?.({ attempt: n, delayMs, error });
      await wait(delayMs, options.signal);
    }
  }
}
