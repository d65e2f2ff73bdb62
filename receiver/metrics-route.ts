import express, { type Router } from 'express';
import type { ReceiverMetrics } from './metrics.js';

/** Serves `GET /metrics` in the Prometheus text exposition format. */
export function metricsRouter(metrics: ReceiverMetrics): Router {
  const router = express.Router();

  router.get('/metrics', async (_request, response) => {
    const text = await metrics.exposition();
    response.set('content-type', metrics.contentType).send(text);
  });

  return router;
}
