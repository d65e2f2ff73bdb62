// Real parts: the built receiver as a child process on a loopback port, influxd 1.6 started by the
// harness, the spool on disk, and real HTTP between all of them. Stand-in: an HTTP server on
// 127.0.0.1 plays Terra's storage (S3), which serves the events that ping-mode links point to,
// because no test can reach the real one. The first receiver runs with
// TERRA_PING_ALLOW_HTTP_LOOPBACK=true so that it may download from that server over plain http.
// The second runs without it, as in production, and must reject the same links.
import { readdirSync, readFileSync } from 'node:fs';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signTerraBody } from '../terra/signature.js';
import { generateSleepDeliveries } from '../terra/simulator/sleep-deliveries.js';
import type { SleepWebhookBody } from '../terra/simulator/sleep-payload.js';
import { expectedPointsOf, independentNanoseconds, sortPoints, type ExpectedPoint } from './support/expected-points.js';
import { countPoints, storedPoints } from './support/stored-points.js';
import { startInfluxDb, type InfluxDbServer, type InfluxRow } from './support/influxdb.js';
import { startReceiverProcess, waitFor, type LogLine, type ReceiverProcess } from './support/receiver-process.js';
import { referenceNights } from './support/reference-nights.js';
import { readTerraSample } from './support/terra-samples.js';

const SECRET = 'whsec-ping-mode-3e9d';
const MAX_BODY_BYTES = 2 * 1024 * 1024;
/** The signature part of every link, which must appear in no log line and no failure reason. */
const LINK_SIGNATURE = '7d1e44c09ab35f26e8c1';
const LINK_QUERY = `X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Expires=300&X-Amz-Signature=${LINK_SIGNATURE}`;
const FAILED_MESSAGE = 'delivery cannot be stored; moved to the failed area';

/** Twenty nights of one simulated person, all in one sleep event, as a history request sends them. */
const HISTORY = (() => {
  const deliveries = generateSleepDeliveries({ people: 1, nights: 20, seed: 8, endDate: '2026-11-02' });
  const body: SleepWebhookBody = { ...deliveries[0]!.body, data: deliveries.map((delivery) => delivery.body.data[0]!) };
  return { person: deliveries[0]!.person, provider: body.user.provider, body, bytes: Buffer.from(JSON.stringify(body)) };
})();

type Handler = (response: ServerResponse, requestNumber: number) => void;

interface StorageRequest {
  path: string;
  query: string;
  atMs: number;
}

/** The stand-in for Terra's storage: serves each path with a handler the test sets, and records every request. */
class StandInStorage {
  readonly requests: StorageRequest[] = [];
  private readonly handlers = new Map<string, Handler>();
  private server: Server | undefined;
  private base = '';

