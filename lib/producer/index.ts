/**
 * The event producer as a library: the generator (pure, no Kafka), the Debezium encoder (pure), the
 * expected-table model for tests, wire-format validation, and the Kafka run behind bin/cdc-produce.
 */
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
export { createGenerator, type Generator, type GeneratorOptions, generatorDefaults, validateMix } from './generator.js';
export { goFloat, goString } from './go-json.js';
export { expectedTables, type ModelInput, type OrderRow, readModelTables, roundDecimal, TableModel, type UserRow } from './model.js';
export {
  effectiveCount,
  type ProduceFormat,
  produceFormats,
  type ProduceOptions,
  type ProduceOptionsInput,
  produceDefaults,
  produceOptions,
  resolveProduceOptions,
} from './options.js';
export { createPrng, type Prng, randomSeed } from './prng.js';
export { RateLimiter } from './rate-limiter.js';
export {
  type ProduceHooks,
  type ProduceSummary,
  type ProgressSnapshot,
  produce,
  runDefaults,
  type StopReason,
  summaryExitCode,
  type TopicSummary,
} from './run.js';
export { formatProgress, formatSummary } from './summary.js';
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
