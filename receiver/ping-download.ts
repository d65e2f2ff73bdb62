import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import type { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import { PingDownloadError } from './ping-download-error.js';
import { checkPingUrl, describeLink, type PingUrlPolicy, type ResolvedAddress } from './ping-url-policy.js';

/** A ping-mode link with the time, in Unix milliseconds, after which it is no longer tried. */
export interface ExpiringLink {
  url: string;
  expiresAtMs: number;
}

/** Fetches the event a ping-mode link points to. */
export interface PingDownloader {
  /** Returns the downloaded body; throws PingDownloadError. */
  download(link: ExpiringLink): Promise<Buffer>;
}

export interface HttpPingDownloaderOptions extends PingUrlPolicy {
  /** Largest body accepted, after any Content-Encoding is decoded. */
  maxBytes: number;
  /** Limit for one download, every redirect and the whole body included. */
  timeoutMs: number;
  nowMs?: () => number;
}

/**
 * Redirects followed in one download. A pre-signed S3 link normally responds without one, and
 * the few hops allowed cover a redirect to a bucket's regional endpoint (307).
 */
export const MAX_PING_REDIRECTS = 3;

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
const REQUEST_HEADERS = { accept: 'application/json', 'user-agent': 'hrv-stack-receiver' };

/** A failure inside one download, turned into a PingDownloadError once the link's expiry is known. */
class DownloadFailure extends Error {
  constructor(
    message: string,
    readonly transient: boolean,
  ) {
    super(message);
  }
}

/**
 * Downloads ping-mode links over HTTPS with Node's own client. Every URL, the first and each
 * redirect target, passes checkPingUrl, and the connection goes only to the addresses it checked.
 */
export class HttpPingDownloader implements PingDownloader {
  constructor(private readonly options: HttpPingDownloaderOptions) {}

  async download(link: ExpiringLink): Promise<Buffer> {
    const nowMs = this.options.nowMs ?? Date.now;
    const url = new URL(link.url);
    const expiresAt = new Date(link.expiresAtMs).toISOString();
    if (nowMs() >= link.expiresAtMs) throw new PingDownloadError(`the link ${describeLink(url)} expired at ${expiresAt}, before it could be downloaded`);

    const visited: URL[] = [];
    const signal = AbortSignal.timeout(this.options.timeoutMs);
    try {
      return await this.follow(url, visited, signal);
    } catch (error) {
      const failure = this.toFailure(error, signal, visited);
      const message = withoutQueries(`download of ${describeLink(url)} failed: ${failure.message}`, visited);
      if (!failure.transient) throw new PingDownloadError(message);
      throw new PingDownloadError(`${message} (the link expires at ${expiresAt})`, link.expiresAtMs);
    }
  }

  private toFailure(error: unknown, signal: AbortSignal, visited: readonly URL[]): DownloadFailure {
    const last = visited.at(-1);
    if (signal.aborted && last !== undefined) {
      return new DownloadFailure(`timed out after ${this.options.timeoutMs / 1000} s (TERRA_PING_TIMEOUT_SECONDS) at ${describeLink(last)}`, true);
    }
    return error instanceof DownloadFailure ? error : new DownloadFailure(unexpectedMessage(error), false);
  }

  private async follow(first: URL, visited: URL[], signal: AbortSignal): Promise<Buffer> {
    let url = first;
    for (let redirects = 0; ; redirects += 1) {
      visited.push(url);
      const check = await untilAborted(checkPingUrl(url, this.options), signal);
      if ('problem' in check) throw new DownloadFailure(`${describeLink(url)} was rejected: ${check.problem}`, check.transient);

      const response = await this.get(url, check.addresses, signal);
      const target = redirectTarget(response, url);
      if (target === undefined) return this.readBody(url, response, signal);

      response.resume();
      if (redirects === MAX_PING_REDIRECTS) throw new DownloadFailure(`more than ${MAX_PING_REDIRECTS} redirects, the last to ${describeLink(target)}`, false);
      url = target;
    }
  }

  private get(url: URL, addresses: readonly ResolvedAddress[], signal: AbortSignal): Promise<IncomingMessage> {
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    // No shared agent: a pooled connection could have been opened to an address checked for another URL.
    const options = { headers: REQUEST_HEADERS, signal, agent: false, lookup: pinnedLookup(addresses) };

    return new Promise((resolve, reject) => {
      const request = send(url, options, resolve);
      request.once('error', (error) => reject(networkFailure(url, error)));
      request.end();
    });
  }

  private async readBody(url: URL, response: IncomingMessage, signal: AbortSignal): Promise<Buffer> {
    const status = response.statusCode ?? 0;
    if (status !== 200) {
      response.resume();
      throw statusFailure(url, status);
    }

    const { maxBytes } = this.options;
    const encoding = contentEncoding(response);
    const declaredBytes = Number(response.headers['content-length']);
    if (encoding === 'identity' && Number.isSafeInteger(declaredBytes) && declaredBytes > maxBytes) {
      response.destroy();
      throw tooLarge(maxBytes, `Content-Length is ${declaredBytes}`);
    }
    const decoder = DECODERS.get(encoding)?.();
    if (encoding !== 'identity' && decoder === undefined) {
      response.destroy();
      throw new DownloadFailure(`unsupported Content-Encoding "${encoding.slice(0, 40)}"`, false);
    }

    return collectBody(url, response, decoder, maxBytes, signal);
  }
}

/** Reads the body through its decoder, if any, and stops as soon as it exceeds maxBytes. */
async function collectBody(url: URL, response: IncomingMessage, decoder: Transform | undefined, maxBytes: number, signal: AbortSignal): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let totalBytes = 0;
  // Kept here because pipeline may reject with the AbortError of a stage it destroyed instead.
  let overflow: DownloadFailure | undefined;
  const collect = async (source: AsyncIterable<Buffer>) => {
    for await (const chunk of source) {
      totalBytes += chunk.length;
      if (totalBytes > maxBytes) {
        overflow = tooLarge(maxBytes, 'the body is longer');
        throw overflow;
      }
      chunks.push(chunk);
    }
  };

  try {
    await (decoder === undefined ? pipeline(response, collect, { signal }) : pipeline(response, decoder, collect, { signal }));
  } catch (error) {
    throw overflow ?? networkFailure(url, error);
  }
  return Buffer.concat(chunks, totalBytes);
}

