/**
 * The run behind bin/cdc-produce, as a library (the demo and the benchmark call it too): generated
 * events, paced by the rate limiter, sent through the Kafka producer client (lib/loadgen/kafka/producer.ts),
 * with progress and a summary.
 */
export {
  checkEncoding,
  effectiveCount,
  type ProduceEncoding,
  produceEncodings,
  type ProduceFormat,
  produceFormats,
  type ProduceOptions,
  type ProduceOptionsInput,
  produceDefaults,
  produceOptions,
  resolveProduceOptions,
} from './options.js';
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
