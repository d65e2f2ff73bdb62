import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';

import { signTerraBody } from '../terra/signature.js';

/** Options of one signed delivery; every field has a default. */
export interface DeliveryOptions {
  /** `X-Terra-Trace-Id`, kept across retries as Terra does; default: a new random UUID. */
  traceId?: string;
  /** `X-Terra-Ordering-Timestamp` in Unix milliseconds; default: `Date.now()` at the first attempt. */
  orderingTimestampMs?: number;
  /** Time limit of each attempt in ms, headers and body included; default 30,000. */
  timeoutMs?: number;
  /** Attempts after the first one, on a network error, a timeout, a 5xx or a 429; default 3. */
  retries?: number;
  /** Wait before the first retry in ms, doubled for each further retry; default 500. */
  retryDelayMs?: number;
  /** Clock for the signature's `t`, in Unix seconds; default: the current time. */
  nowSeconds?: () => number;
  /** Called before each retry, for example to print a warning. */
  onRetry?: (event: RetryEvent) => void;
}

export interface RetryEvent {
  /** Number of the attempt that failed, starting at 1. */
  attempt: number;
  /** `HTTP <status>`, or the network error's message. */
  reason: string;
  delayMs: number;
}

/** The receiver's last response, whatever its status. */
export interface DeliveryResult {
  status: number;
  body: string;
  attempts: number;
}

/** A delivery that got no HTTP response: every attempt failed on the network or timed out. */
export class DeliveryError extends Error {
  constructor(
    message: string,
    /** The target URL with credentials and query values masked. */
    readonly url: string,
    readonly attempts: number,
    /** Status of the last response if an earlier attempt got one (a 5xx or 429), else undefined. */
    readonly lastStatus: number | undefined,
    options?: { cause: unknown },
  ) {
    super(message, options);
    this.name = 'DeliveryError';
  }
}

/** Command options that fail validation, each listed with its value and what was expected. */
export class InvalidOptionsError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid options:\n  - ${problems.join('\n  - ')}`);
    this.name = 'InvalidOptionsError';
  }
}

/** Output channels of the simulate and send commands: progress goes to info, failures to error. */
export interface CommandOutput {
  info(message: string): void;
  error(message: string): void;
}

const DEFAULT_TIMEOUT_MS = 30_000;
const DEFAULT_RETRIES = 3;
const DEFAULT_RETRY_DELAY_MS = 500;
/** Upper bound on a 429's `Retry-After`, so a confused receiver cannot stall the command for hours. */
const MAX_RETRY_AFTER_MS = 60_000;

/** Maximum length of a response body quoted in a message, in characters. */
const MAX_QUOTED_BODY_CHARS = 200;

/** Shortens a receiver's response body to one line that fits in a message. */
export function quoteResponseBody(body: string): string {
  const oneLine = body.replace(/\s+/g, ' ').trim();
  if (oneLine.length <= MAX_QUOTED_BODY_CHARS) return oneLine;

  return `${oneLine.slice(0, MAX_QUOTED_BODY_CHARS)}...`;
}

/**
 * Returns a problem message when `url` is not an absolute http(s) URL or contains a user name or
 * password, else undefined. Node's fetch rejects a URL with credentials and quotes the whole URL,
 * password included, in its error message, so such a URL is stopped here, before any attempt.
 */
export function checkWebhookUrl(url: string): string | undefined {
  if (!URL.canParse(url)) return `url must be an absolute http:// or https:// URL, got "${redactUrl(url)}"`;

  const { protocol, username, password } = new URL(url);
  if (protocol !== 'http:' && protocol !== 'https:') return `url must use http or https, got "${protocol}"`;
  if (username !== '' || password !== '') {
    return `url must not contain a user name or password; remove them, because the receiver authenticates each delivery by its Terra signature, got "${redactUrl(url)}"`;
  }

  return undefined;
}

/**
 * Masks what may be a secret in a URL before it is printed: the user name, the password and every
 * query value. Text that does not parse as a URL is hidden when it contains `?` or `@`.
 */
export function redactUrl(url: string): string {
  if (!URL.canParse(url)) return /[?@]/.test(url) ? '(invalid URL, hidden because it may contain credentials)' : url;

  const parsed = new URL(url);
  if (parsed.username !== '') parsed.username = 'REDACTED';
  if (parsed.password !== '') parsed.password = 'REDACTED';
  for (const key of new Set(parsed.searchParams.keys())) parsed.searchParams.set(key, 'REDACTED');

  return parsed.toString();
}

