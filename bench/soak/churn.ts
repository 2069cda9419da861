/**
 * The soak's churn schedule: which change comes next and how a consumer is killed. Pure, so the
 * schedule can be tested without processes.
 */

export type Change = 'kill' | 'add';

/**
 * Kills and additions alternate, a kill first (the run starts at the maximum). When the alternation
 * cannot be followed (no extra left to kill, or no room to add) the other change is made instead, so
 * every period changes something; with no extras allowed at all there is nothing to do.
 */
export function nextChange(previous: Change | undefined, extras: number, maxExtras: number): Change | undefined {
  const wanted: Change = previous === 'kill' ? 'add' : 'kill';
  const possible = (c: Change) => (c === 'kill' ? extras > 0 : extras < maxExtras);
  if (possible(wanted)) return wanted;
  const other: Change = wanted === 'kill' ? 'add' : 'kill';
  return possible(other) ? other : undefined;
}

/** Kills alternate between a crash (SIGKILL: no clean-up, its partitions wait for the session timeout) and a graceful stop. */
export function killSignal(killsSoFar: number): 'SIGKILL' | 'SIGTERM' {
  return killsSoFar % 2 === 0 ? 'SIGKILL' : 'SIGTERM';
}
