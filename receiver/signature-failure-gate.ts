import type { Request, RequestHandler } from 'express';
import type { Logger } from 'pino';
import { clientAddressKey } from './client-address-key.js';
import { HttpError } from './http-error.js';
import { FailureLimiter } from './failure-limiter.js';

/**
 * Addresses whose failures are tracked at once. One tracked address takes about 250 bytes of heap
 * (`npm run bench:limiter`), so the limiter uses at most about 2.5 MiB, however many addresses an
 * attacker uses.
 */
export const MAX_TRACKED_ADDRESSES = 10_000;

export interface SignatureFailureGateOptions {
  /** Failed signature checks an address may make in a row, or 0 to turn the limit off. */
  signatureFailureBurst: number;
  /** Failures credited back to each address per minute. */
  signatureFailureRefillPerMinute: number;
  logger: Logger;
  nowMs?: () => number;
}

/** The two places where the webhook meets the limiter. */
export interface SignatureFailureGate {
  /** Rejects a request from a limited address with 429 and Retry-After, before its body is read. */
  rejectLimited: RequestHandler;
  /** Counts a failed signature check against the request's address. */
  recordFailure(request: Request): void;
}

const OPEN_GATE: SignatureFailureGate = {
  rejectLimited: (_request, _response, next) => next(),
  recordFailure: () => undefined,
};

/**
 * Limits failed signature checks per client address (Express's `request.ip`, which honours
 * X-Forwarded-For only from trusted proxies). Terra signs every delivery, so only forged or
 * misconfigured senders fail. A limited address gets 429 for every request to the webhook, valid
 * ones included, until one failure has been credited back. Terra retries a 429 like any non-2xx.
 */
export function signatureFailureGate(options: SignatureFailureGateOptions): SignatureFailureGate {
  if (options.signatureFailureBurst === 0) return OPEN_GATE;

  const { logger } = options;
  const limits = { burst: options.signatureFailureBurst, refillPerMinute: options.signatureFailureRefillPerMinute };
  const limiter = new FailureLimiter({ ...limits, maxAddresses: MAX_TRACKED_ADDRESSES, nowMs: options.nowMs ?? Date.now });

  const rejectLimited: RequestHandler = (request, response, next) => {
    const address = clientAddressKey(request.ip);
    const decision = limiter.check(address);
    if (decision.limited) {
      response.set('retry-after', String(decision.retryAfterSeconds));
      const message = `Too many requests from this address failed the signature check; retry after ${decision.retryAfterSeconds} seconds`;
      throw new HttpError(429, 'too_many_signature_failures', message, { retryAfterSeconds: decision.retryAfterSeconds });
    }

    if (decision.endedEpisode !== undefined) {
      logger.info({ address, ...decision.endedEpisode }, 'client address no longer limited: its signature failure allowance has refilled');
    }
    next();
  };

  const recordFailure = (request: Request) => {
    const address = clientAddressKey(request.ip);
    const outcome = limiter.recordFailure(address);
    // One line per limited period, because the 429 responses that follow are counted, not logged.
    if (outcome.becameLimited) {
      const fields = { address, ...limits, retryAfterSeconds: outcome.retryAfterSeconds };
      logger.warn(fields, 'client address limited after too many failed signature checks; its webhook requests get 429 until the allowance refills');
    }
  };

  return { rejectLimited, recordFailure };
}
