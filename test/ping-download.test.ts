// Real parts: the ping-mode downloader with Node's HTTP client, talking real HTTP to a server on
// 127.0.0.1. Stand-in: that server plays Terra's storage (S3), which no test can reach. The
// downloader runs with the setting of TERRA_PING_ALLOW_HTTP_LOOPBACK, so plain http to it is
// allowed. The host resolver is a fake that fails every lookup, so no test sends a DNS query.
import { createServer, get, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PingDownloadError } from '../receiver/ping-download-error.js';
import { HttpPingDownloader, MAX_PING_REDIRECTS, pinnedLookup, type HttpPingDownloaderOptions } from '../receiver/ping-download.js';

const MAX_BYTES = 4096;
const EVENT = Buffer.from(JSON.stringify({ type: 'healthcheck', status: 'ok', padding: 'x'.repeat(200) }));

type Route = (response: ServerResponse, request: IncomingMessage) => void;

function redirect(location: string): Route {
  return (response) => response.writeHead(302, { location }).end();
}

const ROUTES: Record<string, Route> = {
  '/payload.json': (response) => response.writeHead(200, { 'content-type': 'application/json' }).end(EVENT),
  '/payload.gz': (response) => response.writeHead(200, { 'content-encoding': 'gzip' }).end(gzipSync(EVENT)),
  '/compress': (response) => response.writeHead(200, { 'content-encoding': 'compress' }).end(EVENT),
  '/expired': (response) => response.writeHead(403, { 'content-type': 'application/xml' }).end('<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>'),
  '/missing': (response) => response.writeHead(404).end(),
  '/unavailable': (response) => response.writeHead(503).end(),
  '/declared-too-large': (response) => response.writeHead(200, { 'content-length': String(MAX_BYTES + 1) }).end(Buffer.alloc(MAX_BYTES + 1, 0x20)),
  '/chunked-too-large': (response) => {
    response.writeHead(200);
    for (let index = 0; index < 5; index += 1) response.write(Buffer.alloc(1000, 0x20));
    response.end();
  },
  '/gzip-too-large': (response) => response.writeHead(200, { 'content-encoding': 'gzip' }).end(gzipSync(Buffer.alloc(MAX_BYTES * 10, 0x20))),
  '/redirect-once': redirect('/payload.json?sig=second'),
  '/loop': redirect('/loop?sig=again'),
  '/redirect-without-location': (response) => response.writeHead(302).end(),
  '/redirect-to-documentation-net': redirect('http://192.0.2.10/payload.json?sig=x'),
  '/redirect-to-https-loopback': redirect('https://127.0.0.1:1/payload.json'),
  '/hang': () => undefined,
};

