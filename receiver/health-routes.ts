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
 * to a ping and the spool accepts a write, else 503 with the reason of each failed check).
 */
export function healthRouter(spool: Spool, writer: LineWriter): Router {
  const router = express.Router();

  router.get('/healthz', (_request, response) => {
    response.json({ status: 'ok' });
  });

  router.get('/readyz', async (_request, response) => {
    const [influxdb, spoolProblem] = await Promise.all([failureOf(() => writer.ping()), failureOf(() => spool.checkWritable())]);
    const checks = {
      influxdb: influxdb === undefined ? 'ok' : `failed: ${influxdb}`,
      spool: spoolProblem === undefined ? 'ok' : `failed: ${spoolProblem}`,
    };
    const ready = influxdb === undefined && spoolProblem === undefined;
    response.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not_ready', checks });
  });

  return router;
}
