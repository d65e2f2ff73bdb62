/**
 * A stand-in for the `/api/v2/write` compatibility endpoint of InfluxDB 1.8, in front of a real
 * InfluxDB 1.x that lacks it (Debian ships 1.6). It is not a fake of the database: every write it
 * forwards lands in the real influxd, and the status code and body that influxd returns are relayed
 * unchanged. Only writes that a test asked to fail with `failNextWrites` stop here.
 *
 * The mapping follows `serveWriteV2` and `bucket2dbrp` in InfluxDB 1.8 (services/httpd/handler.go):
 * - `bucket` is `database` or `database/retention-policy`; an empty database is a 404;
 * - `precision` ns, us, ms, s becomes 1.x's n, u, ms, s; any other value is a 400;
 * - `org` is ignored;
 * - the header `Authorization: Token username:password` becomes 1.x credentials (`u`, `p`). A token
 *   without a colon is sent without credentials, which 1.x accepts only while auth is off.
 * Every other path (`/ping`, `/query`, `/write`) is passed through unchanged, and `/health` returns
 * what 1.8 returns, based on the upstream's `/ping`.
 *
 * `/api/v2/delete` (served by InfluxDB 2.x and Enterprise 1.8+) is translated into an InfluxQL
 * `DELETE` on the upstream, for the predicate form the receiver sends: `_measurement` and tag
 * equalities joined by AND. With `upstreamAuthorization` set, the upstream is a real 2.x and the
 * request is forwarded unchanged.
 */
import { createServer, request as httpRequest, type IncomingMessage, type OutgoingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import { finished } from 'node:stream/promises';

export interface V2WriteGatewayOptions {
  /** Base URL of the InfluxDB 1.x HTTP API, for example `http://127.0.0.1:8086`. */
  upstreamUrl: string;
  /**
   * Authorization header value sent upstream in place of the client's own header, for an upstream
   * that needs a fixed credential (an InfluxDB 2.x admin token). When unset, the client's token is
   * mapped to `u` and `p` as InfluxDB 1.8 does.
   */
  upstreamAuthorization?: string;
}

/** One request to `/api/v2/write` and the status the gateway returned. No line protocol is kept. */
export interface GatewayWrite {
  bucket: string;
  precision: string;
  status: number;
  /** True when the status came from `failNextWrites` and the body never reached influxd. */
  injected: boolean;
}

export interface FailNextWritesOptions {
  /** Value of the `Retry-After` header in seconds, for 429 and 503 responses. */
  retryAfterSeconds?: number;
  /** Fails only writes whose line protocol contains this text; others pass and do not count. */
  onlyIfBodyContains?: string;
}

export interface V2WriteGateway {
  /** Base URL of the gateway, for example `http://127.0.0.1:40123`. */
  readonly url: string;
  /** Every `/api/v2/write` request so far, oldest first. */
  readonly writes: readonly GatewayWrite[];
  /** Responds to the next `count` writes with `status` without forwarding them. */
  failNextWrites(status: number, count: number, options?: FailNextWritesOptions): void;
  /** Drops failures that `failNextWrites` queued and that no write has used yet. */
  clearInjectedFailures(): void;
  close(): Promise<void>;
}

interface InjectedFailure {
  status: number;
  remaining: number;
  retryAfterSeconds: number | undefined;
  onlyIfBodyContains: string | undefined;
}

type BucketMapping = { database: string; retentionPolicy: string } | { error: string };

// Hop-by-hop headers (RFC 9110, section 7.6.1) belong to one connection and are never forwarded.
const HOP_BY_HOP_HEADERS = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer']);

const V2_TO_V1_PRECISION: Record<string, string> = { ns: 'n', us: 'u', ms: 'ms', s: 's', '': '' };

/** Splits a v2 bucket into a 1.x database and retention policy, as `bucket2dbrp` in InfluxDB 1.8. */
export function bucketToDatabase(bucket: string): BucketMapping {
  const slash = bucket.indexOf('/');
  const database = slash < 0 ? bucket : bucket.slice(0, slash);
  const retentionPolicy = slash < 0 ? '' : bucket.slice(slash + 1);

  if (slash < 0 && database === '') {
    return { error: `bucket name "${bucket}" is missing a slash; not in "database/retention-policy" format` };
  }
  if (database === '') return { error: `bucket name "${bucket}" is in db/rp form but has an empty database` };
  return { database, retentionPolicy };
}

/** Reads `Token username:password` into 1.x credentials. Returns undefined for any other header. */
function tokenToCredentials(authorization: string | undefined): { username: string; password: string } | undefined {
  const match = /^Token (.*)$/.exec(authorization ?? '');
  const token = match?.[1];
  const colon = token?.indexOf(':') ?? -1;

  if (token === undefined || colon < 0) return undefined;
  return { username: token.slice(0, colon), password: token.slice(colon + 1) };
}

function forwardableHeaders(headers: IncomingMessage['headers']): OutgoingHttpHeaders {
  const forwarded: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (HOP_BY_HOP_HEADERS.has(name) || name === 'host' || value === undefined) continue;
    forwarded[name] = value;
  }

  return forwarded;
}