/** Finds each `scheme://...` URL in a text, up to the next space or quote. */
const URL_IN_TEXT = /\b[a-z][a-z0-9+.-]*:\/\/[^\s"'<>`]+/gi;

/**
 * Masks, in a message such as an error from fetch or commander, every URL that contains a user
 * name, a password or a query, as redactUrl does. Other URLs are kept unchanged, so that help
 * texts still show their examples as written. A URL that does not parse is hidden whole.
 */
export function redactUrlsInText(text: string): string {
  return text.replace(URL_IN_TEXT, (match) => {
    if (!URL.canParse(match)) return '(invalid URL, hidden because it may contain credentials)';

    const { username, password, search } = new URL(match);
    return username === '' && password === '' && search === '' ? match : redactUrl(match);
  });
}

type AttemptOutcome =
  | { kind: 'response'; status: number; body: string; retryAfterSeconds: number | undefined }
  | { kind: 'network-error'; error: unknown };

function isRetryable(outcome: AttemptOutcome): boolean {
  return outcome.kind === 'network-error' || outcome.status >= 500 || outcome.status === 429;
}

/**
 * Returns the wait before the next attempt: exponential backoff, or a 429's `Retry-After` when
 * that is longer. NOTE: only the delay-seconds form of `Retry-After` is read, not an HTTP date.
 */
function retryDelayMs(baseDelayMs: number, attempt: number, outcome: AttemptOutcome): number {
  const backoffMs = baseDelayMs * 2 ** (attempt - 1);
  if (outcome.kind !== 'response' || outcome.status !== 429 || outcome.retryAfterSeconds === undefined) return backoffMs;

  return Math.max(backoffMs, Math.min(outcome.retryAfterSeconds * 1000, MAX_RETRY_AFTER_MS));
}

function parseRetryAfterSeconds(response: Response): number | undefined {
  const header = response.headers.get('retry-after');
  if (header === null || !/^\d+$/.test(header.trim())) return undefined;

  return Number(header.trim());
}

/**
 * Sends one attempt and reads the whole response. The signature is computed afresh for each
 * attempt, so that a late retry is not rejected as expired.
 */
async function attemptDelivery(url: string, body: Buffer, secret: string, headers: Record<string, string>, options: DeliveryOptions): Promise<AttemptOutcome> {
  const nowSeconds = options.nowSeconds?.() ?? Math.floor(Date.now() / 1000);
  const signature = signTerraBody(body, secret, nowSeconds);

  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: { ...headers, 'x-terra-signature': signature },
      body,
      signal: AbortSignal.timeout(options.timeoutMs ?? DEFAULT_TIMEOUT_MS),
    });
    const text = await response.text();
    return { kind: 'response', status: response.status, body: text, retryAfterSeconds: parseRetryAfterSeconds(response) };
  } catch (error) {
    return { kind: 'network-error', error };
  }
}

function describeOutcome(outcome: AttemptOutcome, timeoutMs: number): string {
  if (outcome.kind === 'response') return `HTTP ${outcome.status}`;

  const { error } = outcome;
  if (error instanceof Error && error.name === 'TimeoutError') return `timed out after ${timeoutMs} ms`;
  if (!(error instanceof Error)) return redactUrlsInText(String(error));
  // undici reports "fetch failed" and puts the useful part (ECONNREFUSED, ...) in the cause.
  // Its messages may quote the URL as given, credentials and query included.
  const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
  return redactUrlsInText(`${error.message}${cause}`);
}

/**
 * Signs `rawBody` as Terra does and POSTs it unchanged to `url`. Retries a network error, a
 * timeout, a 5xx or a 429 with exponential backoff, and returns the last response, whatever its
 * status. Other 4xx responses are returned at once. Throws InvalidOptionsError for a URL that is
 * not http(s) or contains credentials, and DeliveryError, naming the URL with its query values
 * masked, when no attempt got a response.
 */
export async function deliverSignedBody(
  url: string,
  rawBody: Buffer | string,
  secret: string,
  options: DeliveryOptions = {},
): Promise<DeliveryResult> {
  const urlProblem = checkWebhookUrl(url);
  if (urlProblem !== undefined) throw new InvalidOptionsError([urlProblem]);

  const body = typeof rawBody === 'string' ? Buffer.from(rawBody, 'utf8') : rawBody;
  const headers = {
    'content-type': 'application/json',
    'X-Terra-Trace-Id': options.traceId ?? randomUUID(),
    'X-Terra-Ordering-Timestamp': String(options.orderingTimestampMs ?? Date.now()),
  };
  const maxAttempts = (options.retries ?? DEFAULT_RETRIES) + 1;
  const history: AttemptOutcome[] = [];

  for (let attempt = 1; attempt <= maxAttempts; attempt += 1) {
    const outcome = await attemptDelivery(url, body, secret, headers, options);
    history.push(outcome);
    if (outcome.kind === 'response' && (!isRetryable(outcome) || attempt === maxAttempts)) {
      return { status: outcome.status, body: outcome.body, attempts: attempt };
    }
    if (attempt < maxAttempts) await waitBeforeRetry(attempt, outcome, options);
  }

  throw buildDeliveryError(url, history, options);
}

async function waitBeforeRetry(attempt: number, outcome: AttemptOutcome, options: DeliveryOptions): Promise<void> {
  const delayMs = retryDelayMs(options.retryDelayMs ?? DEFAULT_RETRY_DELAY_MS, attempt, outcome);
  const reason = describeOutcome(outcome, options.timeoutMs ?? DEFAULT_TIMEOUT_MS);

  options.onRetry?.({ attempt, reason, delayMs });
  await sleep(delayMs);
}

/** Describes a delivery whose last attempt got no response, naming the last status seen before it. */
function buildDeliveryError(url: string, history: AttemptOutcome[], options: DeliveryOptions): DeliveryError {
  const last = history[history.length - 1] as AttemptOutcome;
  const lastResponse = history.filter((outcome) => outcome.kind === 'response').pop();
  const lastStatus = lastResponse?.kind === 'response' ? lastResponse.status : undefined;
  const statusNote = lastStatus === undefined ? '' : ` (an earlier attempt got HTTP ${lastStatus})`;
  const reason = describeOutcome(last, options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  const message = `POST ${redactUrl(url)} failed after ${history.length} attempts: ${reason}${statusNote}`;
  const cause = last.kind === 'network-error' ? last.error : undefined;

  return new DeliveryError(message, redactUrl(url), history.length, lastStatus, { cause });
}
