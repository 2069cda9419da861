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
export {
  availableCompression,
  type Compression,
  compressionCodecs,
  type DeliveryErrorCount,
  isRetriableDeliveryError,
  KafkaProducer,
  type KafkaProducerOptions,
  producerDefaults,
  type TopicDeliveryCounts,
} from './producer.js';
