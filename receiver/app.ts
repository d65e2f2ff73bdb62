import express, { type Express, type RequestHandler } from 'express';
import type { Logger } from 'pino';
import type { LineWriter } from '../influx/line-writer.js';
import { healthRouter } from './health-routes.js';
import { errorHandler, notFound } from './http-error.js';
import type { ReceiverMetrics } from './metrics.js';
import { metricsRouter } from './metrics-route.js';
import type { Spool } from './spool.js';
import { terraWebhookRouter, type WebhookOptions } from './terra-webhook.js';

/** Dependencies of the admin routes /healthz, /readyz and /metrics. */
export interface AdminAppOptions {
  spool: Spool;
  writer: LineWriter;
  /** Message of the last failed InfluxDB write, if the latest write failed. */
  writeFailure: () => string | undefined;
  signingSecrets: readonly string[];
  maxBodyBytes: number;
  metrics: ReceiverMetrics;
  logger: Logger;
  /** Express's `trust proxy` setting, so that logged client addresses come from X-Forwarded-For. */
  trustProxy?: boolean | string;
}

export interface AppOptions extends Omit<WebhookOptions, 'spool' | 'logger' | 'metrics'>, AdminAppOptions {
  /** Whether this app serves the admin routes too; false when they have their own port (ADMIN_PORT). */
  serveAdminRoutes: boolean;
}

function newExpressApp(trustProxy: boolean | string | undefined): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', trustProxy ?? 'loopback, linklocal, uniquelocal');
  return app;
}

/** Ends the routes with a JSON 404 for every other path and the JSON error handler. */
function withErrorHandling(app: Express, logger: Logger): Express {
  app.use(notFound);
  app.use(errorHandler(logger));
  return app;
}

/** Counts each response to the webhook path by its status code, once it has been sent. */
function countWebhookResponses(metrics: ReceiverMetrics): RequestHandler {
  return (_request, response, next) => {
    response.once('finish', () => metrics.webhookAnswered(response.statusCode));
    next();
  };
}

/** Creates the app on PORT: the Terra webhook, and the admin routes unless ADMIN_PORT moves them. */
export function createApp(options: AppOptions): Express {
  const app = newExpressApp(options.trustProxy);

  app.all('/webhooks/terra', countWebhookResponses(options.metrics));
  app.use(terraWebhookRouter(options));
  if (options.serveAdminRoutes) {
    app.use(healthRouter(options));
    app.use(metricsRouter(options.metrics));
  }

  return withErrorHandling(app, options.logger);
}

/** Creates the app on ADMIN_PORT, which serves /healthz, /readyz and /metrics only. */
export function createAdminApp(options: AdminAppOptions): Express {
  const app = newExpressApp(options.trustProxy);

  app.use(healthRouter(options));
  app.use(metricsRouter(options.metrics));

  return withErrorHandling(app, options.logger);
}
