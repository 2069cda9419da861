/**
 * Topic administration: create missing topics with the partitions and replication factor asked for,
 * and say, in one line per topic, when that was not possible or the topic differs from the request.
 * Nothing here is fatal: a broker that cannot create topics (librdkafka's mock cluster has no
 * CreateTopics, and no controller to send it to, so the request just times out) still auto-creates a
 * topic on the first write, with its own defaults. DeleteTopics times out on the mock cluster the same
 * way, and its topics stay until the cluster stops.
 */
import Kafka from 'node-rdkafka';
import { CdcError } from '../errors.js';

export const adminDefaults = {
  /** How long a CreateTopics or DeleteTopics request may take before we report it and carry on. */
  requestTimeoutMs: 5000,
  /** Metadata request bound. */
  metadataTimeoutMs: 10_000,
} as const;

export interface TopicSpec {
  name: string;
  partitions: number;
  replicationFactor: number;
}

export type TopicStatus = 'exists' | 'created' | 'differs' | 'not-created';

export interface TopicOutcome {
  topic: string;
  status: TopicStatus;
  /** One line for the user; empty for a topic that already exists as asked. */
  message: string;
  /** Why it could not be created (status 'not-created'). */
  reason?: string;
  /** What the topic has (when it exists or was created). */
  partitions?: number;
  replicationFactor?: number;
}

/** Anything that can fetch cluster metadata: a connected node-rdkafka client, or KafkaProducer. */
export interface MetadataSource {
  getMetadata(timeoutMs: number): Promise<Kafka.Metadata>;
}

export interface EnsureTopicsOptions {
  brokers: string;
  metadata: MetadataSource;
  requestTimeoutMs?: number;
  metadataTimeoutMs?: number;
  clientId?: string;
}

function describe(spec: TopicSpec): string {
  return `${spec.partitions} partition${spec.partitions === 1 ? '' : 's'}, replication factor ${spec.replicationFactor}`;
}

function errorText(err: unknown): string {
  return (err as { message?: string })?.message ?? String(err);
}

/**
 * Makes sure each topic exists. Existing topics are left as they are (a line says so if their
 * partitions or replication factor differ from the request); missing ones are created, all at once.
 */
export async function ensureTopics(specs: readonly TopicSpec[], options: EnsureTopicsOptions): Promise<TopicOutcome[]> {
  const requestTimeoutMs = options.requestTimeoutMs ?? adminDefaults.requestTimeoutMs;
  const metadata = await options.metadata.getMetadata(options.metadataTimeoutMs ?? adminDefaults.metadataTimeoutMs);
  const existing = new Map(metadata.topics.map((t) => [t.name, t]));
  const missing: TopicSpec[] = [];
  const outcomes = new Map<string, TopicOutcome>();
  for (const spec of specs) {
    const topic = existing.get(spec.name);
    if (!topic) {
      missing.push(spec);
      continue;
    }
    const partitions = topic.partitions.length;
    const replicationFactor = topic.partitions[0]?.replicas.length ?? 0;
    const same = partitions === spec.partitions && replicationFactor === spec.replicationFactor;
    outcomes.set(spec.name, {
      topic: spec.name,
      status: same ? 'exists' : 'differs',
      message: same
        ? ''
        : `topic ${spec.name} already exists with ${partitions} partitions and replication factor ${replicationFactor} (asked for ${spec.partitions} and ${spec.replicationFactor}); using it as it is`,
      partitions,
      replicationFactor,
    });
  }
  if (missing.length > 0) {
    const admin = createAdmin(options.brokers, options.clientId);
    try {
      // One at a time: node-rdkafka serialises admin requests anyway, and when the cluster does not
      // answer the first one, the rest are not tried, so the whole step takes at most one timeout.
      let unanswered: string | undefined;
      for (const spec of missing) {
        const outcome = unanswered ? notCreated(spec, unanswered) : await createTopic(admin, spec, requestTimeoutMs);
        if (outcome.status === 'not-created' && outcome.reason?.startsWith('CreateTopics got no answer')) unanswered = outcome.reason;
        outcomes.set(spec.name, outcome);
      }
    } finally {
      admin.disconnect();
    }
  }
  return specs.map((s) => outcomes.get(s.name) as TopicOutcome);
}

function notCreated(spec: TopicSpec, reason: string): TopicOutcome {
  return {
    topic: spec.name,
    status: 'not-created',
    reason,
    message: `could not create topic ${spec.name} (${describe(spec)}): ${reason}; carrying on, the broker creates it on first write with its own defaults`,
  };
}

