// Real parts: the built receiver as a child process on a loopback port, influxd (InfluxDB 1.6 from
// the harness), HTTP over loopback with fetch and raw TCP sockets, and the error handler in an
// in-process Express app. Stand-ins: on the v2 path, a gateway maps /api/v2/write onto influxd
// 1.6's /write, as InfluxDB 1.8 does itself. The test plays the reverse proxy in that each request
// carries its own X-Forwarded-For address, so that one case's signature failure does not count
// against the next.
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { connect, type AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import express from 'express';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorHandler } from '../receiver/http-error.js';
import { signTerraBody } from '../terra/signature.js';
import { startInfluxDb, type InfluxDbServer, type InfluxRow, receiverInfluxEnv } from './support/influxdb.js';
import { startReceiverProcess, waitFor, type ReceiverProcess } from './support/receiver-process.js';

type SignatureKind = 'valid' | 'none' | 'empty' | 'milliseconds' | 'stale' | 'future' | 'v0-only' | 'uppercase' | 'other-body' | 'truncated' | 'extra-v1';

interface HostileCase {
  name: string;
  signature: SignatureKind;
  body?: unknown;
  bodyText?: string;
  bodyHex?: string;
  headers?: Record<string, string>;
  expect: {
    status: number;
    body?: Record<string, unknown>;
    processed?: Record<string, unknown>;
    hrv?: InfluxRow[];
    terraEvent?: InfluxRow[];
  };
}

const fixture = JSON.parse(readFileSync(new URL('./fixtures/hostile-input.json', import.meta.url), 'utf8')) as { cases: HostileCase[] };
const SECRET = 'whsec-hostile-5e2b';
const MAX_BODY_BYTES = 1024 * 1024;
const PACKAGE_VERSION = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;

/** Response headers the webhook may send. Anything else, such as Server or X-Powered-By, would reveal the stack. */
const ALLOWED_HEADERS = ['allow', 'connection', 'content-length', 'content-type', 'date', 'etag', 'keep-alive', 'retry-after'];
/** Keys of the webhook's JSON responses. */
const ALLOWED_BODY_KEYS = ['error', 'field', 'limit', 'message', 'reason', 'retryAfterSeconds', 'status'];
/** Signs of a stack trace or an internal path: `at fn (file:1:2)`, `file.js:12`, node_modules. */
const STACK_TRACE = /\bat .+:\d+:\d+|\.[cm]?[jt]s:\d+|node_modules|\/work\/|\bError:/;

/** Expands the fixture's tokens, which stand for text too long or too raw to write as JSON. */
function expandTokens(text: string): string {
  return text
    .replace(/"__RAW_(.*?)__"/g, (_match, raw: string) => raw)
    .replace(/"__NESTED_ARRAYS_(\d+)__"/g, (_match, depth: string) => '['.repeat(Number(depth)) + ']'.repeat(Number(depth)))
    .replace(/"__NESTED_OBJECTS_(\d+)__"/g, (_match, depth: string) => '{"a":'.repeat(Number(depth)) + 'null' + '}'.repeat(Number(depth)))
    .replace(/__REPEAT_(\d+)_(.+?)__/gu, (_match, count: string, unit: string) => unit.repeat(Number(count)));
}

function expandValues<T>(value: T): T {
  return JSON.parse(expandTokens(JSON.stringify(value))) as T;
}

function bodyOf(hostile: HostileCase): Buffer {
  if (hostile.bodyHex !== undefined) return Buffer.from(hostile.bodyHex, 'hex');
  const text = hostile.bodyText ?? JSON.stringify(hostile.body);
  return Buffer.from(expandTokens(text), 'utf8');
}

