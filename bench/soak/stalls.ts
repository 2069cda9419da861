/**
 * Partitions that stopped moving. While production runs every partition receives events all the time,
 * so a stored offset (cdc_offsets) unchanged across minutes means nobody is applying that partition. A
 * rebalance or a SIGKILLed owner (whose partitions wait for the session timeout) stops one for seconds,
 * not minutes. Pure, so the rule can be tested.
 */

export interface OffsetsAt {
  tSec: number;
  /** Stored next offset per `topic/partition`; a partition absent has none yet. */
  offsets: Readonly<Record<string, number>>;
}

export interface Stall {
  partition: string;
  offset: number;
  fromSec: number;
  toSec: number;
}

/**
 * The longest run of each partition's unchanged offset across consecutive snapshots, when it lasts at
 * least `minSec` and the offset is still below `end` (where the partition finally ended: a partition
 * with nothing left to apply is idle, not stalled).
 */
export function findStalls(snapshots: readonly OffsetsAt[], end: ReadonlyMap<string, number>, minSec: number): Stall[] {
  const stalls: Stall[] = [];
  for (const [partition, endOffset] of end) {
    let longest: Stall | undefined;
    let runStart: OffsetsAt | undefined;
    for (let i = 0; i < snapshots.length; i++) {
      const s = snapshots[i] as OffsetsAt;
      const offset = s.offsets[partition] ?? 0;
      const previous = i > 0 ? ((snapshots[i - 1] as OffsetsAt).offsets[partition] ?? 0) : undefined;
      if (previous === undefined || offset !== previous) runStart = s;
      const start = runStart as OffsetsAt;
      if (offset < endOffset && (longest === undefined || s.tSec - start.tSec > longest.toSec - longest.fromSec)) {
        longest = { partition, offset, fromSec: start.tSec, toSec: s.tSec };
      }
    }
    if (longest && longest.toSec - longest.fromSec >= minSec) stalls.push(longest);
  }
  return stalls;
}
