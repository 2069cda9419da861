/**
 * Stuck Postgres: every server process is SIGSTOPped for 10 s while the consumer has a full
 * backlog to read. Connections stay open but nothing answers. The consumer must stop fetching (its
 * memory stays bounded) and carry on when the server does.
 *
 * What it fetches is measured, not guessed: librdkafka's own fetch log (debug=fetch, which the engine
 * passes through at --log-level debug) says how many bytes each fetch response enqueued, and when.
 */
import { expect } from 'chai';
import { engineDefaults } from '../../lib/consumer/defaults.js';
import { pausePostgres, postgresProcessStates, resumePostgres } from './fault-stack.js';
import { FaultScenario, sleep } from './harness.js';
import { padValue } from './produce.js';
import { withPoison } from './poison.js';

const STALL_MS = 10_000;
/** Each event padded with JSON whitespace to this size: ~3 MiB per partition, under the mock's ~5 MiB. */
const EVENT_BYTES = 1024;
const EVENTS = 24_000;
const MIB = 1024 * 1024;
const MAX_BYTES_IN_FLIGHT = 4 * MIB;
/** librdkafka's prefetch queue as the engine configures it (queued.max.messages.kbytes). */
const RDKAFKA_QUEUE_BYTES = 1 * MIB;
/**
 * The engine stops taking messages once it holds the budget, checked after each consume call: the call
 * that crosses it may bring up to its count of messages on top, not only what librdkafka had queued when
 * it began (librdkafka keeps fetching while the call drains its queue). CI once saw 12.1 MiB fetched
 * while frozen against a bound that counted the queue alone (12 MiB in all).
 */
const LAST_CONSUME_BYTES = engineDefaults.fetchMaxMessages * EVENT_BYTES;
/**
 * Fetch responses librdkafka may have on the way on top of its queue: one per broker (the mock cluster
 * has 3, each leading some partitions), each of at most fetch.max.bytes as the engine sets it (2 MiB).
 */
const FETCHES_ON_THE_WAY_BYTES = 3 * 2 * MIB;

interface Fetch {
  at: number;
  bytes: number;
  /** Bytes of offsets this partition had not had enqueued before (the rest is a re-fetch). */
  fresh: number;
}

/**
 * Bytes librdkafka enqueued from fetch responses, with the time the engine logged each. A pause makes
 * librdkafka drop what it had queued for the partition and fetch it again at the resume (a batch that
 * finished just as Postgres froze resumes its partition), so each fetch's offset range is compared with
 * what that partition had already received: only the new offsets are new memory.
 */