function signatureHeaders(kind: SignatureKind, body: Buffer, nowSeconds: number): Record<string, string> {
  const valid = signTerraBody(body, SECRET, nowSeconds);
  const hex = valid.slice(valid.indexOf('v1=') + 3);
  const headerOf: Record<SignatureKind, string | undefined> = {
    valid,
    none: undefined,
    empty: '',
    milliseconds: signTerraBody(body, SECRET, nowSeconds * 1000),
    stale: signTerraBody(body, SECRET, nowSeconds - 3600),
    future: signTerraBody(body, SECRET, nowSeconds + 3600),
    'v0-only': `t=${nowSeconds},v0=${hex}`,
    uppercase: `t=${nowSeconds},v1=${hex.toUpperCase()}`,
    'other-body': signTerraBody('{"type":"healthcheck"}', SECRET, nowSeconds),
    truncated: valid,
    'extra-v1': `t=${nowSeconds}, v1=${'0'.repeat(64)}, v1=${hex}, v1=${'f'.repeat(64)}`,
  };
  const header = headerOf[kind];
  return header === undefined ? {} : { 'x-terra-signature': header };
}

interface Answer {
  status: number;
  headers: Headers;
  text: string;
}

/** Strings the corpus stores, which no response may contain. Short ones are left out to avoid chance matches. */
const storedStrings = fixture.cases
  .flatMap((hostile) => [...(hostile.expect.hrv ?? []), ...(hostile.expect.terraEvent ?? [])])
  .flatMap((row) => [row.person, row.user_id, row.message, row.rmssd])
  .filter((value) => value !== undefined && value !== null && String(value).length >= 5)
  .map((value) => expandTokens(String(value)));

/** Asserts that a response reveals no stack trace, no version and no stored data, in headers or body. */
function expectNothingRevealed(answer: Answer): void {
  const headerNames = [...answer.headers.keys()];
  expect(headerNames.filter((name) => !ALLOWED_HEADERS.includes(name))).toEqual([]);
  expect(answer.headers.get('x-powered-by')).toBeNull();
  expect(answer.headers.get('server')).toBeNull();

  expect(answer.text).not.toMatch(STACK_TRACE);
  expect(answer.text).not.toContain(PACKAGE_VERSION);
  expect(answer.text).not.toContain(process.version);
  expect(answer.text.toLowerCase()).not.toContain('express');
  expect(answer.text.toLowerCase()).not.toContain('influx');
  for (const stored of storedStrings) expect(answer.text).not.toContain(stored);

  if (answer.text !== '') {
    const keys = Object.keys(JSON.parse(answer.text) as Record<string, unknown>);
    expect(keys.filter((key) => !ALLOWED_BODY_KEYS.includes(key))).toEqual([]);
  }
}

async function send(url: string, init: RequestInit): Promise<Answer> {
  const response = await fetch(url, init);
  return { status: response.status, headers: response.headers, text: await response.text() };
}

/** Keeps the non-null columns of a stored row, so that rows compare with the fixture's. */
function withoutNulls(row: InfluxRow): InfluxRow {
  const columns = Object.entries(row).filter(([, value]) => value !== null);
  return Object.fromEntries(columns.sort(([a], [b]) => a.localeCompare(b)));
}

function sortRows(rows: InfluxRow[]): InfluxRow[] {
  return rows.map(withoutNulls).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
}

const traceIdOf = (index: number) => `hostile-${index}`;
const accepted = fixture.cases.map((hostile, index) => ({ hostile, index })).filter(({ hostile }) => hostile.expect.status === 200);

function influxEnvironment(influx: InfluxDbServer, apiVersion: '1' | '2'): Record<string, string> {
  if (apiVersion === '1') return receiverInfluxEnv(influx, '1');
  return receiverInfluxEnv(influx, '2');
}

