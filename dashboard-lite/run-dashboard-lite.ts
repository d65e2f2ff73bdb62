import { createServer, type Server } from 'node:http';
import type { Logger } from 'pino';
import type { BasicCredentials } from './basic-auth.js';
import { createDashboardApp } from './app.js';
import type { DashboardLiteConfig } from './config.js';
import { loadOrCreatePassword } from './generated-password.js';
import { NightReader } from './night-reader.js';

export interface RunningDashboardLite {
  server: Server;
  port: number;
  shutdown(): Promise<void>;
}

/**
 * Returns the credentials to check: the configured password, else the one generated in the data
 * folder. The log names the file and never the password.
 */
async function resolveCredentials(config: DashboardLiteConfig, logger: Logger): Promise<BasicCredentials | undefined> {
  const { auth } = config;
  if (auth.mode === 'off') {
    logger.warn('DASHBOARD_LITE_AUTH is off: anyone who reaches the port can read every HRV value. Use this only on a trusted network.');
    return undefined;
  }
  if (auth.password !== undefined) return { username: auth.username, password: auth.password };

  const stored = await loadOrCreatePassword(config.dataDir);
  const message = stored.created ? 'generated a password for dashboard-lite; read it from the file' : 'using the generated password stored in the file';
  logger.info({ username: auth.username, passwordFile: stored.path }, message);
  return { username: auth.username, password: stored.password };
}

function listen(server: Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/** Starts the dashboard-lite HTTP server and logs where it listens. */
export async function startDashboardLite(config: DashboardLiteConfig, logger: Logger): Promise<RunningDashboardLite> {
  const credentials = await resolveCredentials(config, logger);
  const limits = { loginFailureBurst: config.loginFailureBurst, loginFailureRefillPerMinute: config.loginFailureRefillPerMinute };
  const auth = credentials === undefined ? undefined : { credentials, ...limits };
  const app = createDashboardApp({ reader: new NightReader(config.influx), auth, allowedHosts: config.allowedHosts, logger });
  const server = createServer(app);
  await listen(server, config.host, config.port);

  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : config.port;
  const { influx } = config;
  const influxSummary = influx.apiVersion === 2 ? { apiVersion: 2, url: influx.url, bucket: influx.bucket } : { apiVersion: 1, url: influx.url, database: influx.database };
  logger.info({ host: config.host, port, authentication: config.auth.mode, influx: influxSummary }, 'dashboard-lite started');

  return {
    server,
    port,
    shutdown: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
  };
}
