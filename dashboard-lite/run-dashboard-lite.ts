import { createServer, type RequestListener, type Server } from 'node:http';
import type { Logger } from 'pino';
import { createDashboardApp } from './app.js';
import type { DashboardLiteConfig } from './config.js';
import { createStoredPassword, readStoredPassword } from './generated-password.js';
import { NightReader } from './night-reader.js';
import { listen } from '../receiver/listen.js';

export interface RunningDashboardLite {
  server: Server;
  port: number;
  shutdown(): Promise<void>;
}

/** The password to check, or `generate` when none is configured or stored yet. */
type PasswordSource = { password: string } | 'generate';

/**
 * Finds the password before the port is bound: the configured one, else the one an earlier start
 * stored in the data folder. A stored file that is too short throws ConfigError. The log names
 * the file and never the password.
 */
async function findPassword(config: DashboardLiteConfig, logger: Logger): Promise<PasswordSource | undefined> {
  const { auth } = config;
  if (auth.mode === 'off') {
    logger.warn('DASHBOARD_LITE_AUTH is off: anyone who reaches the port can read every HRV value. Use this only on a trusted network.');
    return undefined;
  }
  if (auth.password !== undefined) return { password: auth.password };

  const stored = await readStoredPassword(config.dataDir);
  if (stored === undefined) return 'generate';
  if (stored.readableByOthers) logger.warn({ passwordFile: stored.path }, `the password file may be read by other users of this host: run chmod 600 ${stored.path}`);
  logger.info({ username: auth.username, passwordFile: stored.path }, 'using the generated password stored in the file');
  return { password: stored.password };
}

/** Generates the password file; called only once the port is bound, so a failed start leaves no file. */
async function generatePassword(config: DashboardLiteConfig, logger: Logger): Promise<string> {
  const stored = await createStoredPassword(config.dataDir);
  const message = stored.created ? 'generated a password for dashboard-lite; read it from the file' : 'using the generated password stored in the file';
  logger.info({ username: config.auth.mode === 'basic' ? config.auth.username : undefined, passwordFile: stored.path }, message);
  return stored.password;
}

/** Sends 503 while the password is generated, between binding the port and installing the app. */
const respondStarting: RequestListener = (_request, response) => {
  response.writeHead(503, { 'content-type': 'application/json', 'retry-after': '1' });
  response.end(JSON.stringify({ error: 'starting', message: 'dashboard-lite is starting; retry in a second' }));
};

/** Builds the app once the password is known; undefined password means auth is off. */
function buildApp(config: DashboardLiteConfig, password: string | undefined, logger: Logger): RequestListener {
  const { auth } = config;
  const basic =
    auth.mode === 'basic' && password !== undefined
      ? { credentials: { username: auth.username, password }, loginFailureBurst: config.loginFailureBurst, loginFailureRefillPerMinute: config.loginFailureRefillPerMinute }
      : undefined;
  return createDashboardApp({ reader: new NightReader(config.influx), auth: basic, allowedHosts: config.allowedHosts, logger });
}

/**
 * Starts the dashboard-lite HTTP server and logs where it listens. A password is generated only
 * after the port is bound, so a start that fails (port in use) writes no file and logs no path.
 */
export async function startDashboardLite(config: DashboardLiteConfig, logger: Logger): Promise<RunningDashboardLite> {
  const source = await findPassword(config, logger);
  let handle = respondStarting;
  const server = createServer((request, response) => handle(request, response));
  await listen(server, config.host, config.port);

  try {
    const password = source === 'generate' ? await generatePassword(config, logger) : source?.password;
    handle = buildApp(config, password, logger);
  } catch (error) {
    server.close();
    throw error;
  }

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