describe.each([
  { apiVersion: '1' as const, label: 'InfluxDB v1 /write' },
  { apiVersion: '2' as const, label: 'InfluxDB v2 client through the 1.8-style gateway' },
])('hostile webhook input with $label', ({ apiVersion }) => {
  let influx: InfluxDbServer;
  let receiver: ReceiverProcess;
  let storedHrv: InfluxRow[] = [];
  let storedEvents: InfluxRow[] = [];

  beforeAll(async () => {
    influx = await startInfluxDb();
    const env = { ...influxEnvironment(influx, apiVersion), TERRA_SIGNING_SECRET: SECRET };
    receiver = await startReceiverProcess({ env: { ...env, DEFAULT_TIMEZONE: 'Europe/Berlin', MAX_BODY_BYTES: String(MAX_BODY_BYTES) } });
  });

  afterAll(async () => {
    await receiver?.dispose();
    await influx?.dispose();
  });

  it('has cases in the fixture', () => {
    expect(fixture.cases.length).toBeGreaterThanOrEqual(40);
    expect(accepted.length).toBeGreaterThanOrEqual(15);
  });

  it.each(fixture.cases.map((hostile, index) => [hostile.name, hostile, index] as const))('responds to %s', async (_name, hostile, index) => {
    const body = bodyOf(hostile);
    const sent = hostile.signature === 'truncated' ? body.subarray(0, Math.floor(body.length / 2)) : body;
    const headers = {
      'content-type': 'application/json',
      'x-terra-trace-id': traceIdOf(index),
      'x-forwarded-for': `192.0.2.${index + 1}`,
      ...signatureHeaders(hostile.signature, body, Math.floor(Date.now() / 1000)),
      ...hostile.headers,
    };
    const answer = await send(receiver.webhookUrl, { method: 'POST', body: sent, headers });

    expect(answer.status).toBe(hostile.expect.status);
    expect(JSON.parse(answer.text)).toEqual(hostile.expect.body ?? { status: 'accepted' });
    expectNothingRevealed(answer);
  });

  it('processes every accepted case', async () => {
    const processedTraceIds = () => new Set(receiver.logs.filter((line) => line.msg === 'delivery processed').map((line) => line.traceId));
    await waitFor('every accepted case to be processed', () => {
      const done = processedTraceIds();
      return accepted.every(({ index }) => done.has(traceIdOf(index))) ? true : undefined;
    });

    const rejectedTraceIds = fixture.cases.map((_hostile, index) => traceIdOf(index)).filter((id) => !accepted.some(({ index }) => traceIdOf(index) === id));
    expect(rejectedTraceIds.filter((id) => processedTraceIds().has(id))).toEqual([]);
    storedHrv = await influx.query('SELECT * FROM hrv');
    storedEvents = await influx.query('SELECT * FROM terra_event');
  });

  it.each(accepted.map(({ hostile, index }) => [hostile.name, hostile, index] as const))('logs and stores %s', (_name, hostile, index) => {
    const line = receiver.logs.find((entry) => entry.msg === 'delivery processed' && entry.traceId === traceIdOf(index));
    const countFields = ['type', 'person', 'provider', 'stored', 'skipped'];
    const counts = Object.fromEntries(Object.entries(line ?? {}).filter(([key]) => countFields.includes(key)));
    expect(counts).toEqual(expandValues(hostile.expect.processed));

    const expectedHrv = expandValues(hostile.expect.hrv ?? []);
    const userIds = new Set(expectedHrv.map((row) => row.user_id));
    expect(sortRows(storedHrv.filter((row) => userIds.has(row.user_id)))).toEqual(sortRows(expectedHrv));

    const expectedEvents = expandValues(hostile.expect.terraEvent ?? []);
    const eventUserIds = new Set(expectedEvents.map((row) => row.user_id));
    expect(sortRows(storedEvents.filter((row) => eventUserIds.has(row.user_id)))).toEqual(sortRows(expectedEvents));
  });

  it('stores nothing beyond the expected points', () => {
    const expectedHrv = accepted.flatMap(({ hostile }) => expandValues(hostile.expect.hrv ?? []));
    const expectedEvents = accepted.flatMap(({ hostile }) => expandValues(hostile.expect.terraEvent ?? []));
    expect(sortRows(storedHrv)).toEqual(sortRows(expectedHrv));
    expect(sortRows(storedEvents)).toEqual(sortRows(expectedEvents));
  });

  it('stays up after the corpus', async () => {
    const health = await send(`${receiver.url}/healthz`, {});
    expect(health.status).toBe(200);
    expect(JSON.parse(health.text)).toEqual({ status: 'ok' });
  });

  it('logs no error and no stored value', () => {
    expect(receiver.logs.filter((line) => line.level >= 50)).toEqual([]);
    const fields = receiver.logs.map(({ time: _time, ...rest }) => JSON.stringify(rest)).join('\n');
    for (const value of ['47.125', '52.875', '61.375', '33.625', '38.25']) expect(fields).not.toContain(value);
    expect(receiver.output()).not.toContain(SECRET);
  });

  it('reveals nothing in other webhook responses', async () => {
    const payload = Buffer.from('{"type":"healthcheck"}');
    const signed = (body: Buffer) => ({ 'x-terra-signature': signTerraBody(body, SECRET, Math.floor(Date.now() / 1000)) });
    const large = Buffer.alloc(MAX_BODY_BYTES + 1, 0x20);
    const compressed = gzipSync(payload);
    const answers = [
      await send(receiver.webhookUrl, { method: 'GET' }),
      await send(receiver.webhookUrl, { method: 'PUT', body: payload, headers: signed(payload) }),
      await send(`${receiver.webhookUrl}/../readyz`, { method: 'POST', body: payload }),
      await send(receiver.webhookUrl, { method: 'POST', body: large, headers: signed(large) }),
      await send(receiver.webhookUrl, { method: 'POST', body: compressed, headers: { 'content-encoding': 'gzip', ...signed(compressed) } }),
    ];

    expect(answers.map((answer) => answer.status)).toEqual([405, 405, 404, 413, 415]);
    for (const answer of answers) expectNothingRevealed(answer);
  });

  it('reveals nothing in a 429', async () => {
    const payload = Buffer.from('{"type":"healthcheck"}');
    const headers = { 'x-forwarded-for': '198.51.100.99', 'x-terra-signature': signTerraBody(payload, 'whsec-guess', Math.floor(Date.now() / 1000)) };
    let answer = await send(receiver.webhookUrl, { method: 'POST', body: payload, headers });
    // The default burst is 20 failures, so the 21st request at the latest is limited.
    for (let attempt = 0; attempt < 20 && answer.status === 401; attempt += 1) {
      answer = await send(receiver.webhookUrl, { method: 'POST', body: payload, headers });
    }

    expect(answer.status).toBe(429);
    expectNothingRevealed(answer);
  });
});

