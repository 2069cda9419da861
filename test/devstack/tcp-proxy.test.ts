/**
 * The fault proxy against a local echo server: pass-through, delay, blackhole, reset, close. Timings
 * are only ever checked from below: a loaded machine makes everything slower, never faster.
 */
import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { TcpProxy } from '../../lib/devstack/tcp-proxy.js';

/** Echoes every byte; a chunk starting with "slow:" is echoed 200 ms later. Records what it got. */
async function startEcho(): Promise<{ port: number; received: Buffer[]; connections: () => number; close: () => Promise<void> }> {
  const received: Buffer[] = [];
  const sockets = new Set<net.Socket>();
  let connections = 0;
  const server = net.createServer({ allowHalfOpen: true }, (s) => {
    connections++;
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => {});
    s.on('data', (d: Buffer) => {
      received.push(d);
      if (d.subarray(0, 5).toString() === 'slow:') setTimeout(() => s.writable && s.write(d), 200);
      else s.write(d);
    });
    s.on('end', () => s.end());
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as net.AddressInfo).port,
    received,
    connections: () => connections,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

async function connect(port: number): Promise<net.Socket> {
  const socket = net.connect({ host: '127.0.0.1', port, allowHalfOpen: true });
  socket.on('error', () => {}); // resets are expected in these tests; 'close' tells
  await once(socket, 'connect');
  return socket;
}

/** Collects what the socket receives; `until(n)` waits for n bytes (or fails after `ms`). */
function collect(socket: net.Socket): { bytes: () => Buffer; until: (n: number, ms?: number) => Promise<Buffer>; closed: Promise<void> } {
  const chunks: Buffer[] = [];
  let total = 0;
  let wake: (() => void) | undefined;
  socket.on('data', (d: Buffer) => {
    chunks.push(d);
    total += d.length;
    wake?.();
  });
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  return {
    bytes: () => Buffer.concat(chunks),
    closed,
    until: async (n, ms = 5000) => {
      const deadline = Date.now() + ms;
      while (total < n) {
        if (Date.now() > deadline) throw new Error(`received ${total} of ${n} bytes`);
        await Promise.race([new Promise<void>((r) => (wake = r)), sleep(50)]);
      }
      return Buffer.concat(chunks);
    },
  };
}

async function isClosedWithin(closed: Promise<void>, ms: number): Promise<boolean> {
  return Promise.race([closed.then(() => true), sleep(ms).then(() => false)]);
}

describe('devstack/tcp-proxy', () => {
  let echo: Awaited<ReturnType<typeof startEcho>>;
  let proxy: TcpProxy;
  const open: net.Socket[] = [];

  beforeEach(async () => {
    echo = await startEcho();
    proxy = await TcpProxy.start({ host: '127.0.0.1', port: echo.port });
  });

  afterEach(async () => {
    for (const s of open.splice(0)) s.destroy();
    await proxy.close();
    await echo.close();
  });

  const client = async () => {
    const s = await connect(proxy.port);
    open.push(s);
    return s;
  };

  it('passes a large payload through unchanged, both ways, and counts it', async () => {
    const payload = randomBytes(8 * 1024 * 1024);
    const s = await client();
    const got = collect(s);
    s.write(payload);
    const back = await got.until(payload.length, 8000);
    expect(back.equals(payload)).to.equal(true);
    const c = proxy.counters();
    expect(c).to.include({ accepted: 1, open: 1, bytesUp: payload.length, bytesDown: payload.length, droppedUp: 0, droppedDown: 0 });
  });

  it('passes a close on: the target sees end of stream and the client gets its end back', async () => {
    const s = await client();
    const got = collect(s);
    s.end('bye');
    await got.closed;
    expect(got.bytes().toString()).to.equal('bye');
  });

  it('delays each direction by at least its one-way delay', async () => {
    proxy.delay({ upMs: 100, downMs: 150 });
    const s = await client();
    const got = collect(s);
    const started = performance.now();
    s.write('ping');
    await got.until(4);
    // Lower bound only (a couple of ms for timer and clock granularity).
    expect(performance.now() - started).to.be.at.least(245);
  });

  it('keeps byte order under jitter', async () => {
    proxy.delay({ upMs: 5, downMs: 5, jitterMs: 30 });
    const s = await client();
    const got = collect(s);
    const sent: Buffer[] = [];
    for (let i = 0; i < 200; i++) {
      const chunk = Buffer.from(`${i},`);
      sent.push(chunk);
      s.write(chunk);
      if (i % 10 === 0) await sleep(1); // separate reads on the proxy's side, so chunks get their own delays
    }
    const all = Buffer.concat(sent);
    const back = await got.until(all.length);
    expect(back.toString()).to.equal(all.toString());
  });

  it('blackhole: holds connections open, forwards nothing either way, accepts new ones that never reach the target', async () => {
    const s = await client();
    const got = collect(s);
    s.write('slow:answer');
    await sleep(50); // the target has it; its answer comes 200 ms later, into the blackhole
    proxy.blackhole();
    s.write('lost');
    const late = await client(); // a client cannot tell a blackhole from a slow server
    const lateGot = collect(late);
    late.write('never');
    await sleep(400);
    expect(got.bytes().length).to.equal(0);
    expect(lateGot.bytes().length).to.equal(0);
    expect(await isClosedWithin(got.closed, 10)).to.equal(false);
    expect(await isClosedWithin(lateGot.closed, 10)).to.equal(false);
    expect(echo.connections()).to.equal(1);
    expect(Buffer.concat(echo.received).toString()).to.equal('slow:answer');
    const c = proxy.counters();
    expect(c.accepted).to.equal(2);
    expect(c.droppedUp).to.equal('lost'.length + 'never'.length);
    expect(c.droppedDown).to.equal('slow:answer'.length);
  });

  it('leaving a blackhole replays nothing: connections that lost bytes are reset, silent ones carry on', async () => {
    const silent = await client();
    const silentGot = collect(silent);
    const talker = await client();
    const talkerGot = collect(talker);
    await sleep(20);
    proxy.blackhole();
    talker.write('held');
    const late = await client();
    const lateGot = collect(late);
    await sleep(100);
    proxy.pass();
    expect(await isClosedWithin(talkerGot.closed, 2000)).to.equal(true);
    expect(await isClosedWithin(lateGot.closed, 2000)).to.equal(true);
    expect(proxy.counters().severed).to.equal(2);
    // Nothing held was delivered, and the silent connection still works.
    expect(Buffer.concat(echo.received).toString()).to.equal('');
    silent.write('still here');
    expect((await silentGot.until(10)).toString()).to.equal('still here');
    const fresh = await client();
    const freshGot = collect(fresh);
    fresh.write('new');
    expect((await freshGot.until(3)).toString()).to.equal('new');
  });

  it('a close during a blackhole is lost too: the target keeps its end open until the blackhole ends', async () => {
    const s = await client();
    await sleep(20);
    proxy.blackhole();
    s.destroy();
    await sleep(100);
    expect(proxy.counters().open).to.equal(1);
    proxy.pass();
    await sleep(100);
    expect(proxy.counters()).to.include({ open: 0, severed: 1 });
  });

  it('reset: closes every open connection now and still accepts new ones', async () => {
    const a = collect(await client());
    const b = collect(await client());
    await sleep(20);
    proxy.reset();
    expect(await isClosedWithin(a.closed, 2000)).to.equal(true);
    expect(await isClosedWithin(b.closed, 2000)).to.equal(true);
    expect(proxy.counters().resets).to.equal(2);
    const c = await client();
    const got = collect(c);
    c.write('again');
    expect((await got.until(5)).toString()).to.equal('again');
  });

  it('close: stops accepting', async () => {
    const port = proxy.port;
    await proxy.close();
    const s = net.connect({ host: '127.0.0.1', port });
    const [err] = (await once(s, 'error')) as [NodeJS.ErrnoException];
    expect(err.code).to.equal('ECONNREFUSED');
    proxy = await TcpProxy.start({ host: '127.0.0.1', port: echo.port }); // for afterEach
  });
});
