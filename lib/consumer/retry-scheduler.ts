/**
 * When a batch runs again, and what the log says about it. A batch that failed on a transient Postgres
 * error retries with a jittered backoff; one whose rows wait for their parent rows (another partition,
 * usually moments behind) retries sooner, until the orphan wait is over and they become dead letters.
 * Both are logged so that a flapping database or a long catch-up says what happens without one line
 * per retry.
 */
import { backoffDelayMs, type BackoffPolicy, retryWithBackoff } from '../backoff.js';
import { CdcError } from '../errors.js';
import type { Logger } from '../log.js';
import type { Clock } from './clock.js';
import { retryDefaults } from './defaults.js';
import type { InFlight, PartitionState } from './partition-state.js';

export interface RetrySchedulerDeps {
  log: Logger;
  clock: Clock;
  /** The database as the log may name it (credentials redacted). */
  postgres: string;
  /** --orphan-wait: how long a batch may wait for parent rows before they become dead letters. */
  orphanWaitMs: number;
  /** At most one "wait for their parents" line per partition in this time. */
  orphanLogIntervalMs: number;
  /** A sink's parents' tables, as the log names them. */
  parentsOf: (sink: string) => string;
  /** No retry is scheduled once the engine stops. */
  stopping: () => boolean;
  /** For tests: backoff jitter. */
  random?: () => number;
}

export class RetryScheduler {
  readonly #deps: RetrySchedulerDeps;
  /** Postgres state as last logged, so a flapping database logs once per change, not per retry. */
  #postgresDown = false;
  /**
   * Partitions whose last batch failed on the schema registry (an Avro sink's schema ids could not be
   * fetched): the registry is failing until each has applied a batch or was let go. Logged once per
   * outage, and /healthz says so.
   */
  readonly #registryFailing = new Set<string>();

  constructor(deps: RetrySchedulerDeps) {
    this.#deps = deps;
  }

  /** Runs `fn` until it succeeds, retrying errors marked canRetry with the Postgres backoff. */
  async withRetry<T>(what: string, fn: () => Promise<T>, giveUpAfterMs = Number.POSITIVE_INFINITY): Promise<T> {
    const { clock } = this.#deps;
    const result = await retryWithBackoff(fn, {
      ...retryDefaults.postgres,
      totalMs: giveUpAfterMs,
      isRetriable: (err) => err instanceof CdcError && err.canRetry && !this.#deps.stopping(),
      onRetry: ({ error }) => this.postgresDown(what, (error as Error).message),
      now: () => clock.now(),
      sleep: (ms) => new Promise((resolve) => clock.setTimeout(() => resolve(undefined), ms)),
    });
    this.postgresUp();
    return result;
  }

  /** Logs the first failure after a success; the ones after it are the same outage. */
  postgresDown(what: string, message: string): void {
    if (this.#postgresDown) return;
    this.#postgresDown = true;
    this.#deps.log('warn', 'Postgres failing (unreachable or a transient error); retrying with backoff', {
      postgres: this.#deps.postgres,
      during: what,
      error: message,
    });
  }

  postgresUp(): void {
    if (!this.#postgresDown) return;
    this.#postgresDown = false;
    this.#deps.log('info', 'Postgres recovered', { postgres: this.#deps.postgres });
  }

  /** The batch has waited out --orphan-wait: its rows without parents go to the dead letters now. */
  orphanWaitOver(flight: InFlight): boolean {
    return flight.orphansSince !== undefined && this.#deps.clock.now() - flight.orphansSince >= this.#deps.orphanWaitMs;
  }

  /** A batch came back with rows whose parent rows are missing: retry it soon, saying so at most once per interval. */
  orphans(p: PartitionState, flight: InFlight, orphans: number, rerun: () => void): void {
    const now = this.#deps.clock.now();
    if (flight.orphansSince === undefined) {
      flight.orphansSince = now;
      p.orphanWaitsUnlogged++;
    }
    // A catch-up can make nearly every batch of a child topic wait a moment: one line per partition
    // per interval, counting the batches that began waiting since the last one. A batch still waiting
    // logs again each interval, so a partition that waits is never silent for longer.
    if (now - p.orphansLoggedAt >= this.#deps.orphanLogIntervalMs) {
      this.#deps.log('warn', `${p.table} wait for their ${this.#deps.parentsOf(p.sink)}; retrying the partition`, {
        partition: p.key,
        orphans,
        waitingMs: now - flight.orphansSince,
        batchesSinceLastLine: p.orphanWaitsUnlogged,
        deadLetterAfterMs: this.#deps.orphanWaitMs,
      });
      p.orphansLoggedAt = now;
      p.orphanWaitsUnlogged = 0;
    }
    this.#schedule(p, flight, retryDefaults.orphans, rerun);
  }

  /** A batch failed on a transient error (Postgres', or the schema registry's): retry it with the Postgres backoff. */
  failed(p: PartitionState, flight: InFlight, err: CdcError, rerun: () => void): void {
    if (err.code === 'ERR_CDC_SCHEMA_REGISTRY') this.#registryDown(p, err.message);
    else this.postgresDown(`batch ${p.key}`, err.message);
    this.#schedule(p, flight, retryDefaults.postgres, rerun);
  }

  /** Whether the schema registry is failing for some partition's batches (for /healthz). */
  get registryFailing(): boolean {
    return this.#registryFailing.size > 0;
  }

  #registryDown(p: PartitionState, message: string): void {
    if (this.#registryFailing.size === 0)
      this.#deps.log('warn', 'schema registry failing (unreachable or a transient error); retrying with backoff', {
        during: `batch ${p.key}`,
        error: message,
      });
    this.#registryFailing.add(p.key);
  }

  #registryUp(p: PartitionState): void {
    if (!this.#registryFailing.delete(p.key) || this.#registryFailing.size > 0) return;
    this.#deps.log('info', 'schema registry recovered', {});
  }

  /** A batch applied: the orphan wait it was in, if any, is over. */
  applied(p: PartitionState, flight: InFlight): void {
    this.postgresUp();
    this.#registryUp(p);
    if (flight.orphansSince !== undefined) this.#deps.log('info', `orphan ${p.table} resolved`, { partition: p.key });
  }

  #schedule(p: PartitionState, flight: InFlight, policy: BackoffPolicy, rerun: () => void): void {
    // A partition let go or an engine stopping retries nothing: the next owner reads from cdc_offsets.
    if (p.revoked || this.#deps.stopping()) {
      p.inflight = undefined;
      // Not this process's to retry any more: its registry failure no longer says anything of health.
      this.#registryFailing.delete(p.key);
      return;
    }
    const delay = backoffDelayMs(flight.attempt++, policy, this.#deps.random);
    flight.retryTimer = this.#deps.clock.setTimeout(rerun, delay);
  }
}
