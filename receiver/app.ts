import express, { type Express } from 'express';
import type { Logger } from 'pino';
import type { LineWriter } from '../influx/line-writer.js';
import { healthRouter } from './health-routes.js';
import { errorHandler, notFound } from './http-error.js';
import type { Spool } from './spool.js';
import { terraWebhookRouter, type WebhookOptions } from './terra-webhook.js';

export interface AppOptions extends Omit<WebhookOptions, 'spool' | 'logger'> {
  spool: Spool;
  writer: LineWriter;
  /** Message of the last failed InfluxDB write, if the latest write failed. */
  writeFailure: () => string | undefined;
  logger: Logger;
  /** Express's `trust proxy` setting, so that logged client addresses come from X-Forwarded-For. */
  trustProxy?: boolean | string;
}

export function createApp(options: AppOptions): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', options.trustProxy ?? 'loopback, linklocal, uniquelocal');

  app.use(terraWebhookRouter(options));
  app.use(healthRouter(options));
  app.use(notFound);
  app.use(errorHandler(options.logger));

  return app;
}
