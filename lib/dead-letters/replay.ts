/**
 * cdc-dead-letters replay: the selected dead letters go back through the current mapping, one
 * partition at a time, each with the later events of its keys read again from Kafka (the plan:
 * replay-plan.ts). The apply is the worker's own (lib/apply/batch.ts), run in this process: one
 * transaction per page of a partition's dead letters, which removes the ones it applied, so a replay
 * stopped anywhere leaves each dead letter either applied and gone or still there.
 */
import pg from 'pg';
import { BatchApplier, type ReplayResult } from '../apply/batch.js';
import { poolConfig } from '../apply/tasks.js';
import { CdcError } from '../errors.js';
import { RangeReader } from '../kafka/read-range.js';
import { loadMapping, requireSchemaRegistry, selectSinks } from '../sinks/mapping.js';
import { SinkRouter } from '../sinks/topic-sinks.js';
import { type PackedMessage, type TopicPartition, type WorkerConfig, workerConfig } from '../worker-protocol.js';
import type { ConnectionSettings } from './connection.js';
import { deadLetterDefaults } from './defaults.js';
import type { Selection } from './options.js';
import { type KeyPlan, planReplay, type PlannedDeadLetter } from './replay-plan.js';
import {
  type DeadLetter,
  type DeadLetterPartition,
  deadLetterOffsets,
  deadLetterPartitions,
  partitionPageQuery,
  storedNextOffset,
} from './store.js';

export interface ReplaySettings extends ConnectionSettings {
  sinks: string | undefined;
  /** cdc-consume's --topics: which sinks run, and which topic each reads. */
  sinkTopics: string[] | undefined;
  brokers: string;
  kafkaConfig: Record<string, string>;
  schemaRegistry: string | undefined;
  schemaRegistryAuth: string | undefined;
  maxValueBytes: number;
  dryRun: boolean;
  force: boolean;
}

/** Where replay's lines go: one per key in a dry run or when one is skipped or fails again; progress on long replays. */
export interface ReplayOutput {
  line(text: string): void;
  progress(text: string): void;
}

export interface ReplaySummary {
  selected: number;
  /** Applied (or changing nothing) and removed; in a dry run, those that would be. */
  replayed: number;
  /** Removed without being applied: a later truncate emptied the table. */
  superseded: number;
  /** Failed again and kept, with the new error, per code. */
  failedAgain: Record<string, number>;
  /** Left alone: later events gone from Kafka (without --force), or a truncate. */
  skipped: number;
  /** Later events applied again after their keys' dead letters. */
  laterEvents: number;
  /** Later events (already applied ones) that failed when applied again: recorded as dead letters. */
  laterFailed: number;
  /** Later events that no longer decode, so their keys are unknown and they were not applied again. */
  undecodable: number;
}

/** How often a page is planned again when the consumer keeps moving the partition on meanwhile. */
const MOVED_ATTEMPTS = 5;

const asMessage = (d: DeadLetter): PackedMessage => ({ offset: d.offset, timestamp: 0, key: d.key ?? null, value: d.value ?? null });

const describeKey = (plan: KeyPlan) => (plan.key === undefined ? 'no key' : `key ${plan.key.replaceAll('\u0001', ', ')}`);

function describeIds(plan: KeyPlan): string {
  const ids = plan.deadLetters.map((d) => `${d.id} (offset ${d.offset})`).join(', ');
  return `dead letter${plan.deadLetters.length === 1 ? '' : 's'} ${ids}`;
}

