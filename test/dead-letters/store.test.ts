import { expect } from 'chai';
import type pg from 'pg';
import { countQuery, type DeadLetter, pageQuery, purgeQuery, readDeadLetters, summaryQuery } from '../../lib/dead-letters/index.js';

/** The SQL on one line, whitespace runs as one space, so assertions need not follow its layout. */
const flat = (sql: string) => sql.replace(/\s+/g, ' ').trim();

describe('dead-letters/store', () => {
  const schema = 'odd "schema"';
  const table = '"odd ""schema"""."cdc_dead_letters"';

  it('pages by id after the selection, the payload columns only when asked for', () => {
    const q = pageQuery(schema, { codes: ['INVALID_JSON'] }, { afterId: 41, rows: 100, payload: false });
    expect(flat(q.text)).to.match(
      new RegExp(
        `^SELECT id::float8 AS id, .* FROM ${table.replace(/[."]/g, '\\$&')} WHERE error_code = ANY\\(\\$1::text\\[\\]\\) AND id > \\$2::bigint ORDER BY id LIMIT \\$3::int$`,
      ),
    );
    expect(q.text).to.not.contain('value');
    expect(q.values).to.deep.equal([['INVALID_JSON'], 41, 100]);
    const withPayload = pageQuery(schema, {}, { afterId: 0, rows: 10, payload: true });
    expect(flat(withPayload.text)).to.contain(', key, value, headers::text AS headers FROM').and.contain('WHERE TRUE AND id > $1::bigint');
    expect(withPayload.values).to.deep.equal([0, 10]);
  });

  it('reads failed_at as UTC text to the microsecond', () => {
    expect(pageQuery(schema, {}, { afterId: 0, rows: 1, payload: false }).text).to.contain(
      `to_char(failed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS failed_at`,
    );
  });

  it('counts, summarizes and purges the same selection', () => {
    const selection = { topicNames: ['orders'], since: '2024-05-01T00:00:00Z' };
    const where = 'WHERE topic = ANY($1::text[]) AND failed_at >= $2::timestamptz';
    const count = countQuery(schema, selection);
    expect(flat(count.text)).to.equal(`SELECT count(*)::float8 AS n FROM ${table} ${where}`);
    const summary = summaryQuery(schema, selection);
    expect(flat(summary.text)).to.contain(
      `FROM ${table} ${where} GROUP BY group_id, topic, error_code ORDER BY group_id, topic, error_code`,
    );
    const purge = purgeQuery(schema, selection);
    expect(flat(purge.text)).to.equal(`DELETE FROM ${table} ${where}`);
    for (const q of [count, summary, purge]) expect(q.values).to.deep.equal([['orders'], '2024-05-01T00:00:00Z']);
  });

  describe('readDeadLetters', () => {
    /** A client over `count` rows with ids 1..count that answers page queries (their last two parameters: after id, rows). */
    function fakeClient(count: number) {
      const pages: Array<{ afterId: number; rows: number }> = [];
      const client = {
        query: async ({ values }: { values: unknown[] }) => {
          const [afterId, rows] = values.slice(-2) as [number, number];
          pages.push({ afterId, rows });
          const ids = Array.from({ length: Math.max(0, Math.min(rows, count - afterId)) }, (_, i) => afterId + i + 1);
          return { rows: ids.map((id) => ({ id }) as DeadLetter) };
        },
      } as unknown as pg.ClientBase;
      return { client, pages };
    }

    async function ids(iterable: AsyncIterable<DeadLetter>): Promise<number[]> {
      const out: number[] = [];
      for await (const row of iterable) out.push(row.id);
      return out;
    }

    it('reads every row in id order a page at a time, each page after the last id of the one before', async () => {
      const { client, pages } = fakeClient(2500);
      const read = await ids(readDeadLetters(client, 's', {}, { limit: 0, payload: false }));
      expect(read).to.deep.equal(Array.from({ length: 2500 }, (_, i) => i + 1));
      expect(pages).to.deep.equal([
        { afterId: 0, rows: 1000 },
        { afterId: 1000, rows: 1000 },
        { afterId: 2000, rows: 1000 },
      ]);
    });

    it('stops at the limit, asking for no more rows than it needs; smaller pages with the payload', async () => {
      const { client, pages } = fakeClient(2500);
      expect(await ids(readDeadLetters(client, 's', {}, { limit: 1500, payload: false }))).to.have.length(1500);
      expect(pages).to.deep.equal([
        { afterId: 0, rows: 1000 },
        { afterId: 1000, rows: 500 },
      ]);
      const payload = fakeClient(250);
      expect(await ids(readDeadLetters(payload.client, 's', {}, { limit: 0, payload: true }))).to.have.length(250);
      expect(payload.pages.map((p) => p.rows)).to.deep.equal([100, 100, 100]);
    });
  });
});
