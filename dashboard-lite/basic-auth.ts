import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import type { Logger } from 'pino';
import { clientAddressKey } from '../receiver/client-address-key.js';
import { HttpError } from '../receiver/http-error.js';
import { MAX_TRACKED_ADDRESSES } from '../receiver/signature-failure-gate.js';
import { FailureLimiter } from '../receiver/failure-limiter.js';

/** The realm browsers show in their login prompt. */
const REALM = 'hrv-stack dashboard-lite';

export interface BasicCredentials {
  username: string;
  password: string;
}

/**
 * Compares two texts in time that does not depend on where they differ. Both sides are hashed
 * first, because timingSafeEqual needs equal lengths and a length check would leak the length.
 */
function equalInConstantTime(received: string, expected: string): boolean {
  const receivedDigest = createHash('sha256').update(received, 'utf8').digest();
  const expectedDigest = createHash('sha256').update(expected, 'utf8').digest();
  return timingSafeEqual(receivedDigest, expectedDigest);
}

/** Reads `Authorization: Basic base64(user:password)`; undefined when absent or malformed. */
export function parseBasicAuthorization(header: string | undefined): BasicCredentials | undefined {
  const match = /^Basic ([A-Za-z0-9+/=]+)$/i.exec(header?.trim() ?? '');
  if (match === null) return undefined;

  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

export interface BasicAuthOptions {
  credentials: BasicCredentials;
  /** Failed logins a client address may make in a row before it gets 429. */
  loginFailureBurst: number;
  /** Failed logins credited back to each address per minute. */
  loginFailureRefillPerMinute: number;
  logger: Logger;
  nowMs?: () => number;
}

/**
 * Lets a request through only with the configured user name and password (RFC 7617). Both are
 * always compared, so the response time does not tell which one was wrong.
 *
 * Failed logins are limited per client address with the receiver's token bucket. The address is
 * the socket's, and an IPv6 address counts by its /64. After `loginFailureBurst` failures, every
 * request from that address gets 429 with Retry-After, the right password included, until one
 * failure has been credited back. A request without an Authorization header is not a failure,
 * because a browser sends one first to get the login prompt.
 */
export function basicAuth(options: BasicAuthOptions): RequestHandler {
  const { credentials: expected, logger } = options;
  const limits = { burst: options.loginFailureBurst, refillPerMinute: options.loginFailureRefillPerMinute };
  const limiter = new FailureLimiter({ ...limits, maxAddresses: MAX_TRACKED_ADDRESSES, nowMs: options.nowMs ?? Date.now });
  let failedLogins = 0;

  return (request, response, next) => {
    const address = clientAddressKey(request.ip);
    const decision = limiter.check(address);
    if (decision.limited) {
      response.setHeader('Retry-After', String(decision.retryAfterSeconds));
      const message = `Too many failed logins from this address; retry after ${decision.retryAfterSeconds} seconds`;
      next(new HttpError(429, 'too_many_failed_logins', message, { retryAfterSeconds: decision.retryAfterSeconds }));
      return;
    }
    if (decision.endedEpisode !== undefined) logger.info({ address, ...decision.endedEpisode }, 'client address no longer limited: its failed login allowance has refilled');

    const header = request.headers.authorization;
    const received = parseBasicAuthorization(header) ?? { username: '', password: '' };
    const usernameMatches = equalInConstantTime(received.username, expected.username);
    const passwordMatches = equalInConstantTime(received.password, expected.password);
    if (usernameMatches && passwordMatches) {
      next();
      return;
    }

    if (header !== undefined) {
      failedLogins += 1;
      const outcome = limiter.recordFailure(address);
      // The user name is not logged: people type their password into the wrong field.
      logger.warn({ address, usernameMatches, failedLoginsSinceStart: failedLogins, ...limits, retryAfterSeconds: outcome.retryAfterSeconds }, 'failed login');
    }
    response.setHeader('WWW-Authenticate', `Basic realm="${REALM}", charset="UTF-8"`);
    response.status(401).json({
      error: 'unauthorized',
      message: 'Authentication required: sign in with the dashboard-lite user name and password. The README explains where to find the password',
    });
  };
}