/** Sends raw bytes and returns everything the receiver sends back before it closes, or after `waitMs`. */
function exchangeRaw(port: number, chunks: Array<string | Buffer>, options: { endAfterWrite: boolean; waitMs?: number }): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let received = '';
    const timer = setTimeout(() => socket.destroy(), options.waitMs ?? 3000);
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (received += chunk));
    socket.on('error', (error: NodeJS.ErrnoException) => (error.code === 'ECONNRESET' ? undefined : reject(error)));
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(received);
    });
    socket.on('connect', () => {
      for (const chunk of chunks) socket.write(chunk);
      if (options.endAfterWrite) socket.end();
    });
  });
}

/** Asserts that a raw HTTP response names no server, framework or version, and carries no stack trace. */
function expectRawAnswerRevealsNothing(raw: string): void {
  const head = raw.split('\r\n\r\n')[0] ?? '';
  expect(head).not.toMatch(/^server:/im);
  expect(head).not.toMatch(/^x-powered-by:/im);
  expect(raw).not.toMatch(STACK_TRACE);
  expect(raw).not.toContain(process.version);
}

describe('hostile HTTP framing', () => {
  let influx: InfluxDbServer;
  let receiver: ReceiverProcess;

  beforeAll(async () => {
    influx = await startInfluxDb();
    const env = { ...receiverInfluxEnv(influx, '1'), TERRA_SIGNING_SECRET: SECRET };
    receiver = await startReceiverProcess({ env });
  });

  afterAll(async () => {
    await receiver?.dispose();
    await influx?.dispose();
  });

  const now = () => Math.floor(Date.now() / 1000);

  it('answers 400 to a malformed request line', async () => {
    const raw = await exchangeRaw(receiver.port, ['POST /webhooks/terra HTTP/1.1 extra\r\nHost: x\r\n\r\n'], { endAfterWrite: false });
    expect(raw).toMatch(/^HTTP\/1\.1 400 /);
    expectRawAnswerRevealsNothing(raw);
  });

  it('answers 431 to oversized headers', async () => {
    const request = `POST /webhooks/terra HTTP/1.1\r\nHost: x\r\nx-terra-signature: t=${now()},v1=${'a'.repeat(20_000)}\r\nContent-Length: 2\r\n\r\n{}`;
    const raw = await exchangeRaw(receiver.port, [request], { endAfterWrite: false });
    expect(raw).toMatch(/^HTTP\/1\.1 431 /);
    expectRawAnswerRevealsNothing(raw);
  });

  it('answers 400 to Content-Length with chunked encoding', async () => {
    const body = '{"type":"healthcheck"}';
    const request =
      `POST /webhooks/terra HTTP/1.1\r\nHost: x\r\nx-terra-signature: ${signTerraBody(body, SECRET, now())}\r\n` +
      `Content-Length: ${body.length}\r\nTransfer-Encoding: chunked\r\n\r\n${body.length.toString(16)}\r\n${body}\r\n0\r\n\r\n`;
    const raw = await exchangeRaw(receiver.port, [request], { endAfterWrite: false });
    expect(raw).toMatch(/^HTTP\/1\.1 400 /);
    expectRawAnswerRevealsNothing(raw);
  });

  it('answers 400 to an invalid chunk size', async () => {
    const request = `POST /webhooks/terra HTTP/1.1\r\nHost: x\r\nx-terra-signature: t=${now()},v1=${'a'.repeat(64)}\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n`;
    const raw = await exchangeRaw(receiver.port, [request], { endAfterWrite: false });
    expect(raw).toMatch(/^HTTP\/1\.1 400 /);
    expectRawAnswerRevealsNothing(raw);
  });

  it('stores nothing from a body cut off mid-upload', async () => {
    const body = JSON.stringify({ type: 'auth', user: { user_id: 'cut-off', provider: 'OURA' }, message: 'x'.repeat(1000) });
    const head = `POST /webhooks/terra HTTP/1.1\r\nHost: x\r\nx-terra-signature: ${signTerraBody(body, SECRET, now())}\r\nContent-Length: ${body.length}\r\n\r\n`;
    const raw = await exchangeRaw(receiver.port, [head, body.slice(0, 500)], { endAfterWrite: true });
    // Node's HTTP parser rejects the early end of the body itself, before Express gets the request.
    expect(raw).toMatch(/^HTTP\/1\.1 400 /);
    expectRawAnswerRevealsNothing(raw);

    const health = await fetch(`${receiver.url}/healthz`);
    expect(health.status).toBe(200);
    expect(receiver.logs.filter((line) => line.msg === 'delivery processed')).toEqual([]);
    expect(await influx.query('SELECT * FROM terra_event')).toEqual([]);
  });

  it('stays up after the hostile framing', async () => {
    const payload = Buffer.from(JSON.stringify({ type: 'auth', user: { user_id: 'after-framing', provider: 'OURA' }, message: '' }));
    const answer = await fetch(receiver.webhookUrl, { method: 'POST', body: payload, headers: { 'x-terra-signature': signTerraBody(payload, SECRET, now()) } });
    expect(answer.status).toBe(200);
    expect((await fetch(`${receiver.url}/healthz`)).status).toBe(200);
    await receiver.waitForLog((line) => line.msg === 'delivery processed');
    // InfluxQL returns no rows for a SELECT of tags alone, so the type field comes along.
    const rows = await influx.query('SELECT "type", user_id FROM terra_event');
    expect(rows.map((row) => row.user_id)).toEqual(['after-framing']);
    expect(receiver.logs.filter((line) => line.level >= 50)).toEqual([]);
  });
});

describe('error handler', () => {
  it('hides an unexpected error', async () => {
    const logged: string[] = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => logged.push(line) });
    const app = express();
    app.disable('x-powered-by');
    app.post('/webhooks/terra', () => {
      throw new TypeError('Cannot read properties of undefined (reading "user")');
    });
    app.use(errorHandler(logger));
    const server = app.listen(0, '127.0.0.1');
    await once(server, 'listening');

    try {
      const { port } = server.address() as AddressInfo;
      const answer = await send(`http://127.0.0.1:${port}/webhooks/terra`, { method: 'POST', body: '{}' });
      expect(answer.status).toBe(500);
      expect(JSON.parse(answer.text)).toEqual({ error: 'internal_error', message: 'Internal error; the receiver log has details' });
      expectNothingRevealed(answer);
      // The stack goes to the log instead, where the operator can read it.
      expect(logged.join('')).toContain('"stack":"TypeError: Cannot read properties of undefined');
    } finally {
      server.close();
    }
  });
});