describe('HttpPingDownloader', () => {
  let server: Server;
  let base: string;
  const requests: string[] = [];

  const downloader = (overrides: Partial<HttpPingDownloaderOptions> = {}) =>
    new HttpPingDownloader({
      maxBytes: MAX_BYTES,
      timeoutMs: 10_000,
      allowHttpLoopback: true,
      resolveHost: async (hostname) => {
        throw Object.assign(new Error(`no lookups in tests: ${hostname}`), { code: 'ENOTFOUND' });
      },
      ...overrides,
    });
  const link = (path: string) => ({ url: `${base}${path}`, expiresAtMs: Date.now() + 60_000 });

  async function failure(promise: Promise<unknown>): Promise<PingDownloadError> {
    const error = await promise.then(() => undefined, (caught: unknown) => caught);
    if (!(error instanceof PingDownloadError)) throw new Error(`expected a PingDownloadError, got ${String(error)}`);
    return error;
  }

  beforeAll(async () => {
    server = createServer((request, response) => {
      requests.push(request.url ?? '');
      const route = ROUTES[new URL(request.url ?? '/', 'http://stand-in').pathname];
      if (route === undefined) response.writeHead(404).end();
      else route(response, request);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('downloads the body with its query string', async () => {
    requests.length = 0;
    const body = await downloader().download(link('/payload.json?X-Amz-Signature=abc&X-Amz-Expires=300'));

    expect(body.equals(EVENT)).toBe(true);
    expect(requests).toEqual(['/payload.json?X-Amz-Signature=abc&X-Amz-Expires=300']);
  });

  it('decodes a gzip body', async () => {
    const body = await downloader().download(link('/payload.gz'));
    expect(body.equals(EVENT)).toBe(true);
  });

  it('follows a redirect', async () => {
    requests.length = 0;
    const body = await downloader().download(link('/redirect-once?sig=first'));

    expect(body.equals(EVENT)).toBe(true);
    expect(requests).toEqual(['/redirect-once?sig=first', '/payload.json?sig=second']);
  });

  it('rejects 403 for good without the query', async () => {
    const error = await failure(downloader().download(link('/expired?X-Amz-Signature=secret-signature')));

    expect(error.message).toBe(`download of ${base}/expired failed: ${base}/expired responded HTTP 403 (the link has expired or its signature is not valid)`);
    expect(error.retryUntilMs).toBeUndefined();
  });

  it('rejects 404 for good', async () => {
    const error = await failure(downloader().download(link('/missing')));

    expect(error.message).toBe(`download of ${base}/missing failed: ${base}/missing responded HTTP 404`);
    expect(error.retryUntilMs).toBeUndefined();
  });

  it('allows retries of 503 until expiry', async () => {
    const target = link('/unavailable?sig=s');
    const error = await failure(downloader().download(target));

    expect(error.message).toBe(`download of ${base}/unavailable failed: ${base}/unavailable responded HTTP 503 (the link expires at ${new Date(target.expiresAtMs).toISOString()})`);
    expect(error.retryUntilMs).toBe(target.expiresAtMs);
    expect(error.canRetryAfter(1000, target.expiresAtMs - 1001)).toBe(true);
    expect(error.canRetryAfter(1000, target.expiresAtMs - 1000)).toBe(false);
  });

  it('allows retries after a refused connection', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));

    const error = await failure(downloader().download({ url: `http://127.0.0.1:${port}/p?sig=s`, expiresAtMs: Date.now() + 60_000 }));

    expect(error.message).toContain(`download of http://127.0.0.1:${port}/p failed: http://127.0.0.1:${port}/p: connect ECONNREFUSED 127.0.0.1:${port}`);
    expect(error.retryUntilMs).toBeDefined();
  });

  it('does not start after expiry', async () => {
    requests.length = 0;
    const expiresAtMs = Date.now() - 1;
    const error = await failure(downloader().download({ url: `${base}/payload.json?sig=late`, expiresAtMs }));

    expect(error.message).toBe(`the link ${base}/payload.json expired at ${new Date(expiresAtMs).toISOString()}, before it could be downloaded`);
    expect(error.retryUntilMs).toBeUndefined();
    expect(requests).toEqual([]);
  });

  it('rejects a declared length above the limit', async () => {
    const error = await failure(downloader().download(link('/declared-too-large')));

    expect(error.message).toBe(`download of ${base}/declared-too-large failed: the body is larger than MAX_BODY_BYTES (${MAX_BYTES} bytes): Content-Length is ${MAX_BYTES + 1}`);
    expect(error.retryUntilMs).toBeUndefined();
  });

  it('stops reading a chunked body at the limit', async () => {
    const error = await failure(downloader().download(link('/chunked-too-large')));

    expect(error.message).toBe(`download of ${base}/chunked-too-large failed: the body is larger than MAX_BODY_BYTES (${MAX_BYTES} bytes): the body is longer`);
    expect(error.retryUntilMs).toBeUndefined();
  });

  it('limits the decoded size of gzip', async () => {
    const error = await failure(downloader().download(link('/gzip-too-large')));
    expect(error.message).toBe(`download of ${base}/gzip-too-large failed: the body is larger than MAX_BODY_BYTES (${MAX_BYTES} bytes): the body is longer`);
  });

  it('rejects an unknown Content-Encoding', async () => {
    const error = await failure(downloader().download(link('/compress')));
    expect(error.message).toBe(`download of ${base}/compress failed: unsupported Content-Encoding "compress"`);
  });

  it('stops a redirect loop', async () => {
    requests.length = 0;
    const error = await failure(downloader().download(link('/loop?sig=start')));

    expect(error.message).toBe(`download of ${base}/loop failed: more than ${MAX_PING_REDIRECTS} redirects, the last to ${base}/loop`);
    expect(error.retryUntilMs).toBeUndefined();
    expect(requests).toHaveLength(MAX_PING_REDIRECTS + 1);
  });

  it('rejects a redirect without Location', async () => {
    const error = await failure(downloader().download(link('/redirect-without-location')));
    expect(error.message).toBe(`download of ${base}/redirect-without-location failed: ${base}/redirect-without-location responded HTTP 302 without a Location header`);
  });

  it('checks each redirect target', async () => {
    const toHttp = await failure(downloader().download(link('/redirect-to-documentation-net')));
    const toLoopback = await failure(downloader().download(link('/redirect-to-https-loopback')));

    expect(toHttp.message).toBe(
      `download of ${base}/redirect-to-documentation-net failed: http://192.0.2.10/payload.json was rejected: expected https://, or http:// to 127.0.0.1 or [::1] only (TERRA_PING_ALLOW_HTTP_LOOPBACK)`,
    );
    expect(toLoopback.message).toBe(
      `download of ${base}/redirect-to-https-loopback failed: https://127.0.0.1:1/payload.json was rejected: host 127.0.0.1 has an address that is not public: 127.0.0.1 (loopback)`,
    );
  });

  it('rejects loopback http without the test setting', async () => {
    requests.length = 0;
    const error = await failure(downloader({ allowHttpLoopback: false }).download(link('/payload.json?sig=s')));

    expect(error.message).toBe(`download of ${base}/payload.json failed: ${base}/payload.json was rejected: expected an https:// URL`);
    expect(requests).toEqual([]);
  });

  it('pins a host name to checked addresses', async () => {
    requests.length = 0;
    const port = new URL(base).port;
    // The .invalid name can never resolve through DNS, so only the pinned lookup can connect it.
    const status = await new Promise<number>((resolve, reject) => {
      const options = { lookup: pinnedLookup([{ address: '127.0.0.1', family: 4 }]), agent: false };
      get(`http://storage.invalid:${port}/payload.json?sig=pinned`, options, (response) => {
        response.resume();
        resolve(response.statusCode ?? 0);
      }).once('error', reject);
    });

    expect(status).toBe(200);
    expect(requests).toEqual(['/payload.json?sig=pinned']);
  });

  it('times out a DNS lookup that hangs', async () => {
    const hanging = downloader({ timeoutMs: 200, resolveHost: () => new Promise(() => undefined) });
    const error = await failure(hanging.download({ url: 'https://bucket.s3.example.com/p.json?sig=s', expiresAtMs: Date.now() + 60_000 }));

    expect(error.message).toMatch(/^download of https:\/\/bucket\.s3\.example\.com\/p\.json failed: timed out after 0\.2 s \(TERRA_PING_TIMEOUT_SECONDS\) at https:\/\/bucket\.s3\.example\.com\/p\.json \(the link expires at /);
    expect(error.retryUntilMs).toBeDefined();
  });

  it('times out a server that never responds', async () => {
    const error = await failure(downloader({ timeoutMs: 200 }).download(link('/hang?sig=s')));

    expect(error.message).toMatch(new RegExp(`^download of ${base}/hang failed: timed out after 0.2 s \\(TERRA_PING_TIMEOUT_SECONDS\\) at ${base}/hang \\(the link expires at `));
    expect(error.retryUntilMs).toBeDefined();
  });
});
