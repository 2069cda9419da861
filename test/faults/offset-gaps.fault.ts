/**
 * Offset gaps (issue 21, lib/consumer/offset-gaps.ts): a partition whose stored offset lies outside the
 * log Kafka holds when it is assigned.
 *
 * - Below the log's start: while the consumer is stopped, one users partition gets 6.9 MiB of events,
 *   more than the mock cluster keeps (about 5 MiB a partition, dropping the oldest message sets), so
 *   retention deletes events that were never applied. The default `--on-offset-gap fail` holds that
 *   partition (an error line naming it and the missing offsets, cdc_offset_gaps_total, /healthz 503
 *   naming it) while the others load; a restart with `earliest` loads it from the log's start.
 * - Above the log's end: the topics are deleted and created again. The mock cluster has no DeleteTopics,
 *   so the first incarnation lives on a mock cluster of the scenario's own, which is stopped once a first
 *   run applied everything; the same topic names on the suite's cluster are the new incarnation. To the
 *   consumer that is a recreated topic: the group's cdc_offsets rows (written by the engine) point past
 *   the new log's end, and Kafka holds no committed offsets for it. `fail` holds every partition; a
 *   restart with `earliest` loads the new log from offset 0, one with `latest` skips what it holds and
 *   loads what comes after.
 *
 * Each ends as every scenario does: the tables equal the model (what was deleted by retention or skipped
 * by `latest` left out of it), each bad event dead-lettered once, every offset at its end.
 */
import { expect } from 'chai';
import { type MockKafka, startMockKafka } from '../../lib/devstack/kafka-mock.js';
import { logRanges } from '../support/kafka-offsets.js';
import { setStack, testStack, type TestStack } from '../support/stack.js';
import { partitionsOf, waitForEntry } from './group-log.js';
import { FaultScenario, logEntries, until, type WatchedRun } from './harness.js';
import { withPoison } from './poison.js';
import { padValue } from './produce.js';

/** Gap-filling user events: each a CREATE of its own, padded to this size (JSON whitespace). */
const FILLER_BYTES = 64 * 1024;
/** 6.9 MiB into one partition: over the mock's 5 MiB, so its oldest 2 MiB or so are deleted. */
const FILLERS = 110;
/** Events of the topics' first incarnation, and of the new one: every partition's new log ends well below its stored offset. */
const OLD_EVENTS = 8000;
const NEW_EVENTS = 2000;

const HOLD_SUFFIX = 'partition not consumed until restarted with --on-offset-gap earliest or latest';

interface ExpectedGap {
  /** `topic/partition` */
  partition: string;
  kind: 'below-start' | 'above-end';
  /** What the error line, /healthz and the docs say of it. */
  text: string;
}

const topicOf = (key: string) => key.slice(0, key.lastIndexOf('/'));
const partitionOf = (key: string) => Number(key.slice(key.lastIndexOf('/') + 1));

/** Each partition's stored offset against its log now: the above-end gaps a recreated topic leaves. */
async function aboveEndGaps(stored: ReadonlyMap<string, number>): Promise<ExpectedGap[]> {
  const keys = [...stored.keys()].sort();
  const ranges = await logRanges(
    testStack().brokers,
    keys.map((k) => ({ topic: topicOf(k), partition: partitionOf(k) })),
  );
  return keys.map((k) => {
    const at = stored.get(k) as number;
    const { low, high } = ranges.get(k) as { low: number; high: number };
    expect(at, `${k}: the stored offset is above the new log's end (the scenario's premise)`).to.be.above(high);
    return {
      partition: k,
      kind: 'above-end',
      text: `${k}: stored offset ${at} (cdc_offsets) is above the log end ${high}: offsets ${high}-${at - 1} are not in the log (topic recreated?); the log holds ${low}-${high - 1}`,
    };
  });
}

/** The run's /healthz and /metrics addresses, from its "serving metrics" line (it runs with --metrics-port 0). */
async function endpoints(run: WatchedRun): Promise<{ health: string; metrics: string }> {
  const entry = await waitForEntry(run, (e) => e.msg === 'serving metrics', 0, 60_000, 'its metrics address');
  return { health: String(entry.health), metrics: String(entry.url) };
}

