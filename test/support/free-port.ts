import { createServer } from 'node:net';

/**
 * Finds a TCP port on 127.0.0.1 that is free at the moment of the call.
 *
 * The port is released before this returns, so another process can take it before the caller binds
 * it. Callers that start a server on it must fail with a clear message when the bind fails.
 */
export async function findFreePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });

  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));

  if (address === null || typeof address === 'string') {
    throw new Error(`Expected a TCP address from the port probe, got ${String(address)}`);
  }
  return address.port;
}

/** Finds `count` distinct free ports on 127.0.0.1, with the same race as {@link findFreePort}. */
export async function findFreePorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) {
    ports.add(await findFreePort());
  }

  return [...ports];
}
