import { shippedMapping } from '../../lib/sinks/mapping.js';
import type { WorkerConfig } from '../../lib/worker-protocol.js';
import { testStack } from './stack.js';

/**
 * A worker's configuration for tests that drive the batch transaction directly: the test stack's
 * Postgres, the seed mapping, no session limits (0 turns each off), 2 connections.
 */
export function testWorkerConfig(dbSchema: string, overrides: Partial<WorkerConfig> = {}): WorkerConfig {
  return {
    databaseUrl: testStack().databaseUrl,
    dbSchema,
    groupId: 'g',
    maxValueBytes: 1_000_000,
    schemaRegistry: undefined,
    schemaRegistryAuth: undefined,
    maxConnections: 2,
    pgIdleInTransactionTimeoutMs: 0,
    pgLockTimeoutMs: 0,
    pgStatementTimeoutMs: 0,
    pgQueryTimeoutMs: 0,
    pgKeepaliveMs: 0,
    mapping: shippedMapping('seed'),
    ...overrides,
  };
}
