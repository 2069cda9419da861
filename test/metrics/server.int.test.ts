/**
 * /metrics and /healthz of a running bin/cdc-consume. This test has its own Postgres (it stops and
 * restarts it) and uses the shared mock Kafka.
 */

import { execFileSync } from 'node:child_process';
import { chown, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import pg from 'pg';
import { findFreePort } from '../../lib/devstack/ports.js';
import { type EmbeddedPostgres, startEmbeddedPostgres } from '../../lib/devstack/postgres.js';
import { createGenerator } from '../../lib/loadgen/generator/index.js';
import { type ConsumerRun, ensureStopped, startConsumer } from '../support/consumer.js';
import { produceAll, type TestMessage, TestTopics } from '../support/kafka.js';
import { testStack, uniqueName } from '../support/stack.js';
import { get, until } from '../support/wait.js';

function value(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('metrics/server (integration)', function () {
  this.timeout(180_000);
  let workDir: string;
  let pgServer: EmbeddedPostgres | undefined;
  let run: ConsumerRun | undefined;
  const topics = new TestTopics();

  afterEach(async () => {
    await ensureStopped(run);
    await pgServer?.stop();
    await rm(workDir, { recursive: true, force: true });
    await topics.remove();
  });

  it('serves every series with values matching what was produced, and /healthz follows Postgres', async () => {
    workDir = await mkdtemp(join(tmpdir(), 'cdc-metrics-test-'));
    if (process.getuid?.() === 0) {
      // Postgres runs as the postgres user when we are root: it must own the directory above its data.
      const uid = Number(execFileSync('id', ['-u', 'postgres']).toString());
      const gid = Number(execFileSync('id', ['-g', 'postgres']).toString());
      await chown(workDir, uid, gid);
    }
    const dataDir = join(workDir, 'data');
    const port = await findFreePort();
    pgServer = await startEmbeddedPostgres({ dataDir, port });

    const users = topics.name('musers');
    const orders = topics.name('morders');
    const gen = createGenerator({ seed: 21, topics: { users, orders } });
    const produced: TestMessage[] = [];
    for (let i = 0; i < 3000; i++) {
      const e = gen.next();
      produced.push({ topic: e.topic, key: e.key.toString(), value: Buffer.from(e.value) });
    }
    const poison = 7;
    for (let i = 0; i < poison; i++) produced.push({ topic: users, key: `poison-${i}`, value: Buffer.from(`{"oops":${i}`) });
    await produceAll(testStack().brokers, produced);
    const countOf = (topic: string) => produced.filter((m) => m.topic === topic).length;

    run = startConsumer(['--topics', `users=${users},orders=${orders}`, '--group', uniqueName('mgroup'), '--metrics-port', '0'], {
      DATABASE_URL: pgServer.url,
    });
    await run.waitFor(/serving metrics/);
    const base = /(http:\/\/127\.0\.0\.1:\d+)\/metrics/.exec(run.stderr())?.[1] as string;

    // The offset rows are written in each batch's transaction, so their sum per topic says every message
    // is applied. In-flight 0 alone is not enough: orders waiting for their users sit between attempts.
    await until('every message applied (cdc_offsets at the end)', async () => {
      const c = new pg.Client({ connectionString: pgServer?.url });
      await c.connect();
      try {
        const { rows } = await c.query<{ topic: string; n: string }>(
          'SELECT topic, sum(next_offset)::text AS n FROM public.cdc_offsets GROUP BY topic',
        );
        const at = new Map(rows.map((r) => [r.topic, Number(r.n)]));
        return at.get(users) === countOf(users) && at.get(orders) === countOf(orders) ? true : undefined;
      } finally {
        await c.end();
      }
    });
    const metrics = await until('all messages consumed and applied', async () => {
      const { body } = await get(`${base}/metrics`);
      const consumed =
        (value(body, `cdc_messages_consumed_total{topic="${users}"}`) ?? 0) +
        (value(body, `cdc_messages_consumed_total{topic="${orders}"}`) ?? 0);
      const dead = value(body, `cdc_dead_letters_total{topic="${users}"}`);
      return consumed === produced.length && dead === poison && value(body, 'cdc_inflight_batches') === 0 ? body : undefined;
    });
    expect(value(metrics, `cdc_messages_consumed_total{topic="${users}"}`)).to.equal(countOf(users));
    expect(value(metrics, `cdc_messages_consumed_total{topic="${orders}"}`)).to.equal(countOf(orders));
    expect(value(metrics, `cdc_dead_letters_total{topic="${orders}"}`)).to.equal(0);
    expect(value(metrics, 'cdc_rows_applied_total{table="users"}')).to.be.greaterThan(0);
    expect(value(metrics, 'cdc_rows_applied_total{table="orders"}')).to.be.greaterThan(0);
    expect(value(metrics, 'cdc_batch_duration_seconds_count')).to.be.greaterThan(0);
    expect(metrics).to.match(/process_resident_memory_bytes \d/);
    const lag = await until('lag reported', async () => {
      const { body } = await get(`${base}/metrics`);
      return /cdc_consumer_lag\{topic="[^"]+",partition="\d"\} \d/.test(body) ? body : undefined;
    });
    expect(lag).to.contain(`cdc_consumer_lag{topic="${users}",partition="0"} 0`);

    expect((await get(`${base}/healthz`)).status).to.equal(200);
    expect(JSON.parse((await get(`${base}/healthz`)).body)).to.deep.equal({ ok: true, kafka: 'joined', postgres: 'up' });

    await pgServer.stop();
    const down = await until('healthz 503', async () => {
      const r = await get(`${base}/healthz`);
      return r.status === 503 ? r : undefined;
    });
    expect(JSON.parse(down.body)).to.include({ ok: false, postgres: 'down' });

    pgServer = await startEmbeddedPostgres({ dataDir, port });
    await until('healthz 200 again', async () => ((await get(`${base}/healthz`)).status === 200 ? true : undefined));
    expect(run.child.exitCode).to.equal(null);
  });
});
