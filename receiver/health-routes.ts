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
 * Serves `GET /healthz`, 200 while the process runs, and `GET /readyz`, which checks three things.
 * InfluxDB responds to a ping and no write is waiting for a retry. The spool accepts a write and
 * has room for one more delivery of MAX_BODY_BYTES. A signing secret is set. It returns 200 when
 * all pass, else 503 with the reason of each failed check.
 */
export interface ReadinessOptions {
  spool: Spool;
  writer: LineWriter;
  /** Message of the last failed InfluxDB write, while it waits for a retry. */
  writeFailure: () => string | undefined;
  signingSecrets: readonly string[];
  /** Free space the spool needs: room for one more delivery of the maximum size. */
  maxBodyBytes: number;
}

export function healthRouter(options: ReadinessOptions): Router {
  const { spool, writer, writeFailure } = options;
  const router = express.Router();

  router.get('/healthz', (_request, response) => {
    response.json({ status: 'ok' });
  });

  router.get('/readyz', async (_request, response) => {
    const [ping, spoolProblem] = await Promise.all([failureOf(() => writer.ping()), failureOf(() => spool.checkWritable(options.maxBodyBytes))]);
    // A ping succeeds with a wrong token or a missing bucket, so the last write's failure counts too.
    const lastWrite = writeFailure();
    const influxdb = ping ?? (lastWrite === undefined ? undefined : `the last write failed: ${lastWrite}`);
    const signing = options.signingSecrets.length > 0 ? undefined : 'TERRA_SIGNING_SECRET is not set, so every webhook gets 503';
    const checks = {
      influxdb: influxdb === undefined ? 'ok' : `failed: ${influxdb}`,
      spool: spoolProblem === undefined ? 'ok' : `failed: ${spoolProblem}`,
      signingSecret: signing === undefined ? 'ok' : `failed: ${signing}`,
    };
    const ready = influxdb === undefined && spoolProblem === undefined && signing === undefined;
    response.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not_ready', checks });
  });

  return router;
}