export async function replayDeadLetters(
  client: pg.ClientBase,
  settings: ReplaySettings,
  selection: Selection,
  out: ReplayOutput,
): Promise<ReplaySummary> {
  const mapping = loadMapping(settings.sinks);
  const router = new SinkRouter(
    mapping,
    requireSchemaRegistry(mapping, selectSinks(mapping, settings.sinkTopics), settings.schemaRegistry),
  );
  const partitions = await deadLetterPartitions(client, settings.dbSchema, selection);
  // Every topic must have a sink before anything is changed.
  const routes = new Map(partitions.map((p) => [p.topic, router.route(p.topic)]));
  const summary: ReplaySummary = {
    selected: partitions.reduce((n, p) => n + p.count, 0),
    replayed: 0,
    superseded: 0,
    failedAgain: {},
    skipped: 0,
    laterEvents: 0,
    laterFailed: 0,
    undecodable: 0,
  };
  const appliers = new Map<string, { applier: BatchApplier; pool: pg.Pool }>();
  let reader: RangeReader | undefined;
  const started = Date.now();
  let progressAt = started;
  let done = 0;
  try {
    for (const [index, p] of partitions.entries()) {
      let entry = appliers.get(p.group_id);
      if (!entry) {
        const config: WorkerConfig = { ...workerConfig(settings, p.group_id, mapping), maxConnections: 1 };
        const pool = new pg.Pool(poolConfig(config));
        pool.on('error', () => {});
        entry = { applier: new BatchApplier(config, pool), pool };
        appliers.set(p.group_id, entry);
      }
      const sink = (routes.get(p.topic) as { sink: string }).sink;
      const read = async (tp: TopicPartition, from: number, to: number) => {
        reader ??= await RangeReader.connect({
          brokers: settings.brokers,
          kafkaConfig: settings.kafkaConfig,
          timeoutMs: deadLetterDefaults.kafkaTimeoutMs,
        });
        return reader.read(tp, from, to);
      };
      let afterOffset = -1;
      for (;;) {
        const { rows } = await client.query<DeadLetter>(
          partitionPageQuery(settings.dbSchema, selection, {
            group: p.group_id,
            topic: p.topic,
            partition: p.partition,
            afterOffset,
            rows: deadLetterDefaults.pageRowsWithPayload,
          }),
        );
        if (rows.length === 0) break;
        afterOffset = (rows.at(-1) as DeadLetter).offset;
        await replayPage(client, settings, { partition: p, sink, rows, applier: entry.applier, read, summary, out });
        done += rows.length;
        if (Date.now() - progressAt >= deadLetterDefaults.progressEveryMs) {
          progressAt = Date.now();
          out.progress(
            `${done} of ${summary.selected} dead letters done (partition ${index + 1} of ${partitions.length}), ${Math.round((progressAt - started) / 1000)} s`,
          );
        }
        if (rows.length < deadLetterDefaults.pageRowsWithPayload) break;
      }
    }
  } finally {
    await reader?.close();
    await Promise.all([...appliers.values()].map((a) => a.pool.end()));
  }
  return summary;
}

interface PageContext {
  partition: DeadLetterPartition;
  sink: string;
  rows: DeadLetter[];
  applier: BatchApplier;
  read: (tp: TopicPartition, from: number, to: number) => ReturnType<RangeReader['read']>;
  summary: ReplaySummary;
  out: ReplayOutput;
}

