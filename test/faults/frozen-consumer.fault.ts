/**
 * One frozen consumer: consumers A and B share a group over users and orders. A session of
 * the test's own holds the users table (LOCK TABLE ... IN EXCLUSIVE MODE) for 5 s, so both consumers'
 * batches wait inside their transactions (orders at the FOR KEY SHARE of their users, users at their
 * upsert), each holding its partition's offset row. Meanwhile A is frozen with SIGSTOP and never
 * resumed. Before the session limits, B applied 590 of 5,410 outstanding orders in 60 s and the rest
 * landed only once A was killed: A's transactions kept their locks, and B's batches (and, after the
 * rebalance, those of A's partitions) queued behind them. Now the server ends A's sessions once they
 * sit idle in their transactions, the group hands A's partitions to B after the Kafka session timeout,
 * and B must finish everything within a bound derived from those settings while A stays frozen.
 */
import { expect } from 'chai';
import pg from 'pg';
import { qualified } from '../../lib/postgres/index.js';
import { testStack } from '../support/stack.js';
import { processState } from './fault-stack.js';
import { FaultScenario, logEntries, sleep, type WatchedRun } from './harness.js';
import { withPoison } from './poison.js';
import { lockExclusive, type Session, SessionWatch, withApplicationName } from './sessions.js';

/** --pg-idle-in-transaction-timeout of both consumers: the default is 10 s; 3 s keeps the suite fast. */
const IDLE_IN_TRANSACTION_MS = 3000;
/** session.timeout.ms of both consumers (the harness's usual 6 s, stated here: the bound depends on it). */
const SESSION_TIMEOUT_MS = 6000;
const LOCK_HELD_MS = 5000;
/**
 * Once the lock is gone, each of A's sessions finishes its statement and sits idle in its transaction
 * until the server ends it. An orders session of A's may first wait for the row locks of one of A's
 * own users sessions, which lasts until that one is ended: two limits in a row at most.
 */
const A_SESSIONS_ENDED_MS = 2 * IDLE_IN_TRANSACTION_MS;
/**
 * The mock cluster's coordinator, once a member's session has expired, holds the join phase open this
 * long for members to rejoin (session timeout less 1 s, rdkafka_mock_cgrp.c) even when the only one left
 * rejoined at once; a real broker moves on as soon as the remaining members are back.
 */
const MOCK_JOIN_WAIT_MS = SESSION_TIMEOUT_MS - 1000;
/** Freeze to B holding A's partitions: A's session expires, then the join phase. */
const TAKEOVER_MS = SESSION_TIMEOUT_MS + MOCK_JOIN_WAIT_MS;
/**
 * The coordinator's once-a-second session check, sync, B's stored-offset read and first fetch (under a
 * second together when measured).
 */
const REJOIN_ALLOWANCE_MS = 3000;
/** B alone draining what is left (10,000-20,000 events: 1-2 s when measured; room for a loaded CI machine). */
const DRAIN_ALLOWANCE_MS = 15_000;
/**
 * The freeze comes inside the lock, so the fault is over LOCK_HELD_MS + max(A_SESSIONS_ENDED_MS,
 * TAKEOVER_MS) after the lock was taken at the latest: by then A's transactions are gone and B holds every
 * partition (B's revocation waits for B's own batches, which wait at most until A's sessions are gone).
 * Then the rejoin's own steps and the drain: 5 + max(6, 11) + 3 + 15 = 34 s from the lock, against a
 * pipeline that before the session limits had applied 590 of 5,410 outstanding orders after 60 s.
 */
const BOUND_MS = LOCK_HELD_MS + Math.max(A_SESSIONS_ENDED_MS, TAKEOVER_MS) + REJOIN_ALLOWANCE_MS + DRAIN_ALLOWANCE_MS;
/** Sampling of pg_stat_activity and the server's own timer granularity. */
const MARGIN_MS = 1500;

const A_NAME = 'cdc-pipeline-a';
const B_NAME = 'cdc-pipeline-b';

