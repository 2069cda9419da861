/**
 * Offset gaps on the dev stack (lib/consumer/offset-gaps.ts): a partition whose cdc_offsets row is below
 * the log's start (the mock cluster keeps about 5 MiB per partition and drops older messages) or above
 * its end (a recreated topic) is held with /healthz 503 under --on-offset-gap fail, and restarted at the
 * log's start under earliest.
 */
import { expect } from 'chai';
import Kafka from 'node-rdkafka';
import pg from 'pg';
import { createGenerator } from '../../lib/loadgen/generator/index.js';
import { applySchema, qualified } from '../../lib/postgres/index.js';
import { type ConsumerRun, ensureStopped, startConsumer } from '../support/consumer.js';
import { TestTopics } from '../support/kafka.js';
import { testStack, uniqueName, withTestSchema } from '../support/stack.js';

/** Produces these values to one partition, in order, and waits for their delivery. */
async function produceTo(topic: string, partition: number, values: Buffer[]): Promise<void> {
  const producer = new Kafka.Producer({ 'metadata.broker.list': testStack().brokers, 'linger.ms': 5, dr_cb: true });
  await new Promise<void>((resolve, reject) => producer.connect({}, (err) => (err ? reject(err) : resolve())));
  try {
    let delivered = 0;
    producer.on('delivery-report', (err) => {
      if (err) throw err;
      delivered++;
    });
    producer.setPollInterval(10);
    for (const v of values) producer.produce(topic, partition, v, `k${delivered}`);
    for (const deadline = Date.now() + 60_000; delivered < values.length; await new Promise((r) => setTimeout(r, 20))) {
      if (Date.now() > deadline) throw new Error(`only ${delivered} of ${values.length} delivered`);
    }
  } finally {
    await new Promise<void>((resolve) => producer.disconnect(() => resolve()));
  }
}

async function logRange(topic: string, partition: number): Promise<{ low: number; high: number }> {
  const consumer = new Kafka.KafkaConsumer({ 'metadata.broker.list': testStack().brokers, 'group.id': uniqueName('wm') }, {});
  await new Promise<void>((resolve, reject) => consumer.connect({ timeout: 10_000 }, (err) => (err ? reject(err) : resolve())));
  try {
    return await new Promise((resolve, reject) =>
      consumer.queryWatermarkOffsets(topic, partition, 10_000, (err, w) =>
        err ? reject(err) : resolve({ low: w.lowOffset, high: w.highOffset }),
      ),
    );
  } finally {
    await new Promise<void>((resolve) => consumer.disconnect(() => resolve()));
  }
}

async function sql<T extends pg.QueryResultRow>(text: string, values: unknown[] = []): Promise<T[]> {
  const c = new pg.Client({ connectionString: testStack().databaseUrl });
  await c.connect();
  try {
    return (await c.query<T>(text, values)).rows;
  } finally {
    await c.end();
  }
}

/** Valid user events of the seed format (creates, updates, deletes of the generator's users). */
function userEvents(topic: string, count: number, seed: number): Buffer[] {
  const gen = createGenerator({ seed, topics: { users: topic, orders: `${topic}_orders` } });
  const out: Buffer[] = [];
  while (out.length < count) {
    const e = gen.next();
    if (e.topic === topic) out.push(Buffer.from(e.value));
  }
  return out;
}

async function health(run: ConsumerRun): Promise<{ status: number; body: Record<string, unknown> }> {
  const url = /"health":"([^"]+)"/.exec(run.stderr())?.[1];
  if (!url) throw new Error(`no health URL logged:\n${run.stderr()}`);
  const res = await fetch(url);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

async function metricsText(run: ConsumerRun): Promise<string> {
  const url = /"url":"([^"]+\/metrics)"/.exec(run.stderr())?.[1];
  if (!url) throw new Error(`no metrics URL logged:\n${run.stderr()}`);
  return (await fetch(url)).text();
}

