/**
 * The hermetic dev stack: an embedded Postgres and a 3-broker Kafka mock cluster, started together and
 * stopped together. Tests, the demo and the benchmarks use it when no external Kafka/Postgres is given.
 */

import { type MockKafka, startMockKafka } from './kafka-mock.js';
import { type EmbeddedPostgres, type EmbeddedPostgresOptions, startEmbeddedPostgres } from './postgres.js';

export type DevStackOptions = EmbeddedPostgresOptions;

export interface DevStack {
  brokers: string;
  databaseUrl: string;
  /** The Postgres server, for tests that restart or pause it. */
  postgres: EmbeddedPostgres;
  stop(): Promise<void>;
}

export async function startDevStack(options: DevStackOptions = {}): Promise<DevStack> {
  // Start both at once: each takes a few seconds and neither needs the other.
  const [pgResult, kafkaResult] = await Promise.allSettled([startEmbeddedPostgres(options), startMockKafka()]);
  if (pgResult.status === 'rejected' || kafkaResult.status === 'rejected') {
    // Never leave half a stack running behind an error.
    await Promise.allSettled([
      pgResult.status === 'fulfilled' ? pgResult.value.stop() : undefined,
      kafkaResult.status === 'fulfilled' ? kafkaResult.value.stop() : undefined,
    ]);
    throw pgResult.status === 'rejected' ? pgResult.reason : (kafkaResult as PromiseRejectedResult).reason;
  }
  const postgres = pgResult.value;
  const kafka: MockKafka = kafkaResult.value;
  let stopping: Promise<void> | undefined;
  return {
    brokers: kafka.brokers,
    databaseUrl: postgres.url,
    postgres,
    stop: () => {
      stopping ??= Promise.allSettled([kafka.stop(), postgres.stop()]).then(() => undefined);
      return stopping;
    },
  };
}

export type { EmbeddedPostgres } from './postgres.js';
