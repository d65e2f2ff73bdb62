import type { Server } from 'node:http';

/** Starts `server` on `host`:`port` and resolves once it listens, or rejects with the bind error (EADDRINUSE, EACCES). */
export function listen(server: Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}
