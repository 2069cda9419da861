/**
 * Worker threads. Each slot is a one-thread piscina pool, so a partition assigned to a slot is owned by
 * that one thread (piscina alone would hand a task to any free thread). A slot runs several tasks at
 * once, each on its own Postgres connection, so a partition waiting on Postgres or retrying never
 * blocks another partition that shares its thread.
 */
import { Piscina } from 'piscina';
import { CdcError, fromPlainError } from '../errors.js';
import type { TaskFailure, TaskResult, WorkerConfig, WorkerTask } from '../worker-protocol.js';
import { workerDefaults } from './defaults.js';

const WORKER_FILE = new URL('../../workers/batch-worker.js', import.meta.url).href;

export class WorkerSlot {
  readonly index: number;
  readonly #pool: Piscina;
  #running = 0;

  constructor(index: number, config: Omit<WorkerConfig, 'maxConnections'>) {
    this.index = index;
    this.#pool = new Piscina({
      filename: WORKER_FILE,
      minThreads: 1,
      maxThreads: 1,
      concurrentTasksPerWorker: workerDefaults.tasksPerWorker,
      // Atomics.wait between tasks would freeze the thread's event loop, stalling its open Postgres
      // sockets and timers: a worker that keeps connections must not use it.
      atomics: 'disabled',
      idleTimeout: Number.POSITIVE_INFINITY,
      resourceLimits: {
        maxYoungGenerationSizeMb: workerDefaults.youngGenerationMb,
        maxOldGenerationSizeMb: workerDefaults.oldGenerationMb,
      },
      workerData: { ...config, maxConnections: workerDefaults.tasksPerWorker } satisfies WorkerConfig,
    });
  }

  /** No task of this slot is running: a batch sent now starts at once. */
  get idle(): boolean {
    return this.#running === 0;
  }

  /** Runs a task; a failure inside the worker comes back rebuilt as the CdcError it was, code and all. */
  async run<T extends WorkerTask>(task: T, transfer: ArrayBuffer[] = []): Promise<Exclude<TaskResult<T>, TaskFailure>> {
    let result: TaskResult<T>;
    this.#running++;
    try {
      result = (await this.#pool.run(task, { transferList: transfer })) as TaskResult<T>;
    } catch (err) {
      // The thread itself failed (e.g. ran out of memory); piscina starts a new one. The batch was not
      // committed, so running it again is safe.
      throw new CdcError('ERR_CDC_WORKER', `worker thread failed: ${(err as Error).message}`, { canRetry: true, cause: err });
    } finally {
      this.#running--;
    }
    if (!result.ok) throw fromPlainError((result as TaskFailure).error);
    return result as Exclude<TaskResult<T>, TaskFailure>;
  }

  async close(): Promise<void> {
    await this.#pool.close({ force: true });
  }
}
