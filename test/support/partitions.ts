import { type Message, PartitionState } from '../../lib/consumer/partition-state.js';
import type { WorkerSlot } from '../../lib/consumer/worker-pool.js';
import type { LogLevel, Logger } from '../../lib/log.js';

/** A log line as a test sees it. */
export type Line = [LogLevel, string, Record<string, unknown> | undefined];

export function recordingLog(): { log: Logger; lines: Line[] } {
  const lines: Line[] = [];
  return { log: (level, message, fields) => lines.push([level, message, fields]), lines };
}

/**
 * A worker slot that runs tasks with `run`; the main-thread parts never look inside it otherwise. It
 * says it is busy unless told otherwise, so a batch waits for its linger as behind a busy thread.
 */
export function fakeSlot(
  run: WorkerSlot['run'] = () => Promise.reject(new Error('no worker in this test')),
  idle = () => false,
): WorkerSlot {
  return {
    index: 0,
    run,
    close: async () => {},
    get idle() {
      return idle();
    },
  } as unknown as WorkerSlot;
}

export function partition(topic = 't', index = 0, slot = fakeSlot()): PartitionState {
  return new PartitionState(topic, index, topic, slot);
}

/** A message of `valueBytes` bytes at `offset`. */
export function message(offset: number, valueBytes = 10): Message {
  return { offset, timestamp: 1000 + offset, key: `k${offset}`, value: Buffer.alloc(valueBytes) };
}