function fetched(stderr: string): Fetch[] {
  const out: Fetch[] = [];
  const highest = new Map<string, number>();
  for (const line of stderr.split('\n')) {
    if (!line.includes('fetch queue')) continue;
    try {
      const entry = JSON.parse(line) as { time: number; message?: string };
      const m = /Enqueue (\d+) message\(s\) \((\d+) bytes.* on (\S+) \[(\d+)\] fetch queue.*last_offset (\d+)/.exec(entry.message ?? '');
      if (!m) continue;
      const [count, bytes, last] = [Number(m[1]), Number(m[2]), Number(m[5])];
      const partition = `${m[3]}/${m[4]}`;
      const before = highest.get(partition) ?? -1;
      const newOffsets = Math.max(0, Math.min(count, last - before));
      highest.set(partition, Math.max(before, last));
      out.push({ at: entry.time, bytes, fresh: count > 0 ? Math.round((bytes * newOffsets) / count) : 0 });
    } catch {
      // not a log line
    }
  }
  return out;
}

const sumBetween = (list: Fetch[], from: number, to: number, part: 'bytes' | 'fresh' = 'bytes') =>
  list.filter((f) => f.at >= from && f.at < to).reduce((n, f) => n + f[part], 0);

describe('postgres-stall: stuck Postgres', function () {
  this.timeout(300_000);
  let s: FaultScenario;

  beforeEach(async () => {
    s = await FaultScenario.create(4, 'postgres-stall: stuck Postgres');
  });
  afterEach(async () => {
    resumePostgres();
    await s.cleanup();
  });

  it(`is frozen (SIGSTOP) for ${STALL_MS / 1000} s under a full backlog: fetching stops, memory stays flat, work resumes after SIGCONT`, async () => {
    const events = withPoison(
      s.goodEvents(EVENTS).map((m) => padValue(m, EVENT_BYTES)),
      0.005,
      s.prng,
    );
    await s.produce(events);
    const backlog = events.reduce((n, m) => n + (m.value?.length ?? 0), 0);
    const run = s.consume(['--max-bytes-in-flight', String(MAX_BYTES_IN_FLIGHT), '--log-level', 'debug', '--json'], {
      CDC_RDKAFKA_DEBUG: 'fetch',
    });
    const before = await s.waitCommittedAbove(3000);
    const pids = pausePostgres();
    const stalledAt = Date.now();
    try {
      await sleep(500);
      const states = postgresProcessStates();
      expect(
        states.every((x) => x === 'T' || x === 'Z'),
        `every server process stopped: ${states.join(' ')}`,
      ).to.equal(true);
      await sleep(STALL_MS - 500);
      expect(run.child.exitCode, `the consumer exited while Postgres was frozen:\n${s.logs()}`).to.equal(null);
    } finally {
      resumePostgres();
    }
    const resumedAt = Date.now();
    await s.waitAllCommitted(180_000, [run]);
    run.signal('SIGTERM');
    expect(await run.exited, s.logs()).to.equal(0);

    const fetches = fetched(run.stderr());
    const total = fetches.reduce((n, f) => n + f.fresh, 0);
    expect(total, 'fetch log parsed: bytes fetched over the whole run').to.be.at.least(backlog * 0.9);
    const notApplied = backlog * (1 - before / events.length);
    const duringStall = sumBetween(fetches, stalledAt, resumedAt, 'fresh');
    const refetched = sumBetween(fetches, stalledAt, resumedAt) - duringStall;
    const lateInStall = sumBetween(fetches, stalledAt + 3000, resumedAt);
    expect(notApplied, 'backlog not yet applied when Postgres froze').to.be.above(15 * MIB);
    // At most what the engine and librdkafka may buffer, then nothing: it stopped taking messages.
    expect(duringStall, 'bytes of new offsets fetched while Postgres was frozen').to.be.below(
      MAX_BYTES_IN_FLIGHT + LAST_CONSUME_BYTES + RDKAFKA_QUEUE_BYTES + FETCHES_ON_THE_WAY_BYTES,
    );
    expect(lateInStall, 'bytes fetched from 3 s into the freeze until SIGCONT').to.be.below(MIB);

    // Garbage collection may hand memory back while frozen; what must not happen is growth.
    const flat = run.memory.window(stalledAt + 3000, resumedAt);
    const riseMb = run.memory.maxRise(stalledAt + 3000, resumedAt);
    expect(flat.samples).to.be.greaterThan(20);
    expect(riseMb, 'largest RSS growth while frozen (from 3 s in), MiB').to.be.below(16);
    expect(run.memory.peakMb, 'peak RSS').to.be.below(300);
    await s.finish(
      `${pids.length} server processes frozen ${((resumedAt - stalledAt) / 1000).toFixed(1)} s with ${(notApplied / MIB).toFixed(0)} MiB not applied; fetched ${(duringStall / MIB).toFixed(1)} MiB of new offsets while frozen (${(refetched / MIB).toFixed(1)} MiB more fetched again after a pause; ${(lateInStall / 1024).toFixed(0)} KiB after 3 s); RSS at most ${flat.maxMb.toFixed(0)} MiB and grew at most ${riseMb.toFixed(1)} MiB while frozen`,
    );
  });
});