  async start(): Promise<void> {
    this.server = createServer((request, response) => {
      const url = new URL(request.url ?? '/', 'http://stand-in');
      this.requests.push({ path: url.pathname, query: url.search, atMs: Date.now() });
      const handler = this.handlers.get(url.pathname);
      if (handler === undefined) response.writeHead(404).end();
      else handler(response, this.requests.filter((entry) => entry.path === url.pathname).length);
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.base = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  serve(path: string, handler: Handler): string {
    this.handlers.set(path, handler);
    return `${this.base}${path}?${LINK_QUERY}`;
  }

  origin(): string {
    return this.base;
  }

  requestsTo(path: string): StorageRequest[] {
    return this.requests.filter((entry) => entry.path === path);
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((resolve) => this.server?.close(resolve));
  }
}

function json(body: Buffer): Handler {
  return (response) => response.writeHead(200, { 'content-type': 'application/json', 'content-length': String(body.length) }).end(body);
}

async function postPing(receiver: ReceiverProcess, url: string, expiresInSeconds = 300): Promise<void> {
  const body = JSON.stringify({ type: 's3_payload', status: 'success', url, expires_in: expiresInSeconds });
  const headers = { 'content-type': 'application/json', 'x-terra-signature': signTerraBody(body, SECRET, Math.floor(Date.now() / 1000)) };
  const response = await fetch(receiver.webhookUrl, { method: 'POST', body, headers });
  await response.arrayBuffer();
  if (response.status !== 200) throw new Error(`the webhook responded ${response.status}`);
}

/** Sends one ping-mode delivery and returns the line that logs how it ended: stored or failed. */
async function deliverPing(receiver: ReceiverProcess, url: string, expiresInSeconds = 300): Promise<LogLine> {
  const from = receiver.logs.length;
  await postPing(receiver, url, expiresInSeconds);
  const isEnd = (line: LogLine) => line.msg === 'delivery processed' || line.msg === FAILED_MESSAGE;
  return waitFor('the delivery to be stored or failed', () => receiver.logs.slice(from).find(isEnd), 60_000);
}

function readFailed(receiver: ReceiverProcess, id: string): { metadata: { receivedAtMs: number }; body: string; reason: Record<string, unknown> } {
  const folder = join(receiver.spoolDir, 'failed');
  const content = readFileSync(join(folder, `${id}.delivery`));
  const newline = content.indexOf(0x0a);
  return {
    metadata: JSON.parse(content.subarray(0, newline).toString('utf8')) as { receivedAtMs: number },
    body: content.subarray(newline + 1).toString('utf8'),
    reason: JSON.parse(readFileSync(join(folder, `${id}.reason.json`), 'utf8')) as Record<string, unknown>,
  };
}

function pendingFiles(receiver: ReceiverProcess): string[] {
  return readdirSync(join(receiver.spoolDir, 'pending'));
}

/** Lists every RMSSD and SDNN sample of a sleep event, read straight from its JSON. */
function expectedPointsOfBody(body: SleepWebhookBody): ExpectedPoint[] {
  const points = body.data.flatMap((item) => [
    ...item.heart_rate_data.detailed.hrv_samples_rmssd.map((sample) => ({ time: independentNanoseconds(sample.timestamp), measure: 'rmssd' as const, value: sample.hrv_rmssd })),
    ...item.heart_rate_data.detailed.hrv_samples_sdnn.map((sample) => ({ time: independentNanoseconds(sample.timestamp), measure: 'sdnn' as const, value: sample.hrv_sdnn })),
  ]);
  return sortPoints(points);
}

function nightDate(row: InfluxRow): string {
  return new Date(Number(BigInt(row.time as string) / 1_000_000n)).toISOString().slice(0, 10);
}

describe('ping mode with a loopback stand-in for Terra storage', () => {
  let influx: InfluxDbServer;
  let storage: StandInStorage;
  let receiver: ReceiverProcess;
  let productionReceiver: ReceiverProcess;

  beforeAll(async () => {
    influx = await startInfluxDb();
    storage = new StandInStorage();
    await storage.start();
    const env = {
      TERRA_SIGNING_SECRET: SECRET,
      INFLUX_API_VERSION: '1',
      INFLUX_URL: influx.url,
      INFLUX_DATABASE: influx.database,
      INFLUX_RETRY_MAX_DELAY_SECONDS: '1',
      MAX_BODY_BYTES: String(MAX_BODY_BYTES),
      TERRA_PING_TIMEOUT_SECONDS: '10',
    };
    receiver = await startReceiverProcess({ env: { ...env, TERRA_PING_ALLOW_HTTP_LOOPBACK: 'true' } });
    productionReceiver = await startReceiverProcess({ env });
  }, 120_000);

  afterAll(async () => {
    await receiver?.dispose();
    await productionReceiver?.dispose();
    await storage?.stop();
    await influx?.dispose();
  });

  it('stores the samples and nights of a linked sleep event', async () => {
    const url = storage.serve('/terra/history.json', json(HISTORY.bytes));

    const end = await deliverPing(receiver, url);

    expect(end).toMatchObject({ msg: 'delivery processed', level: 30, type: 'sleep', person: HISTORY.person, downloadedBytes: HISTORY.bytes.length });
    expect(storage.requestsTo('/terra/history.json').map((entry) => entry.query)).toEqual([`?${LINK_QUERY}`]);
    expect(await storedPoints(influx, HISTORY.person, HISTORY.provider)).toEqual(expectedPointsOfBody(HISTORY.body));
    const nights = await influx.query(`SELECT * FROM hrv_night WHERE person = '${HISTORY.person}'`);
    const expected = referenceNights(HISTORY.body.data, [], 0.5);
    expect(nights.map(nightDate)).toEqual(expected.map((night) => night.date));
    nights.forEach((row, index) => {
      const night = expected[index]!;
      expect(row.basis, night.date).toBe(night.basis);
      expect(row.samples, night.date).toBe(night.samples);
      expect(row.status, night.date).toBe(night.status);
      expect(row.rmssd as number, night.date).toBeCloseTo(night.rmssd, 9);
      expect(row.ln_rmssd as number, night.date).toBeCloseTo(night.ln_rmssd, 9);
      for (const field of ['baseline_ms', 'normal_low_ms', 'normal_high_ms', 'cv_7d'] as const) {
        if (night[field] === undefined) expect(row[field], `${night.date} ${field}`).toBeNull();
        else expect(row[field] as number, `${night.date} ${field}`).toBeCloseTo(night[field], 7);
      }
    });
    expect(expected.filter((night) => night.normal_low_ms !== undefined).length).toBeGreaterThan(3);
    expect(pendingFiles(receiver)).toEqual([]);
  });

  it('stores linked daily and account events', async () => {
    const daily = await deliverPing(receiver, storage.serve('/terra/daily.json', json(readTerraSample('daily-fitbit.json'))));
    const auth = await deliverPing(receiver, storage.serve('/terra/auth.json', json(readTerraSample('auth.json'))));

    expect(daily).toMatchObject({ msg: 'delivery processed', type: 'daily', person: 'carol', stored: { rmssd: 6, sdnn: 0, events: 0 } });
    expect(auth).toMatchObject({ msg: 'delivery processed', type: 'auth', person: 'alice', stored: { rmssd: 0, sdnn: 0, events: 1 } });
    expect(await storedPoints(influx, 'carol', 'FITBIT')).toEqual(expectedPointsOf('daily-fitbit.json'));
    const events = await influx.query('SELECT "type", person, provider FROM terra_event');
    expect(events.map(({ time: _time, ...fields }) => fields)).toEqual([{ type: 'auth', person: 'alice', provider: 'GARMIN' }]);
    const dailyRows = await influx.query(`SELECT "date", rmssd FROM hrv_daily WHERE person = 'carol'`);
    expect(dailyRows.map(({ time: _time, ...fields }) => fields)).toEqual([{ date: '2026-11-02', rmssd: 38.6 }]);
  });

  it('moves an expired link to the failed area', async () => {
    const url = storage.serve('/terra/expired.json', (response) =>
      response.writeHead(403, { 'content-type': 'application/xml' }).end('<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>'),
    );
    const before = await countPoints(influx);

    const end = await deliverPing(receiver, url);

    const reason = `download of ${storage.origin()}/terra/expired.json failed: ${storage.origin()}/terra/expired.json responded HTTP 403 (the link has expired or its signature is not valid)`;
    expect(end).toMatchObject({ msg: FAILED_MESSAGE, level: 50, type: 's3_payload', reason });
    const failed = readFailed(receiver, end.delivery as string);
    expect(failed.reason).toMatchObject({ reason, type: 's3_payload' });
    expect(JSON.parse(failed.body)).toEqual({ type: 's3_payload', status: 'success', url, expires_in: 300 });
    expect(storage.requestsTo('/terra/expired.json')).toHaveLength(1);
    expect(await countPoints(influx)).toBe(before);
    expect(receiver.output()).not.toContain(LINK_SIGNATURE);
  });

  it('retries a 503 but never past expiry', async () => {
    const url = storage.serve('/terra/unavailable.json', (response) => response.writeHead(503).end());

    const end = await deliverPing(receiver, url, 3);

    const failed = readFailed(receiver, end.delivery as string);
    const expiresAtMs = failed.metadata.receivedAtMs + 3000;
    const expiresAt = new Date(expiresAtMs).toISOString();
    const requests = storage.requestsTo('/terra/unavailable.json');
    const warnings = receiver.logs.filter((line) => line.msg === 'ping-mode download failed; delivery kept in the spool' && line.delivery === end.delivery);
    expect(requests.length).toBeGreaterThanOrEqual(2);
    for (const request of requests) expect(request.atMs).toBeLessThan(expiresAtMs);
    expect(warnings.every((line) => line.level === 40)).toBe(true);
    // The last attempt either got a 503 too close to expiry to try again, or, when the backoff
    // ended just after expiry, did not start at all.
    if (warnings.length === requests.length) {
      expect(end.reason).toBe(`the link ${storage.origin()}/terra/unavailable.json expired at ${expiresAt}, before it could be downloaded`);
    } else {
      expect(warnings).toHaveLength(requests.length - 1);
      expect(end.reason).toBe(`download of ${storage.origin()}/terra/unavailable.json failed: ${storage.origin()}/terra/unavailable.json responded HTTP 503 (the link expires at ${expiresAt})`);
    }
    expect(warnings.map((line) => line.attempt)).toEqual(warnings.map((_line, index) => index + 1));
  });

  it('stores the event after a transient 500', async () => {
    const garmin = JSON.parse(readTerraSample('sleep-garmin.json').toString('utf8')) as { user: Record<string, unknown> };
    garmin.user.reference_id = 'frank';
    const body = Buffer.from(JSON.stringify(garmin));
    const url = storage.serve('/terra/flaky.json', (response, requestNumber) => {
      if (requestNumber === 1) response.writeHead(500).end();
      else json(body)(response, requestNumber);
    });

    const end = await deliverPing(receiver, url);

    expect(end).toMatchObject({ msg: 'delivery processed', type: 'sleep', person: 'frank', stored: { rmssd: 95, sdnn: 95, events: 0 } });
    expect(storage.requestsTo('/terra/flaky.json')).toHaveLength(2);
    expect(await storedPoints(influx, 'frank', 'GARMIN')).toEqual(expectedPointsOf('sleep-garmin.json'));
  });

  it('rejects a body above MAX_BODY_BYTES', async () => {
    const url = storage.serve('/terra/huge.json', json(Buffer.alloc(MAX_BODY_BYTES + 1, 0x20)));

    const end = await deliverPing(receiver, url);

    expect(end).toMatchObject({
      msg: FAILED_MESSAGE,
      reason: `download of ${storage.origin()}/terra/huge.json failed: the body is larger than MAX_BODY_BYTES (${MAX_BODY_BYTES} bytes): Content-Length is ${MAX_BODY_BYTES + 1}`,
    });
  });

  it('stops a redirect loop', async () => {
    const url = storage.serve('/terra/loop.json', (response) => response.writeHead(302, { location: `/terra/loop.json?${LINK_QUERY}` }).end());

    const end = await deliverPing(receiver, url);

    expect(end).toMatchObject({
      msg: FAILED_MESSAGE,
      reason: `download of ${storage.origin()}/terra/loop.json failed: more than 3 redirects, the last to ${storage.origin()}/terra/loop.json`,
    });
    expect(storage.requestsTo('/terra/loop.json')).toHaveLength(4);
  });

  it('rejects plain http to another host', async () => {
    const end = await deliverPing(receiver, `http://192.0.2.10/terra/outside.json?${LINK_QUERY}`);

    expect(end).toMatchObject({
      msg: FAILED_MESSAGE,
      reason: 'download of http://192.0.2.10/terra/outside.json failed: http://192.0.2.10/terra/outside.json was rejected: expected https://, or http:// to 127.0.0.1 or [::1] only (TERRA_PING_ALLOW_HTTP_LOOPBACK)',
    });
  });

  it('rejects a downloaded body that is not an event', async () => {
    const url = storage.serve('/terra/not-json.txt', (response) => response.writeHead(200).end('<html>maintenance</html>'));

    const end = await deliverPing(receiver, url);

    expect(end).toMatchObject({ msg: FAILED_MESSAGE, type: 's3_payload', reason: 'the downloaded event cannot be used: the body is not valid UTF-8 JSON' });
    expect(JSON.parse(readFailed(receiver, end.delivery as string).body)).toMatchObject({ type: 's3_payload', url });
  });

  it('keeps the downloaded event while InfluxDB is down', async () => {
    const history = JSON.parse(HISTORY.bytes.toString('utf8')) as SleepWebhookBody;
    history.user = { ...history.user, reference_id: 'erin' };
    const body = Buffer.from(JSON.stringify(history));
    // A link works once here, so only the copy in the spool can still be stored.
    const url = storage.serve('/terra/once.json', (response, requestNumber) => {
      if (requestNumber === 1) json(body)(response, requestNumber);
      else response.writeHead(403).end();
    });
    await influx.stop();
    const from = receiver.logs.length;

    await postPing(receiver, url);
    await waitFor('a failed write', () => receiver.logs.slice(from).find((line) => line.msg === 'InfluxDB write failed; delivery kept in the spool'));
    const [pending] = pendingFiles(receiver);
    const spooled = readFileSync(join(receiver.spoolDir, 'pending', pending!));
    await influx.restart();
    const end = await waitFor('the delivery to be stored', () => receiver.logs.slice(from).find((line) => line.msg === 'delivery processed'), 60_000);

    expect(spooled.subarray(spooled.indexOf(0x0a) + 1).equals(body)).toBe(true);
    expect(end).toMatchObject({ type: 'sleep', person: 'erin' });
    expect(storage.requestsTo('/terra/once.json')).toHaveLength(1);
    expect(await storedPoints(influx, 'erin', HISTORY.provider)).toEqual(expectedPointsOfBody(HISTORY.body));
  });

  it('rejects loopback links in production', async () => {
    const port = new URL(storage.origin()).port;
    const before = storage.requests.length;

    const plain = await deliverPing(productionReceiver, storage.serve('/terra/production.json', json(readTerraSample('auth.json'))));
    const https = await deliverPing(productionReceiver, `https://127.0.0.1:${port}/terra/production.json?${LINK_QUERY}`);
    const metadata = await deliverPing(productionReceiver, `https://169.254.169.254/latest/meta-data/?${LINK_QUERY}`);

    expect(plain.reason).toBe(`download of ${storage.origin()}/terra/production.json failed: ${storage.origin()}/terra/production.json was rejected: expected an https:// URL`);
    expect(https.reason).toBe(
      `download of https://127.0.0.1:${port}/terra/production.json failed: https://127.0.0.1:${port}/terra/production.json was rejected: host 127.0.0.1 has an address that is not public: 127.0.0.1 (loopback)`,
    );
    expect(metadata.reason).toBe(
      'download of https://169.254.169.254/latest/meta-data/ failed: https://169.254.169.254/latest/meta-data/ was rejected: host 169.254.169.254 has an address that is not public: 169.254.169.254 (link-local)',
    );
    expect(storage.requests.length).toBe(before);
  });

  it('logs neither link signatures nor payloads', () => {
    for (const instance of [receiver, productionReceiver]) {
      expect(instance.output()).not.toContain(LINK_SIGNATURE);
      expect(instance.output()).not.toContain('hrv_rmssd');
      expect(instance.output()).not.toContain(SECRET);
    }
  });
});
