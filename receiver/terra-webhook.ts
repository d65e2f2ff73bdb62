import express, { type Request, type RequestHandler, type Router } from 'express';
import type { Logger } from 'pino';
import { classifyTerraEvent, eventTypeOf, isEnvelopeProblem } from '../terra/envelope.js';
import { parseJsonBody } from '../terra/json-body.js';
import { checkSignatureHeader, matchesSignedBody, type ParsedSignatureHeader, type SignatureFailure } from '../terra/signature.js';
import { HttpError } from './http-error.js';
import { signatureFailureGate, type SignatureFailureGate, type SignatureFailureGateOptions } from './signature-failure-gate.js';
import type { WebhookMetrics } from './metrics.js';
import type { DeliveryMetadata, Spool } from './spool.js';
import type { TraceIdClaim, TraceIdLedger } from './trace-id-ledger.js';

export interface WebhookOptions extends SignatureFailureGateOptions {
  signingSecrets: readonly string[];
  signatureToleranceSeconds: number;
  maxBodyBytes: number;
  spool: Spool;
  /** Retries of a delivery whose X-Terra-Trace-Id is here are acknowledged without spooling. */
  traceIds: TraceIdLedger;
  /** Called after a delivery is durably spooled, to wake the worker. */
  onSpooled: () => void;
  logger: Logger;
  nowMs?: () => number;
  /** Counts rejected signatures for /metrics. */
  metrics?: WebhookMetrics;
}

/** State passed from the header check to the body handler in `response.locals`. */
interface WebhookLocals {
  signature: ParsedSignatureHeader;
  receivedAtMs: number;
}

const SIGNATURE_FAILURE_MESSAGES = {
  missing: 'The signature header is missing: expected x-terra-signature (or the older terra-signature)',
  malformed: 'The signature header is malformed: expected t=<unix seconds>,v1=<lowercase hex>',
  expired: 'The signature timestamp is outside the allowed tolerance',
  mismatch: 'The signature does not match the body for any configured signing secret',
} as const;

/** Ordering timestamps before 2020 or more than a day ahead of the receiver's clock are ignored. */
const EARLIEST_ORDERING_TIMESTAMP_MS = Date.UTC(2020, 0, 1);
const MAX_ORDERING_AHEAD_MS = 24 * 3600 * 1000;

function headerText(value: string | string[] | undefined): string | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  return text === undefined || text.trim() === '' ? undefined : text;
}

function orderingTimestamp(request: Request, receivedAtMs: number): number | undefined {
  const text = headerText(request.headers['x-terra-ordering-timestamp']);
  if (text === undefined || !/^[0-9]{1,16}$/.test(text.trim())) return undefined;
  const value = Number(text);
  return value >= EARLIEST_ORDERING_TIMESTAMP_MS && value <= receivedAtMs + MAX_ORDERING_AHEAD_MS ? value : undefined;
}

/** Maximum length of a kept trace id or terra-reference. Terra's are a UUID, with `:chunk:<n>` for a chunk. */
const MAX_HEADER_ID_CHARS = 200;

/**
 * Returns an id header, or undefined when it is missing or longer than Terra's ids. A longer one is
 * dropped rather than cut, because cut ids could collide and a delivery be taken for a duplicate.
 */
function headerId(request: Request, name: string): string | undefined {
  const text = headerText(request.headers[name]);
  return text !== undefined && text.length <= MAX_HEADER_ID_CHARS ? text : undefined;
}

function deliveryMetadata(request: Request, receivedAtMs: number): DeliveryMetadata {
  return {
    receivedAtMs,
    traceId: headerId(request, 'x-terra-trace-id'),
    orderingTimestampMs: orderingTimestamp(request, receivedAtMs),
    terraReference: headerId(request, 'terra-reference'),
  };
}

function rejectSignature(options: WebhookOptions, gate: SignatureFailureGate, request: Request, reason: SignatureFailure): HttpError {
  const bytes = Buffer.isBuffer(request.body) ? request.body.length : undefined;
  options.logger.warn({ reason, ip: request.ip, bytes }, 'webhook rejected: signature check failed');
  gate.recordFailure(request);
  options.metrics?.signatureRejected(reason);
  return new HttpError(401, 'invalid_signature', SIGNATURE_FAILURE_MESSAGES[reason], { reason });
}

/**
 * Bodies buffered at once may total at most this many times MAX_BODY_BYTES. The HMAC can only be
 * compared once a body is read, so without a cap a flood of well-formed but forged headers could
 * make the receiver buffer any amount of memory.
 */
const IN_FLIGHT_BODY_FACTOR = 2;

/** Reserves room for a body about to be read; returns undefined when the cap is reached. */
function bodyBudget(maxBodyBytes: number): (request: Request) => (() => void) | undefined {
  const capacity = IN_FLIGHT_BODY_FACTOR * maxBodyBytes;
  let reserved = 0;

  return (request) => {
    const declared = Number(request.headers['content-length']);
    // A body without Content-Length (chunked) may grow up to the limit, so that much is reserved.
    const bytes = Number.isSafeInteger(declared) && declared >= 0 ? Math.min(declared, maxBodyBytes) : maxBodyBytes;
    if (reserved + bytes > capacity) return undefined;

    reserved += bytes;
    return () => {
      reserved -= bytes;
    };
  };
}

