import type { ErrorRequestHandler } from 'express';
import type { Logger } from 'pino';
import { InfluxQueryError } from '../influx/influxql-client.js';
import { HttpError } from '../receiver/http-error.js';

/** Checklist for the operator when InfluxDB cannot be read, sent in the 503 message that the page shows. */
export const INFLUX_CHECKLIST =
  'Check that InfluxDB is running and reachable at INFLUX_URL, that INFLUX_TOKEN (or INFLUX_USERNAME and INFLUX_PASSWORD) may read, and that INFLUX_BUCKET (or INFLUX_DATABASE) exists. The dashboard-lite log has details.';

/** Repeated InfluxDB failures are logged once per this interval, with the count in between. */
const INFLUX_LOG_INTERVAL_MS = 60_000;

/**
 * Sends every error as JSON `{ error, message, ...details }`. A failed InfluxDB query is a 503 with
 * the checklist; an unknown error is a plain 500 without details on the wire.
 */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  let lastInfluxLogMs = 0;
  let suppressed = 0;

  return (error: unknown, request, response, _next) => {
    let known = error instanceof HttpError ? error : undefined;
    if (error instanceof InfluxQueryError) {
      const nowMs = Date.now();
      if (nowMs - lastInfluxLogMs >= INFLUX_LOG_INTERVAL_MS) {
        logger.error({ err: error, path: request.path, suppressedSinceLastLog: suppressed }, 'InfluxDB query failed');
        lastInfluxLogMs = nowMs;
        suppressed = 0;
      } else suppressed += 1;
      known = new HttpError(503, 'influxdb_unavailable', `InfluxDB could not be read: ${error.message}. ${INFLUX_CHECKLIST}`);
    }
    if (known === undefined) logger.error({ err: error, method: request.method, path: request.path }, 'request failed');

    const errorResponse = known ?? new HttpError(500, 'internal_error', 'Internal error; the dashboard-lite log has details');
    if (response.headersSent) return;
    response.status(errorResponse.status).json({ error: errorResponse.code, message: errorResponse.message, ...errorResponse.details });
  };
}
