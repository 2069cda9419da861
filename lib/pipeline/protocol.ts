// Temporary: apply-batch.ts and worker-tasks.ts still import the protocol from here until they move to lib/apply/.
export * from '../worker-protocol.js';
