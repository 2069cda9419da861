/**
 * Worker threads. Each slot is a one-thread piscina pool, so a partition assigned to a slot is owned by
 * that one thread (piscina alone would hand a task to any free thread). A slot runs several tasks at
 * once, each on its own Postgres connection, so a partition waiting on Postgres or retrying never
 * blocks another partition that shares its thread.
 */
import { Piscina } from 'piscina';
import { CdcError, fromPlainError } from '../errors.js';
import type { TaskFailure, TaskResult, WorkerConfig, WorkerTask } from '../worker-protocol.js';

const WORKER_FILE = new URL('../../workers/batch-worker.js', import.meta.url).href;

/**
 * Concurrent tasks per thread; also the thread's Postgres connection limit (connections are opened as
 * batches need them). Enough for every partition of a usual assignment to have its batch running on
 * one thread (the mock cluster's 4 + 4, the Go topics' 3 + 5): on 2 cores the engine runs one worker,
 * and with 4 its batches queued behind each other (p99 latency 239-282 ms at 5,000 events/s against
 * 219-234 ms with 8, in two interleaved runs each).
 */
export const TASKS_PER_WORKER = 8;
/**
 * A batch's garbage is short-lived (decoded events, the COPY payload): a small young generation keeps
 * each worker's memory low at little cost in throughput.
 */
const WORKER_YOUNG_GENERATION_MB = 8;
/**
 * Caps each worker's heap so V8 collects instead of growing (a batch's live data is a few MB, bounded
 * by the engine's batch byte limit); a thread that still runs out is replaced and its batch retried.
 */
const WORKER_OLD_GENERATION_MB = 64;

export class WorkerSlot {
  readonly index: number;
  readonly #pool: Piscina;

  constructor(index: number, config: Omit<WorkerConfig, 'maxConnections'>) {
    this.index = index;
    this.#pool = new Piscina({
      filename: WORKER_FILE,
      minThreads: 1,
      maxThreads: 1,
      concurrentTasksPerWorker: TASKS_PER_WORKER,
      // Atomics.wait between tasks would freeze the thread's event loop, stalling its open Postgres
      // sockets and timers: a worker that keeps connections must not use it.
      atomics: 'disabled',
      idleTimeout: Number.POSITIVE_INFINITY,
      resourceLimits: { maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB, maxOldGenerationSizeMb: WORKER_OLD_GENERATION_MB },
      workerData: { ...config, maxConnections: TASKS_PER_WORKER } satisfies WorkerConfig,
    });
  }

  /** Runs a task; a failure inside the worker comes back rebuilt as the CdcError it was, code and all. */
  async run<T extends WorkerTask>(task: T, transfer: ArrayBuffer[] = []): Promise<Exclude<TaskResult<T>, TaskFailure>> {
    let result: TaskResult<T>;
    try {
      result = (await this.#pool.run(task, { transferList: transfer })) as TaskResult<T>;
    } catch (err) {
      // The thread itself failed (e.g. ran out of memory); piscina starts a new one. The batch was not
      // committed, so running it again is safe.
      throw new CdcError('ERR_CDC_WORKER', `worker thread failed: ${(err as Error).message}`, { canRetry: true, cause: err });
    }
    if (!result.ok) throw fromPlainError((result as TaskFailure).error);
    return result as Exclude<TaskResult<T>, TaskFailure>;
  }

  async close(): Promise<void> {
    await this.#pool.close({ force: true });
  }
}
