import { expect } from 'chai';
import pg from 'pg';
import { createGenerator, modelTimestampSql, roundDecimal, toModelTimestamp } from '../../../lib/loadgen/generator/index.js';
import { testStack } from '../../support/stack.js';

describe('generator/expected-tables against Postgres (integration)', () => {
  it('turns generated timestamps and totals into exactly what Postgres stores', async () => {
    const g = createGenerator({ seed: 77, zoneOffsetsMinutes: [0, 330, -480, 45] });
    const timestamps: string[] = [];
    const totals: string[] = [];
    for (let i = 0; i < 5000; i++) {
      const text = g.next().value.toString('utf8');
      timestamps.push(/"(?:created_at|modified_at|placed_at)":"([^"]+)"/.exec(text)?.[1] as string);
      const total = /"order_total":([^,}]+)/.exec(text)?.[1];
      if (total) totals.push(total);
    }
    // Edge cases beyond what the generator writes: rounding into the next second, and ties.
    timestamps.push('2025-12-31T23:59:59.9999996Z', '2025-01-01T00:00:00.1234575Z', '2025-07-01T12:34:56.123456789+05:30');
    totals.push('1234.565', '1234.5650000000001', '99.995', '0.004999');
    const client = new pg.Client({ connectionString: testStack().databaseUrl });
    await client.connect();
    try {
      const ts = await client.query<{ t: string }>(
        `SELECT ${modelTimestampSql('v::timestamptz')} AS t FROM unnest($1::text[]) WITH ORDINALITY AS x(v, i) ORDER BY i`,
        [timestamps],
      );
      expect(ts.rows.map((r) => r.t)).to.deep.equal(timestamps.map(toModelTimestamp));
      const amounts = await client.query<{ a: string }>(
        'SELECT v::numeric(10,2)::text AS a FROM unnest($1::text[]) WITH ORDINALITY AS x(v, i) ORDER BY i',
        [totals],
      );
      expect(amounts.rows.map((r) => r.a)).to.deep.equal(totals.map((t) => roundDecimal(t)));
    } finally {
      await client.end();
    }
  });
});
