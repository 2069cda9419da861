/**
 * Network faults for one process, made with netfilter (iptables). A fault proxy in front of the
 * bootstrap list is not enough for Kafka: clients connect to the addresses the brokers advertise in
 * metadata (the mock cluster's own ports), so most of their links would bypass it. Instead the process
 * is started under a supplementary group of its own (`setpriv --groups G`: it still runs as root, so
 * it can read a 0700 checkout), and rules that match that group drop its packets to chosen ports:
 *
 * - OUTPUT, owner match (`-m owner --gid-owner G --suppl-groups`): its packets to those ports, on new
 *   connections (the SYN) and established ones alike. Nobody else's packets match, so the test, the
 *   other consumers and the mock brokers keep using the same ports.
 * - INPUT: the owner match does not exist there (an arriving packet has no local owner yet), so every
 *   packet of the group's connections sets a connection mark (CONNMARK) as it leaves, from the very
 *   first one; packets arriving on a marked connection from those ports are dropped. Without this, the
 *   rest of a response already on its way would still be delivered.
 *
 * A cut closes nothing: to both ends the link just goes quiet, as in a real partition. A reset
 * (`resetPorts`) is the other fault: for a moment the group's packets to those ports are answered with
 * a TCP reset (REJECT in OUTPUT delivers the RST to the sending socket), so each of its connections that
 * sends anything then fails at once, and new ones are refused until the rule goes. The rules
 * live in two chains of the group's own, so removing them cannot touch anyone else's; they are removed
 * by `restore()` and `close()`, and at process exit as a last resort.
 */
