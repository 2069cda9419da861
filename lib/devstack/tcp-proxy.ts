/**
 * A TCP proxy that puts a switchable bad network between the engine and Postgres (or anything else),
 * used by the fault suite and by the bench's --pg-delay (runner process):
 * it listens on 127.0.0.1 on a free port and forwards each connection to one target, in the mode set
 * at the time, changeable at any moment:
 *
 * - `pass()`: bytes go straight through (with backpressure), closes and resets are passed on.
 * - `delay({ upMs, downMs, jitterMs })`: each chunk is held for a fixed one-way delay per direction,
 *   plus up to `jitterMs` at random; a chunk is never delivered before the one read before it, so each
 *   direction of a connection keeps its byte order (jitter lengthens the queue, it never reorders).
 *   Closes and resets travel in order behind the data.
 * - `blackhole()`: a partition that drops packets. Connections stay open and bytes are read and
 *   thrown away in both directions; nothing is forwarded, and no close or reset is passed on either
 *   way. New connections are accepted (a client cannot tell), but never reach the target.
 * - `reset()`: every open connection is reset now (RST to both ends); new ones are accepted and
 *   handled in the current mode.
 *
 * Leaving a blackhole (`pass()` or `delay()`) does not replay what it swallowed. A connection that lost
 * anything in it (bytes either way, a close, or its connection to the target) cannot go on without a
 * corrupt stream, so it is reset at both ends at that moment: as a real connection ends once one side
 * gave up during the partition and answers the other's next packet with a reset. A connection that
 * stayed silent throughout carries on untouched, as a real idle one does after a short partition.
 * Kernel-level TCP keepalive probes are answered by the proxy's own sockets, so keepalive cannot
 * detect this blackhole on either side: only timeouts above TCP (query and statement timeouts,
 * idle_in_transaction_session_timeout) can.
 */
import net from 'node:net';

export interface ProxyTarget {
  host: string;
  port: number;
}

export interface DelayOptions {
  /** Client to target, ms. */
  upMs?: number;
  /** Target to client, ms. */
  downMs?: number;
  /** Up to this much more per chunk, at random, ms. */
  jitterMs?: number;
}

export type ProxyMode = { kind: 'pass' } | { kind: 'delay'; upMs: number; downMs: number; jitterMs: number } | { kind: 'blackhole' };

export interface ProxyCounters {
  /** Client connections accepted, in any mode. */
  accepted: number;
  /** Client connections open now. */
  open: number;
  /** Bytes forwarded from clients to the target. */
  bytesUp: number;
  /** Bytes forwarded from the target to clients. */
  bytesDown: number;
  /** Bytes swallowed by a blackhole, client to target and target to client. */
  droppedUp: number;
  droppedDown: number;
  /** Connections reset when a blackhole they lost something in ended. */
  severed: number;
  /** Connections reset by `reset()`. */
  resets: number;
}

type Direction = 'up' | 'down';
type Item = { kind: 'data'; chunk: Buffer } | { kind: 'end' } | { kind: 'reset' };

/** Resets a socket (RST) where it can, else just destroys it. */
function hardClose(socket: net.Socket | undefined): void {
  if (!socket || socket.destroyed) return;
  try {
    socket.resetAndDestroy();
  } catch {
    // Not a TCP handle any more (closing already): destroy is what is left.
  }
  if (!socket.destroyed) socket.destroy();
}

/** One direction of one connection: a queue that keeps order whatever the delay of each item. */
class Lane {
  readonly #queue: Array<{ due: number; item: Item }> = [];
  #timer: NodeJS.Timeout | undefined;
  #lastDue = 0;

  constructor(
    readonly link: Link,
    readonly direction: Direction,
    readonly from: net.Socket,
    readonly to: () => net.Socket | undefined,
  ) {}

  push(item: Item): void {
    const mode = this.link.proxy.mode;
    if (mode.kind === 'blackhole') {
      this.#lose(item);
      return;
    }
    const now = Date.now();
    const base = mode.kind === 'delay' ? (this.direction === 'up' ? mode.upMs : mode.downMs) + Math.random() * mode.jitterMs : 0;
    const due = Math.max(this.#lastDue, now + base);
    this.#lastDue = due;
    if (due <= now && this.#queue.length === 0) {
      this.#deliver(item);
      return;
    }
    this.#queue.push({ due, item });
    this.#schedule();
  }

  clear(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#queue.length = 0;
  }

  #schedule(): void {
    if (this.#timer || this.#queue.length === 0) return;
    const wait = Math.max(0, (this.#queue[0] as { due: number }).due - Date.now());
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      const now = Date.now();
      while (this.#queue.length > 0 && (this.#queue[0] as { due: number }).due <= now) {
        const { item } = this.#queue.shift() as { item: Item };
        // Still on the wire when a blackhole began: lost with everything else.
        if (this.link.proxy.mode.kind === 'blackhole') this.#lose(item);
        else this.#deliver(item);
      }
      this.#schedule();
    }, wait);
  }

  #deliver(item: Item): void {
    const to = this.to();
    if (!to || to.destroyed) return;
    if (item.kind === 'data') {
      this.link.proxy.count(this.direction, item.chunk.length, false);
      if (!to.write(item.chunk) && !this.from.isPaused()) {
        this.from.pause();
        to.once('drain', () => this.from.resume());
      }
    } else if (item.kind === 'end') {
      to.end();
    } else {
      hardClose(to);
    }
  }

