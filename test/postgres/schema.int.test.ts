import { expect } from 'chai';
import pg from 'pg';
import { applySchema, migrations } from '../../lib/postgres/index.js';
import { shippedMapping } from '../../lib/sinks/mapping.js';
import { prepareSinkTables } from '../../lib/sinks/tables.js';
import { testStack, withTestSchema } from '../support/stack.js';

async function client(): Promise<pg.Client> {
  const c = new pg.Client({ connectionString: testStack().databaseUrl });
  await c.connect();
  return c;
}

async function columns(c: pg.Client, schema: string, table: string) {
  const { rows } = await c.query<{ column_name: string; data_type: string; max: number | null; default: string | null; nullable: string }>(
    `SELECT column_name, data_type, character_maximum_length AS max, column_default AS default, is_nullable AS nullable
       FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2 ORDER BY ordinal_position`,
    [schema, table],
  );
  return rows.map(
    (r) =>
      `${r.column_name} ${r.data_type}${r.max ? `(${r.max})` : ''}${r.nullable === 'NO' ? ' not null' : ''}${r.default ? ` default ${r.default}` : ''}`,
  );
}

describe('postgres/schema (integration)', () => {
  let schema: string;
  let drop: () => Promise<void>;
  let c: pg.Client;

  beforeEach(async () => {
    ({ schema, drop } = await withTestSchema('schema'));
    c = await client();
  });

  afterEach(async () => {
    await c.end();
    await drop();
  });

  it('creates users, orders (from the seed mapping), cdc_offsets and cdc_dead_letters as specified', async () => {
    const result = await applySchema(c, schema);
    expect(result.applied).to.deep.equal(migrations.map((m) => m.version));
    expect((await prepareSinkTables(c, shippedMapping('seed'), schema, true)).created).to.have.length(2);
    expect(await columns(c, schema, 'users')).to.deep.equal([
      'id uuid not null',
      'name character varying(50) not null',
      'dob date not null',
      'created_at timestamp with time zone default CURRENT_TIMESTAMP',
      'modified_at timestamp with time zone default CURRENT_TIMESTAMP',
      'is_deleted boolean default false',
    ]);
    expect(await columns(c, schema, 'orders')).to.deep.equal([
      'id uuid not null',
      'status character varying(10) not null',
      'user_id uuid not null',
      'quantity integer not null',
      'total_amount numeric not null',
      'placed_at timestamp with time zone default CURRENT_TIMESTAMP',
      'modified_at timestamp with time zone default CURRENT_TIMESTAMP',
      'is_deleted boolean default false',
    ]);
    const { rows: fk } = await c.query(
      `SELECT confrelid::regclass::text AS ref FROM pg_constraint WHERE contype = 'f' AND conrelid = $1::regclass`,
      [`"${schema}".orders`],
    );
    expect(fk).to.have.length(1);
    expect(String(fk[0].ref)).to.match(/users$/);
    const { rows: numeric } = await c.query(
      `SELECT numeric_precision AS p, numeric_scale AS s FROM information_schema.columns
        WHERE table_schema = $1 AND table_name = 'orders' AND column_name = 'total_amount'`,
      [schema],
    );
    expect(numeric[0]).to.deep.equal({ p: 10, s: 2 });
    expect(await columns(c, schema, 'cdc_offsets')).to.deep.equal([
      'group_id text not null',
      'topic text not null',
      'partition integer not null',
      'next_offset bigint not null',
      'updated_at timestamp with time zone not null default now()',
    ]);
    expect((await columns(c, schema, 'cdc_dead_letters')).map((col) => col.split(' ')[0])).to.deep.equal([
      'id',
      'group_id',
      'topic',
      'partition',
      'offset',
      'key',
      'value',
      'headers',
      'error_code',
      'error_message',
      'failed_at',
    ]);
  });

  it('applies twice without error; the second call applies nothing', async () => {
    await applySchema(c, schema);
    const again = await applySchema(c, schema);
    expect(again.applied).to.deep.equal([]);
    const { rows } = await c.query(`SELECT version FROM "${schema}".cdc_schema_version ORDER BY version`);
    expect(rows.map((r) => r.version)).to.deep.equal(migrations.map((m) => m.version));
  });

  it('is safe when several processes apply it at the same moment', async () => {
    const clients = await Promise.all(Array.from({ length: 6 }, () => client()));
    try {
      const results = await Promise.all(clients.map((x) => applySchema(x, schema)));
      // Exactly one of them did the work; the others waited on the lock and found it done.
      expect(results.filter((r) => r.applied.length > 0)).to.have.length(1);
    } finally {
      await Promise.all(clients.map((x) => x.end()));
    }
  });

  it('refuses a schema newer than it knows, with a clear message', async () => {
    await applySchema(c, schema);
    await c.query(`INSERT INTO "${schema}".cdc_schema_version (version, name) VALUES (999, 'from the future')`);
    let error: Error | undefined;
    try {
      await applySchema(c, schema);
    } catch (err) {
      error = err as Error;
    }
    expect(error?.message).to.match(/version 999, newer than/);
  });

  it('quotes a hostile schema name instead of executing it', async () => {
    const hostile = `${schema}"; DROP TABLE users; --`;
    await applySchema(c, hostile);
    await prepareSinkTables(c, shippedMapping('seed'), hostile, true);
    const { rows } = await c.query('SELECT count(*)::int AS n FROM information_schema.tables WHERE table_schema = $1', [hostile]);
    expect(rows[0].n).to.be.greaterThan(3);
    await c.query(`DROP SCHEMA "${hostile.replaceAll('"', '""')}" CASCADE`);
  });
});