import { execFile, execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';

const run = promisify(execFile);
/** iptables lives in /usr/sbin, which a non-login root shell's PATH may lack. */
const PATH = [process.env.PATH, '/usr/sbin', '/sbin'].filter(Boolean).join(':');
const exec = (file: string, args: readonly string[]) => run(file, args, { encoding: 'utf8', env: { ...process.env, PATH } });

/** The group ids we draw from: above Debian's ordinary user and group range, below the reserved one. */
export const GID_RANGE = { min: 61_000, max: 64_999 } as const;

/** The two chains of one group: its outgoing packets, and packets arriving on its connections. */
export function chainNames(gid: number): { out: string; in: string } {
  return { out: `CDCF${gid}O`, in: `CDCF${gid}I` };
}

/** The connection mark of a group's connections: its gid, so two scenarios never share one. */
const markOf = (gid: number) => `0x${gid.toString(16)}`;

/** iptables argument lists that create a group's chains and hook them in, in order. */
export function setupCommands(gid: number): string[][] {
  const c = chainNames(gid);
  return [
    ['-N', c.out],
    ['-N', c.in],
    // First in the chain: every packet marks its connection before any DROP below can stop it.
    ['-A', c.out, '-j', 'CONNMARK', '--set-mark', markOf(gid)],
    ['-I', 'OUTPUT', '1', '-m', 'owner', '--gid-owner', String(gid), '--suppl-groups', '-j', c.out],
    ['-I', 'INPUT', '1', '-m', 'connmark', '--mark', markOf(gid), '-j', c.in],
  ];
}

/** iptables argument lists that remove everything setupCommands made; each may fail (already gone). */
export function teardownCommands(gid: number): string[][] {
  const c = chainNames(gid);
  return [
    ['-D', 'OUTPUT', '-m', 'owner', '--gid-owner', String(gid), '--suppl-groups', '-j', c.out],
    ['-D', 'INPUT', '-m', 'connmark', '--mark', markOf(gid), '-j', c.in],
    ['-F', c.out],
    ['-F', c.in],
    ['-X', c.out],
    ['-X', c.in],
  ];
}

/** The rule specs (without -A/-D and chain) that drop a group's TCP traffic with one port. */
export function dropSpecs(gid: number, port: number): Array<{ chain: string; spec: string[] }> {
  const c = chainNames(gid);
  return [
    { chain: c.out, spec: ['-p', 'tcp', '--dport', String(port), '-j', 'DROP'] },
    { chain: c.in, spec: ['-p', 'tcp', '--sport', String(port), '-j', 'DROP'] },
  ];
}

/** The rule spec (without -A/-D and chain) that answers a group's TCP packets to one port with a reset. */
export function resetSpec(gid: number, port: number): { chain: string; spec: string[] } {
  return { chain: chainNames(gid).out, spec: ['-p', 'tcp', '--dport', String(port), '-j', 'REJECT', '--reject-with', 'tcp-reset'] };
}

/** Packets matched by the rules of one chain with this target, from `iptables -S CHAIN -v` (`-c packets bytes`). */
export function packetsOf(listing: string, target: 'DROP' | 'REJECT'): number {
  let n = 0;
  for (const line of listing.split('\n')) {
    const m = new RegExp(`\\s-c (\\d+) \\d+ -j ${target}\\b`).exec(line);
    if (m) n += Number(m[1]);
  }
  return n;
}

/** Packets dropped by the DROP rules of one chain. */
export const droppedPackets = (listing: string): number => packetsOf(listing, 'DROP');

/** Group ids named in an /etc/group file. */
export function groupIds(groupFile: string): Set<number> {
  const ids = new Set<number>();
  for (const line of groupFile.split('\n')) {
    const gid = Number(line.split(':')[2]);
    if (line.trim() !== '' && Number.isInteger(gid)) ids.add(gid);
  }
  return ids;
}

/** A gid in GID_RANGE that is in none of `taken`. */
export function pickGid(taken: ReadonlySet<number>, random: () => number = Math.random): number {
  const span = GID_RANGE.max - GID_RANGE.min + 1;
  const start = Math.floor(random() * span);
  for (let i = 0; i < span; i++) {
    const gid = GID_RANGE.min + ((start + i) % span);
    if (!taken.has(gid)) return gid;
  }
  throw new Error(`no free group id between ${GID_RANGE.min} and ${GID_RANGE.max}`);
}

/** host:port pairs of a `host:port,...` list (a bootstrap list, or brokers from metadata). */
export function hostPorts(list: string): Array<{ host: string; port: number }> {
  return list
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map((s) => {
      const i = s.lastIndexOf(':');
      const port = Number(s.slice(i + 1));
      if (i <= 0 || !Number.isInteger(port) || port <= 0 || port > 65535) throw new Error(`not host:port: ${JSON.stringify(s)}`);
      return { host: s.slice(0, i).replace(/^\[(.*)\]$/, '$1'), port };
    });
}

async function iptables(args: readonly string[]): Promise<string> {
  // -w: wait for the xtables lock rather than fail when another iptables runs at the same moment.
  const { stdout } = await exec('iptables', ['-w', ...args]);
  return stdout;
}

let probed: Promise<void> | undefined;

/**
 * Fails, saying why, where network faults cannot be made: not root (no CAP_NET_ADMIN), no iptables, no
 * setpriv. A scenario that needs them calls this first, so it fails rather than passes without its fault.
 */
export function requireNetfilter(): Promise<void> {
  probed ??= (async () => {
    const why = 'network fault scenarios drop packets with iptables (owner match) and need root';
    if (process.getuid?.() !== 0) throw new Error(`${why}; this process runs as uid ${process.getuid?.()}: run the fault suite as root`);
    try {
      await exec('iptables', ['--version']);
    } catch {
      throw new Error(`${why}, and iptables is not installed: apt-get install iptables (.ci/run installs it when run as root)`);
    }
    try {
      await exec('setpriv', ['--version']);
    } catch {
      throw new Error(`${why} and setpriv (util-linux) to start a process under a group of its own; setpriv is missing`);
    }
    try {
      await iptables(['-S', 'OUTPUT']);
    } catch (err) {
      throw new Error(`${why}; iptables is not usable here (no CAP_NET_ADMIN?): ${(err as Error).message.trim()}`, { cause: err });
    }
  })();
  return probed;
}

export interface DropCounts {
  /** The group's packets dropped on their way out. */
  out: number;
  /** Packets dropped on their way in to the group's connections. */
  in: number;
}

const open = new Set<ProcessFirewall>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // A run interrupted between a cut and its afterEach must not leave its rules behind.
  process.once('exit', () => {
    for (const fw of open) {
      for (const args of teardownCommands(fw.gid)) {
        try {
          execFileSync('iptables', ['-w', ...args], { stdio: 'ignore', env: { ...process.env, PATH } });
        } catch {
          // already gone
        }
      }
    }
  });
}

