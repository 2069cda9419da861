/**
 * The worker's batch transaction, driven directly (no Kafka): exactly-once fencing on cdc_offsets,
 * dead letters exactly once, and isolation of rows Postgres rejects.
 */
import { expect } from 'chai';
import pg from 'pg';
import { BatchApplier } from '../../lib/apply/batch.js';
import { applySchema, qualified } from '../../lib/postgres/index.js';
import { resolveMapping, shippedMapping } from '../../lib/sinks/mapping.js';
import { prepareSinkTables } from '../../lib/sinks/tables.js';
import { type ApplyResult, type BatchSource, packBatch } from '../../lib/worker-protocol.js';
import { testStack, withTestSchema } from '../support/stack.js';
import { readTables } from '../support/tables.js';
import { testWorkerConfig } from '../support/worker-config.js';

const uuid = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
const userCreate = (n: number, name = `user ${n}`) =>
  Buffer.from(
    JSON.stringify({ event_type: 'CREATE', user_id: uuid(n), name, dob: '1990-01-02', created_at: '2025-07-01T12:34:56.123456789+05:30' }),
  );

describe('apply/batch (integration)', () => {
  let schema: string;
  let drop: () => Promise<void>;
  let pool: pg.Pool;
  let applier: BatchApplier;

  beforeEach(async () => {
    ({ schema, drop } = await withTestSchema('apply'));
    pool = new pg.Pool({ connectionString: testStack().databaseUrl, max: 2 });
    const client = await pool.connect();
    await applySchema(client, schema);
    await prepareSinkTables(client, shippedMapping('seed'), schema, true);
    client.release();
    applier = new BatchApplier(testWorkerConfig(schema, { maxValueBytes: 1000 }), pool);
  });

  afterEach(async () => {
    await pool.end();
    await drop();
  });

  const run = (messages: BatchSource[], topic = 'users') =>
    applier.apply({ kind: 'apply', topic, partition: 0, sink: 'users', batch: packBatch(messages), deadLetterOrphans: false });

  it('applies a batch once: a replay, or an overlapping batch, skips what is already applied', async () => {
    const batch = (from: number, to: number) =>
      Array.from({ length: to - from }, (_, i) => ({ offset: from + i, key: uuid(from + i), value: userCreate(from + i) }));
    const first = await run([...batch(0, 10), { offset: 10, key: 'bad', value: Buffer.from('{') }]);
    expect(first).to.deep.include({ status: 'applied', nextOffset: 11 });
    const replay = await run([...batch(0, 10), { offset: 10, key: 'bad', value: Buffer.from('{') }]);
    expect(replay.status).to.equal('applied');
    if (replay.status === 'applied') {
      expect(replay.stats.skipped).to.equal(11);
      expect(replay.stats.deadLetters).to.equal(0);
    }
    const overlap = await run(batch(5, 15));
    expect(overlap).to.deep.include({ status: 'applied', nextOffset: 15 });
    // Offsets 5..10 were applied by the first batch (10 was the dead letter): six skipped.
    if (overlap.status === 'applied') expect(overlap.stats.skipped).to.equal(6);
    const state = await readTables(schema);
    expect(state.users).to.have.length(14);
    expect(state.deadLetters).to.have.length(1);
    expect(state.offsets).to.deep.equal([{ group_id: 'g', topic: 'users', partition: 0, next_offset: 15 }]);
    // Microseconds survive: .123456789 rounds to .123457 and the zone is applied.
    expect(state.users[0]?.created_at).to.equal('2025-07-01T07:04:56.123457Z');
  });

  it('dead-letters a value over the size limit without decoding it', async () => {
    const big = Buffer.from(`{"event_type":"CREATE","pad":"${'x'.repeat(2000)}"}`);
    const result = await run([
      { offset: 0, key: 'k', value: big },
      { offset: 1, key: uuid(1), value: userCreate(1) },
    ]);
    expect(result.status).to.equal('applied');
    const state = await readTables(schema);
    expect(state.deadLetters.map((d) => d.error_code)).to.deep.equal(['VALUE_TOO_LARGE']);
    expect(state.users).to.have.length(1);
  });

  it('isolates the rows Postgres rejects and dead-letters only them', async () => {
    // A rule validation does not know about: Postgres is the one to refuse these rows.
    const c = new pg.Client({ connectionString: testStack().databaseUrl });
    await c.connect();
    await c.query(`ALTER TABLE ${qualified(schema, 'users')} ADD CONSTRAINT no_mallory CHECK (name <> 'mallory')`);
    await c.end();
    const messages = Array.from({ length: 40 }, (_, i) => ({
      offset: i,
      key: uuid(i),
      value: userCreate(i, i === 7 || i === 31 ? 'mallory' : `user ${i}`),
    }));
    const result = await run(messages);
    expect(result).to.deep.include({ status: 'applied', nextOffset: 40 });
    const state = await readTables(schema);
    expect(state.users).to.have.length(38);
    expect(state.deadLetters.map((d) => [d.offset, d.error_code])).to.deep.equal([
      [7, 'REJECTED_BY_POSTGRES'],
      [31, 'REJECTED_BY_POSTGRES'],
    ]);
  });

  it('reports orphan orders without writing anything, then dead-letters them when told to', async () => {
    const order = Buffer.from(
      JSON.stringify({
        event_type: 'CREATE',
        order_id: uuid(900),
        order_status: 'PLACED',
        user_id: uuid(901),
        quantity: 2,
        order_total: 10.5,
        placed_at: '2025-07-01T00:00:00Z',
      }),
    );
    const task = (deadLetterOrphans: boolean) =>
      applier.apply({
        kind: 'apply',
        topic: 'orders',
        partition: 0,
        sink: 'orders',
        batch: packBatch([{ offset: 0, key: uuid(900), value: order }]),
        deadLetterOrphans,
      });
    expect(await task(false)).to.deep.equal({ ok: true, status: 'orphans', orphans: 1 });
    let state = await readTables(schema);
    expect(state.offsets).to.deep.equal([]);
    expect(await task(true)).to.deep.include({ status: 'applied', nextOffset: 1 });
    state = await readTables(schema);
    expect(state.orders).to.deep.equal([]);
    expect(state.deadLetters.map((d) => d.error_code)).to.deep.equal(['ORPHAN_ORDER']);
  });

  it('after its first batch on a connection, sends the apply statements with the offset update and COMMIT in one round trip; a row Postgres rejects there is still isolated', async () => {
    const one = new pg.Pool({ connectionString: testStack().databaseUrl, max: 1 });
    // What each batch sends: a query's text (the COPY's too), or `named <name>` for a named statement.
    const sent: string[] = [];
    one.on('connect', (client) => {
      const query = client.query.bind(client) as (...args: unknown[]) => unknown;
      (client as unknown as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
        const q = args[0] as string | { name?: string; text?: string };
        sent.push(typeof q === 'string' ? q : q.name ? `named ${q.name}` : String(q.text));
        return query(...args);
      };
    });
    try {
      const users = new BatchApplier(testWorkerConfig(schema, { maxValueBytes: 1000, maxConnections: 1 }), one);
      const userUpdate = (n: number, name: string) =>
        Buffer.from(JSON.stringify({ event_type: 'UPDATE', user_id: uuid(n), name, modified_at: '2025-07-02T00:00:00Z' }));
      const userDelete = (n: number) =>
        Buffer.from(JSON.stringify({ event_type: 'DELETE', user_id: uuid(n), modified_at: '2025-07-03T00:00:00Z' }));
      const apply = (messages: BatchSource[]) =>
        users.apply({ kind: 'apply', topic: 'users', partition: 0, sink: 'users', batch: packBatch(messages), deadLetterOrphans: false });
      let offset = 0;
      const at = (key: number, value: Buffer): BatchSource => ({ offset: offset++, key: uuid(key), value });

      // The first batches on the connection prepare every statement they run, one round trip each.
      expect(await apply([0, 1, 2, 3, 4, 5].map((n) => at(n, userCreate(n))))).to.deep.include({ status: 'applied', nextOffset: 6 });
      expect(await apply([at(0, userUpdate(0, 'zero')), at(5, userDelete(5))])).to.deep.include({ status: 'applied', nextOffset: 8 });
      expect(sent.filter((q) => q.startsWith('named '))).to.deep.equal([
        'named cdc0-upsert',
        'named cdc0-patch',
        'named cdc0-lock-cascading',
        'named cdc0-cascade-0',
      ]);

      sent.length = 0;
      const second = await apply([at(6, userCreate(6)), at(7, userCreate(7)), at(1, userUpdate(1, 'one')), at(4, userDelete(4))]);
      expect(second).to.deep.include({ status: 'applied', nextOffset: 12 });
      if (second.status === 'applied') expect(second.stats).to.deep.include({ upserted: 2, patched: 2 });
      expect(sent).to.have.length(3);
      expect(sent[0]).to.match(/^BEGIN; /);
      expect(sent[1]).to.match(/^COPY /);
      expect(sent[2]).to.match(
        /^EXECUTE "cdc0-upsert"; EXECUTE "cdc0-patch"; EXECUTE "cdc0-lock-cascading"; EXECUTE "cdc0-cascade-0"; UPDATE .*; COMMIT$/s,
      );

      // A CHECK validation does not know about: the held-back upsert fails at the commit's round trip.
      const c = new pg.Client({ connectionString: testStack().databaseUrl });
      await c.connect();
      await c.query(`ALTER TABLE ${qualified(schema, 'users')} ADD CONSTRAINT no_mallory CHECK (name <> 'mallory')`);
      await c.end();
      const third = await apply([at(8, userCreate(8)), at(9, userCreate(9, 'mallory')), at(2, userUpdate(2, 'two'))]);
      expect(third).to.deep.include({ status: 'applied', nextOffset: 15 });
      if (third.status === 'applied') expect(third.stats).to.deep.include({ upserted: 1, patched: 1, deadLetters: 1 });

      // Dead letters take bind parameters: the held-back statements go first, then the letters, then COMMIT.
      sent.length = 0;
      const fourth = await apply([at(10, userCreate(10)), { offset: offset++, key: 'bad', value: Buffer.from('{') }]);
      expect(fourth).to.deep.include({ status: 'applied', nextOffset: 17 });
      expect(sent.slice(2).map((q) => q.split(' ')[0])).to.deep.equal(['EXECUTE', 'INSERT', 'UPDATE']);

      const state = await readTables(schema);
      expect(state.users.map((u) => [u.name, u.is_deleted])).to.deep.equal([
        ['zero', false],
        ['one', false],
        ['two', false],
        ['user 3', false],
        ['user 4', true],
        ['user 5', true],
        ['user 6', false],
        ['user 7', false],
        ['user 8', false],
        ['user 10', false],
      ]);
      expect(state.deadLetters.map((d) => [d.offset, d.error_code])).to.deep.equal([
        [13, 'REJECTED_BY_POSTGRES'],
        [16, 'INVALID_JSON'],
      ]);
      expect(state.offsets).to.deep.equal([{ group_id: 'g', topic: 'users', partition: 0, next_offset: 17 }]);
    } finally {
      await one.end();
    }
  });

  describe('the staging table across transactions of one connection', () => {
    /**
     * An `items` sink (Debezium format, truncates applied) on a pool of one connection, so every batch
     * sees the staging table the previous one left; `use` gets the batch call and that pool.
     */
    async function onOneConnection(
      use: (apply: (messages: BatchSource[]) => Promise<ApplyResult>, one: pg.Pool) => Promise<void>,
    ): Promise<void> {
      const mapping = resolveMapping(
        {
          sinks: [
            {
              topic: 'items',
              table: 'items',
              format: 'debezium',
              key: ['id'],
              'create-table': true,
              truncate: true,
              columns: { id: 'integer', v: 'text' },
              delete: 'hard',
            },
          ],
        },
        'test mapping',
      );
      const one = new pg.Pool({ connectionString: testStack().databaseUrl, max: 1 });
      try {
        const setup = await one.connect();
        try {
          await prepareSinkTables(setup, mapping, schema, true);
        } finally {
          setup.release();
        }
        const items = new BatchApplier(testWorkerConfig(schema, { maxValueBytes: 1000, maxConnections: 1, mapping }), one);
        await use(
          (messages) =>
            items.apply({
              kind: 'apply',
              topic: 'items',
              partition: 0,
              sink: 'items',
              batch: packBatch(messages),
              deadLetterOrphans: false,
            }),
          one,
        );
      } finally {
        await one.end();
      }
    }

    it("a transaction that rolls back after emptying it does not bring the last batch's rows back into the next one", async () => {
      await onOneConnection(async (apply) => {
        const event = (offset: number, payload: object) => ({ offset, key: null, value: Buffer.from(JSON.stringify(payload)) });
        const table = qualified(schema, 'items');

        expect(await apply([event(0, { op: 'c', before: null, after: { id: 1, v: 'b' } })])).to.deep.include({ status: 'applied' });
        // Someone else changes row 1 afterwards, and a table of theirs references it, so that a
        // truncate (row deletes) fails after the batch's transaction has emptied the staging table.
        await pool.query(`UPDATE ${table} SET v = 'z' WHERE id = 1`);
        await pool.query(`CREATE TABLE ${qualified(schema, 'refs')} (id integer REFERENCES ${table} (id))`);
        await pool.query(`INSERT INTO ${qualified(schema, 'refs')} VALUES (1)`);
        const failed = await apply([event(1, { op: 't', before: null, after: null })]).then(
          () => undefined,
          (err: Error & { code?: string }) => err,
        );
        expect(failed?.code, String(failed)).to.equal('23503'); // foreign_key_violation
        await pool.query(`DROP TABLE ${qualified(schema, 'refs')}`);
        // The next batch on that connection stages only its own row: row 1 keeps the other writer's value.
        expect(await apply([event(2, { op: 'c', before: null, after: { id: 2, v: 'c' } })])).to.deep.include({
          status: 'applied',
          nextOffset: 3,
        });
        const { rows } = await pool.query(`SELECT id, v FROM ${table} ORDER BY id`);
        expect(rows).to.deep.equal([
          { id: 1, v: 'z' },
          { id: 2, v: 'c' },
        ]);
      });
    });

    it('keeps it bounded: rows of one batch after each commit, pages reset to nothing every few batches', async () => {
      await onOneConnection(async (apply, one) => {
        const rows = 200;
        const sizes: number[] = [];
        for (let b = 0; b < 40; b++) {
          const messages: BatchSource[] = [];
          for (let i = 0; i < rows; i++) {
            const after = { id: b * rows + i, v: `value ${b} ${i}` };
            messages.push({ offset: b * rows + i, key: null, value: Buffer.from(JSON.stringify({ op: 'c', before: null, after })) });
          }
          const result = await apply(messages);
          expect(result).to.deep.include({ status: 'applied', nextOffset: (b + 1) * rows });
          // The pool's one connection, so its own temporary staging table.
          const { rows: stage } = await one.query(
            `SELECT count(*)::int AS n, pg_relation_size('pg_temp.cdc_stage_0') AS size FROM pg_temp.cdc_stage_0`,
          );
          expect(stage[0].n, `rows left in the staging table after batch ${b}`).to.equal(rows);
          sizes.push(Number(stage[0].size));
        }
        const { rows: loaded } = await pool.query(`SELECT count(*)::int AS n FROM ${qualified(schema, 'items')}`);
        expect(loaded[0].n).to.equal(40 * rows);
        // Deleted rows keep their pages until a reset (TRUNCATE): at the latest every 16 batches, and when
        // a young-table ANALYZE changed the statistics. Each batch here adds about half the first one's
        // size: 16 batches stay near 12x it, 40 without a reset would pass 20x.
        const first = sizes[0] as number;
        expect(Math.max(...sizes), `staging table sizes ${sizes.join(' ')}`).to.be.at.most(first * 16);
        expect(sizes.filter((x, i) => i > 0 && x < (sizes[i - 1] as number)).length, `resets in ${sizes.join(' ')}`).to.be.at.least(2);
      });
    });
  });
});
