import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { type Express } from 'express';
import type { Logger } from 'pino';
import { HttpError } from '../receiver/http-error.js';
import { apiRouter } from './api-routes.js';
import { basicAuth, type BasicAuthOptions } from './basic-auth.js';
import { errorHandler } from './error-handler.js';
import { hostCheck } from './host-check.js';
import type { NightReader } from './night-reader.js';
import { securityHeaders } from './security-headers.js';

/** The built page: HTML, CSS and the compiled client modules, beside this file in dist/. */
const PAGE_DIR = fileURLToPath(new URL('./page/', import.meta.url));

/** Chart.js's browser build from the installed package, so the page loads nothing from a CDN. */
const CHART_JS_FILE = join(dirname(createRequire(import.meta.url).resolve('chart.js')), 'chart.umd.min.js');

export interface DashboardAppOptions {
  reader: NightReader;
  /** undefined serves everything without authentication (DASHBOARD_LITE_AUTH=off). */
  auth: Omit<BasicAuthOptions, 'logger'> | undefined;
  /** Host names served besides IP literals and localhost. */
  allowedHosts: readonly string[];
  logger: Logger;
  now?: () => number;
}

/**
 * Cache-Control of the page files. They hold no HRV values, but they are sent only after
 * authentication, so a shared cache must not store them (`private`), and `no-cache` makes the
 * browser revalidate so that a new version is seen at once.
 */
const PAGE_CACHE_CONTROL = 'private, no-cache';

/**
 * Builds the app: /healthz open, and the page, Chart.js and /api behind basic auth. The Host check
 * applies when auth is off or DASHBOARD_LITE_ALLOWED_HOSTS is set.
 */
export function createDashboardApp(options: DashboardAppOptions): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  app.use(securityHeaders);

  app.get('/healthz', (_request, response) => {
    response.json({ status: 'ok' });
  });
  if (options.auth === undefined || options.allowedHosts.length > 0) app.use(hostCheck(options.allowedHosts, options.logger));
  if (options.auth !== undefined) app.use(basicAuth({ ...options.auth, logger: options.logger }));

  const authentication = options.auth === undefined ? 'off' : 'basic';
  app.use('/api', (_request, response, next) => {
    response.setHeader('Cache-Control', 'no-store');
    next();
  });
  app.use('/api', apiRouter({ reader: options.reader, authentication, now: options.now }));
  app.get('/vendor/chart.umd.min.js', (_request, response) => {
    response.setHeader('Cache-Control', PAGE_CACHE_CONTROL);
    response.sendFile(CHART_JS_FILE, { cacheControl: false });
  });
  const setHeaders = (response: express.Response) => response.setHeader('Cache-Control', PAGE_CACHE_CONTROL);
  app.use(express.static(PAGE_DIR, { index: 'index.html', extensions: ['html'], cacheControl: false, setHeaders }));

  app.use((request, _response, next) => {
    next(new HttpError(404, 'not_found', `No route for ${request.method} ${request.path}`));
  });
  app.use(errorHandler(options.logger));
  return app;
}
