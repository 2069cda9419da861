/**
 * Worker thread entry (piscina). One such thread owns the batches of the partitions assigned to it and
 * keeps its own Postgres connections; the logic lives in lib/apply.
 */
import { workerData } from 'node:worker_threads';
import { createTaskHandler } from '../lib/apply/tasks.js';
import type { WorkerConfig } from '../lib/worker-protocol.js';

export default createTaskHandler(workerData as WorkerConfig);