/**
 * Checks the signature header before the body is read: a request without a usable signature is
 * rejected without buffering up to MAX_BODY_BYTES of it. A request that passes reserves room for
 * its body, and gets 503 (Terra retries) while other bodies fill the cap.
 */
function checkHeader(options: WebhookOptions, gate: SignatureFailureGate): RequestHandler {
  const nowMs = options.nowMs ?? Date.now;
  const reserveBody = bodyBudget(options.maxBodyBytes);

  return (request, response, next) => {
    if (options.signingSecrets.length === 0) {
      throw new HttpError(503, 'signing_secret_not_configured', 'The receiver has no Terra signing secret yet; set TERRA_SIGNING_SECRET');
    }
    // Terra's current header first, then the deprecated one.
    const header = headerText(request.headers['x-terra-signature']) ?? headerText(request.headers['terra-signature']);
    const receivedAtMs = nowMs();
    const check = checkSignatureHeader(header, { toleranceSeconds: options.signatureToleranceSeconds, nowSeconds: Math.floor(receivedAtMs / 1000) });
    if (!check.ok) throw rejectSignature(options, gate, request, check.reason);

    const release = reserveBody(request);
    if (release === undefined) {
      options.logger.warn({ ip: request.ip }, 'webhook rejected: too many bodies are being read at once');
      response.set('retry-after', '10');
      throw new HttpError(503, 'busy', 'Too many webhook bodies are being received at once; retry later');
    }
    response.once('close', release);

    const locals: WebhookLocals = { signature: check.header, receivedAtMs };
    Object.assign(response.locals, locals);
    next();
  };
}

function parseJson(body: Buffer): unknown {
  try {
    return parseJsonBody(body);
  } catch {
    throw new HttpError(400, 'invalid_json', 'The body is not valid UTF-8 JSON');
  }
}

function handleBody(options: WebhookOptions, gate: SignatureFailureGate): RequestHandler {
  return async (request, response) => {
    const locals = response.locals as WebhookLocals;
    const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
    if (!matchesSignedBody(locals.signature, body, options.signingSecrets)) throw rejectSignature(options, gate, request, 'mismatch');

    const event = classifyTerraEvent(parseJson(body));
    if (isEnvelopeProblem(event)) {
      options.logger.warn({ field: event.field }, 'webhook rejected: not a Terra event');
      throw new HttpError(400, 'invalid_event', `Invalid field ${event.field}: ${event.message}`, { field: event.field });
    }

    const metadata = deliveryMetadata(request, locals.receivedAtMs);
    const claim = metadata.traceId === undefined ? undefined : await options.traceIds.claim(metadata.traceId);
    if (claim === 'duplicate') {
      options.logger.info({ traceId: metadata.traceId }, 'duplicate delivery acknowledged: its trace id is pending or was processed');
      options.metrics?.duplicateAcknowledged(eventTypeOf(event));
      response.status(200).json({ status: 'duplicate' });
      return;
    }

    await spoolDelivery(options, metadata, body, claim);
    options.onSpooled();
    response.status(200).json({ status: 'accepted' });
  };
}

async function spoolDelivery(options: WebhookOptions, metadata: DeliveryMetadata, body: Buffer, claim: TraceIdClaim | undefined): Promise<void> {
  try {
    await options.spool.append(metadata, body);
    claim?.spooled();
  } catch (error) {
    claim?.failed();
    options.logger.error({ err: error, traceId: metadata.traceId }, 'cannot write the delivery to the spool; responding 503 so that Terra retries');
    throw new HttpError(503, 'spool_unavailable', 'The delivery could not be stored durably; retry later');
  }
}

const methodNotAllowed: RequestHandler = (request, response) => {
  response.set('allow', 'POST');
  throw new HttpError(405, 'method_not_allowed', `Use POST for /webhooks/terra, not ${request.method}`);
};

/**
 * Routes `POST /webhooks/terra`: rejects with 429 an address with too many failed signature checks,
 * checks the signature header, reads the raw body (up to maxBodyBytes), verifies the signature on
 * those exact bytes, checks that it is a Terra event, spools it durably, then responds 200. A
 * delivery whose trace id is pending or was processed gets 200 `{"status":"duplicate"}` and is not
 * spooled again. Storing in InfluxDB happens later, in the worker, so the response never waits for
 * InfluxDB.
 */
export function terraWebhookRouter(options: WebhookOptions): Router {
  const router = express.Router();
  const gate = signatureFailureGate(options);
  // Terra signs the body as sent, so a compressed body is not inflated: it gets 415 instead.
  const rawBody = express.raw({ type: () => true, limit: options.maxBodyBytes, inflate: false });
  router.all('/webhooks/terra', gate.rejectLimited);
  router.post('/webhooks/terra', checkHeader(options, gate), rawBody, handleBody(options, gate));
  router.all('/webhooks/terra', methodNotAllowed);
  return router;
}
