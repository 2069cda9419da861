export {
  type DeleteOutcome,
  deleteTopics,
  type EnsureTopicsOptions,
  ensureTopics,
  type MetadataSource,
  type TopicOutcome,
  type TopicSpec,
  type TopicStatus,
  topicNotices,
} from './admin.js';
export { type DeliveryErrorCount, type DeliveryReports, type TopicDeliveryCounts } from './delivery.js';
export { isRetriableDeliveryError } from './errors.js';
export {
  availableCompression,
  type Compression,
  compressionCodecs,
  KafkaProducer,
  type KafkaProducerOptions,
  producerDefaults,
} from './producer.js';