  #lose(item: Item): void {
    this.link.lost = true;
    if (item.kind === 'data') this.link.proxy.count(this.direction, item.chunk.length, true);
  }
}

class Link {
  lost = false;
  readonly up: Lane;
  readonly down: Lane;
  upstream: net.Socket | undefined;

  constructor(
    readonly proxy: TcpProxy,
    readonly client: net.Socket,
    target: ProxyTarget,
    onClosed: () => void,
  ) {
    this.up = new Lane(this, 'up', client, () => this.upstream);
    // A blackholed SYN never reaches the target: no upstream connection at all.
    if (proxy.mode.kind === 'blackhole') this.lost = true;
    else this.upstream = net.connect({ host: target.host, port: target.port, allowHalfOpen: true });
    const upstream = this.upstream;
    this.down = new Lane(this, 'down', upstream ?? client, () => this.client);
    this.#wire(client, this.up);
    if (upstream) {
      upstream.setNoDelay(true);
      this.#wire(upstream, this.down);
    }
    client.setNoDelay(true);
    let closed = 0;
    const sockets = upstream ? 2 : 1;
    const onClose = () => {
      if (++closed === sockets) onClosed();
    };
    client.once('close', onClose);
    upstream?.once('close', onClose);
  }

  #wire(socket: net.Socket, lane: Lane): void {
    socket.on('data', (chunk: Buffer) => lane.push({ kind: 'data', chunk }));
    socket.on('end', () => lane.push({ kind: 'end' }));
    // An error closes the socket; the other end learns of it as a reset (unless a blackhole eats it).
    socket.on('error', () => lane.push({ kind: 'reset' }));
  }

  destroy(): void {
    this.up.clear();
    this.down.clear();
    hardClose(this.client);
    hardClose(this.upstream);
  }
}

export class TcpProxy {
  readonly host = '127.0.0.1';
  #mode: ProxyMode = { kind: 'pass' };
  readonly #links = new Set<Link>();
  readonly #counters: ProxyCounters = {
    accepted: 0,
    open: 0,
    bytesUp: 0,
    bytesDown: 0,
    droppedUp: 0,
    droppedDown: 0,
    severed: 0,
    resets: 0,
  };

  readonly #target: ProxyTarget;
  readonly #server: net.Server;

  private constructor(target: ProxyTarget, server: net.Server) {
    this.#target = target;
    this.#server = server;
    server.on('connection', (client) => this.#accept(client));
  }

  /** Listens on 127.0.0.1 on a free port, in pass mode. */
  static async start(target: ProxyTarget): Promise<TcpProxy> {
    // Half-open sockets, so a FIN travels (or is lost) on its own like any other packet.
    const server = net.createServer({ allowHalfOpen: true });
    const proxy = new TcpProxy(target, server);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    return proxy;
  }

  get port(): number {
    return (this.#server.address() as net.AddressInfo).port;
  }

  get mode(): ProxyMode {
    return this.#mode;
  }

  /** A snapshot of the counters. */
  counters(): ProxyCounters {
    return { ...this.#counters, open: this.#links.size };
  }

  pass(): void {
    this.#leave({ kind: 'pass' });
  }

  delay(options: DelayOptions = {}): void {
    const mode = { kind: 'delay' as const, upMs: options.upMs ?? 0, downMs: options.downMs ?? 0, jitterMs: options.jitterMs ?? 0 };
    for (const v of [mode.upMs, mode.downMs, mode.jitterMs]) {
      if (!Number.isFinite(v) || v < 0) throw new RangeError(`delay: ${v} is not a duration in ms`);
    }
    this.#leave(mode);
  }

  blackhole(): void {
    this.#mode = { kind: 'blackhole' };
  }

  /** Resets every open connection at both ends; the proxy goes on accepting in its current mode. */
  reset(): void {
    for (const link of [...this.#links]) {
      this.#counters.resets++;
      link.destroy();
    }
  }

  /** Stops listening and resets every connection. */
  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    for (const link of [...this.#links]) link.destroy();
    await closed;
  }

  /** @internal Called by the lanes. */
  count(direction: Direction, bytes: number, dropped: boolean): void {
    const c = this.#counters;
    if (dropped) {
      if (direction === 'up') c.droppedUp += bytes;
      else c.droppedDown += bytes;
    } else if (direction === 'up') c.bytesUp += bytes;
    else c.bytesDown += bytes;
  }

  #leave(next: ProxyMode): void {
    const wasBlackhole = this.#mode.kind === 'blackhole';
    this.#mode = next;
    if (!wasBlackhole) return;
    for (const link of [...this.#links]) {
      if (!link.lost) continue;
      this.#counters.severed++;
      link.destroy();
    }
  }

  #accept(client: net.Socket): void {
    this.#counters.accepted++;
    const link = new Link(this, client, this.#target, () => this.#links.delete(link));
    this.#links.add(link);
  }
}
