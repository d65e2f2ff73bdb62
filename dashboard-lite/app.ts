import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { type Express } from 'express';
import type { Logger } from 'pino';
import { HttpError } from '../receiver/http-error.js';
import { apiRouter } from './api-routes.js';
import { basicAuth, type BasicCredentials } from './basic-auth.js';
import { errorHandler } from './error-handler.js';
import type { NightReader } from './night-reader.js';
import { securityHeaders } from './security-headers.js';

/** The built page: HTML, CSS and the compiled client modules, beside this file in dist/. */
const PAGE_DIR = fileURLToPath(new URL('./page/', import.meta.url));

/** Chart.js's browser build from the installed package, so the page loads nothing from a CDN. */
const CHART_JS_FILE = join(dirname(createRequire(import.meta.url).resolve('chart.js')), 'chart.umd.min.js');

export interface DashboardAppOptions {
  reader: NightReader;
  /** undefined serves everything without authentication (DASHBOARD_LITE_AUTH=off). */
  credentials: BasicCredentials | undefined;
  logger: Logger;
  now?: () => number;
}

/** Builds the app: /healthz open, and the page, Chart.js and /api behind basic auth. */
export function createDashboardApp(options: DashboardAppOptions): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  app.use(securityHeaders);

  app.get('/healthz', (_request, response) => {
    response.json({ status: 'ok' });
  });
  if (options.credentials !== undefined) app.use(basicAuth(options.credentials));

  const authentication = options.credentials === undefined ? 'off' : 'basic';
  app.use('/api', (_request, response, next) => {
    response.setHeader('Cache-Control', 'no-store');
    next();
  });
  app.use('/api', apiRouter({ reader: options.reader, authentication, now: options.now }));
  app.get('/vendor/chart.umd.min.js', (_request, response) => {
    response.sendFile(CHART_JS_FILE);
  });
  app.use(express.static(PAGE_DIR, { index: 'index.html', extensions: ['html'] }));

  app.use((request, _response, next) => {
    next(new HttpError(404, 'not_found', `No route for ${request.method} ${request.path}`));
  });
  app.use(errorHandler(options.logger));
  return app;
}
