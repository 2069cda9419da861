import { expect } from 'chai';
import { join } from 'node:path';
import pg from 'pg';
import { cleanEnv, packageRoot, spawnNode } from '../../lib/devstack/child.js';
import { applySchema, qualified } from '../../lib/postgres/index.js';
import { testStack, withTestSchema } from '../support/stack.js';

const bin = join(packageRoot, 'bin', 'cdc-dead-letters');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

interface Inserted {
  group: string;
  topic: string;
  partition: number;
  offset: number;
  key: Buffer | null;
  value: Buffer | null;
  headers?: string;
  code: string;
  message: string;
  failedAt: string;
}

/** Five dead letters of two groups, two topics and four codes, each with a known failure time. */
const deadLetters: Inserted[] = [
  {
    group: 'g1',
    topic: 'orders',
    partition: 0,
    offset: 10,
    key: Buffer.from('42'),
    value: Buffer.from('{"id":42,"total":12345678901234567890}'),
    headers: '{"trace": "t-1"}',
    code: 'OUT_OF_RANGE',
    message: 'total: 12345678901234567890 is out of range',
    failedAt: '2024-05-01T10:00:00.123456Z',
  },
  {
    group: 'g1',
    topic: 'orders',
    partition: 1,
    offset: 11,
    key: null,
    value: Buffer.from([0xff, 0xfe, 0x00, 0x41]),
    code: 'INVALID_JSON',
    message: 'not UTF-8',
    failedAt: '2024-05-01T11:00:00Z',
  },
  {
    group: 'g1',
    topic: 'users',
    partition: 0,
    offset: 5,
    key: Buffer.from('u-1'),
    value: Buffer.from('{"truncated":'),
    code: 'INVALID_JSON',
    message: 'Unexpected end of JSON input',
    failedAt: '2024-05-02T00:00:00Z',
  },
  {
    group: 'g2',
    topic: 'users',
    partition: 2,
    offset: 7,
    key: Buffer.from('7'),
    value: null,
    code: 'EMPTY_VALUE',
    message: 'empty value\nsecond line',
    failedAt: '2024-05-03T00:00:00Z',
  },
  {
    group: 'g2',
    topic: 'orders',
    partition: 0,
    offset: 99,
    key: Buffer.from('9'),
    value: Buffer.from('{"user_id":9}'),
    code: 'MISSING_PARENT',
    message: 'user 9 missing',
    failedAt: '2024-05-04T00:00:00Z',
  },
];