async function replayPage(client: pg.ClientBase, settings: ReplaySettings, ctx: PageContext): Promise<void> {
  const { partition: p, sink, rows, applier, summary, out } = ctx;
  const tp = { topic: p.topic, partition: p.partition };
  const where = `${p.topic}/${p.partition}`;
  const messages = rows.map(asMessage);
  const decoded = await applier.keysOf(sink, p.topic, messages);
  const deadLetters: PlannedDeadLetter[] = rows.map((r, i) => ({
    id: r.id,
    message: messages[i] as PackedMessage,
    decoded: decoded[i] as PlannedDeadLetter['decoded'],
  }));
  const first = (rows[0] as DeadLetter).offset;
  for (let attempt = 1; ; attempt++) {
    const at = { group: p.group_id, ...tp };
    // Dead letters are recorded with the batch that moves the offset past them: one without a stored
    // offset can only come from a table written some other way; nothing later was consumed then.
    const nextOffset = (await storedNextOffset(client, settings.dbSchema, at)) ?? (rows.at(-1) as DeadLetter).offset + 1;
    const later = first + 1 < nextOffset ? await ctx.read(tp, first + 1, nextOffset) : { low: first + 1, high: nextOffset, messages: [] };
    const laterKeys = await applier.keysOf(sink, p.topic, later.messages);
    const otherDead = await deadLetterOffsets(client, settings.dbSchema, { ...at, from: first, to: nextOffset });
    for (const r of rows) otherDead.delete(r.offset);
    const plan = planReplay({
      deadLetters,
      nextOffset,
      later: {
        low: later.low,
        high: later.high,
        messages: later.messages.map((message, i) => ({ message, decoded: laterKeys[i] as PlannedDeadLetter['decoded'] })),
      },
      otherDead,
      force: settings.force,
    });
    let result: Exclude<ReplayResult, { status: 'moved' }> | undefined;
    if (plan.deadLetters.size > 0) {
      const outcome = await applier.replay({
        ...tp,
        sink,
        messages: plan.messages,
        nextOffset,
        deadLetters: plan.deadLetters,
        commit: !settings.dryRun,
      });
      if (outcome.status !== 'moved') result = outcome;
      else {
        if (attempt >= MOVED_ATTEMPTS)
          throw new CdcError(
            'ERR_CDC_REPLAY',
            `${where}: the consumer moved the partition on ${MOVED_ATTEMPTS} times while its later events were read; run replay again (or while the consumer is stopped)`,
          );
        continue;
      }
    }
    report(plan.keys, result, { where, dryRun: settings.dryRun, summary, out });
    summary.undecodable += plan.undecodable;
    return;
  }
}

function report(
  keys: KeyPlan[],
  result: Exclude<ReplayResult, { status: 'moved' }> | undefined,
  ctx: { where: string; dryRun: boolean; summary: ReplaySummary; out: ReplayOutput },
): void {
  const { where, dryRun, summary, out } = ctx;
  const failed = new Map((result?.failed ?? []).map((f) => [f.offset, f]));
  const deadOffsets = new Set(keys.flatMap((k) => k.deadLetters.map((d) => d.offset)));
  for (const f of failed.values()) if (!deadOffsets.has(f.offset)) summary.laterFailed++;
  for (const plan of keys) {
    const subject = `${where} ${describeKey(plan)}: ${describeIds(plan)}`;
    if (plan.action === 'skip') {
      summary.skipped += plan.deadLetters.length;
      out.line(
        `${subject}: ${dryRun ? 'would be left' : 'left'} as they are: ${plan.reason as string}${plan.forceable ? ' (--force replays them anyway)' : ''}`,
      );
      continue;
    }
    if (plan.action === 'remove') {
      summary.superseded += plan.deadLetters.length;
      out.line(`${subject}: ${dryRun ? 'would be removed' : 'removed'} without being applied: ${plan.reason as string}`);
      continue;
    }
    summary.laterEvents += plan.later.length;
    const again = plan.deadLetters.flatMap((d) => {
      const f = failed.get(d.offset);
      return f ? [f] : [];
    });
    for (const f of again) summary.failedAgain[f.code] = (summary.failedAgain[f.code] ?? 0) + 1;
    summary.replayed += plan.deadLetters.length - again.length;
    const later =
      plan.later.length === 0
        ? ''
        : ` then ${plan.later.length} later event${plan.later.length === 1 ? '' : 's'} of the key (offsets ${plan.later.join(', ')})`;
    const forced = plan.reason === undefined ? '' : ` [${plan.reason}]`;
    if (again.length > 0) {
      const errors = again.map((f) => `offset ${f.offset}: ${f.code}: ${f.message}`).join('; ');
      out.line(
        `${subject}${later}: ${dryRun ? 'would fail' : 'failed'} again${dryRun ? '' : ', kept with the new error'}: ${errors}${forced}`,
      );
    } else if (dryRun) {
      out.line(`${subject}${later}: would be applied and removed${forced}`);
    }
  }
}
