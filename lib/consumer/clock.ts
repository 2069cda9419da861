/**
 * Time as the main thread's schedulers see it, so their unit tests can drive a fake one instead of
 * waiting on real timers.
 */
export type Timer = ReturnType<typeof setTimeout>;

export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): Timer;
  clearTimeout(timer: Timer | undefined): void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (timer) => clearTimeout(timer),
};

/** Whether `work` settles within `ms` (true) or the time runs out first (false); its outcome is not awaited after that. */
export async function settlesWithin(work: Promise<unknown>, ms: number, clock: Clock): Promise<boolean> {
  let timer: Timer | undefined;
  try {
    return await Promise.race([
      work.then(() => true),
      new Promise<boolean>((resolve) => {
        timer = clock.setTimeout(() => resolve(false), ms);
      }),
    ]);
  } finally {
    clock.clearTimeout(timer);
  }
}