/** Reads and discards the rest of a request body, so that an early response does not reset the socket. */
async function drainRequest(request: IncomingMessage): Promise<void> {
  if (request.readableEnded) return;

  request.resume();
  await finished(request).catch(() => undefined);
}

/** Sends an error in the 1.x format: a JSON `error` field and the `X-Influxdb-Error` header. */
async function sendError(request: IncomingMessage, response: ServerResponse, status: number, message: string, extraHeaders: OutgoingHttpHeaders = {}): Promise<void> {
  await drainRequest(request);
  if (response.headersSent) return;

  const body = JSON.stringify({ error: message });
  response.writeHead(status, { 'content-type': 'application/json', 'x-influxdb-error': message, ...extraHeaders });
  response.end(body);
}

/** Reads `_measurement="m" AND "tag"="value"` into key and value pairs; an unreadable predicate gives []. */
export function parseDeletePredicate(predicate: string): Array<[string, string]> {
  const term = /^\s*(?:"((?:[^"\\]|\\.)*)"|([A-Za-z_][A-Za-z0-9_]*))\s*=\s*"((?:[^"\\]|\\.)*)"\s*(AND\s+|$)/i;
  const unescape = (text: string) => text.replace(/\\(.)/g, '$1');
  const pairs: Array<[string, string]> = [];
  let rest = predicate;
  while (rest.trim() !== '') {
    const match = term.exec(rest);
    if (match === null) return [];
    pairs.push([unescape(match[1] ?? match[2] ?? ''), unescape(match[3] ?? '')]);
    rest = rest.slice(match[0].length);
    if (match[4] === '') break;
  }
  return rest.trim() === '' ? pairs : [];
}

class V2WriteGatewayServer implements V2WriteGateway {
  readonly writes: GatewayWrite[] = [];
  private readonly failures: InjectedFailure[] = [];
  private readonly server: Server;
  private port = 0;

  constructor(private readonly options: V2WriteGatewayOptions) {
    this.server = createServer((request, response) => {
      this.route(request, response).catch((error: unknown) => response.destroy(error instanceof Error ? error : new Error(String(error))));
    });
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(0, '127.0.0.1', resolve);
    });

    const address = this.server.address();
    if (address === null || typeof address === 'string') throw new Error('The v2 write gateway has no TCP address');
    this.port = address.port;
  }

  failNextWrites(status: number, count: number, options: FailNextWritesOptions = {}): void {
    if (!Number.isInteger(status) || status < 100 || status > 599) throw new Error(`Invalid HTTP status ${status}: expected an integer from 100 to 599`);
    if (!Number.isInteger(count) || count < 1) throw new Error(`Invalid count ${count}: expected a positive integer`);

    this.failures.push({ status, remaining: count, retryAfterSeconds: options.retryAfterSeconds, onlyIfBodyContains: options.onlyIfBodyContains });
  }

  clearInjectedFailures(): void {
    this.failures.length = 0;
  }

  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    await closed;
  }

  private async route(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const incoming = new URL(request.url ?? '/', 'http://gateway.invalid');

    if (incoming.pathname === '/api/v2/write') return this.handleWrite(request, response);
    if (incoming.pathname === '/health') return this.handleHealth(request, response);
    if (incoming.pathname === '/api/v2/delete' && this.options.upstreamAuthorization === undefined) return this.handleDelete(request, response);
    await this.forward(request, response, this.upstreamUrlFor(incoming), forwardableHeaders(request.headers));
  }

  /** Copies only path and query, so that no request line can point the gateway at another host. */
  private upstreamUrlFor(incoming: URL): URL {
    const target = new URL(this.options.upstreamUrl);
    target.pathname = incoming.pathname;
    target.search = incoming.search;

    return target;
  }

  private async handleWrite(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const parameters = new URL(request.url ?? '/', 'http://gateway.invalid').searchParams;
    const bucket = parameters.get('bucket') ?? '';
    const precision = parameters.get('precision') ?? '';
    const record = (status: number, injected: boolean): void => {
      this.writes.push({ bucket, precision, status, injected });
    };

    if (request.method !== 'POST') {
      record(405, false);
      return sendError(request, response, 405, `method ${request.method ?? ''} not allowed on /api/v2/write`, { allow: 'POST' });
    }
    const v1Precision = V2_TO_V1_PRECISION[precision];
    if (v1Precision === undefined) {
      record(400, false);
      return sendError(request, response, 400, `invalid precision "${precision}" (use ns, us, ms or s)`);
    }
    const mapping = bucketToDatabase(bucket);
    if ('error' in mapping) {
      record(404, false);
      return sendError(request, response, 404, mapping.error);
    }
    let body: Buffer | undefined;
    if (this.failures[0]?.onlyIfBodyContains !== undefined) {
      const chunks: Buffer[] = [];
      for await (const chunk of request) chunks.push(chunk as Buffer);
      body = Buffer.concat(chunks);
    }
    const failure = this.takeInjectedFailure(body);
    if (failure !== undefined) {
      record(failure.status, true);
      return this.sendInjectedFailure(request, response, failure);
    }

    const target = this.v1WriteUrl(mapping.database, mapping.retentionPolicy, v1Precision);
    const status = await this.forward(request, response, target, this.v1WriteHeaders(request, target), body);
    record(status, false);
  }

  private v1WriteUrl(database: string, retentionPolicy: string, precision: string): URL {
    const target = new URL('/write', this.options.upstreamUrl);
    target.searchParams.set('db', database);
    if (retentionPolicy !== '') target.searchParams.set('rp', retentionPolicy);
    if (precision !== '') target.searchParams.set('precision', precision);

    return target;
  }

  /** Moves the credentials from the v2 token into 1.x form, or swaps in the configured upstream credential. */
  private v1WriteHeaders(request: IncomingMessage, target: URL): OutgoingHttpHeaders {
    const headers = forwardableHeaders(request.headers);
    delete headers.authorization;

    if (this.options.upstreamAuthorization !== undefined) {
      headers.authorization = this.options.upstreamAuthorization;
      return headers;
    }
    const credentials = tokenToCredentials(request.headers.authorization);
    if (credentials !== undefined) {
      target.searchParams.set('u', credentials.username);
      target.searchParams.set('p', credentials.password);
    }
    return headers;
  }

  /** Runs a v2 delete request as one InfluxQL DELETE statement on the 1.x upstream. */
  private async handleDelete(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const parameters = new URL(request.url ?? '/', 'http://gateway.invalid').searchParams;
    const mapping = bucketToDatabase(parameters.get('bucket') ?? '');
    if ('error' in mapping) return sendError(request, response, 404, mapping.error);
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { start?: string; stop?: string; predicate?: string };
    const conditions = parseDeletePredicate(body.predicate ?? '');
    const measurement = conditions.find(([key]) => key === '_measurement')?.[1];
    if (conditions.length === 0 || measurement === undefined || body.start === undefined || body.stop === undefined) {
      return sendError(request, response, 400, 'the test gateway supports only _measurement and tag equalities joined by AND, with start and stop');
    }

    const quote = (text: string, mark: string) => `${mark}${text.replace(/\\/g, '\\\\').replaceAll(mark, `\\${mark}`)}${mark}`;
    const tags = conditions.filter(([key]) => key !== '_measurement').map(([key, value]) => `${quote(key, '"')} = ${quote(value, "'")}`);
    const where = [...tags, `time >= '${body.start}'`, `time <= '${body.stop}'`].join(' AND ');
    const target = new URL('/query', this.options.upstreamUrl);
    target.searchParams.set('db', mapping.database);
    target.searchParams.set('q', `DELETE FROM ${quote(measurement, '"')} WHERE ${where}`);
    const upstream = await fetch(target, { method: 'POST' });
    const result = (await upstream.json()) as { results?: Array<{ error?: string }>; error?: string };
    const error = result.error ?? result.results?.[0]?.error;
    if (upstream.status !== 200 || error !== undefined) return sendError(request, response, 400, error ?? `upstream HTTP ${upstream.status}`);
    response.writeHead(204);
    response.end();
  }

  private takeInjectedFailure(body?: Buffer): InjectedFailure | undefined {
    const failure = this.failures[0];
    if (failure === undefined) return undefined;
    if (failure.onlyIfBodyContains !== undefined && !(body ?? Buffer.alloc(0)).toString('utf8').includes(failure.onlyIfBodyContains)) return undefined;

    failure.remaining -= 1;
    if (failure.remaining === 0) this.failures.shift();
    return failure;
  }

  private async sendInjectedFailure(request: IncomingMessage, response: ServerResponse, failure: InjectedFailure): Promise<void> {
    const headers: OutgoingHttpHeaders = failure.retryAfterSeconds === undefined ? {} : { 'retry-after': String(failure.retryAfterSeconds) };
    const message = `HTTP ${failure.status} injected by the test gateway, so the write did not reach InfluxDB`;

    await sendError(request, response, failure.status, message, headers);
  }

  /**
   * Responds to `/health` as InfluxDB 1.8 does (200 with `"status":"pass"`) when the upstream's
   * `/ping` returns 204. Otherwise it responds 503 with `"status":"fail"`, as a proxy would.
   */
  private async handleHealth(request: IncomingMessage, response: ServerResponse): Promise<void> {
    await drainRequest(request);
    const ping = await fetch(new URL('/ping', this.options.upstreamUrl), { signal: AbortSignal.timeout(5_000) }).catch((error: unknown) => error);

    const ready = ping instanceof Response && ping.status === 204;
    const health = {
      name: 'influxdb',
      message: ready ? 'ready for queries and writes' : `upstream InfluxDB is not reachable: ${describeFailure(ping)}`,
      status: ready ? 'pass' : 'fail',
      checks: [],
      version: ping instanceof Response ? (ping.headers.get('x-influxdb-version') ?? '') : '',
    };
    response.writeHead(ready ? 200 : 503, { 'content-type': 'application/json; charset=utf-8' });
    response.end(JSON.stringify(health));
  }

  /**
   * Streams the request to `target` and the upstream's response back, with status, headers and
   * body unchanged. Responds 503 when the upstream cannot be reached (connection refused while
   * influxd is stopped). Resolves with the status sent to the client.
   */
  /** Sends the request upstream, streaming its body, or sending `body` when it was read already. */
  private async forward(request: IncomingMessage, response: ServerResponse, target: URL, headers: OutgoingHttpHeaders, body?: Buffer): Promise<number> {
    const upstream = httpRequest(target, { method: request.method ?? 'GET', headers: body === undefined ? headers : { ...headers, 'content-length': String(body.length) } });

    const statusSent = new Promise<number>((resolve) => {
      upstream.once('response', (upstreamResponse) => {
        response.writeHead(upstreamResponse.statusCode ?? 502, forwardableHeaders(upstreamResponse.headers));
        upstreamResponse.pipe(response);
        upstreamResponse.once('error', (error) => response.destroy(error));
        resolve(upstreamResponse.statusCode ?? 502);
      });
      upstream.on('error', (error) => {
        request.unpipe(upstream);
        if (response.headersSent) {
          response.destroy(error);
          resolve(response.statusCode);
          return;
        }
        void sendError(request, response, 503, `upstream InfluxDB is not reachable: ${error.message}`).then(() => resolve(503));
      });
    });
    if (body !== undefined) {
      upstream.end(body);
      return statusSent;
    }
    request.once('close', () => {
      if (!request.complete) upstream.destroy();
    });
    request.pipe(upstream);

    return statusSent;
  }
}

function describeFailure(result: unknown): string {
  if (result instanceof Response) return `/ping returned HTTP ${result.status}`;
  if (result instanceof Error) return result.cause instanceof Error ? result.cause.message : result.message;
  return String(result);
}

/** Starts a gateway on a free port of 127.0.0.1 in front of `options.upstreamUrl`. */
export async function startV2WriteGateway(options: V2WriteGatewayOptions): Promise<V2WriteGateway> {
  const gateway = new V2WriteGatewayServer(options);
  await gateway.listen();

  return gateway;
}
