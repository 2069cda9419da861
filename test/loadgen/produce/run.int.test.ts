import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { startMockKafka } from '../../../lib/devstack/kafka-mock.js';
import { CdcError } from '../../../lib/errors.js';
import { type DebeziumMessage, type GeneratedEvent, validateEvent } from '../../../lib/loadgen/generator/index.js';
import { type ProduceSummary, type ProgressSnapshot, produce, resolveProduceOptions } from '../../../lib/loadgen/produce/index.js';
import { readBack } from '../../kafka/read-back.js';
import { deleteTestTopics } from '../../support/kafka.js';
import { testStack, uniqueName } from '../../support/stack.js';

const CLI = fileURLToPath(new URL('../../../../bin/cdc-produce', import.meta.url));

interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

function startCli(args: string[]): { child: ChildProcess; done: Promise<CliRun>; stderrLines: (n: number) => Promise<void> } {
  const started = Date.now();
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, KAFKA_BROKERS: '' } });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d) => {
    stdout += d;
  });
  child.stderr?.on('data', (d) => {
    stderr += d;
  });
  const done = once(child, 'exit').then(([code, signal]) => ({ code, signal, stdout, stderr, ms: Date.now() - started }) as CliRun);
  // Resolves once stderr holds n complete lines.
  const stderrLines = async (n: number) => {
    while (stderr.split('\n').length <= n) {
      if (child.exitCode !== null) throw new Error(`cdc-produce exited early: ${stderr}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  return { child, done, stderrLines };
}

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('produce/run (integration)', () => {
  const created: string[] = [];
  const topicPair = () => {
    const users = uniqueName('users');
    const orders = uniqueName('orders');
    created.push(users, orders);
    return { users, orders };
  };

  after(async function () {
    this.timeout(30_000);
    // Best effort: the dev stack's mock cluster cannot delete topics (it goes away with the stack).
    await deleteTestTopics(created);
  });

  for (const deliveryReports of ['errors', 'all'] as const) {
    it(`produces N events and reads back exactly N, valid, keyed by id, in order per key (delivery reports: ${deliveryReports})`, async () => {
      const n = deliveryReports === 'errors' ? 20_000 : 5000;
      const topics = topicPair();
      const sentEvents: GeneratedEvent[] = [];
      const summary = await produce(
        resolveProduceOptions({
          brokers: testStack().brokers,
          count: n,
          topics,
          seed: 1234,
          createTimeoutMs: 300,
          deliveryReports,
          unicodeShare: 10,
        }),
        { onEvent: (e) => sentEvents.push(e) },
      );
      expect(summary).to.deep.include({ sent: n, delivered: n, failed: 0, unreported: 0, stoppedBy: 'count', seed: 1234 });
      expect(summary.topics.users.sent + summary.topics.orders.sent).to.equal(n);
      expect(summary.topics.users.CREATE).to.equal(sentEvents.filter((e) => e.entity === 'user' && e.type === 'CREATE').length);
      expect(summary.topics.orders.delivered).to.equal(sentEvents.filter((e) => e.entity === 'order').length);

      const messages = await readBack(testStack().brokers, [topics.users, topics.orders], { expected: n });
      expect(messages).to.have.length(n);
      const consumedByKey = new Map<string, string[]>();
      for (const m of messages) {
        const v = validateEvent(m.value as Buffer);
        expect(m.key?.toString()).to.equal(v.id);
        expect(m.topic).to.equal(v.entity === 'user' ? topics.users : topics.orders);
        const list = consumedByKey.get(v.id) ?? [];
        list.push((m.value as Buffer).toString('utf8'));
        consumedByKey.set(v.id, list);
      }
      const producedByKey = new Map<string, string[]>();
      for (const e of sentEvents) producedByKey.set(e.id, [...(producedByKey.get(e.id) ?? []), e.value.toString('utf8')]);
      // Same events, and each entity's events in the order they were produced (no reordering, no duplicates).
      expect(consumedByKey).to.deep.equal(producedByKey);
    });
  }

  it('produces --format debezium --schemas: one Debezium change event per generated event, keyed {"id"}, in order per key', async () => {
    const n = 3000;
    const topics = topicPair();
    const produced = new Map<string, string[]>();
    const summary = await produce(
      resolveProduceOptions({
        brokers: testStack().brokers,
        count: n,
        topics,
        seed: 4321,
        createTimeoutMs: 300,
        format: 'debezium',
        schemas: true,
      }),
      {
        onEvent: (_event, m?: DebeziumMessage) => {
          if (!m) return;
          const id = (JSON.parse(m.key.toString('utf8')) as { payload: { id: string } }).payload.id;
          produced.set(id, [...(produced.get(id) ?? []), m.value.toString('utf8')]);
        },
      },
    );
    expect(summary).to.deep.include({ sent: n, delivered: n, failed: 0, format: 'debezium', schemas: true });
    expect(summary.topics.users.skipped + summary.topics.orders.skipped).to.equal(0);

    const messages = await readBack(testStack().brokers, [topics.users, topics.orders], { expected: n });
    expect(messages).to.have.length(n);
    const consumed = new Map<string, string[]>();
    for (const m of messages) {
      const key = JSON.parse((m.key as Buffer).toString('utf8')) as { schema: { name: string }; payload: { id: string } };
      const text = (m.value as Buffer).toString('utf8');
      const value = JSON.parse(text) as {
        schema: { name: string };
        payload: { before: null; after: { id: string }; op: string; source: { connector: string; table: string } };
      };
      expect(key.schema.name).to.equal(`${m.topic}.Key`);
      expect(value.schema.name).to.equal(`${m.topic}.Envelope`);
      expect(value.payload.op).to.be.oneOf(['c', 'u']);
      expect(value.payload.before).to.equal(null);
      expect(value.payload.after.id).to.equal(key.payload.id);
      expect(value.payload.source).to.deep.include({ connector: 'postgresql', table: m.topic === topics.users ? 'users' : 'orders' });
      consumed.set(key.payload.id, [...(consumed.get(key.payload.id) ?? []), text]);
    }
    expect(consumed).to.deep.equal(produced);
  });

  it('holds --rate within 5% over a few seconds', async () => {
    const topics = topicPair();
    const rate = 3000;
    const snapshots: ProgressSnapshot[] = [];
    const summary = await produce(
      resolveProduceOptions({ brokers: testStack().brokers, rate, durationMs: '4s', topics, createTimeoutMs: 300 }),
      {
        onProgress: (p) => snapshots.push(p),
        progressIntervalMs: 250,
      },
    );
    expect(summary.stoppedBy).to.equal('duration');
    expect(summary.failed).to.equal(0);
    expect(summary.sent).to.be.within(rate * 4 * 0.95, rate * 4 * 1.05);
    expect(summary.sendRate).to.be.within(rate * 0.95, rate * 1.05);
    // Every 1 s window after the first second (warm-up) is within 5% too.
    const timeline = snapshots.filter((s) => s.elapsedMs <= 4000);
    let windows = 0;
    for (const a of timeline) {
      if (a.elapsedMs < 1000) continue;
      const b = timeline.find((s) => s.elapsedMs >= a.elapsedMs + 1000);
      if (!b) continue;
      const windowRate = ((b.sent - a.sent) * 1000) / (b.elapsedMs - a.elapsedMs);
      expect(windowRate, `rate from ${Math.round(a.elapsedMs)} ms`).to.be.within(rate * 0.95, rate * 1.05);
      windows++;
    }
    expect(windows).to.be.at.least(4);
    const messages = await readBack(testStack().brokers, [topics.users, topics.orders], { expected: summary.sent, settleMs: 500 });
    expect(messages).to.have.length(summary.sent);
  });

  it('fails with a clear error within a bounded time when no broker is reachable', async () => {
    for (const brokers of [`127.0.0.1:${await closedPort()}`, 'broker.invalid:9092']) {
      const started = Date.now();
      const err = await produce(resolveProduceOptions({ brokers, connectTimeoutMs: '2s', count: 10 })).catch((e: unknown) => e);
      const ms = Date.now() - started;
      expect(err).to.be.instanceOf(CdcError);
      expect((err as CdcError).code).to.equal('ERR_CDC_KAFKA');
      expect((err as CdcError).message).to.include(`cannot reach Kafka at ${brokers}`);
      expect(ms, brokers).to.be.below(6000);
    }
  });

  describe('bin/cdc-produce', () => {
    it('exits 1 with one error line when no broker is reachable', async () => {
      const port = await closedPort();
      const run = await startCli(['--brokers', `127.0.0.1:${port}`, '--connect-timeout', '2s']).done;
      expect(run.code).to.equal(1);
      expect(run.stdout).to.equal('');
      expect(run.stderr).to.match(
        new RegExp(`^cdc-produce: error: cannot reach Kafka at 127\\.0\\.0\\.1:${port} \\(gave up after \\d+ ms\\): .+\\n$`),
      );
      expect(run.ms).to.be.below(8000);
    });

    it('exits 2 on a bad option, naming it', async () => {
      const run = await startCli(['--mix', '50,50,50']).done;
      expect(run.code).to.equal(2);
      expect(run.stderr).to.match(
        /^cdc-produce: invalid usage: invalid --mix 50,50,50: expected CREATE,UPDATE,DELETE percentages that sum to 100\n/,
      );
    });

    it('sends --count events, says in one line when topics cannot be created, and prints a JSON summary', async () => {
      const topics = topicPair();
      const run = await startCli([
        '--brokers',
        testStack().brokers,
        '--count',
        '3000',
        '--seed',
        '5',
        '--topics',
        `${topics.users},${topics.orders}`,
        '--create-timeout',
        '300ms',
        '--json',
      ]).done;
      expect(run.code, run.stderr).to.equal(0);
      const summary = JSON.parse(run.stdout) as ProduceSummary;
      expect(summary).to.deep.include({ sent: 3000, delivered: 3000, failed: 0, seed: 5, stoppedBy: 'count' });
      expect(summary.topics.users.topic).to.equal(topics.users);
      if (!testStack().external) {
        // The mock cluster has no CreateTopics: exactly one notice, naming both topics.
        const lines = run.stderr.trim().split('\n');
        expect(lines).to.have.length(1);
        expect(lines[0]).to.match(
          new RegExp(`^cdc-produce: could not create topics ${topics.users}, ${topics.orders}: CreateTopics got no answer within 300 ms`),
        );
      }
      const messages = await readBack(testStack().brokers, [topics.users, topics.orders], { expected: 3000, settleMs: 500 });
      expect(messages).to.have.length(3000);
    });

    it('counts failed deliveries, reports them and exits 1 when the brokers go away mid-run', async () => {
      // A cluster of our own, to stop half-way.
      const mock = await startMockKafka();
      let stopped = false;
      try {
        const cli = startCli([
          '--brokers',
          mock.brokers,
          '--duration',
          '4s',
          '--rate',
          '2000',
          '--delivery-timeout',
          '1s',
          '--create-timeout',
          '200ms',
          '--topics',
          'u,o',
          '--json',
        ]);
        await cli.stderrLines(1);
        await new Promise((r) => setTimeout(r, 1500));
        await mock.stop();
        stopped = true;
        const run = await cli.done;
        expect(run.code, run.stderr).to.equal(1);
        const summary = JSON.parse(run.stdout) as ProduceSummary;
        expect(summary.failed).to.be.greaterThan(0);
        expect(summary.delivered).to.be.greaterThan(0);
        expect(summary.delivered + summary.failed + summary.unreported).to.equal(summary.sent);
        expect(summary.deliveryErrors.map((e) => e.message).join()).to.match(/timed out/i);
        expect(summary.topics.users.failed + summary.topics.orders.failed).to.equal(summary.failed);
      } finally {
        if (!stopped) await mock.stop();
      }
    });

    it('on SIGINT stops generating, flushes what was sent, prints the summary and exits', async () => {
      const topics = topicPair();
      const cli = startCli([
        '--brokers',
        testStack().brokers,
        '--duration',
        '60s',
        '--rate',
        '2000',
        '--topics',
        `${topics.users},${topics.orders}`,
        '--create-timeout',
        '300ms',
        '--json',
      ]);
      if (!testStack().external) await cli.stderrLines(1);
      await new Promise((r) => setTimeout(r, 1500));
      const signalled = Date.now();
      cli.child.kill('SIGINT');
      const run = await cli.done;
      expect(Date.now() - signalled).to.be.below(10_000);
      expect(run.code, run.stderr).to.equal(0);
      expect(run.stderr).to.include('SIGINT: stopping');
      const summary = JSON.parse(run.stdout) as ProduceSummary;
      expect(summary.stoppedBy).to.equal('signal');
      expect(summary.sent).to.be.within(1000, 10_000);
      expect(summary).to.deep.include({ delivered: summary.sent, failed: 0, unreported: 0 });
      const messages = await readBack(testStack().brokers, [topics.users, topics.orders], { expected: summary.sent, settleMs: 1000 });
      expect(messages).to.have.length(summary.sent);
    });
  });
});
