/** The load generator's Kafka producer client and its delivery accounting. */
export { type DeliveryErrorCount, type DeliveryReports, type TopicDeliveryCounts } from './delivery.js';
export {
  availableCompression,
  type Compression,
  compressionCodecs,
  KafkaProducer,
  type KafkaProducerOptions,
  producerDefaults,
} from './producer.js';
