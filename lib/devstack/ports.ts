import { createServer } from 'node:net';
import { CdcError } from '../errors.js';

function listenOnce(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => {
      const address = server.address();
      const bound = typeof address === 'object' && address ? address.port : port;
      server.close(() => resolve(bound));
    });
  });
}

/** A port the OS says is free right now on 127.0.0.1. */
export function findFreePort(): Promise<number> {
  return listenOnce(0);
}

export async function assertPortFree(port: number, option: string): Promise<void> {
  try {
    await listenOnce(port);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const reason = code === 'EADDRINUSE' ? 'is already in use' : `cannot be used (${code ?? String(err)})`;
    throw new CdcError('ERR_CDC_DEVSTACK', `port ${port} (${option}) ${reason}; choose another or omit ${option} to pick a free one`);
  }
}
