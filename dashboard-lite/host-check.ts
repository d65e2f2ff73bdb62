import { isIP } from 'node:net';
import type { RequestHandler } from 'express';
import type { Logger } from 'pino';
import { HttpError } from '../receiver/http-error.js';

/** Interval between two log lines about rejected Host values. Each line counts the rejections it did not log since the previous one. */
const LOG_INTERVAL_MS = 60_000;

/** Longest Host value copied into a message or log line. */
const MAX_LOGGED_HOST_LENGTH = 100;

/** Returns the name part of a Host header in lower case: no port, no IPv6 brackets, no trailing dot. */
export function hostName(header: string): string {
  const host = header.trim().toLowerCase();
  const bracketed = /^\[([^\]]*)\](:\d*)?$/.exec(host);
  if (bracketed !== null) return bracketed[1]!;

  const name = host.replace(/:\d*$/, '');
  return name.endsWith('.') ? name.slice(0, -1) : name;
}

/** True for the names a DNS rebinding attack cannot take over: IP literals and localhost. */
function isAlwaysAllowed(name: string): boolean {
  return isIP(name) !== 0 || name === 'localhost';
}

/**
 * Rejects requests whose Host header names a host that is not an IP literal, `localhost` or one of
 * `allowedHosts`, with 421 Misdirected Request. Against DNS rebinding: a web page on another site
 * can point its own name at this server's address, and the browser then sends that name as Host
 * and lets the page read the responses. Basic auth stops that page too, because the browser has no
 * credentials for the other name, so the check is needed when auth is off.
 */
export function hostCheck(allowedHosts: readonly string[], logger: Logger): RequestHandler {
  const allowed = new Set(allowedHosts);
  let lastLogMs = 0;
  let suppressed = 0;

  return (request, _response, next) => {
    const header = request.headers.host ?? '';
    const name = hostName(header);
    if (isAlwaysAllowed(name) || allowed.has(name)) {
      next();
      return;
    }

    const loggedHost = header.slice(0, MAX_LOGGED_HOST_LENGTH);
    const nowMs = Date.now();
    if (nowMs - lastLogMs >= LOG_INTERVAL_MS) {
      logger.warn({ host: loggedHost, address: request.ip, suppressedSinceLastLog: suppressed }, 'rejected a request for a host name not in DASHBOARD_LITE_ALLOWED_HOSTS');
      lastLogMs = nowMs;
      suppressed = 0;
    } else {
      suppressed += 1;
    }

    const message =
      `Host ${JSON.stringify(loggedHost)} is not allowed: dashboard-lite answers only IP addresses, localhost and the names in ` +
      'DASHBOARD_LITE_ALLOWED_HOSTS, against DNS rebinding. Add this name to DASHBOARD_LITE_ALLOWED_HOSTS to open the page by it.';
    next(new HttpError(421, 'host_not_allowed', message, { host: loggedHost }));
  };
}
