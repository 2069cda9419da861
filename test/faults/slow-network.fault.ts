/**
 * Slow network: two consumers in one group, every link 5 ms away one way. Kafka: a mock
 * cluster of its own for this scenario whose brokers add 10 ms to every request's round trip
 * (librdkafka's `test.mock.broker.rtt`: fixed, the mock has no jitter). Postgres: both consumers reach it
 * through the fault proxy, 5 ms each way plus up to 2 ms of jitter per chunk. First a backlog is drained
 * (throughput), then events arrive at a steady rate (latency: from the moment the producer sent an event
 * to the first sample of cdc_offsets, taken every 25 ms, that is past it).
 */
import { expect } from 'chai';
import { type MockKafka, startMockKafka } from '../../lib/devstack/kafka-mock.js';
import { setStack, testStack, type TestStack } from '../support/stack.js';
import { FaultScenario, sleep } from './harness.js';
import { withPoison } from './poison.js';
import { TcpProxy } from '../../lib/devstack/tcp-proxy.js';

const ONE_WAY_MS = 5;
const JITTER_MS = 2;
const BACKLOG = 20_000;
/** The steady phase: this many events per second for this long, sent in 100 ms slices. */
const RATE = 1000;
const STEADY_MS = 15_000;

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

describe('slow-network', function () {
  this.timeout(300_000);
  let s: FaultScenario | undefined;
  let proxy: TcpProxy | undefined;
  let slowKafka: MockKafka | undefined;
  let saved: TestStack | undefined;

  afterEach(async () => {
    await s?.cleanup();
    if (saved) setStack(saved);
    saved = undefined;
    await slowKafka?.stop();
    slowKafka = undefined;
    await proxy?.close();
    proxy = undefined;
  });

  it(`every link ${ONE_WAY_MS} ms away one way (Postgres with jitter), two consumers: a backlog drained and a steady stream applied, equal to the model`, async () => {
    // This scenario's brokers are slow: everything of it (producer, consumers, offset checks) uses them.
    slowKafka = await startMockKafka({ rttMs: 2 * ONE_WAY_MS });
    saved = testStack();
    setStack({ ...saved, brokers: slowKafka.brokers });
    s = await FaultScenario.create(16, 'slow-network');
    const scenario = s;
    const direct = new URL(testStack().databaseUrl);
    proxy = await TcpProxy.start({ host: direct.hostname, port: Number(direct.port) });
    proxy.delay({ upMs: ONE_WAY_MS, downMs: ONE_WAY_MS, jitterMs: JITTER_MS });
    const viaProxy = new URL(direct);
    viaProxy.host = `${proxy.host}:${proxy.port}`;
    const env = { DATABASE_URL: viaProxy.toString() };

    const events = withPoison(scenario.goodEvents(BACKLOG + (RATE * STEADY_MS) / 1000), 0.005, scenario.prng);
    const backlog = events.slice(0, BACKLOG);
    const steady = events.slice(BACKLOG);
    await scenario.produce(backlog);
    const a = scenario.consume(['--json'], env);
    const b = scenario.consume(['--json'], env);
    await Promise.all([a.waitFor(/partitions assigned/), b.waitFor(/partitions assigned/)]);
    const drainFrom = Date.now();
    await scenario.waitAllCommitted(120_000, [a, b]);
    const drainMs = Date.now() - drainFrom;

    // Steady phase: the offsets are sampled while slices are sent; each slice remembers when it left.
    const sentAt: number[] = [];
    const samples: Array<{ at: number; stored: Map<string, number> }> = [];
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        samples.push({ at: Date.now(), stored: await scenario.storedOffsets() });
        await sleep(25);
      }
    })();
    const first = scenario.sent.length;
    const slice = RATE / 10;
    const steadyFrom = Date.now();
    for (let i = 0; i * slice < steady.length; i++) {
      await sleep(Math.max(0, steadyFrom + i * 100 - Date.now()));
      const part = steady.slice(i * slice, (i + 1) * slice);
      const at = Date.now();
      await scenario.produce(part);
      for (let j = 0; j < part.length; j++) sentAt.push(at);
    }
    await scenario.waitAllCommitted(60_000, [a, b]);
    await sleep(100);
    sampling = false;
    await sampler;

    const latencies: number[] = [];
    const late = scenario.sent.slice(first);
    for (const [i, m] of late.entries()) {
      const key = `${m.topic}/${m.partition}`;
      const seen = samples.find((x) => (x.stored.get(key) ?? 0) > m.offset);
      expect(seen, `a sample past ${key}@${m.offset}`).to.not.equal(undefined);
      latencies.push((seen as { at: number }).at - (sentAt[i] as number));
    }
    latencies.sort((x, y) => x - y);
    const p50 = percentile(latencies, 50);
    const p99 = percentile(latencies, 99);
    const rate = late.length / ((Date.now() - steadyFrom) / 1000);
    a.signal('SIGTERM');
    b.signal('SIGTERM');
    expect(await a.exited, scenario.logs()).to.equal(0);
    expect(await b.exited, scenario.logs()).to.equal(0);
    expect(latencies.length).to.equal(steady.length);
    // A loose bound, to catch a stall rather than judge speed: the stream must not pile up.
    expect(p99, 'p99 latency at the steady rate, ms').to.be.below(5000);

    await scenario.finish(
      [
        `Kafka round trip +${2 * ONE_WAY_MS} ms per request (mock broker rtt), Postgres ${ONE_WAY_MS} ms each way + up to ${JITTER_MS} ms jitter (fault proxy); two consumers, default flags`,
        `backlog of ${BACKLOG} events drained in ${(drainMs / 1000).toFixed(1)} s (${Math.round(BACKLOG / (drainMs / 1000))} events/s)`,
        `then ${late.length} events at ${Math.round(rate)}/s: latency from send to commit p50 ${p50} ms, p99 ${p99} ms, max ${latencies.at(-1)} ms (cdc_offsets sampled every 25 ms)`,
      ].join('; '),
    );
  });
});
