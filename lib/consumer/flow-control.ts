/**
 * Flow control as pure functions of the partition states: which partitions to pause or resume
 * (backpressure), whether the consumer is idle, how many messages the next consume call asks for.
 * They decide; the engine applies the decision to its states and to the consumer.
 */
import { engineDefaults } from './defaults.js';
import type { PartitionState } from './partition-state.js';

export interface PauseDecision {
  pause: PartitionState[];
  resume: PartitionState[];
  /** Stop taking messages until a batch settles: the flowing partitions hold the whole budget. */
  hold: boolean;
}

/**
 * The byte budget bounds what all partitions hold together: over it, the consume loop stops taking
 * messages (librdkafka's own queue, bounded too, then stops fetching, and refills within
 * fetch.queue.backoff.ms once messages are taken again) until a batch settles.
 *
 * Only a stuck partition is paused, so that it cannot hold the budget that others need: one whose batch
 * waits to be retried (rows waiting for their parent rows, a failure) and holds more than an equal share.
 * The others keep flowing (the parents the stuck one waits for among them). A paused partition resumes
 * once it holds less than half its share, so it does not flap at the boundary. Pausing is kept for that
 * case alone because librdkafka drops what it had fetched for a paused partition, and fetches it again
 * only when its broker thread next wakes, up to a second after the resume (docs/benchmarks.md).
 */
export function backpressure(states: readonly PartitionState[], maxBytesInFlight: number): PauseDecision {
  const decision: PauseDecision = { pause: [], resume: [], hold: false };
  if (states.length === 0) return decision;
  const share = maxBytesInFlight / states.length;
  let held = 0;
  let flowing = 0;
  for (const p of states) {
    if (p.revoked) continue;
    const bytes = p.bytesHeld;
    held += bytes;
    const stuck = p.inflight !== undefined && !p.inflight.running;
    if (!p.paused && stuck && bytes > share) decision.pause.push(p);
    else if (p.paused && bytes < share / 2) decision.resume.push(p);
    else if (!p.paused) flowing += bytes;
  }
  // Holding is only worth it while flowing partitions hold bytes that a settling batch will free: with
  // the budget all in paused partitions, the others must fetch (their parents may be what they wait for).
  decision.hold = held >= maxBytesInFlight && flowing > 0;
  return decision;
}

/** Every partition paused: the consume loop waits for a batch to finish instead of spinning. */
export function allPaused(states: readonly PartitionState[]): boolean {
  return states.length > 0 && states.every((p) => p.paused);
}

export interface IdleClock {
  now: number;
  /** When a message last arrived or fetching last resumed. */
  lastActivity: number;
  /** --idle; 0 never idles. */
  idleMs: number;
  /** The idle clock runs only while an assignment is held: a slow join or a rebalance is not idleness. */
  holdingAssignment: boolean;
}

/** Quiet for idleMs with nothing pending, in flight or paused. */
export function isIdle(states: readonly PartitionState[], clock: IdleClock): boolean {
  if (clock.idleMs <= 0 || !clock.holdingAssignment) return false;
  if (clock.now - clock.lastActivity < clock.idleMs) return false;
  // A paused partition is quiet because we stopped fetching it (backpressure), not because it is done.
  return states.every((p) => p.pending.length === 0 && !p.inflight && !p.paused);
}

/**
 * The next consume call's message count: doubled while calls come back full at once (a backlog: the
 * messages were already fetched), halved otherwise, within engineDefaults' fetch bounds (see there why
 * it adapts). A call that filled up only by waiting for messages to arrive (a steady stream) held the
 * first of them back for as long as it waited: its count is halved, not doubled.
 */
export function nextFetchCount(asked: number, received: number, tookMs: number): number {
  const backlog = received >= asked && tookMs <= engineDefaults.fetchFullWithinMs;
  return backlog ? Math.min(engineDefaults.fetchMaxMessages, asked * 2) : Math.max(engineDefaults.fetchMinMessages, asked >>> 1);
}
