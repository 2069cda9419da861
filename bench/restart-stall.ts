/**
 * How long a SIGKILLed and restarted consumer's partitions stand still, with and without static group
 * membership (--instance-id): `node dist/bench/restart-stall.js [--rounds 2] [--session-timeout-ms 10000]`.
 * On the dev stack (or KAFKA_BROKERS + DATABASE_URL) it produces a steady stream into fresh topics, runs
 * one cdc-consume, SIGKILLs it once it applies, starts it again at once with the same arguments and
 * reports, per case: the time from the kill to the new process's assignment, and to the moment the last
 * of the topics' partitions has a newer offset in cdc_offsets than at the kill (its first applied batch).
 */
import Kafka from 'node-rdkafka';
import pg from 'pg';
import { parseArgs } from 'node:util';
import { cleanEnv, consumeBin, type ChildRun, spawnNode } from '../lib/devstack/child.js';
import { openStack } from '../lib/devstack/open-stack.js';
import { createGenerator } from '../lib/loadgen/generator/index.js';
import { quoteIdent } from '../lib/postgres/index.js';

const { values } = parseArgs({
  options: { rounds: { type: 'string', default: '2' }, 'session-timeout-ms': { type: 'string', default: '10000' } },
});
const rounds = Number(values.rounds);
const sessionTimeoutMs = Number(values['session-timeout-ms']);
const ratePerSec = 400;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function offsets(db: pg.Client, schema: string, group: string): Promise<Map<string, number>> {
  try {
    const { rows } = await db.query(`SELECT topic, partition, next_offset FROM ${quoteIdent(schema)}.cdc_offsets WHERE group_id = $1`, [
      group,
    ]);
    return new Map(rows.map((r) => [`${r.topic}/${r.partition}`, Number(r.next_offset)]));
  } catch {
    return new Map();
  }
}

async function waitFor(test: () => boolean | Promise<boolean>, what: string, timeoutMs = 120_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  while (!(await test())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
  return Date.now();
}

async function round(brokers: string, databaseUrl: string, instanceId: string | undefined, n: number) {
  const tag = `${Date.now().toString(36)}_${n}`;
  const topics = { users: `stall_users_${tag}`, orders: `stall_orders_${tag}` };
  const group = `stall_${tag}`;
  const schema = `stall_${tag}`;
  const db = new pg.Client({ connectionString: databaseUrl });
  await db.connect();
  await db.query(`CREATE SCHEMA ${quoteIdent(schema)}`);
  const producer = new Kafka.Producer({ 'metadata.broker.list': brokers, 'linger.ms': 5 });
  await new Promise<void>((resolve, reject) => producer.connect({}, (err) => (err ? reject(err) : resolve())));
  producer.setPollInterval(50);
  const gen = createGenerator({ seed: 7 + n, topics });
  let producing = true;
  const produced = (async () => {
    while (producing) {
      for (let i = 0; i < ratePerSec / 50; i++) {
        const e = gen.next();
        producer.produce(e.topic, null, Buffer.from(e.value), e.key.toString());
      }
      await sleep(20);
    }
  })();
  const args = ['--topics', `users=${topics.users},orders=${topics.orders}`, '--group', group, '--db-schema', schema];
  if (instanceId) args.push('--instance-id', instanceId);
  const env = {
    ...cleanEnv(),
    KAFKA_BROKERS: brokers,
    DATABASE_URL: databaseUrl,
    CDC_KAFKA_CONFIG: `session.timeout.ms=${sessionTimeoutMs}`,
  };
  const runs: ChildRun[] = [];
  try {
    const first = spawnNode(consumeBin, args, { env });
    runs.push(first);
    // Every partition of both topics applied something: the consumer is in full flow.
    await waitFor(async () => (await offsets(db, schema, group)).size === 8, 'the first consumer to apply on all 8 partitions');
    await sleep(2000);
    const atKill = await offsets(db, schema, group);
    const killedAt = Date.now();
    first.child.kill('SIGKILL');
    await first.exited;
    const second = spawnNode(consumeBin, args, { env });
    runs.push(second);
    const assignedAt = await waitFor(() => /partitions assigned/.test(second.stderr()), 'the restarted consumer to be assigned');
    const flowingAt = await waitFor(async () => {
      const now = await offsets(db, schema, group);
      return [...atKill].every(([k, v]) => (now.get(k) ?? 0) > v);
    }, 'every partition to move again');
    return { instanceId: instanceId ?? null, assignedAfterMs: assignedAt - killedAt, allPartitionsMovingAfterMs: flowingAt - killedAt };
  } finally {
    producing = false;
    await produced;
    await new Promise<void>((resolve) => producer.disconnect(() => resolve()));
    await Promise.all(runs.map((r) => r.stop(5000)));
    await db.query(`DROP SCHEMA ${quoteIdent(schema)} CASCADE`);
    await db.end();
  }
}

const stack = await openStack();
try {
  const results = [];
  for (let n = 0; n < rounds; n++) {
    for (const id of [undefined, `stall-${n}`]) {
      const r = await round(stack.brokers, stack.databaseUrl, id, results.length);
      console.log(JSON.stringify({ sessionTimeoutMs, ...r }));
      results.push(r);
    }
  }
} finally {
  await stack.stop();
}
