/**
 * Zombie consumer: consumers A and B share a group over users and orders, and A is taken out
 * of the group for longer than the session timeout while it still holds work: batches in flight and a
 * backlog fetched but not applied. B is handed A's partitions and works on them; then A comes back.
 *
 * - 13 (Kafka partition): A's packets to and from every broker are dropped (netfilter, see
 *   netfilter.ts), its Postgres link is not. A reaches Postgres through the fault proxy with a fixed
 *   delay, so its batches take long enough that it still holds a backlog when its session runs out.
 * - SIGSTOP (pause): A is SIGSTOPped while it has transactions open, and SIGCONTed once B has taken over:
 *   A wakes up with its old assignment, its batches and its backlog, and only then learns it was
 *   expelled.
 *
 * A must notice it lost its partitions and drop what it held; whatever it still sends to Postgres must
 * change nothing B did: each batch locks its partition's offset row first, and skips the messages below
 * the next offset stored there (the engine logs each such batch). Both end as every scenario does:
 * tables equal to the model, each bad event dead-lettered once, every offset at its end.
 *
 * Each case runs twice: with dynamic members, and with each consumer process given an --instance-id of
 * its own (static membership, see `memberships`).
 */
import { expect } from 'chai';
import { kafkaCommitted } from '../support/kafka-offsets.js';
import { testStack } from '../support/stack.js';
import { processState } from './fault-stack.js';
import { fencedBatches, latestAssignment, partitionsOf, waitForEntry } from './group-log.js';
import { FaultScenario, type LogEntry, logEntries, sleep, until, type WatchedRun } from './harness.js';
import { HealthPoll } from './health-poll.js';
import { kafkaLayout } from './kafka-layout.js';
import { ProcessFirewall } from './netfilter.js';
import { withPoison } from './poison.js';
import { SessionWatch, withApplicationName } from './sessions.js';
import { TcpProxy } from '../../lib/devstack/tcp-proxy.js';
import { engineDefaults } from '../../lib/consumer/defaults.js';

/** session.timeout.ms of both consumers (the harness's usual 6 s, stated: every bound below depends on it). */
const SESSION_TIMEOUT_MS = 6000;
/**
 * The mock coordinator, once a member's session has expired, holds the join phase open for the others
 * for the session timeout less 1 s (rdkafka_mock_cgrp.c): B holds A's partitions only after both.
 */
const TAKEOVER_MS = SESSION_TIMEOUT_MS + (SESSION_TIMEOUT_MS - 1000);
/**
 * The frozen case's bound on B's takeover: B's own revocation waits at most engineDefaults.revokeWaitMs
 * for its batches parked on A's locks, then B rejoins inside the join window. Were it to wait for those
 * batches (until the server ends A's transactions), it would miss the window, drop out of the group
 * and take over a session timeout and a join window later (docs/operations.md, the fault table).
 */
const FROZEN_TAKEOVER_MS = TAKEOVER_MS + engineDefaults.revokeWaitMs + 4000;
/** One-way delay on A's Postgres link in the cut-off case: with 250-row batches A is slow enough to have transactions open and events outstanding when it is cut off. */
const PG_DELAY_MS = 40;
const A_NAME = 'cdc-pipeline-a';
const B_NAME = 'cdc-pipeline-b';

/** How A and B join their group. */
interface Membership {
  /** Appended to the case's title and report name. */
  label: string;
  /** Added to the case's report order, and so to its seed. */
  order: number;
  /** The --instance-id of A or B; none for a dynamic member. */
  id(who: 'a' | 'b'): string | undefined;
}

/**
 * Dynamic, as the engine runs by default; and static (issue 21), each process with its own id. The mock
 * cluster handles a static member as a dynamic one (docs/operations.md, Restarts and static membership),
 * so the group's timing is the same: what the static run shows is that the fence and exactly-once hold
 * with the option set, librdkafka's side of it included (a static member sends no LeaveGroup when it
 * stops, so the other one takes its partitions only when its session runs out).
 */
const memberships: readonly Membership[] = [
  { label: '', order: 0, id: () => undefined },
  { label: ' (instance ids)', order: 0.2, id: (who) => `cdc-zombie-${who}` },
];

function membershipFlags(m: Membership, who: 'a' | 'b'): string[] {
  const id = m.id(who);
  return id === undefined ? [] : ['--instance-id', id];
}