/**
 * The notices for a set of outcomes, one line per cause: topics that could not be created for the same
 * reason share a line. Topics that exist as asked need no line.
 */
export function topicNotices(outcomes: readonly TopicOutcome[]): string[] {
  const lines: string[] = [];
  const byReason = new Map<string, string[]>();
  for (const o of outcomes) {
    if (o.status === 'not-created' && o.reason) byReason.set(o.reason, [...(byReason.get(o.reason) ?? []), o.topic]);
    else if (o.message) lines.push(o.message);
  }
  for (const [reason, topics] of byReason) {
    const list = topics.join(', ');
    lines.push(
      `could not create topic${topics.length > 1 ? 's' : ''} ${list}: ${reason}; carrying on: the broker creates ${topics.length > 1 ? 'them' : 'it'} on first write, with its own partition count and replication factor`,
    );
  }
  return lines;
}

function createAdmin(brokers: string, clientId = 'cdc-admin'): Kafka.IAdminClient {
  try {
    return Kafka.AdminClient.create({ 'metadata.broker.list': brokers, 'client.id': clientId, 'log.connection.close': false });
  } catch (err) {
    throw new CdcError('ERR_CDC_KAFKA', `cannot create a Kafka admin client for ${brokers}: ${errorText(err)}`, { cause: err });
  }
}

function createTopic(admin: Kafka.IAdminClient, spec: TopicSpec, timeoutMs: number): Promise<TopicOutcome> {
  return new Promise((resolve) => {
    admin.createTopic(
      { topic: spec.name, num_partitions: spec.partitions, replication_factor: spec.replicationFactor },
      timeoutMs,
      (err) => {
        if (!err) {
          resolve({ topic: spec.name, status: 'created', message: `created topic ${spec.name} (${describe(spec)})`, ...spec });
          return;
        }
        if (err.code === Kafka.CODES.ERRORS.ERR_TOPIC_ALREADY_EXISTS) {
          // Created by someone else since we looked: use it as it is.
          resolve({ topic: spec.name, status: 'exists', message: '' });
          return;
        }
        resolve(
          notCreated(
            spec,
            err.code === Kafka.CODES.ERRORS.ERR__TIMED_OUT
              ? `CreateTopics got no answer within ${timeoutMs} ms (the cluster may not support it; librdkafka's mock cluster does not)`
              : errorText(err),
          ),
        );
      },
    );
  });
}

export interface DeleteOutcome {
  topic: string;
  deleted: boolean;
  error?: string;
  /** The cluster did not answer DeleteTopics in time (librdkafka's mock cluster never does). */
  unanswered?: boolean;
}

/**
 * Deletes topics (best effort, for clean-up): reports, never throws, for each topic. One at a time, as
 * node-rdkafka serialises admin requests anyway; once the cluster leaves one request unanswered the rest
 * are not tried, so a cluster without DeleteTopics costs one timeout, not one per topic.
 */
export async function deleteTopics(
  brokers: string,
  names: readonly string[],
  timeoutMs: number = adminDefaults.requestTimeoutMs,
): Promise<DeleteOutcome[]> {
  if (names.length === 0) return [];
  let admin: Kafka.IAdminClient;
  try {
    admin = createAdmin(brokers, 'cdc-admin-delete');
  } catch (err) {
    return names.map((topic) => ({ topic, deleted: false, error: errorText(err) }));
  }
  try {
    const outcomes: DeleteOutcome[] = [];
    let unanswered: string | undefined;
    for (const topic of names) {
      if (unanswered) {
        outcomes.push({ topic, deleted: false, error: unanswered, unanswered: true });
        continue;
      }
      const outcome = await deleteTopic(admin, topic, timeoutMs);
      if (outcome.unanswered) unanswered = outcome.error;
      outcomes.push(outcome);
    }
    return outcomes;
  } finally {
    admin.disconnect();
  }
}

function deleteTopic(admin: Kafka.IAdminClient, topic: string, timeoutMs: number): Promise<DeleteOutcome> {
  return new Promise((resolve) => {
    admin.deleteTopic(topic, timeoutMs, (err) => {
      if (!err) resolve({ topic, deleted: true });
      else if (err.code === Kafka.CODES.ERRORS.ERR__TIMED_OUT)
        resolve({
          topic,
          deleted: false,
          error: `DeleteTopics got no answer within ${timeoutMs} ms (the cluster may not support it; librdkafka's mock cluster does not)`,
          unanswered: true,
        });
      else resolve({ topic, deleted: false, error: errorText(err) });
    });
  });
}
