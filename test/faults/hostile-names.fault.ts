/**
 * Security: names that come from configuration are quoted as identifiers (or bound as values) end to
 * end. The consumer runs with a schema and a group whose names are SQL injections, next to a canary
 * table the injection would drop if any name were pasted into SQL.
 */
import { expect } from 'chai';
import pg from 'pg';
import { testStack } from '../support/stack.js';
import { FaultScenario } from './harness.js';
import { withPoison } from './poison.js';

async function withClient<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: testStack().databaseUrl });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

const CANARY = 'fault_canary';

describe('hostile-names: end to end', function () {
  this.timeout(300_000);
  let s: FaultScenario;

  afterEach(async () => {
    await s.cleanup();
    await withClient((c) => c.query(`DROP SCHEMA IF EXISTS ${CANARY} CASCADE`));
  });

  for (const [label, schema] of [
    ['SQL injection', 'x"; DROP TABLE fault_canary.users; --'],
    ['quotes, backslashes, case and non-BMP characters, 63 bytes', `Ab "'\\ ${'ж'.repeat(20)}😀${'x'.repeat(12)}`],
  ] as const) {
    it(`--db-schema ${JSON.stringify(schema)} (${label}) and a hostile --group: loads into exactly that schema, drops nothing`, async () => {
      s = await FaultScenario.create(9, `hostile-names: ${label}`);
      // A quote and a backslash: the offset row's statements quote the group as a literal (E'' form).
      s.group = `g\\'; DROP TABLE ${CANARY}.users; -- ${s.group}`;
      s.useSchema(schema, () =>
        withClient(async (c) => void (await c.query(`DROP SCHEMA IF EXISTS ${c.escapeIdentifier(schema)} CASCADE`))),
      );
      await withClient(async (c) => {
        await c.query(`CREATE SCHEMA ${CANARY}; CREATE TABLE ${CANARY}.users (id int); INSERT INTO ${CANARY}.users VALUES (1)`);
        // Unqualified names would resolve here first.
        await c.query(`ALTER ROLE CURRENT_USER SET search_path = ${CANARY}, public`);
      });
      try {
        const events = withPoison(s.goodEvents(3000), 0.01, s.prng);
        await s.produce(events);
        const run = s.consume(['--idle', '2s', '--json']);
        expect(await run.exited, s.logs()).to.equal(0);
      } finally {
        await withClient((c) => c.query('ALTER ROLE CURRENT_USER RESET search_path'));
      }
      const { rows } = await withClient((c) =>
        c.query<{ n: number; schemas: string[] }>(
          `SELECT (SELECT count(*)::int FROM ${CANARY}.users) AS n,
                  (SELECT array_agg(nspname::text) FROM pg_namespace WHERE nspname = $1) AS schemas`,
          [schema],
        ),
      );
      expect(rows[0]?.n, 'the canary table is intact').to.equal(1);
      expect(rows[0]?.schemas, 'the schema exists under exactly its name').to.deep.equal([schema]);
      await s.finish(`schema ${JSON.stringify(schema)} (${Buffer.byteLength(schema)} bytes), group with a quote: loaded, canary intact`);
    });
  }
});