describe('cli/dead-letters (integration)', function () {
  this.timeout(60_000);
  let schema: string;
  let drop: () => Promise<void>;
  let db: pg.Client;
  let ids: number[];

  /** Runs bin/cdc-dead-letters against the test schema; resolves once it has exited and its output is read. */
  async function run(...args: string[]): Promise<Run> {
    const child = spawnNode(bin, args, { env: { ...cleanEnv(), DATABASE_URL: testStack().databaseUrl, CDC_DB_SCHEMA: schema } });
    const closed = new Promise((resolve) => child.child.once('close', resolve));
    const { code } = await child.exited;
    await closed;
    return { code, stdout: child.stdout(), stderr: child.stderr() };
  }

  const jsonLines = (text: string) =>
    text
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as Record<string, unknown>);

  /** The ids of the table's lines (the first column), in order. */
  const listedIds = (table: string) =>
    table
      .split('\n')
      .slice(1)
      .map((l) => /^\s*(\d+)\s/.exec(l)?.[1])
      .filter((id) => id !== undefined)
      .map(Number);

  async function remainingIds(): Promise<number[]> {
    const { rows } = await db.query<{ id: number }>(`SELECT id::int AS id FROM ${qualified(schema, 'cdc_dead_letters')} ORDER BY id`);
    return rows.map((r) => r.id);
  }

  beforeEach(async () => {
    // A name that needs quoting, so every statement is shown to quote it.
    ({ schema, drop } = await withTestSchema('dl "odd"'));
    db = new pg.Client({ connectionString: testStack().databaseUrl });
    await db.connect();
    await applySchema(db, schema);
    const { rows } = await db.query<{ id: number }>(
      `INSERT INTO ${qualified(schema, 'cdc_dead_letters')}
         (group_id, topic, partition, "offset", key, value, headers, error_code, error_message, failed_at)
       SELECT * FROM unnest($1::text[], $2::text[], $3::int[], $4::bigint[], $5::bytea[], $6::bytea[], $7::jsonb[], $8::text[], $9::text[], $10::timestamptz[])
       RETURNING id::int AS id`,
      [
        deadLetters.map((d) => d.group),
        deadLetters.map((d) => d.topic),
        deadLetters.map((d) => d.partition),
        deadLetters.map((d) => d.offset),
        deadLetters.map((d) => d.key),
        deadLetters.map((d) => d.value),
        deadLetters.map((d) => d.headers ?? null),
        deadLetters.map((d) => d.code),
        deadLetters.map((d) => d.message),
        deadLetters.map((d) => d.failedAt),
      ],
    );
    ids = rows.map((r) => r.id);
  });

  afterEach(async () => {
    await db.end();
    await drop();
  });

  it('list: a table of every dead letter, the oldest first, each with a one-line message', async () => {
    const r = await run('list');
    expect(r.code, r.stderr).to.equal(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).to.match(/^\s*id\s+group\s+topic\s+partition\s+offset\s+code\s+failed_at\s+message$/);
    expect(listedIds(r.stdout)).to.deep.equal(ids);
    expect(lines[1]).to.match(
      /\bg1\s+orders\s+0\s+10\s+OUT_OF_RANGE\s+2024-05-01T10:00:00\.123456Z\s+total: 12345678901234567890 is out of range$/,
    );
    expect(lines[4]).to.match(/EMPTY_VALUE\s+2024-05-03T00:00:00\.000000Z\s+empty value second line$/);
  });

  it('list: filters by group, topic, partition, code and time range, ANDed', async () => {
    const [a, b, c, d, e] = ids as [number, number, number, number, number];
    const cases: Array<[string[], number[]]> = [
      [
        ['--group', 'g2'],
        [d, e],
      ],
      [
        ['--topic', 'orders'],
        [a, b, e],
      ],
      [
        ['--topic', 'orders', '--partition', '0'],
        [a, e],
      ],
      [
        ['--code', 'INVALID_JSON,EMPTY_VALUE'],
        [b, c, d],
      ],
      [
        ['--since', '2024-05-01T11:00:00Z', '--until', '2024-05-03'],
        [b, c],
      ],
      [['--since', '2024-05-01T10:00:00.123456Z', '--until', '2024-05-01T10:00:00.123457Z'], [a]],
      [['--group', 'g1', '--code', 'INVALID_JSON', '--topic', 'users'], [c]],
      [
        ['--id', `${e},${a}`],
        [a, e],
      ],
    ];
    for (const [args, expected] of cases) {
      const r = await run('list', ...args);
      expect(r.code, r.stderr).to.equal(0);
      expect(listedIds(r.stdout), args.join(' ')).to.deep.equal(expected);
    }
    const none = await run('list', '--group', 'nobody');
    expect(none.code).to.equal(0);
    expect(none.stdout).to.equal('no dead letters match (--group nobody)\n');
  });

  it('list --json: one object per dead letter, key and value as UTF-8 text or base64, saying which', async () => {
    const r = await run('list', '--json', '--topic', 'orders');
    expect(r.code, r.stderr).to.equal(0);
    const objects = jsonLines(r.stdout);
    expect(objects.map((o) => o.id)).to.deep.equal([ids[0], ids[1], ids[4]]);
    expect(objects[0]).to.deep.equal({
      id: ids[0],
      group_id: 'g1',
      topic: 'orders',
      partition: 0,
      offset: 10,
      key: '42',
      key_encoding: 'utf8',
      value: '{"id":42,"total":12345678901234567890}',
      value_encoding: 'utf8',
      headers: { trace: 't-1' },
      error_code: 'OUT_OF_RANGE',
      error_message: 'total: 12345678901234567890 is out of range',
      failed_at: '2024-05-01T10:00:00.123456Z',
    });
    expect(objects[1]).to.include({
      key: null,
      key_encoding: null,
      value: Buffer.from([0xff, 0xfe, 0x00, 0x41]).toString('base64'),
      value_encoding: 'base64',
    });
  });

  it('list --limit: says when it cut the listing, on stdout under the table, on stderr with --json', async () => {
    const table = await run('list', '--limit', '2');
    expect(table.code, table.stderr).to.equal(0);
    expect(listedIds(table.stdout)).to.deep.equal(ids.slice(0, 2));
    expect(table.stdout).to.contain('showing the first 2 of 5 matching dead letters');
    const json = await run('list', '--json', '--limit', '3');
    expect(json.code, json.stderr).to.equal(0);
    expect(jsonLines(json.stdout)).to.have.length(3);
    expect(json.stderr).to.contain('showing the first 3 of 5 matching dead letters');
    const exact = await run('list', '--limit', '5');
    expect(exact.stdout).to.not.contain('showing');
    const all = await run('list', '--limit', '0', '--json');
    expect(jsonLines(all.stdout)).to.have.length(5);
    expect(all.stderr).to.equal('');
  });

  it('list --summary: counts per group, topic and code, as a table or JSON lines', async () => {
    const r = await run('list', '--summary');
    expect(r.code, r.stderr).to.equal(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines).to.have.length(7);
    expect(lines[1]).to.match(/^g1\s+orders\s+INVALID_JSON\s+1\s+2024-05-01T11:00:00\.000000Z\s+2024-05-01T11:00:00\.000000Z$/);
    expect(lines[6]).to.equal('total: 5 dead letters');
    const json = jsonLines((await run('list', '--summary', '--json', '--code', 'INVALID_JSON')).stdout);
    expect(json).to.deep.equal([
      {
        group_id: 'g1',
        topic: 'orders',
        error_code: 'INVALID_JSON',
        count: 1,
        first_failed_at: '2024-05-01T11:00:00.000000Z',
        last_failed_at: '2024-05-01T11:00:00.000000Z',
      },
      {
        group_id: 'g1',
        topic: 'users',
        error_code: 'INVALID_JSON',
        count: 1,
        first_failed_at: '2024-05-02T00:00:00.000000Z',
        last_failed_at: '2024-05-02T00:00:00.000000Z',
      },
    ]);
  });

  it('show: one dead letter whole, JSON pretty-printed exactly as written, anything else as a hex dump', async () => {
    const json = await run('show', String(ids[0]));
    expect(json.code, json.stderr).to.equal(0);
    expect(json.stdout).to.contain(
      `id             ${ids[0]}\ngroup_id       g1\ntopic          orders\npartition      0\noffset         10\n`,
    );
    expect(json.stdout).to.contain('headers: JSON\n  {\n    "trace": "t-1"\n  }');
    expect(json.stdout).to.contain('key: 2 bytes, JSON\n  42\n');
    expect(json.stdout).to.contain('value: 38 bytes, JSON\n  {\n    "id": 42,\n    "total": 12345678901234567890\n  }\n');
    const binary = await run('show', String(ids[1]));
    expect(binary.stdout).to.contain('key: null\nvalue: 4 bytes, not UTF-8; hex dump:\n  00000000  ff fe 00 41 ');
    expect(binary.stdout).to.contain('|...A|');
    const empty = await run('show', String(ids[3]));
    expect(empty.stdout).to.contain('error_message  empty value\n               second line\n').and.contain('value: null');
    const asJson = await run('show', String(ids[2]), '--json');
    expect(jsonLines(asJson.stdout)).to.have.length(1);
    expect(jsonLines(asJson.stdout)[0]).to.include({ id: ids[2], value: '{"truncated":', value_encoding: 'utf8' });
  });

  it('show: an unknown id exits 1 saying so; an id that is not one exits 2 naming it', async () => {
    const missing = await run('show', '999999');
    expect(missing.code).to.equal(1);
    expect(missing.stderr).to.contain('no dead letter with id 999999 in schema');
    const bad = await run('show', 'abc');
    expect(bad.code).to.equal(2);
    expect(bad.stderr).to.contain('invalid id "abc": expected an integer >= 1');
  });

  it('purge: without --yes says how many it would delete, deletes nothing and exits 3; with --yes deletes them and says how many', async () => {
    const dry = await run('purge', '--code', 'INVALID_JSON');
    expect(dry.code, dry.stderr).to.equal(3);
    expect(dry.stdout).to.contain('would delete 2 dead letters (--code INVALID_JSON').and.contain('add --yes');
    expect(await remainingIds()).to.deep.equal(ids);
    const done = await run('purge', '--code', 'INVALID_JSON', '--yes');
    expect(done.code, done.stderr).to.equal(0);
    expect(done.stdout).to.contain('deleted 2 dead letters (--code INVALID_JSON');
    expect(await remainingIds()).to.deep.equal([ids[0], ids[3], ids[4]]);
    const byId = await run('purge', '--id', String(ids[4]), '--yes');
    expect(byId.stdout).to.contain('deleted 1 dead letter (');
    expect(await remainingIds()).to.deep.equal([ids[0], ids[3]]);
    const again = await run('purge', '--id', String(ids[4]), '--yes');
    expect(again.code).to.equal(0);
    expect(again.stdout).to.contain('deleted 0 dead letters');
  });

  it('purge: refuses an empty selection without --all, and --all beside filters; --all --yes deletes every one', async () => {
    const empty = await run('purge', '--yes');
    expect(empty.code).to.equal(2);
    expect(empty.stderr).to.contain('purge needs a selection').and.contain('--all');
    const both = await run('purge', '--all', '--topic', 'users', '--yes');
    expect(both.code).to.equal(2);
    expect(both.stderr).to.contain('--all selects every dead letter');
    expect(await remainingIds()).to.deep.equal(ids);
    const all = await run('purge', '--all', '--yes');
    expect(all.code, all.stderr).to.equal(0);
    expect(all.stdout).to.contain('deleted 5 dead letters (every dead letter');
    expect(await remainingIds()).to.deep.equal([]);
  });

  it('a bad filter exits 2 naming it, before touching the database', async () => {
    for (const [args, message] of [
      [['list', '--partition', 'x'], 'invalid --partition "x": expected a comma-separated list of integers'],
      [['list', '--since', 'yesterday'], 'invalid --since "yesterday": expected a timestamp'],
      [
        ['purge', '--since', '2024-05-02', '--until', '2024-05-01', '--yes'],
        'invalid --until "2024-05-01T00:00:00Z": it is not after --since',
      ],
      [['list', '--colour'], 'Unknown argument: colour'],
      [['list', '--limit', '-1'], 'invalid --limit "-1"'],
    ] as const) {
      const r = await run(...args);
      expect(r.code, args.join(' ')).to.equal(2);
      expect(r.stderr, args.join(' ')).to.contain(message);
    }
    expect(await remainingIds()).to.deep.equal(ids);
  });

  it('bad credentials exit 1 naming the cause, never the password', async () => {
    const url = new URL(testStack().databaseUrl);
    url.password = 'wrong-secret-password';
    const r = await run('list', '--database-url', url.toString());
    expect(r.code).to.equal(1);
    expect(r.stderr).to.contain('password authentication failed').and.contain('ERR_CDC_POSTGRES');
    expect(r.stderr).to.not.contain('wrong-secret-password');
  });

  it('a schema without the table exits 1 saying what to check', async () => {
    const r = await run('list', '--db-schema', 'no_such_schema');
    expect(r.code).to.equal(1);
    expect(r.stderr).to.contain('schema "no_such_schema" has no cdc_dead_letters table').and.contain('--db-schema');
  });

  it('--help explains every flag of each command and the exit codes', async () => {
    const top = await run('--help');
    expect(top.code).to.equal(0);
    expect(top.stdout).to.contain('list').and.contain('show <id>').and.contain('purge').and.contain('Exit status');
    const list = await run('list', '--help');
    for (const flag of [
      '--database-url',
      '--db-schema',
      '--pg-statement-timeout',
      '--id',
      '--group',
      '--topic',
      '--partition',
      '--code',
      '--since',
      '--until',
      '--json',
      '--summary',
      '--limit',
    ]) {
      expect(list.stdout, flag).to.contain(flag);
    }
    const purge = await run('purge', '--help');
    expect(purge.stdout).to.contain('--yes').and.contain('--all').and.contain('exits 3');
  });
});