/** `topic/partition` of the run's latest assignment, as it logged it; [] before the first one. */
function assignment(run: WatchedRun, after = 0): string[] {
  const last = logEntries(run.stderr())
    .filter((e) => e.msg === 'partitions assigned' && e.time >= after)
    .at(-1);
  return last
    ? String(last.partitions)
        .split(' ')
        .map((p) => p.slice(0, p.lastIndexOf('@')))
    : [];
}

const describeSessions = (list: Session[]) =>
  list
    .map((x) => `${x.applicationName} ${x.pid} ${x.state} ${x.waitEventType ?? ''}/${x.waitEvent ?? ''} ${x.query.slice(0, 60)}`)
    .join('\n');

describe('frozen-consumer: one frozen consumer', function () {
  this.timeout(300_000);
  let s: FaultScenario;
  let watch: SessionWatch | undefined;
  let locker: pg.Client | undefined;

  beforeEach(async () => {
    s = await FaultScenario.create(11, 'frozen-consumer');
  });
  afterEach(async () => {
    await locker?.end().catch(() => {});
    await watch?.close();
    await s.cleanup(); // SIGKILL works on a stopped process
  });

  it('A is SIGSTOPped inside its transactions and never resumed: Postgres ends its sessions, B takes its partitions and finishes everything', async () => {
    const events = withPoison(s.goodEvents(24_000), 0.005, s.prng);
    await s.produce(events.slice(0, 6000));
    const flags = ['--batch-max-rows', '1000', '--pg-idle-in-transaction-timeout', `${IDLE_IN_TRANSACTION_MS}ms`, '--json'];
    const env = (name: string) => ({
      DATABASE_URL: withApplicationName(testStack().databaseUrl, name),
      CDC_KAFKA_CONFIG: `session.timeout.ms=${SESSION_TIMEOUT_MS},heartbeat.interval.ms=1000`,
    });
    const a = s.consume(flags, env(A_NAME));
    a.name = 'consumer A';
    const b = s.consume(flags, env(B_NAME));
    b.name = 'consumer B';
    await Promise.all([a.waitFor(/partitions assigned/), b.waitFor(/partitions assigned/)]);
    await s.waitCommittedAbove(3000);
    watch = await SessionWatch.open();

    locker = await lockExclusive(qualified(s.schema, 'users'));
    const lockedAt = Date.now();
    // Produced under the lock, so both consumers have a backlog their batches wait with (before it,
    // they keep up with the producer).
    await s.produce(events.slice(6000));

    // Freeze A only once every partition of its has a batch parked on the lock: then A has nothing on
    // the wire (a COPY cut off half-sent would be a different fault, one no server limit ends).
    const aPartitions = assignment(a);
    const bPartitions = assignment(b);
    expect(aPartitions.length + bPartitions.length, 'A and B share the partitions').to.equal(s.endOffsets().size);
    let sessions: Session[] = [];
    const parked = (name: string) => sessions.filter((x) => x.applicationName === name && x.inTransaction && x.waitEventType === 'Lock');
    for (;;) {
      sessions = await watch.list([A_NAME, B_NAME]);
      const aOpen = sessions.filter((x) => x.applicationName === A_NAME && x.inTransaction);
      if (aOpen.length === aPartitions.length && parked(A_NAME).length === aOpen.length && parked(B_NAME).length > 0) break;
      if (Date.now() - lockedAt > LOCK_HELD_MS - 1500) {
        throw new Error(`A's batches did not all park on the lock (A holds ${aPartitions.join(' ')}):\n${describeSessions(sessions)}`);
      }
      await sleep(50);
    }
    const ordersParked = (name: string) => parked(name).filter((x) => x.query.includes('FOR KEY SHARE')).length;
    expect(ordersParked(A_NAME), "A's orders batches waiting for the users lock").to.be.greaterThan(0);
    expect(ordersParked(B_NAME), "B's orders batches waiting for the users lock").to.be.greaterThan(0);
    const aPid = a.child.pid as number;
    a.child.kill('SIGSTOP');
    const frozenAt = Date.now();
    const parkedAtFreeze = { a: parked(A_NAME).length, b: parked(B_NAME).length };

    // Nothing commits while the lock is held: these are exact.
    const storedAtFreeze = await s.storedOffsets();
    const outstanding = (topic: string) =>
      [...s.endOffsets()].filter(([k]) => k.startsWith(`${topic}/`)).reduce((n, [k, end]) => n + end - (storedAtFreeze.get(k) ?? 0), 0);
    const outstandingOrders = outstanding(s.orders);
    const outstandingAll = outstandingOrders + outstanding(s.users);
    await sleep(200);
    expect(processState(aPid), 'A is stopped').to.equal('T');

    await sleep(Math.max(0, lockedAt + LOCK_HELD_MS - Date.now()));
    await locker.query('COMMIT');
    const releasedAt = Date.now();
    await locker.end();
    locker = undefined;

    // While B works, watch A's transactions: how long each sat idle, and when the last one was ended.
    let done = false;
    let aEndedAt: number | undefined;
    let longestIdleMs = 0;
    const watching = (async () => {
      while (!done) {
        const list = (await (watch as SessionWatch).list([A_NAME])).filter((x) => x.inTransaction);
        for (const x of list) if (x.state.startsWith('idle in transaction')) longestIdleMs = Math.max(longestIdleMs, x.stateMs);
        if (list.length === 0) aEndedAt ??= Date.now();
        else aEndedAt = undefined;
        await sleep(100);
      }
    })();
    try {
      await s.waitAllCommitted(2 * BOUND_MS, [b]);
    } finally {
      done = true;
      await watching;
    }
    const doneAt = Date.now();
    expect(processState(aPid), 'A stayed frozen until everything was applied').to.equal('T');
    expect(doneAt - lockedAt, `everything applied within the bound (lock taken to last commit), ms`).to.be.below(BOUND_MS);
    expect(aEndedAt, "A's transactions ended by the server").to.not.equal(undefined);
    const aEndedMs = (aEndedAt as number) - releasedAt;
    expect(aEndedMs, "lock released to A's last transaction ended, ms").to.be.below(A_SESSIONS_ENDED_MS + MARGIN_MS);
    expect(longestIdleMs, "longest any of A's sessions sat idle in its transaction, ms").to.be.below(IDLE_IN_TRANSACTION_MS + MARGIN_MS);
    // B ended up with every partition, A's included, while A was still a frozen member.
    const takeover = logEntries(b.stderr()).find(
      (e) => e.msg === 'partitions assigned' && e.time > frozenAt && String(e.partitions).split(' ').length === s.endOffsets().size,
    );
    expect(takeover, `B assigned every partition after the freeze:\n${s.logs()}`).to.not.equal(undefined);
    const takeoverMs = (takeover?.time as number) - frozenAt;
    expect(takeoverMs, 'freeze to B holding every partition, ms').to.be.below(TAKEOVER_MS + REJOIN_ALLOWANCE_MS);

    b.signal('SIGTERM');
    expect(await b.exited, s.logs()).to.equal(0);
    a.child.kill('SIGKILL');
    await a.exited;
    const summary = b.summary();
    const skipped = summary.topics.reduce((n, t) => n + t.skippedAlreadyApplied, 0);
    await s.finish(
      `A SIGSTOPped ${((frozenAt - lockedAt) / 1000).toFixed(1)} s into a ${LOCK_HELD_MS / 1000} s LOCK TABLE users (batches parked: A ${parkedAtFreeze.a}, B ${parkedAtFreeze.b}) with ${outstandingOrders} orders (${outstandingAll} events) outstanding; --pg-idle-in-transaction-timeout ${IDLE_IN_TRANSACTION_MS / 1000}s: A's last transaction ended by the server ${(aEndedMs / 1000).toFixed(1)} s after the lock was released (longest idle in transaction ${(longestIdleMs / 1000).toFixed(1)} s); B held every partition ${(takeoverMs / 1000).toFixed(1)} s after the freeze and applied everything ${((doneAt - frozenAt) / 1000).toFixed(1)} s after it (bound ${BOUND_MS / 1000} s from the lock) with A still frozen; B: ${summary.events} events, ${skipped} skipped as already applied`,
    );
  });
});
