/**
 * What every contender gets and returns. The runner gives each run a freshly created schema (the
 * project's tables) and its own consumer group; it times nothing itself: each contender measures from
 * the first message it received to its last commit, as the engine's --json summary does.
 */
import type { TopicNames } from '../../lib/loadgen/generator/index.js';
import type { Applied, Dataset } from '../dataset.js';
import type { BenchPlan, ContenderName } from '../options.js';

export interface ContenderContext {
  brokers: string;
  databaseUrl: string;
  /** The same Postgres over its Unix socket, when the dev stack runs it (not an external one). */
  socketUrl: string | undefined;
  /** The schema registry holding the Avro preload's schemas: the dev stack's, or SCHEMA_REGISTRY_URL's. */
  schemaRegistryUrl: string | undefined;
  topics: TopicNames;
  /** Postgres schema holding this run's tables, created empty by the runner. */
  schema: string;
  /** Kafka consumer group of this run. */
  group: string;
  dataset: Dataset;
  plan: BenchPlan;
  log: (line: string) => void;
}

export interface ContenderRun {
  /** Events applied and committed. */
  events: number;
  /** From the first message received to the last commit. */
  seconds: number;
  /** The same span as wall-clock times (epoch ms): the runner counts CPU over it. */
  span?: { from: number; to: number };
  /** Set when only part of the events was applied: the next offset per `topic/partition`. */
  applied?: Applied;
  /** Peak RSS of the contender's process, when measured. */
  rssMaxMB?: number | null;
}

export type ContenderDataset = 'seed' | 'debezium' | 'debezium-schemas' | 'debezium-avro';

export interface Contender {
  name: ContenderName;
  /** One line for the report: what this contender is. */
  describe: string;
  /**
   * Which preload it reads: the seed events (default), or the same events in Debezium form, without or
   * with the schema envelope, or as AvroConverter writes them.
   */
  dataset?: ContenderDataset;
  run(ctx: ContenderContext): Promise<ContenderRun>;
}
