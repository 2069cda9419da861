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
export { isRetriableDeliveryError } from './errors.js';
