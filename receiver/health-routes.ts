import express, { type Router } from 'express';
import type { LineWriter } from '../influx/line-writer.js';
import type { Spool } from './spool.js';

async function failureOf(check: () => Promise<void>): Promise<string | undefined> {
  try {
    await check();
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

/**
 * Serves `GET /healthz` (200 while the process runs) and `GET /readyz` (200 when InfluxDB responds
 * to a ping, the last write did not fail and the spool accepts a write, else 503 with the reason
 * of each failed check).
 */
export function healthRouter(spool: Spool, writer: LineWriter, writeFailure: () => string | undefined): Router {
  const router = express.Router();

  router.get('/healthz', (_request, response) => {
    response.json({ status: 'ok' });
  });

  router.get('/readyz', async (_request, response) => {
    const [ping, spoolProblem] = await Promise.all([failureOf(() => writer.ping()), failureOf(() => spool.checkWritable())]);
    // A ping succeeds with a wrong token or a missing bucket, so the last write's failure counts too.
    const lastWrite = writeFailure();
    const influxdb = ping ?? (lastWrite === undefined ? undefined : `the last write failed: ${lastWrite}`);
    const checks = {
      influxdb: influxdb === undefined ? 'ok' : `failed: ${influxdb}`,
      spool: spoolProblem === undefined ? 'ok' : `failed: ${spoolProblem}`,
    };
    const ready = influxdb === undefined && spoolProblem === undefined;
    response.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not_ready', checks });
  });

  return router;
}
