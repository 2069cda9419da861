/**
 * Test data: the seed-format event generator (pure, no Kafka), the same changes as Debezium events,
 * wire-format validation, and the expected tables a consumer must end with (the tests', the demo's and
 * the benchmark's oracle). Sending events to Kafka is lib/loadgen/produce/'s job.
 */
export {
  compareTables,
  type Comparison,
  describeComparison,
  describeDifference,
  diffRows,
  type RowDifference,
  type TableDiff,
  type Tables,
} from './compare-tables.js';
export {
  DebeziumEncoder,
  type DebeziumEncoderOptions,
  debeziumKeySchema,
  type DebeziumMessage,
  type DebeziumOp,
  debeziumSource,
  debeziumValueSchema,
  decimalBase64,
  epochDay,
} from './debezium.js';
export { DebeziumAvroWriter, parseExactJson, type SchemaRegistrar } from './debezium-avro.js';
export {
  expectedTables,
  type ModelInput,
  type OrderRow,
  readModelTables,
  roundDecimal,
  TableModel,
  type UserRow,
} from './expected-tables.js';
export { createGenerator, type Generator, type GeneratorOptions, generatorDefaults, validateMix } from './generator.js';
export { goFloat, goString } from './go-json.js';
export { createPrng, type Prng, randomSeed } from './prng.js';
export { formatRfc3339Nano, modelTimestampSql, nanosToMicros, parseRfc3339, toModelTimestamp } from './timestamps.js';
export {
  type EntityKind,
  type EventType,
  EventTypes,
  type GeneratedEvent,
  type Mix,
  type OrderEvent,
  OrderStatusByType,
  type TopicNames,
  type UserEvent,
  type WireEvent,
  wireFields,
} from './types.js';
export { type ValidEvent, validateEvent } from './validate.js';