/**
 * A run under the default --on-offset-gap fail, once assigned: one error line per gap naming the
 * partition and the missing offsets, those partitions left out of its assignment, /healthz 503 naming
 * exactly them, and cdc_offset_gaps_total counting each once. Returns the partitions it consumes.
 */
async function expectHeld(s: FaultScenario, run: WatchedRun, gaps: readonly ExpectedGap[]): Promise<string[]> {
  const assigned = await waitForEntry(run, (e) => e.msg === 'partitions assigned', 0, 60_000, 'its assignment');
  const lines = logEntries(run.stderr()).filter((e) => e.msg.startsWith('offset gap: '));
  expect(lines.map((e) => `${e.level}: ${e.msg}`).sort(), s.logs()).to.deep.equal(
    gaps.map((g) => `error: offset gap: ${g.text}; ${HOLD_SUFFIX}`).sort(),
  );
  const consumed = partitionsOf(assigned);
  expect(consumed, 'partitions held at a gap are left out of the assignment').to.not.include.members(gaps.map((g) => g.partition));

  const { health, metrics } = await endpoints(run);
  // /healthz answers are cached for a second: poll until one was made after the gap check.
  let answer: { status: number; body: { ok?: boolean; offsetGaps?: string[] } } | undefined;
  await until(
    async () => {
      const res = await fetch(health);
      answer = { status: res.status, body: (await res.json()) as { ok?: boolean; offsetGaps?: string[] } };
      return answer.body.offsetGaps !== undefined;
    },
    10_000,
    '/healthz naming the gaps',
    () => `${JSON.stringify(answer)}\n${s.logs()}`,
  );
  expect(answer?.status).to.equal(503);
  expect(answer?.body.ok).to.equal(false);
  expect([...(answer?.body.offsetGaps ?? [])].sort()).to.deep.equal(gaps.map((g) => g.text).sort());
  const text = await (await fetch(metrics)).text();
  for (const g of gaps) {
    expect(text).to.include(
      `cdc_offset_gaps_total{topic="${topicOf(g.partition)}",partition="${partitionOf(g.partition)}",kind="${g.kind}"} 1`,
    );
  }
  return consumed;
}

/** The run's "offset gap" error lines that end with `continuing from ...`, keyed by partition. */
function continued(run: WatchedRun): Map<string, string> {
  return new Map(
    logEntries(run.stderr())
      .filter((e) => e.level === 'error' && e.msg.startsWith('offset gap: '))
      .map((e) => [String(e.partition), e.msg.slice(e.msg.lastIndexOf('; ') + 2)]),
  );
}

/** Waits for the run's assignment of all `count` partitions: the gap check (and any move of cdc_offsets) is done by then. */
async function assignedAll(run: WatchedRun, count: number): Promise<void> {
  await waitForEntry(run, (e) => e.msg === 'partitions assigned' && partitionsOf(e).length === count, 0, 60_000, 'its assignment');
}

/** Stops a run with SIGTERM and expects exit 0. */
async function stop(s: FaultScenario, run: WatchedRun): Promise<void> {
  run.signal('SIGTERM');
  expect(await run.exited, s.logs()).to.equal(0);
}