const kafkaEnv = { CDC_KAFKA_CONFIG: `session.timeout.ms=${SESSION_TIMEOUT_MS},heartbeat.interval.ms=1000` };

/** Sum over these partitions of (end - stored): messages not yet applied. */
function outstanding(partitions: readonly string[], end: Map<string, number>, stored: Map<string, number>): number {
  return partitions.reduce((n, k) => n + (end.get(k) ?? 0) - (stored.get(k) ?? 0), 0);
}

/** Stored offsets sampled in the background, to tell afterwards who committed what when. */
class OffsetHistory {
  readonly samples: Array<{ at: number; stored: Map<string, number> }> = [];
  #running = true;
  readonly #loop: Promise<void>;

  constructor(s: FaultScenario, everyMs = 100) {
    this.#loop = (async () => {
      while (this.#running) {
        const at = Date.now();
        this.samples.push({ at, stored: await s.storedOffsets() });
        await sleep(everyMs);
      }
    })();
  }

  async stop(): Promise<void> {
    this.#running = false;
    await this.#loop;
  }

  /** The last sample taken at or before `t`. */
  at(t: number): Map<string, number> {
    return [...this.samples].reverse().find((x) => x.at <= t)?.stored ?? new Map();
  }

  /** Samples strictly between `from` and `to` in which any of these partitions differs from the first one after `from`. */
  changes(partitions: readonly string[], from: number, to: number): number {
    const window = this.samples.filter((x) => x.at > from && x.at < to);
    const first = window[0];
    if (!first) return 0;
    return window.filter((x) => partitions.some((k) => x.stored.get(k) !== first.stored.get(k))).length;
  }
}

/** Waits until `check` holds, polling. */

/**
 * Waits until B holds every partition (an assignment logged after `after`) and has advanced `every` (or
 * `some`) of A's partitions that were behind then. Returns B's assignment entry.
 */
