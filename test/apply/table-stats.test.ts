import { expect } from 'chai';
import type pg from 'pg';
import { statisticsGeneration, YoungTableStats } from '../../lib/apply/table-stats.js';
import type { Sink } from '../../lib/sinks/sink.js';

/** A pool whose one client records its queries and answers reltuples from `sizes` (in order). */
function fakePool(sizes: number[], failOn?: RegExp) {
  const queries: string[] = [];
  let released = 0;
  let releasedBroken = 0;
  const client = {
    on: () => client,
    off: () => client,
    query: async (text: string) => {
      queries.push(text);
      if (failOn?.test(text)) throw Object.assign(new Error('refused'), { code: '42P01' });
      return text.startsWith('SELECT reltuples') ? { rows: [{ n: sizes.shift() ?? 0 }] } : { rows: [] };
    },
    release: (err?: Error) => {
      released++;
      if (err) releasedBroken++;
    },
  };
  const pool = { connect: async () => client } as unknown as pg.Pool;
  return { pool, queries, counts: () => ({ released, releasedBroken }) };
}

const settle = async () => {
  for (let i = 0; i < 10; i++) await new Promise((resolve) => setImmediate(resolve));
};

const orders = {
  table: '"s"."orders"',
  declaration: { key: ['id'] },
  parents: [{ childColumns: ['user_id'] }],
} as unknown as Sink;

describe('apply/table-stats: young sink tables analyzed as they grow', () => {
  it("reads the table's size first, then analyzes its key and reference columns once it may have grown 4x", async () => {
    // Never analyzed (-1), then 1,100 rows after the first ANALYZE, then 5,000.
    const { pool, queries, counts } = fakePool([-1, 1100, 5000]);
    const stats = new YoungTableStats(pool);
    const generation = statisticsGeneration();
    stats.written(orders, 100);
    await settle();
    expect(queries).to.deep.equal(['SELECT reltuples::float8 AS n FROM pg_class WHERE oid = $1::regclass']);
    // Never analyzed: the first ANALYZE 1,024 rows after that read (at 1,124 rows written).
    stats.written(orders, 1023);
    await settle();
    expect(queries).to.have.length(1);
    stats.written(orders, 1);
    await settle();
    expect(queries.slice(1)).to.deep.equal([
      'ANALYZE (SKIP_LOCKED) "s"."orders" ("id", "user_id")',
      'SELECT reltuples::float8 AS n FROM pg_class WHERE oid = $1::regclass',
    ]);
    expect(statisticsGeneration()).to.equal(generation + 1);
    // 1,100 rows at that ANALYZE: the next one after 3 x 1,100 more rows written.
    stats.written(orders, 3299);
    await settle();
    expect(queries).to.have.length(3);
    stats.written(orders, 1);
    await settle();
    expect(queries).to.have.length(5);
    expect(statisticsGeneration()).to.equal(generation + 2);
    expect(counts()).to.deep.equal({ released: 3, releasedBroken: 0 });
  });

  it('never analyzes a table much larger than what it writes', async () => {
    const { pool, queries } = fakePool([10_000_000]);
    const stats = new YoungTableStats(pool);
    for (let i = 0; i < 100; i++) stats.written(orders, 1000);
    await settle();
    expect(queries.filter((q) => q.startsWith('ANALYZE'))).to.deep.equal([]);
  });

  it('a failing ANALYZE disturbs nothing: the connection goes back, and it tries again 1,024 rows later', async () => {
    const { pool, queries, counts } = fakePool([-1], /^ANALYZE/);
    const stats = new YoungTableStats(pool);
    const generation = statisticsGeneration();
    stats.written(orders, 2000); // reads the size: analyze at 3,024
    await settle();
    stats.written(orders, 1100);
    await settle();
    expect(queries.filter((q) => q.startsWith('ANALYZE'))).to.have.length(1);
    expect(statisticsGeneration()).to.equal(generation);
    stats.written(orders, 1023);
    await settle();
    expect(queries.filter((q) => q.startsWith('ANALYZE'))).to.have.length(1);
    stats.written(orders, 1);
    await settle();
    expect(queries.filter((q) => q.startsWith('ANALYZE'))).to.have.length(2);
    // A SQL error (it has a SQLSTATE) leaves the connection usable.
    expect(counts().releasedBroken).to.equal(0);
  });
});
