/**
 * Paces sends to a target rate. Event i is due at start + i / rate: the schedule is absolute, so timer
 * lateness and batching do not add up to drift, and the count over any window stays within a few events
 * of rate x window. When the sender falls behind by more than `maxDebtMs` worth of events (the machine
 * cannot keep up, or a pause), the debt is forgiven rather than repaid in one burst far above the rate.
 */

export const rateLimiterDefaults = {
  maxDebtMs: 1000,
} as const;

export class RateLimiter {
  readonly ratePerSec: number;
  readonly #now: () => number;
  readonly #maxDebt: number;
  #start: number | undefined;
  /** Events granted since #start. */
  #granted = 0;

  /** `ratePerSec` 0 means unlimited. `now` is in milliseconds (default performance.now). */
  constructor(ratePerSec: number, options: { now?: () => number; maxDebtMs?: number } = {}) {
    if (!Number.isFinite(ratePerSec) || ratePerSec < 0) throw new RangeError(`rate must be a number >= 0, got ${ratePerSec}`);
    this.ratePerSec = ratePerSec;
    this.#now = options.now ?? performance.now.bind(performance);
    this.#maxDebt = Math.max(1, Math.floor((ratePerSec * (options.maxDebtMs ?? rateLimiterDefaults.maxDebtMs)) / 1000));
  }

  /** How many events (at most `max`) may be sent now; they count as sent. */
  take(max: number): number {
    if (this.ratePerSec === 0) return max;
    const now = this.#now();
    if (this.#start === undefined) this.#start = now;
    // +1: the first event is due at once.
    let due = Math.floor(((now - this.#start) * this.ratePerSec) / 1000) + 1 - this.#granted;
    if (due > this.#maxDebt) {
      // Too far behind: move the schedule so that only maxDebt events are owed.
      this.#start = now - ((this.#granted + this.#maxDebt - 1) * 1000) / this.ratePerSec;
      due = this.#maxDebt;
    }
    const n = Math.max(0, Math.min(due, max));
    this.#granted += n;
    return n;
  }

  /** Milliseconds until the next event is due (0 when one is due now). */
  delayMs(): number {
    if (this.ratePerSec === 0 || this.#start === undefined) return 0;
    const dueAt = this.#start + (this.#granted * 1000) / this.ratePerSec;
    return Math.max(0, dueAt - this.#now());
  }
}