/** One group's rules: processes started with `wrap()` can have their links to chosen ports cut. */
export class ProcessFirewall {
  #cut: number[] = [];
  #closed = false;

  private constructor(readonly gid: number) {}

  /** Creates a group's chains (nothing is dropped yet). Throws, saying why, where that is impossible. */
  static async create(): Promise<ProcessFirewall> {
    await requireNetfilter();
    const taken = groupIds(readFileSync('/etc/group', 'utf8'));
    for (let attempt = 0; attempt < 5; attempt++) {
      const gid = pickGid(taken);
      taken.add(gid);
      try {
        // A chain of that name left over from an interrupted run means the gid is in use.
        await iptables(['-N', chainNames(gid).out]);
      } catch {
        continue;
      }
      const fw = new ProcessFirewall(gid);
      open.add(fw);
      installExitHook();
      try {
        for (const args of setupCommands(gid).slice(1)) await iptables(args);
      } catch (err) {
        await fw.close();
        throw new Error(`could not set up netfilter rules for group ${gid}: ${(err as Error).message.trim()}`, { cause: err });
      }
      return fw;
    }
    throw new Error('could not find an unused group id for netfilter rules');
  }

  /** The command prefix that starts a process in this group (same pid: setpriv execs). */
  wrap(): string[] {
    return ['setpriv', `--groups=${this.gid}`, '--'];
  }

  /** Ports cut now. */
  get cut(): readonly number[] {
    return this.#cut;
  }

  /** Drops the group's TCP traffic with these ports, both ways, from now on. */
  async cutPorts(ports: readonly number[]): Promise<void> {
    for (const port of ports) {
      if (this.#cut.includes(port)) continue;
      for (const { chain, spec } of dropSpecs(this.gid, port)) await iptables(['-A', chain, ...spec]);
      this.#cut.push(port);
    }
  }

  /**
   * Resets the group's connections to these ports: for `holdMs` every packet it sends there is answered
   * with a TCP reset (so is a new connection), then the rule goes. Returns the packets it answered.
   */
  async resetPorts(ports: readonly number[], holdMs: number): Promise<number> {
    const rules = ports.map((port) => resetSpec(this.gid, port));
    for (const { chain, spec } of rules) await iptables(['-I', chain, '2', ...spec]);
    await new Promise((r) => setTimeout(r, holdMs));
    const listing = await iptables(['-S', chainNames(this.gid).out, '-v']);
    for (const { chain, spec } of rules) await iptables(['-D', chain, ...spec]);
    return packetsOf(listing, 'REJECT');
  }

  /** Packets dropped so far by the rules in place. */
  async dropped(): Promise<DropCounts> {
    const c = chainNames(this.gid);
    const [out, inn] = await Promise.all([iptables(['-S', c.out, '-v']), iptables(['-S', c.in, '-v'])]);
    return { out: droppedPackets(out), in: droppedPackets(inn) };
  }

  /**
   * Tries a TCP connection to host:port from a fresh process in the group and from one outside it, at
   * the same time: whether each got through within `timeoutMs`. Shows a cut is real and only the group's.
   */
  async probe(host: string, port: number, timeoutMs = 1500): Promise<{ group: boolean; other: boolean }> {
    const script = `const s = require('node:net').connect(${port}, ${JSON.stringify(host)});
      s.on('connect', () => process.exit(0)); s.on('error', () => process.exit(2)); setTimeout(() => process.exit(3), ${timeoutMs});`;
    const attempt = (prefix: string[]) =>
      exec(prefix[0] ?? process.execPath, [...prefix.slice(1), ...(prefix.length > 0 ? [process.execPath] : []), '-e', script]).then(
        () => true,
        () => false,
      );
    const [group, other] = await Promise.all([attempt(this.wrap()), attempt([])]);
    return { group, other };
  }

  /** Lets everything through again; returns what the rules dropped. */
  async restore(): Promise<DropCounts> {
    const counts = await this.dropped();
    for (const port of this.#cut.splice(0)) {
      for (const { chain, spec } of dropSpecs(this.gid, port)) await iptables(['-D', chain, ...spec]);
    }
    return counts;
  }

  /** Removes the group's rules and chains, whatever state they are in; safe to call twice. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#cut = [];
    for (const args of teardownCommands(this.gid)) await iptables(args).catch(() => {});
    open.delete(this);
  }
}