async function takesOver(
  s: FaultScenario,
  b: WatchedRun,
  aPartitions: readonly string[],
  end: Map<string, number>,
  after: number,
  how: 'every' | 'some',
  boundMs = TAKEOVER_MS + 20_000,
): Promise<LogEntry> {
  const takeover = await waitForEntry(
    b,
    (e) => e.msg === 'partitions assigned' && partitionsOf(e).length === end.size,
    after,
    boundMs,
    'an assignment of every partition',
  );
  const storedAtTakeover = await s.storedOffsets();
  const behind = aPartitions.filter((k) => (storedAtTakeover.get(k) ?? 0) < (end.get(k) ?? 0));
  await until(
    async () => {
      const now = await s.storedOffsets();
      const advanced = (k: string) => (now.get(k) ?? 0) > (storedAtTakeover.get(k) ?? 0);
      return how === 'every' ? behind.every(advanced) : behind.some(advanced);
    },
    30_000,
    how === 'every' ? "B advancing every one of A's partitions that was behind" : "B advancing A's partitions",
    () => s.logs(),
  );
  return takeover;
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

describe('zombie: a consumer taken out and back', function () {
  this.timeout(300_000);
  let current: FaultScenario | undefined;
  let fw: ProcessFirewall | undefined;
  let proxy: TcpProxy | undefined;
  let watch: SessionWatch | undefined;
  let history: OffsetHistory | undefined;
  let health: HealthPoll | undefined;

  afterEach(async () => {
    await history?.stop();
    await health?.stop();
    health = undefined;
    // Rules first: a failed scenario must not leave packets of anyone dropping.
    await fw?.close();
    await current?.cleanup();
    current = undefined;
    await proxy?.close();
    await watch?.close();
    fw = undefined;
    proxy = undefined;
    watch = undefined;
    history = undefined;
  });

  /** A and B in one group, sharing the partitions, caught up with a first part of the events. */
  async function startPair(
    s: FaultScenario,
    m: Membership,
    aEnv: Record<string, string>,
    aFlags: string[],
    aWrap: string[],
  ): Promise<{ a: WatchedRun; b: WatchedRun; events: ReturnType<typeof withPoison>; sessions: SessionWatch }> {
    const events = withPoison(s.goodEvents(30_000), 0.005, s.prng);
    await s.produce(events.slice(0, 6000));
    const a = s.consume([...aFlags, ...membershipFlags(m, 'a'), '--json'], { ...kafkaEnv, ...aEnv }, aWrap);
    a.name = 'consumer A';
    const b = s.consume(['--batch-max-rows', '1000', ...membershipFlags(m, 'b'), '--json'], {
      ...kafkaEnv,
      DATABASE_URL: withApplicationName(testStack().databaseUrl, B_NAME),
    });
    b.name = 'consumer B';
    await Promise.all([a.waitFor(/partitions assigned/), b.waitFor(/partitions assigned/)]);
    // Each runs as the member it was meant to be: its start-up line names its instance id, if any.
    for (const [run, who] of [
      [a, 'a'],
      [b, 'b'],
    ] as const) {
      const started = await waitForEntry(run, (e) => e.msg === 'starting', 0, 10_000, 'its start-up line');
      expect(started.instanceId, `${run.name}'s instance id`).to.equal(m.id(who));
    }
    await s.waitCommittedAbove(3000);
    watch = await SessionWatch.open();
    return { a, b, events, sessions: watch };
  }

  /** A and B both own partitions again (after the latest rebalance), and their shares add up. */
  function shares(s: FaultScenario, a: WatchedRun, b: WatchedRun): { a: string[]; b: string[] } {
    const share = { a: latestAssignment(a), b: latestAssignment(b) };
    expect(share.a.length + share.b.length, `A and B share the partitions:\n${s.logs()}`).to.equal(s.endOffsets().size);
    return share;
  }

  for (const m of memberships) {
    it(`A cut off from every broker (not from Postgres) beyond the session timeout: A drops its partitions, B takes them, nothing applied twice${m.label}`, async () => {
      const s = await FaultScenario.create(13 + m.order, `zombie: Kafka partition${m.label}`);
      current = s;
      // Fails here, saying why, where the fault cannot be made (not root, no iptables).
      fw = await ProcessFirewall.create();
      const direct = new URL(testStack().databaseUrl);
      proxy = await TcpProxy.start({ host: direct.hostname, port: Number(direct.port) });
      proxy.delay({ upMs: PG_DELAY_MS, downMs: PG_DELAY_MS });
      const viaProxy = new URL(withApplicationName(testStack().databaseUrl, A_NAME));
      viaProxy.host = `127.0.0.1:${proxy.port}`;
      const { a, b, events, sessions } = await startPair(
        s,
        m,
        { DATABASE_URL: viaProxy.toString() },
        ['--batch-max-rows', '250', '--metrics-port', '0'],
        fw.wrap(),
      );
      health = await HealthPoll.start(a);
      const layout = await kafkaLayout(testStack().brokers, [s.users, s.orders]);

      // The backlog: produced at once, fetched by A (and B) within a second, applied by A far slower.
      await s.produce(events.slice(6000));
      const share = shares(s, a, b);
      const end = s.endOffsets();
      await until(
        async () => (await sessions.list([A_NAME])).some((x) => x.inTransaction),
        10_000,
        'A with a transaction open',
        () => s.logs(),
      );
      history = new OffsetHistory(s);
      await fw.cutPorts(layout.brokers.map((x) => x.port));
      const cutAt = Date.now();
      const openAtCut = (await sessions.list([A_NAME])).filter((x) => x.inTransaction).length;
      const storedAtCut = await s.storedOffsets();
      const probe = await fw.probe(layout.brokers[0]?.host as string, layout.brokers[0]?.port as number);
      expect(probe, "a new connection to a broker: from A's group, and from outside it").to.deep.equal({ group: false, other: true });

      // A's own session timeout: it revokes what it holds (after its running batches finish) and logs it.
      const revoked = await waitForEntry(a, (e) => e.msg === 'partitions revoked', cutAt, SESSION_TIMEOUT_MS + 15_000, 'its revocation');
      // B works on every one of A's partitions that was behind before A comes back.
      const takeover = await takesOver(s, b, share.a, end, cutAt, 'every');
      const dropped = await fw.restore();
      const restoredAt = Date.now();
      await history.stop();

      const back = await waitForEntry(
        a,
        (e) => e.msg === 'partitions assigned',
        restoredAt,
        60_000,
        'an assignment after its links came back',
      );
      await s.waitAllCommitted(120_000, [a, b]);
      // Its /healthz answers are cached for a second: wait for the first one after its return.
      await until(
        () => health?.first((x) => x.status === 200, back.time) !== undefined,
        5000,
        "A's /healthz 200 again",
        () => JSON.stringify(health?.samples.slice(-5)),
      );
      a.signal('SIGTERM');
      b.signal('SIGTERM');
      expect(await a.exited, s.logs()).to.equal(0);
      expect(await b.exited, s.logs()).to.equal(0);

      const storedAtRevoke = history.at(revoked.time);
      const appliedAfterCut = outstanding(share.a, end, storedAtCut) - outstanding(share.a, end, storedAtRevoke);
      const leftAtRevoke = outstanding(share.a, end, storedAtRevoke);
      const lastAChangeMs = lastChangeBefore(history, share.a, revoked.time) - cutAt;
      expect(openAtCut, 'transactions A had open when its links went').to.be.greaterThan(0);
      expect(revoked.time - cutAt, 'cut to A revoking its partitions, ms').to.be.below(SESSION_TIMEOUT_MS + 10_000);
      expect(revoked.time, 'A revoked before B took its partitions').to.be.below(takeover.time);
      expect(revoked.time, 'A revoked while still cut off').to.be.below(restoredAt);
      expect(appliedAfterCut, 'events of A applied after the cut (from what it had fetched)').to.be.greaterThan(0);
      expect(leftAtRevoke, "events of A's partitions left when A revoked").to.be.greaterThan(0);
      // Nobody owned A's partitions from A's revocation until B's assignment: any commit there was A's.
      expect(
        history.changes(share.a, revoked.time, takeover.time),
        "commits on A's partitions between A's revocation and B's takeover",
      ).to.equal(0);
      expect(dropped.out, "A's packets dropped").to.be.greaterThan(0);
      // A's revocation waited for its batches in flight: nothing of A's ran after it until it was back.
      const fencedA = fencedBatches(a);
      const fencedB = fencedBatches(b);
      expect(
        fencedA.times.filter((t) => t > revoked.time && t < back.time),
        "A's batches committed between its revocation and its return",
      ).to.deep.equal([]);
      await expectKafkaCommittedAtEnd(s);

      // /healthz of A: 200 before the cut; 503 (group not joined) from its revocation on, within the
      // cache and poll interval; 200 again once it is reassigned.
      await health.stop();
      const before = health.samples.filter((x) => x.at < cutAt);
      expect(
        before.length > 0 && before.every((x) => x.status === 200),
        `A healthy before the cut: ${JSON.stringify(before.slice(-3))}`,
      ).to.equal(true);
      const unhealthy = health.first((x) => x.status === 503 && x.body?.kafka === 'joining', cutAt, back.time);
      expect(unhealthy, "A's /healthz turning 503 (group lost) while cut off").to.not.equal(undefined);
      const unhealthyAt = (unhealthy as { at: number }).at;
      expect(unhealthyAt - revoked.time, "A's /healthz 503 after its revocation, ms").to.be.below(2000);
      const healthyAgain = health.first((x) => x.status === 200, back.time);
      expect(
        healthyAgain,
        `A's /healthz 200 again after its reassignment: ${JSON.stringify(health.samples.filter((x) => x.at >= back.time).slice(0, 8))}`,
      ).to.not.equal(undefined);
      expect((healthyAgain as { at: number }).at - back.time, "A's /healthz 200 after its reassignment, ms").to.be.below(2000);
      // Each failure logged once per change of state, naming the link.
      const aLog = logEntries(a.stderr()).filter((e) => e.time >= cutAt);
      const brokerLines = aLog.filter((e) => e.msg.startsWith('Kafka broker unreachable'));
      const perBroker = new Map<string, number>();
      for (const e of brokerLines) perBroker.set(String(e.broker), (perBroker.get(String(e.broker)) ?? 0) + 1);
      // librdkafka gives up on an unanswered request after socket.timeout.ms (10 s, shorter than the cut).
      expect(perBroker.size, `brokers logged unreachable while cut off:\n${s.logs()}`).to.be.greaterThan(0);
      expect(
        [...perBroker].every(([broker, n]) => n === 1 && layout.brokers.some((x) => `${x.host}:${x.port}` === broker)),
        `one "unreachable" line per broker, naming it: ${JSON.stringify(brokerLines)}`,
      ).to.equal(true);
      const errorTexts = aLog.filter((e) => e.msg === 'kafka client error' && e.level === 'warn').map((e) => String(e.error));
      expect(errorTexts.length, `warnings of client errors repeat: ${JSON.stringify(errorTexts)}`).to.equal(new Set(errorTexts).size);

      await s.finish(
        [
          `A's /healthz 503 ${seconds(unhealthyAt - cutAt)} after the cut (${seconds(unhealthyAt - revoked.time)} after its revocation), 200 ${seconds((healthyAgain as { at: number }).at - back.time)} after its reassignment; brokers logged unreachable: ${perBroker.size}, client-error warnings: ${errorTexts.length}`,
          `A (250-row batches, Postgres ${2 * PG_DELAY_MS} ms away) cut off from all ${layout.brokers.length} brokers with ${openAtCut} transactions open and ${outstanding(share.a, end, storedAtCut)} events of its ${share.a.length} partitions outstanding`,
          `A applied ${appliedAfterCut} more from what it had fetched (its last commit ${seconds(lastAChangeMs)} in), revoked its partitions ${seconds(revoked.time - cutAt)} after the cut with ${leftAtRevoke} left`,
          `B held every partition ${seconds(takeover.time - cutAt)} after the cut; no commit on A's partitions in between`,
          `links restored ${seconds(restoredAt - cutAt)} after the cut (${dropped.out} packets out and ${dropped.in} in dropped), A reassigned ${seconds(back.time - restoredAt)} later`,
          `batches fenced by the offset row: A ${fencedA.batches}, B ${fencedB.batches} (${fencedA.messages + fencedB.messages} events skipped)`,
        ].join('; '),
      );
    });

    it(`A SIGSTOPped with transactions open beyond the session timeout, SIGCONTed after B took over: its late batches change nothing${m.label}`, async () => {
      const s = await FaultScenario.create(13.5 + m.order, `zombie: SIGSTOP${m.label}`);
      current = s;
      // A's Postgres link slowed as in 13, so its transactions last long enough to be caught open.
      const direct = new URL(testStack().databaseUrl);
      proxy = await TcpProxy.start({ host: direct.hostname, port: Number(direct.port) });
      proxy.delay({ upMs: PG_DELAY_MS, downMs: PG_DELAY_MS });
      const viaProxy = new URL(withApplicationName(testStack().databaseUrl, A_NAME));
      viaProxy.host = `127.0.0.1:${proxy.port}`;
      const { a, b, events, sessions } = await startPair(s, m, { DATABASE_URL: viaProxy.toString() }, ['--batch-max-rows', '250'], []);
      await s.produce(events.slice(6000));
      const share = shares(s, a, b);
      const end = s.endOffsets();
      const aPid = a.child.pid as number;

      // Freeze A inside its transactions: a transaction may end between the look and the signal, so
      // look again once it is stopped, and try again (a pause of milliseconds) if none was left open.
      let openAtFreeze: number[] = [];
      let frozenAt = 0;
      for (let attempt = 0; openAtFreeze.length === 0; attempt++) {
        if (attempt === 50) throw new Error(`A never had a transaction open when stopped\n${s.logs()}`);
        await until(
          async () => (await sessions.list([A_NAME])).some((x) => x.inTransaction),
          10_000,
          'A with a transaction open',
          () => s.logs(),
        );
        a.child.kill('SIGSTOP');
        frozenAt = Date.now();
        await sleep(100);
        openAtFreeze = (await sessions.list([A_NAME])).filter((x) => x.inTransaction).map((x) => x.pid);
        if (openAtFreeze.length === 0) a.child.kill('SIGCONT');
      }
      expect(processState(aPid), 'A is stopped').to.equal('T');
      const storedAtFreeze = await s.storedOffsets();

      const takeover = await takesOver(s, b, share.a, end, frozenAt, 'some', FROZEN_TAKEOVER_MS);
      // What became of the transactions A froze in: the server ends those left idle (the engine's
      // 10 s idle-in-transaction limit); one frozen mid-COPY stays open until A resumes.
      const openAtCont = (await sessions.list([A_NAME])).filter((x) => x.inTransaction && openAtFreeze.includes(x.pid)).length;
      expect(processState(aPid), 'A still stopped').to.equal('T');
      a.child.kill('SIGCONT');
      const contAt = Date.now();

      const revoked = await waitForEntry(a, (e) => e.msg === 'partitions revoked', contAt, 20_000, 'its revocation after SIGCONT');
      const back = await waitForEntry(
        a,
        (e) => e.msg === 'partitions assigned',
        revoked.time,
        60_000,
        'an assignment after its revocation',
      );
      await s.waitAllCommitted(120_000, [a, b]);
      // The former zombie leaves first, then B, once it holds every partition again. On the mock cluster
      // a Kafka commit A made late (its offset right when made, stale by the time it landed) could land
      // after B's last one while both were members (docs/operations.md, Known gaps), though A's release
      // and both assignments commit cdc_offsets as they are. What is checked: once the zombie is gone,
      // the group's committed offsets are cdc_offsets (B's assignment and release commit them). A static A
      // leaves no group on SIGTERM: B's assignment then waits for A's session to run out.
      const aLeaves = Date.now();
      a.signal('SIGTERM');
      expect(await a.exited, s.logs()).to.equal(0);
      const bAlone = await waitForEntry(b, (e) => e.msg === 'partitions assigned', aLeaves, 60_000, "B's assignment after A left");
      b.signal('SIGTERM');
      expect(await b.exited, s.logs()).to.equal(0);

      expect(contAt - frozenAt, 'A stopped for longer than the session timeout, ms').to.be.above(SESSION_TIMEOUT_MS);
      expect(takeover.time - frozenAt, 'freeze to B holding every partition, ms').to.be.below(FROZEN_TAKEOVER_MS);
      expect(outstanding(share.a, end, storedAtFreeze), "events of A's partitions outstanding at the freeze").to.be.greaterThan(0);
      const fencedA = fencedBatches(a, contAt);
      const fencedAWhileZombie = fencedA.times.filter((t) => t < back.time).length;
      // B's batches that found A's late commits on its partitions (A applied them first, B skipped them).
      const fencedB = fencedBatches(b, takeover.time);
      await expectKafkaCommittedAtEnd(s);

      const reassigned = latestAssignment(a, back.time).length;
      await s.finish(
        [
          `A (250-row batches, Postgres ${2 * PG_DELAY_MS} ms away) SIGSTOPped with ${openAtFreeze.length} transactions open and ${outstanding(share.a, end, storedAtFreeze)} events of its ${share.a.length} partitions outstanding, for ${seconds(contAt - frozenAt)}`,
          `B held every partition ${seconds(takeover.time - frozenAt)} after the freeze; ${openAtCont} of A's frozen transactions still open at SIGCONT (the rest ended by the server)`,
          `A revoked ${seconds(revoked.time - contAt)} after SIGCONT and was reassigned ${reassigned} partitions ${seconds(back.time - contAt)} after it`,
          `batches fenced by the offset row: A ${fencedA.batches} after SIGCONT (${fencedAWhileZombie} before its reassignment, ${fencedA.whole} wholly, ${fencedA.messages} events), B ${fencedB.batches} after its takeover (${fencedB.messages} events A had applied late)`,
          `B held every partition again ${seconds(bAlone.time - aLeaves)} after A's SIGTERM`,
        ].join('; '),
      );
    });
  }
});

/** When any of these partitions' stored offsets last changed at or before `t` (epoch ms). */
function lastChangeBefore(history: OffsetHistory, partitions: readonly string[], t: number): number {
  const samples = history.samples.filter((x) => x.at <= t);
  for (let i = samples.length - 1; i > 0; i--) {
    const cur = samples[i] as (typeof samples)[number];
    const prev = samples[i - 1] as (typeof samples)[number];
    if (partitions.some((k) => cur.stored.get(k) !== prev.stored.get(k))) return cur.at;
  }
  return samples[0]?.at ?? t;
}

/** Kafka's committed offsets (what lag tools see) end equal to cdc_offsets: no stale commit of A's won. */
async function expectKafkaCommittedAtEnd(s: FaultScenario): Promise<void> {
  const end = s.endOffsets();
  const committed = await kafkaCommitted(testStack().brokers, s.group, s.partitions());
  expect(Object.fromEntries(committed), "Kafka's committed offsets at the end").to.deep.equal(Object.fromEntries(end));
}
