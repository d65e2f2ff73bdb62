import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { createLineWriter } from '../influx/create-line-writer.js';
import { createModelStore } from '../influx/model-store.js';
import { NightUpdater } from '../hrv-model/night-updater.js';
import { createApp } from './app.js';
import type { ReceiverConfig } from './config.js';
import { Spool } from './spool.js';
import { SpoolWorker } from './spool-worker.js';
import { TraceIdLedger } from './trace-id-ledger.js';
import { LargeRequestTracker } from './large-request-tracker.js';

/** Folder under SPOOL_DIR for the receiver's own bookkeeping, apart from the deliveries. */
const STATE_FOLDER = 'state';

export interface RunningReceiver {
  server: Server;
  /** Stops accepting, finishes the delivery in hand and leaves the rest in the spool. */
  shutdown(): Promise<void>;
}

function describeInflux(config: ReceiverConfig): Record<string, unknown> {
  const { influx } = config;
  if (influx.apiVersion === 2) return { apiVersion: 2, url: influx.url, org: influx.org, bucket: influx.bucket };
  return { apiVersion: 1, url: influx.url, database: influx.database, authenticated: influx.username !== undefined };
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

/** Opens the spool, starts the worker on what it holds, and starts the HTTP server. */
export async function startReceiver(config: ReceiverConfig, logger: Logger): Promise<RunningReceiver> {
  const spool = new Spool(config.spoolDir);
  await spool.open();
  const traceIdsPath = join(config.spoolDir, STATE_FOLDER, 'trace-ids.jsonl');
  const traceIds = await TraceIdLedger.open({ path: traceIdsPath, pendingTraceIds: await spool.pendingTraceIds(), logger });
  const largeRequestsPath = join(config.spoolDir, STATE_FOLDER, 'large-requests.jsonl');
  const largeRequests = await LargeRequestTracker.open({ path: largeRequestsPath, warnAfterMs: config.largeRequestWarnAfterMs, logger });
  const writer = createLineWriter(config.influx);
  const nightUpdater = new NightUpdater(createModelStore(config.influx, writer), config.normalRangeSd);
  const worker = new SpoolWorker({ ...config, spool, writer, nightUpdater, traceIds, largeRequests, logger });

  const app = createApp({ ...config, spool, writer, traceIds, logger, onSpooled: () => worker.notify(), writeFailure: () => worker.writeFailure() });
  const httpServer = createServer(app);
  await listen(httpServer, config.host, config.port);
  // Counted before the worker starts, which would otherwise race to empty the spool.
  const pending = (await spool.pendingIds()).length;
  worker.start();
  largeRequests.start();

  const address = httpServer.address();
  const port = typeof address === 'object' && address !== null ? address.port : config.port;
  const summary = { host: config.host, port, spoolDir: config.spoolDir, pendingDeliveries: pending, influx: describeInflux(config) };
  const settings = {
    defaultTimeZone: config.defaultTimeZone,
    personLabels: config.personLabels.size,
    normalRangeSd: config.normalRangeSd,
    largeRequestWarnAfterSeconds: config.largeRequestWarnAfterMs / 1000,
  };
  const traceIdCounts = { processedTraceIds: traceIds.processedCount, pendingTraceIds: traceIds.pendingCount, largeRequests: largeRequests.trackedCount };
  logger.info({ ...summary, ...settings, ...traceIdCounts }, 'receiver started');
  if (config.signingSecrets.length === 0) {
    logger.warn('TERRA_SIGNING_SECRET is not set, so every webhook is rejected with 503. Copy the signing secret that Terra shows for your webhook destination into TERRA_SIGNING_SECRET (or a file named by TERRA_SIGNING_SECRET_FILE) and restart the receiver.');
  }

  return {
    server: httpServer,
    async shutdown() {
      const closed = closeServer(httpServer);
      await worker.stop();
      await closed;
      await traceIds.close();
      await largeRequests.close();
      logger.info({ pendingDeliveries: (await spool.pendingIds()).length }, 'receiver stopped');
    },
  };
}
