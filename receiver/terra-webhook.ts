import express, { type RequestHandler, type Router } from 'express';
import type { Logger } from 'pino';
import { classifyTerraEvent, isEnvelopeProblem } from '../terra/envelope.js';
import { verifyTerraSignature } from '../terra/signature.js';
import { HttpError } from './http-error.js';
import type { DeliveryMetadata, Spool } from './spool.js';

export interface WebhookOptions {
  signingSecrets: readonly string[];
  signatureToleranceSeconds: number;
  maxBodyBytes: number;
  spool: Spool;
  /** Called after a delivery is durably spooled, to wake the worker. */
  onSpooled: () => void;
  logger: Logger;
  nowMs?: () => number;
}

const SIGNATURE_FAILURE_MESSAGES = {
  missing: 'The x-terra-signature header is missing',
  malformed: 'The signature header is malformed: expected t=<unix seconds>,v1=<lowercase hex>',
  expired: 'The signature timestamp is outside the allowed tolerance',
  mismatch: 'The signature does not match the body for any configured signing secret',
} as const;

function headerText(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function deliveryMetadata(request: express.Request, receivedAtMs: number): DeliveryMetadata {
  const ordering = Number(headerText(request.headers['x-terra-ordering-timestamp']));
  return {
    receivedAtMs,
    traceId: headerText(request.headers['x-terra-trace-id'])?.slice(0, 200),
    orderingTimestampMs: Number.isSafeInteger(ordering) && ordering > 0 ? ordering : undefined,
    terraReference: headerText(request.headers['terra-reference'])?.slice(0, 200),
  };
}

function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(body));
  } catch {
    throw new HttpError(400, 'invalid_json', 'The body is not valid UTF-8 JSON');
  }
}

function handleWebhook(options: WebhookOptions): RequestHandler {
  const nowMs = options.nowMs ?? Date.now;

  return async (request, response) => {
    if (options.signingSecrets.length === 0) {
      throw new HttpError(503, 'signing_secret_not_configured', 'The receiver has no Terra signing secret yet; set TERRA_SIGNING_SECRET');
    }
    const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
    // Terra's current header first, then the deprecated one.
    const header = headerText(request.headers['x-terra-signature']) ?? headerText(request.headers['terra-signature']);
    const receivedAtMs = nowMs();
    const check = verifyTerraSignature(header, body, {
      secrets: options.signingSecrets,
      toleranceSeconds: options.signatureToleranceSeconds,
      nowSeconds: Math.floor(receivedAtMs / 1000),
    });
    if (!check.ok) {
      options.logger.warn({ reason: check.reason, ip: request.ip, bytes: body.length }, 'webhook rejected: signature check failed');
      throw new HttpError(401, 'invalid_signature', SIGNATURE_FAILURE_MESSAGES[check.reason], { reason: check.reason });
    }

    const event = classifyTerraEvent(parseJson(body));
    if (isEnvelopeProblem(event)) {
      options.logger.warn({ field: event.field }, 'webhook rejected: not a Terra event');
      throw new HttpError(400, 'invalid_event', `Invalid field ${event.field}: ${event.message}`, { field: event.field });
    }

    await spoolDelivery(options, deliveryMetadata(request, receivedAtMs), body);
    options.onSpooled();
    response.status(200).json({ status: 'accepted' });
  };
}

async function spoolDelivery(options: WebhookOptions, metadata: DeliveryMetadata, body: Buffer): Promise<void> {
  try {
    await options.spool.append(metadata, body);
  } catch (error) {
    options.logger.error({ err: error, traceId: metadata.traceId }, 'cannot write the delivery to the spool; responding 503 so that Terra retries');
    throw new HttpError(503, 'spool_unavailable', 'The delivery could not be stored durably; retry later');
  }
}

/**
 * Routes `POST /webhooks/terra`: reads the raw body (up to maxBodyBytes), verifies the signature on
 * those exact bytes, checks that it is a Terra event, spools it durably, then responds 200. Storing
 * in InfluxDB happens later, in the worker, so the response never waits for InfluxDB.
 */
export function terraWebhookRouter(options: WebhookOptions): Router {
  const router = express.Router();
  const rawBody = express.raw({ type: () => true, limit: options.maxBodyBytes });
  router.post('/webhooks/terra', rawBody, handleWebhook(options));
  return router;
}