describe('offset-gaps', function () {
  this.timeout(300_000);
  let current: FaultScenario | undefined;
  let oldKafka: MockKafka | undefined;
  let saved: TestStack | undefined;

  afterEach(async () => {
    await current?.cleanup();
    current = undefined;
    if (saved) setStack(saved);
    saved = undefined;
    await oldKafka?.stop();
    oldKafka = undefined;
  });

  it('below the log start (retention deleted unapplied events): fail holds the partition with /healthz 503 while the others load; earliest loads exactly what survived, once', async () => {
    const s = await FaultScenario.create(17, 'offset-gaps: below the log start');
    current = s;
    const events = s.goodEvents(9000);
    await s.produce(withPoison(events.slice(0, 6000), 0.005, s.prng));
    const first = s.consume(['--json']);
    await s.waitAllCommitted(120_000, [first]);
    await stop(s, first);
    const storedAtStop = await s.storedOffsets();

    // While nobody consumes: fillers into one users partition, then the rest of the stream's user
    // events (orders are left out: one whose user sits in the held partition would wait for it). The
    // fillers are CREATEs of their own users, so the ones retention deletes leave nothing dangling.
    const users = s.partitions().filter((p) => p.topic === s.users);
    const held = users[s.prng.below(users.length)] as { topic: string; partition: number };
    const key = `${held.topic}/${held.partition}`;
    const fillers = s
      .goodEvents(FILLERS * 6)
      .filter((m) => m.topic === s.users && m.value?.includes('"event_type":"CREATE"'))
      .slice(0, FILLERS)
      .map((m) => ({ ...padValue(m, FILLER_BYTES), partition: held.partition }));
    expect(fillers.length).to.equal(FILLERS);
    await s.produce(fillers);
    await s.produce(
      withPoison(
        events.slice(6000).filter((m) => m.topic === s.users),
        0.005,
        s.prng,
      ),
    );

    const { low } = (await logRanges(testStack().brokers, [held])).get(key) as { low: number; high: number };
    const stored = storedAtStop.get(key) as number;
    const deleted = s.sent.filter((m) => m.topic === held.topic && m.partition === held.partition && m.offset >= stored && m.offset < low);
    expect(deleted.length, `unapplied events of ${key} deleted by the mock's retention (log start ${low}, stored ${stored})`).to.be.above(
      0,
    );
    expect(
      deleted.every((m) => m.value?.length === FILLER_BYTES),
      'only fillers deleted: the stream after them survives',
    ).to.equal(true);
    s.neverApplied(deleted);
    const gap: ExpectedGap = {
      partition: key,
      kind: 'below-start',
      text: `${key}: stored offset ${stored} (cdc_offsets) is below the log start ${low}: offsets ${stored}-${low - 1} (${low - stored} events) were deleted before they were applied`,
    };

    const failing = s.consume(['--metrics-port', '0', '--json']);
    await waitForEntry(failing, (e) => e.msg === 'partitions assigned', 0, 60_000, 'its assignment');
    const end = s.endOffsets();
    await until(
      async () => {
        const now = await s.storedOffsets();
        return [...end].every(([k, v]) => k === key || now.get(k) === v);
      },
      120_000,
      'every other partition applied to its end',
      () => s.logs(),
    );
    const consumed = await expectHeld(s, failing, [gap]);
    expect(consumed.length, 'the other partitions are consumed').to.equal(end.size - 1);
    await stop(s, failing);
    expect((await s.storedOffsets()).get(key), `${key} untouched while held`).to.equal(stored);
    const heldSummary = failing.summary();

    const earliest = s.consume(['--on-offset-gap', 'earliest', '--json']);
    await s.waitAllCommitted(120_000, [earliest]);
    await stop(s, earliest);
    expect(continued(earliest).get(key)).to.equal(`continuing from the log start at ${low}`);
    expect(continued(earliest).size, 'no gap but the one').to.equal(1);
    const summary = earliest.summary();
    // Exactly what survived in the held partition, each once: nothing skipped as already applied.
    expect(summary.events).to.equal((end.get(key) as number) - low);
    expect(summary.topics.reduce((n, t) => n + t.skippedAlreadyApplied, 0)).to.equal(0);
    await s.finish(
      [
        `${FILLERS} fillers of ${FILLER_BYTES / 1024} KiB into users/${held.partition} while stopped (stored offset ${stored}): the mock's retention moved its log start to ${low}, deleting ${deleted.length} unapplied`,
        `fail: one error line, cdc_offset_gaps_total 1, /healthz 503 naming it; the other ${consumed.length} partitions loaded ${heldSummary.events} events meanwhile`,
        `earliest: ${summary.events} events from ${low} to ${end.get(key)} loaded, none twice`,
      ].join('; '),
    );
  });

  /**
   * The topics' first incarnation on a cluster of the scenario's own, applied by a first run; the cluster
   * stopped; the same names on the suite's cluster with fewer events in each partition. Returns the
   * stored offsets the first run left and the gaps they now make.
   */
  async function recreatedTopics(s: FaultScenario): Promise<{ stored: Map<string, number>; gaps: ExpectedGap[] }> {
    saved = testStack();
    oldKafka = await startMockKafka();
    setStack({ ...saved, brokers: oldKafka.brokers });
    await s.produce(s.goodEvents(OLD_EVENTS));
    const first = s.consume(['--json']);
    await s.waitAllCommitted(120_000, [first]);
    await stop(s, first);
    const stored = await s.storedOffsets();
    await s.recreateTopics();
    await oldKafka.stop();
    oldKafka = undefined;
    setStack(saved);
    saved = undefined;
    await s.produce(withPoison(s.goodEvents(NEW_EVENTS), 0.005, s.prng));
    return { stored, gaps: await aboveEndGaps(stored) };
  }

  /** The default policy at a recreated topic: every partition held, nothing applied, cdc_offsets as they were. */
  async function heldAtRecreatedTopics(s: FaultScenario, stored: Map<string, number>, gaps: ExpectedGap[]): Promise<void> {
    const failing = s.consume(['--metrics-port', '0', '--json']);
    expect(await expectHeld(s, failing, gaps), 'partitions consumed').to.deep.equal([]);
    await stop(s, failing);
    expect(failing.summary().events).to.equal(0);
    expect(await s.storedOffsets()).to.deep.equal(stored);
  }

  it('above the log end (topics recreated): fail holds every partition; earliest moves cdc_offsets back and loads the new log from 0', async () => {
    const s = await FaultScenario.create(17.5, 'offset-gaps: above the log end, earliest');
    current = s;
    const { stored, gaps } = await recreatedTopics(s);
    await heldAtRecreatedTopics(s, stored, gaps);

    const earliest = s.consume(['--on-offset-gap', 'earliest', '--json']);
    // Until the assignment has moved cdc_offsets back, the old offsets stand above every new end.
    await assignedAll(earliest, gaps.length);
    await s.waitAllCommitted(120_000, [earliest]);
    await stop(s, earliest);
    const lines = continued(earliest);
    expect(Object.fromEntries(lines)).to.deep.equal(
      Object.fromEntries(gaps.map((g) => [g.partition, 'continuing from the log start at 0'])),
    );
    const summary = earliest.summary();
    expect(summary.events, 'the whole new log, each event once').to.equal(s.sent.length);
    expect(summary.topics.reduce((n, t) => n + t.skippedAlreadyApplied, 0)).to.equal(0);
    await s.finish(
      `${s.replaced.length} events applied from the first incarnation; recreated with ${s.sent.length}: fail held all ${gaps.length} partitions (${gaps.length} error lines, /healthz 503 naming them, cdc_offsets untouched); earliest moved cdc_offsets back and loaded the new log from 0 once`,
    );
  });

  it('above the log end (topics recreated): latest moves cdc_offsets to the log end, skips what the new log holds and loads what comes after', async () => {
    const s = await FaultScenario.create(17.6, 'offset-gaps: above the log end, latest');
    current = s;
    const { stored, gaps } = await recreatedTopics(s);
    await heldAtRecreatedTopics(s, stored, gaps);
    const skipped = [...s.sent];
    const end = s.endOffsets();

    const latest = s.consume(['--on-offset-gap', 'latest', '--json']);
    await assignedAll(latest, gaps.length);
    const ends = new Map(gaps.map((g) => [g.partition, end.get(g.partition) ?? 0]));
    expect(Object.fromEntries(continued(latest))).to.deep.equal(
      Object.fromEntries([...ends].map(([k, v]) => [k, `continuing from the log end at ${v}`])),
    );
    await until(
      async () => {
        const now = await s.storedOffsets();
        return [...ends].every(([k, v]) => now.get(k) === v);
      },
      30_000,
      'cdc_offsets moved back to the new log ends',
      () => s.logs(),
    );
    s.neverApplied(skipped);
    await s.produce(withPoison(s.goodEvents(NEW_EVENTS), 0.005, s.prng));
    await s.waitAllCommitted(120_000, [latest]);
    await stop(s, latest);
    const summary = latest.summary();
    expect(summary.events, 'only what came after the restart').to.equal(s.sent.length - skipped.length);
    expect(summary.topics.reduce((n, t) => n + t.skippedAlreadyApplied, 0)).to.equal(0);
    await s.finish(
      `${s.replaced.length} events applied from the first incarnation; recreated with ${skipped.length}: fail held all ${gaps.length} partitions; latest moved cdc_offsets to the log ends, skipped those ${skipped.length} and loaded the ${s.sent.length - skipped.length} produced after it, once`,
    );
  });
});