/** Returns the next URL when the response is a redirect; throws when a redirect has no Location. */
function redirectTarget(response: IncomingMessage, url: URL): URL | undefined {
  if (!REDIRECT_STATUSES.has(response.statusCode ?? 0)) return undefined;

  const location = response.headers.location;
  if (location === undefined || location === '') {
    response.resume();
    throw new DownloadFailure(`${describeLink(url)} responded HTTP ${response.statusCode} without a Location header`, false);
  }
  try {
    return new URL(location, url);
  } catch {
    response.resume();
    throw new DownloadFailure(`${describeLink(url)} redirected to an invalid URL`, false);
  }
}

/**
 * 408, 429 and 5xx may pass; any other status will not change on a retry. S3 responds 403 to an
 * expired or wrongly signed link, and Terra documents 400 for an expired one.
 */
function statusFailure(url: URL, status: number): DownloadFailure {
  const transient = status === 408 || status === 429 || status >= 500;
  const hint = status === 400 || status === 403 ? ' (the link has expired or its signature is not valid)' : '';
  return new DownloadFailure(`${describeLink(url)} responded HTTP ${status}${hint}`, transient);
}

function tooLarge(maxBytes: number, detail: string): DownloadFailure {
  return new DownloadFailure(`the body is larger than MAX_BODY_BYTES (${maxBytes} bytes): ${detail}`, false);
}

/** Network errors may pass on a retry. Node's connection errors name the address and port, not the path. */
function networkFailure(url: URL, error: unknown): DownloadFailure {
  return new DownloadFailure(`${describeLink(url)}: ${error instanceof Error ? error.message : String(error)}`, true);
}

/** S3 serves an object with the Content-Encoding it was stored with, whatever the request accepts. */
const DECODERS: ReadonlyMap<string, () => Transform> = new Map([
  ['gzip', createGunzip],
  ['x-gzip', createGunzip],
  ['deflate', createInflate],
  ['br', createBrotliDecompress],
]);

function contentEncoding(response: IncomingMessage): string {
  const name = (response.headers['content-encoding'] ?? '').trim().toLowerCase();
  return name === '' ? 'identity' : name;
}

/** Makes the connection use only addresses that passed the checks, whatever DNS answers now. */
export function pinnedLookup(addresses: readonly ResolvedAddress[]): LookupFunction {
  return (_hostname, options, callback) => {
    const family = typeof options.family === 'number' ? options.family : 0;
    const usable = addresses.filter((entry) => family === 0 || entry.family === family);
    const first = usable[0];
    if (first === undefined) {
      callback(Object.assign(new Error(`no checked IPv${family} address`), { code: 'ENOTFOUND' }), '', 0);
    } else if (options.all === true) {
      callback(null, usable.map((entry) => ({ address: entry.address, family: entry.family })));
    } else {
      callback(null, first.address, first.family);
    }
  };
}

/** Rejects once the signal aborts, so that a slow DNS lookup counts against the timeout too. */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    if (signal.aborted) {
      onAbort();
      return;
    }
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

function unexpectedMessage(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/** Removes each visited URL's query string from a message, in case a library quoted a URL. */
function withoutQueries(message: string, visited: readonly URL[]): string {
  return visited.reduce((text, url) => (url.search.length > 1 ? text.split(url.search).join('?…') : text), message);
}
