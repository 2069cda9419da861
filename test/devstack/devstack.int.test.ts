import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type Server } from 'node:net';
import { expect } from 'chai';
import Kafka from 'node-rdkafka';
import pg from 'pg';
import { startEmbeddedPostgres } from '../../lib/devstack/postgres.js';
import { deleteTestTopics } from '../support/kafka.js';
import { testStack, uniqueName } from '../support/stack.js';

function metadata(client: Kafka.Producer | Kafka.KafkaConsumer): Promise<Kafka.Metadata> {
  return new Promise((resolve, reject) => client.getMetadata({ timeout: 10_000 }, (err, md) => (err ? reject(err) : resolve(md))));
}

describe('devstack (integration)', () => {
  it('as root, refuses a --data-dir the postgres user cannot enter, saying why', async function () {
    if (process.getuid?.() !== 0) this.skip(); // only root hands the server to the postgres user
    const closed = await mkdtemp(join(tmpdir(), 'cdc-closed-'));
    try {
      await chmod(closed, 0o700);
      const err = await startEmbeddedPostgres({ dataDir: join(closed, 'data') }).then(
        async (pgs) => {
          await pgs.stop();
          return undefined;
        },
        (e: Error) => e,
      );
      expect(err?.message)
        .to.contain(`--data-dir ${join(closed, 'data')}`)
        .and.contain('cannot enter it')
        .and.contain('chmod o+x');
    } finally {
      await rm(closed, { recursive: true, force: true });
    }
  });

  it('Postgres answers a query', async () => {
    const client = new pg.Client({ connectionString: testStack().databaseUrl });
    await client.connect();
    try {
      const { rows } = await client.query<{ one: number }>('SELECT 1 AS one');
      expect(rows[0]?.one).to.equal(1);
    } finally {
      await client.end();
    }
  });

  it('Kafka metadata shows 3 brokers, and a message produced is consumed back', async () => {
    const topic = uniqueName('devstack');
    const producer = new Kafka.Producer({ 'metadata.broker.list': testStack().brokers, dr_cb: true });
    await new Promise<void>((resolve, reject) => producer.connect({}, (err) => (err ? reject(err) : resolve())));
    const consumer = new Kafka.KafkaConsumer(
      { 'metadata.broker.list': testStack().brokers, 'group.id': uniqueName('devstack-group'), 'enable.auto.commit': false },
      { 'auto.offset.reset': 'earliest' },
    );
    try {
      const md = await metadata(producer);
      expect(md.brokers).to.have.length(3);

      const delivered = new Promise<void>((resolve, reject) => {
        producer.once('delivery-report', (err) => (err ? reject(err) : resolve()));
      });
      producer.setPollInterval(50);
      producer.produce(topic, null, Buffer.from('hello'), 'k1');
      await delivered;

      await new Promise<void>((resolve, reject) => consumer.connect({}, (err) => (err ? reject(err) : resolve())));
      consumer.subscribe([topic]);
      const deadline = Date.now() + 30_000;
      let got: Kafka.Message | undefined;
      while (!got && Date.now() < deadline) {
        const batch = await new Promise<Kafka.Message[]>((resolve, reject) =>
          consumer.consume(10, (err, m) => (err ? reject(err) : resolve(m))),
        );
        got = batch.find((m) => m.key?.toString() === 'k1');
      }
      expect(got?.value?.toString()).to.equal('hello');
    } finally {
      await new Promise<void>((resolve) => (consumer.isConnected() ? consumer.disconnect(() => resolve()) : resolve()));
      await new Promise<void>((resolve) => producer.disconnect(() => resolve()));
      await deleteTestTopics([topic]);
    }
  });

  it('fails clearly, without hanging, when the Postgres port is taken', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', () => resolve()));
    const port = (blocker.address() as { port: number }).port;
    try {
      const started = Date.now();
      let error: Error | undefined;
      try {
        const pgServer = await startEmbeddedPostgres({ port });
        await pgServer.stop();
      } catch (err) {
        error = err as Error;
      }
      expect(error?.message).to.match(new RegExp(`port ${port} .*already in use`));
      expect(Date.now() - started).to.be.below(10_000);
    } finally {
      blocker.close();
    }
  });

  it('bin/cdc-devstack prints three sourceable lines when ready and stops cleanly on SIGTERM', async function () {
    this.timeout(60_000);
    const child = spawn(process.execPath, ['bin/cdc-devstack'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      const started = Date.now();
      while (out.split('\n').length < 4 && Date.now() - started < 20_000 && child.exitCode === null) {
        await new Promise((r) => setTimeout(r, 100));
      }
      const readyMs = Date.now() - started;
      const lines = out.trim().split('\n');
      expect(lines, err).to.have.length(3);
      expect(lines[0]).to.match(/^KAFKA_BROKERS=127\.0\.0\.1:\d+,127\.0\.0\.1:\d+,127\.0\.0\.1:\d+$/);
      expect(lines[1]).to.match(/^DATABASE_URL=postgres:\/\/cdc:cdc@127\.0\.0\.1:\d+\/cdc$/);
      expect(lines[2]).to.match(/^SCHEMA_REGISTRY_URL=http:\/\/127\.0\.0\.1:\d+$/);
      expect(readyMs).to.be.below(10_000);

      // The advertised database is really there.
      const client = new pg.Client({ connectionString: (lines[1] as string).slice('DATABASE_URL='.length) });
      await client.connect();
      const { rows } = await client.query<{ v: string }>("SELECT current_setting('server_version') AS v");
      await client.end();
      expect(rows[0]?.v).to.match(/^\d+/);
      // And so is the schema registry stand-in.
      const subjects = await fetch(`${(lines[2] as string).slice('SCHEMA_REGISTRY_URL='.length)}/subjects`);
      expect(await subjects.json()).to.deep.equal([]);

      const dataDir = /initialising a Postgres cluster in (\S+)/.exec(err)?.[1];
      child.kill('SIGTERM');
      expect(await exited).to.equal(0);
      expect(err).to.contain('stopped');
      // The temporary data directory is gone.
      expect(dataDir).to.be.a('string');
      expect(existsSync(dataDir as string)).to.equal(false);
    } finally {
      // Never leave a dev stack behind a failed assertion.
      if (child.exitCode === null) {
        child.kill('SIGKILL');
        await exited;
      }
    }
  });
});
