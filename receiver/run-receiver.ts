import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import type { Express } from 'express';
import type { Logger } from 'pino';
import { createLineWriter } from '../influx/create-line-writer.js';
import { ObservedLineWriter } from '../influx/observed-line-writer.js';
import { createModelStore } from '../influx/model-store.js';
import { NightUpdater } from '../hrv-model/night-updater.js';
import { createAdminApp, createApp } from './app.js';
import { HttpPingDownloader } from './ping-download.js';
import { resolveWithDns } from './ping-url-policy.js';
import type { ReceiverConfig } from './config.js';
import { ReceiverMetrics } from './metrics.js';
import { Spool } from './spool.js';
import { SpoolWorker } from './spool-worker.js';
import { TraceIdLedger } from './trace-id-ledger.js';
import { LargeRequestTracker } from './large-request-tracker.js';
import { Heartbeat } from './heartbeat.js';
import { listen } from './listen.js';

/** Folder under SPOOL_DIR for the receiver's own bookkeeping, apart from the deliveries. */
const STATE_FOLDER = 'state';

export interface RunningReceiver {
  server: Server;
  /** Server of the admin routes, when ADMIN_PORT gives them their own port. */
  adminServer?: Server;
  /** Stops accepting, finishes the delivery in hand and leaves the rest in the spool. */
  shutdown(): Promise<void>;
}

function describeInflux(config: ReceiverConfig): Record<string, unknown> {
  const { influx } = config;
  if (influx.apiVersion === 2) return { apiVersion: 2, url: influx.url, org: influx.org, bucket: influx.bucket };
  return { apiVersion: 1, url: influx.url, database: influx.database, authenticated: influx.username !== undefined };
}

/** Requests still uploading after this long are cut off at shutdown; Terra retries them. */
const SHUTDOWN_GRACE_MS = 10_000;

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    const forceClose = setTimeout(() => server.closeAllConnections(), SHUTDOWN_GRACE_MS);
    server.close(() => {
      clearTimeout(forceClose);
      resolve();
    });
    server.closeIdleConnections();
  });
}

function boundPort(server: Server, fallback: number): number {
  const address = server.address();
  return typeof address === 'object' && address !== null ? address.port : fallback;
}

/**
 * Starts the main server and, when ADMIN_PORT is set, the admin server. If the admin server cannot
 * listen, the main server is closed again, so that a failed start leaves no port open.
 */
async function startServers(config: ReceiverConfig, app: Express, adminApp: Express | undefined): Promise<Server[]> {
  const main = createServer(app);
  await listen(main, config.host, config.port);
  if (config.admin === undefined || adminApp === undefined) return [main];

  const admin = createServer(adminApp);
  try {
    await listen(admin, config.admin.host, config.admin.port);
  } catch (error) {
    await closeServer(main);
    throw error;
  }
  return [main, admin];
}

/** Opens the spool, starts the worker on what it holds, and starts the HTTP server(s). */
export async function startReceiver(config: ReceiverConfig, logger: Logger): Promise<RunningReceiver> {
  const spool = new Spool(config.spoolDir);
  await spool.open();
  const traceIdsPath = join(config.spoolDir, STATE_FOLDER, 'trace-ids.jsonl');
  const traceIds = await TraceIdLedger.open({ path: traceIdsPath, pendingTraceIds: await spool.pendingTraceIds(), logger });
  const largeRequestsPath = join(config.spoolDir, STATE_FOLDER, 'large-requests.jsonl');
  const largeRequests = await LargeRequestTracker.open({ path: largeRequestsPath, warnAfterMs: config.largeRequestWarnAfterMs, logger });
  const metrics = new ReceiverMetrics(spool, logger);
  const writer = new ObservedLineWriter(createLineWriter(config.influx), metrics);
  const nightUpdater = new NightUpdater(createModelStore(config.influx, writer), config.normalRangeSd);
  const pingDownloader = new HttpPingDownloader({
    maxBytes: config.maxBodyBytes,
    timeoutMs: config.pingTimeoutMs,
    allowHttpLoopback: config.pingAllowHttpLoopback,
    resolveHost: resolveWithDns,
  });
  const worker = new SpoolWorker({ ...config, spool, writer, nightUpdater, pingDownloader, traceIds, largeRequests, logger, metrics });

  const adminOptions = { ...config, spool, writer, logger, metrics, writeFailure: () => worker.writeFailure() };
  const app = createApp({ ...adminOptions, traceIds, onSpooled: () => worker.notify(), serveAdminRoutes: config.admin === undefined });
  const servers = await startServers(config, app, config.admin === undefined ? undefined : createAdminApp(adminOptions));
  // Counted before the worker starts, which would otherwise race to empty the spool.
  const pending = (await spool.pendingIds()).length;
  worker.start();
  largeRequests.start();
  // Its own writer, so that heartbeats stay out of the write metrics and the worker's retries.
  const heartbeat = new Heartbeat({ writer: createLineWriter(config.influx), intervalMs: config.heartbeatIntervalMs, logger });
  heartbeat.start();

  logStart(config, logger, servers, pending, { processedTraceIds: traceIds.processedCount, pendingTraceIds: traceIds.pendingCount, largeRequests: largeRequests.trackedCount });

  return {
    server: servers[0]!,
    adminServer: servers[1],
    async shutdown() {
      const closed = Promise.all(servers.map(closeServer));
      heartbeat.stop();
      await worker.stop();
      await closed;
      await traceIds.close();
      await largeRequests.close();
      logger.info({ pendingDeliveries: (await spool.pendingIds()).length }, 'receiver stopped');
    },
  };
}

/** Counts of the receiver's bookkeeping under SPOOL_DIR/state, logged at start. */
interface StateCounts {
  processedTraceIds: number;
  pendingTraceIds: number;
  largeRequests: number;
}

function logStart(config: ReceiverConfig, logger: Logger, servers: readonly Server[], pendingDeliveries: number, state: StateCounts): void {
  const [main, admin] = servers;
  const port = boundPort(main!, config.port);
  const adminAddress = config.admin === undefined || admin === undefined ? undefined : { host: config.admin.host, port: boundPort(admin, config.admin.port) };
  const summary = { host: config.host, port, admin: adminAddress, spoolDir: config.spoolDir, pendingDeliveries, influx: describeInflux(config) };
  const settings = {
    defaultTimeZone: config.defaultTimeZone,
    personLabels: config.personLabels.size,
    normalRangeSd: config.normalRangeSd,
    largeRequestWarnAfterSeconds: config.largeRequestWarnAfterMs / 1000,
    heartbeatIntervalSeconds: config.heartbeatIntervalMs / 1000,
  };
  logger.info({ ...summary, ...settings, ...state }, 'receiver started');
  if (config.pingAllowHttpLoopback) {
    logger.warn('TERRA_PING_ALLOW_HTTP_LOOPBACK is true: ping-mode links may use plain http to 127.0.0.1 and ::1. This is a test setting; unset it in production.');
  }
  if (config.signingSecrets.length === 0) {
    logger.warn('TERRA_SIGNING_SECRET is not set, so every webhook is rejected with 503. Copy the signing secret that Terra shows for your webhook destination into TERRA_SIGNING_SECRET (or a file named by TERRA_SIGNING_SECRET_FILE) and restart the receiver.');
  }
}