describe('consumer/offset gaps (integration)', function () {
  this.timeout(180_000);
  const topics = new TestTopics();
  const runs: ConsumerRun[] = [];
  let schema: string;
  let drop: () => Promise<void>;
  let group: string;
  let users: string;

  beforeEach(async () => {
    const t = await withTestSchema('gaps');
    schema = t.schema;
    drop = t.drop;
    group = uniqueName('group');
    users = topics.name('users');
    const c = new pg.Client({ connectionString: testStack().databaseUrl });
    await c.connect();
    try {
      await applySchema(c, schema);
    } finally {
      await c.end();
    }
  });

  afterEach(async () => {
    await Promise.all(runs.splice(0).map(ensureStopped));
    await drop();
    await topics.remove();
  });

  function consume(extra: string[]): ConsumerRun {
    const run = startConsumer(['--topics', `users=${users}`, '--group', group, '--db-schema', schema, '--metrics-port', '0', ...extra]);
    runs.push(run);
    return run;
  }

  async function storeOffset(partition: number, nextOffset: number): Promise<void> {
    await sql(`INSERT INTO ${qualified(schema, 'cdc_offsets')} (group_id, topic, partition, next_offset) VALUES ($1, $2, $3, $4)`, [
      group,
      users,
      partition,
      nextOffset,
    ]);
  }

  async function deadLetterOffsets(): Promise<number[]> {
    const rows = await sql<{ offset: string }>(`SELECT "offset" FROM ${qualified(schema, 'cdc_dead_letters')} ORDER BY "offset"`);
    return rows.map((r) => Number(r.offset));
  }

  async function stored(partition: number): Promise<number | undefined> {
    const rows = await sql<{ next_offset: string }>(
      `SELECT next_offset FROM ${qualified(schema, 'cdc_offsets')} WHERE group_id = $1 AND topic = $2 AND partition = $3`,
      [group, users, partition],
    );
    return rows[0] ? Number(rows[0].next_offset) : undefined;
  }

  it('below the log start: fail holds the partition with /healthz 503 and the others flow; earliest applies from the log start', async () => {
    // 110 values of 64 KiB (not JSON: each becomes a dead letter with its offset) push partition 0 past
    // the mock's ~5 MiB, so its oldest messages are dropped; partition 1 gets 20 valid events.
    const big = Array.from({ length: 110 }, (_, i) => Buffer.alloc(64 * 1024, `${i % 10}`));
    await produceTo(users, 0, big);
    await produceTo(users, 1, userEvents(users, 20, 31));
    const range = await logRange(users, 0);
    expect(range.high).to.equal(110);
    expect(range.low, 'the mock cluster dropped the oldest messages').to.be.above(0);
    await storeOffset(0, 0);

    const held = consume(['--idle', '4s']);
    await held.waitFor(/offset gap: /);
    await held.waitFor(/partitions assigned/);
    expect(held.stderr()).to.include(
      `${users}/0: stored offset 0 (cdc_offsets) is below the log start ${range.low}: offsets 0-${range.low - 1} (${range.low} events) were deleted before they were applied`,
    );
    // The partition is left out of the assignment, the others are consumed.
    expect(/partitions assigned.*/.exec(held.stderr())?.[0]).not.to.include(`${users}/0@`);
    for (const deadline = Date.now() + 30_000; (await stored(1)) !== 20; await new Promise((r) => setTimeout(r, 100))) {
      if (Date.now() > deadline) throw new Error(`partition 1 was not applied:\n${held.stderr()}`);
    }
    const h = await health(held);
    expect(h.status).to.equal(503);
    expect(h.body.ok).to.equal(false);
    expect(h.body.offsetGaps).to.deep.equal([
      `${users}/0: stored offset 0 (cdc_offsets) is below the log start ${range.low}: offsets 0-${range.low - 1} (${range.low} events) were deleted before they were applied`,
    ]);
    expect(await metricsText(held)).to.include(`cdc_offset_gaps_total{topic="${users}",partition="0",kind="below-start"} 1`);
    // Idle with a partition held is a failure, not a quiet exit 0.
    expect(await held.exited, held.stderr()).to.equal(1);
    expect(held.stderr()).to.include('ERR_CDC_OFFSET_GAP');
    expect(await stored(0)).to.equal(0);
    expect(await deadLetterOffsets()).to.deep.equal([]);

    const earliest = consume(['--idle', '3s', '--on-offset-gap', 'earliest']);
    expect(await earliest.exited, earliest.stderr()).to.equal(0);
    expect(earliest.stderr()).to.match(new RegExp(`offset gap: ${users}/0: .*continuing from the log start at ${range.low}`));
    expect(await stored(0)).to.equal(110);
    expect(await deadLetterOffsets()).to.deep.equal(Array.from({ length: 110 - range.low }, (_, i) => range.low + i));
  });

  it("without a cdc_offsets row, checks Kafka's committed offset: below the log start, fail holds the partition", async () => {
    // A first run applies 10 events of partition 0 and commits offset 10 to Kafka; with its cdc_offsets
    // rows gone (a table emptied), Kafka's committed offset is what the next run would start from.
    await produceTo(users, 0, userEvents(users, 10, 33));
    const first = consume(['--idle', '2s']);
    expect(await first.exited, first.stderr()).to.equal(0);
    expect(await stored(0)).to.equal(10);
    await sql(`DELETE FROM ${qualified(schema, 'cdc_offsets')}`);
    await produceTo(
      users,
      0,
      Array.from({ length: 110 }, () => Buffer.alloc(64 * 1024, '7')),
    );
    const range = await logRange(users, 0);
    expect(range.low, 'the mock cluster dropped the oldest messages').to.be.above(10);

    const held = consume(['--idle', '3s']);
    expect(await held.exited, held.stderr()).to.equal(1);
    expect(held.stderr()).to.include(
      `${users}/0: stored offset 10 (kafka) is below the log start ${range.low}: offsets 10-${range.low - 1} (${range.low - 10} events) were deleted before they were applied`,
    );
    expect(await stored(0)).to.equal(undefined);
    expect(await deadLetterOffsets()).to.deep.equal([]);
  });

  it('above the log end (a recreated topic): fail holds the partition; earliest moves cdc_offsets back and applies the new log', async () => {
    await produceTo(users, 0, userEvents(users, 30, 32));
    await storeOffset(0, 5000);

    const held = consume(['--idle', '3s']);
    await held.waitFor(/offset gap: /);
    expect(held.stderr()).to.include(
      `${users}/0: stored offset 5000 (cdc_offsets) is above the log end 30: offsets 30-4999 are not in the log`,
    );
    expect(await held.exited, held.stderr()).to.equal(1);
    expect(await stored(0)).to.equal(5000);

    const earliest = consume(['--idle', '3s', '--on-offset-gap', 'earliest']);
    expect(await earliest.exited, earliest.stderr()).to.equal(0);
    expect(earliest.stderr()).to.match(/continuing from the log start at 0/);
    expect(await stored(0)).to.equal(30);
    expect(await deadLetterOffsets()).to.deep.equal([]);
    const [count] = await sql<{ n: number }>(`SELECT count(*)::int AS n FROM ${qualified(schema, 'users')}`);
    expect(count?.n).to.be.above(0);
  });
});
