// Real parts: the built receiver as a child process on loopback ports, InfluxDB (influxd started by
// the harness), the spool on disk, and HTTP requests made with fetch. Stand-in: on the v2 path, the
// gateway that maps /api/v2/write onto influxd 1.6 also injects the 500 and 400 responses.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signTerraBody } from '../terra/signature.js';
import { findFreePort } from './support/free-port.js';
import { startInfluxDb, type InfluxDbServer, receiverInfluxEnv } from './support/influxdb.js';
import { startReceiverProcess, type ReceiverProcess } from './support/receiver-process.js';
import { readTerraSample, readTerraSampleJson } from './support/terra-samples.js';

const SECRET = 'whsec-metrics-3b9d';
const WRONG_SECRET = 'whsec-not-ours-71c2';
const PERSON = 'metrics-person-4e1f';
const USER_ID = 'metrics-user-8a2c';
/** An RMSSD value that occurs nowhere else, to check that no HRV value reaches the metrics. */
const MARKER_RMSSD_MS = 77.123456;
/** Label names the receiver's own metrics may use; `le` is the histogram bucket bound. */
const ALLOWED_LABELS = ['type', 'outcome', 'status', 'reason', 'area', 'kind', 'measure', 'le'];

type Series = Map<string, number>;

/** Parses the text exposition format into `name{labels}` → value, as the lines spell them. */
function parseExposition(text: string): Series {
  const series: Series = new Map();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const space = line.lastIndexOf(' ');
    series.set(line.slice(0, space), Number(line.slice(space + 1)));
  }
  return series;
}

async function scrape(baseUrl: string): Promise<{ text: string; series: Series }> {
  const response = await fetch(`${baseUrl}/metrics`);
  expect(response.status).toBe(200);
  const text = await response.text();
  return { text, series: parseExposition(text) };
}

/** Sends a body with a valid signature, with the signature header given, or with none for null. */
async function post(receiver: ReceiverProcess, body: Buffer | string, signature?: string | null): Promise<number> {
  const header = signature === undefined ? signTerraBody(body, SECRET, Math.floor(Date.now() / 1000)) : signature;
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (header !== null) headers['x-terra-signature'] = header;
  const response = await fetch(receiver.webhookUrl, { method: 'POST', body, headers });
  await response.arrayBuffer();
  return response.status;
}

function processedCount(receiver: ReceiverProcess): number {
  return receiver.logs.filter((line) => line.msg === 'delivery processed').length;
}

/**
 * The Garmin sample under a new person and user id, with one marked RMSSD value and three samples
 * the receiver must skip: a null RMSSD, an RMSSD of 2000 ms and an SDNN with an unreadable time.
 */
function garminWithSkippedSamples(): string {
  const payload = readTerraSampleJson<{
    user: { user_id: string; reference_id: string };
    data: Array<{ heart_rate_data: { detailed: { hrv_samples_rmssd: unknown[]; hrv_samples_sdnn: unknown[] } } }>;
  }>('sleep-garmin.json');
  payload.user.user_id = USER_ID;
  payload.user.reference_id = PERSON;
  const detailed = payload.data[0]!.heart_rate_data.detailed;
  const at = '2026-11-02T03:00:00.000000+01:00';
  detailed.hrv_samples_rmssd[0] = { timestamp: '2026-11-01T23:12:00.000000+01:00', hrv_rmssd: MARKER_RMSSD_MS };
  detailed.hrv_samples_rmssd.push({ timestamp: at, hrv_rmssd: null }, { timestamp: at, hrv_rmssd: 2000 });
  detailed.hrv_samples_sdnn.push({ timestamp: 'yesterday', hrv_sdnn: 50 });
  return JSON.stringify(payload);
}

describe('metrics with ADMIN_PORT set', () => {
  let influx: InfluxDbServer;
  let receiver: ReceiverProcess;
  let adminPort: number;
  let adminUrl: string;

  beforeAll(async () => {
    influx = await startInfluxDb();
    adminPort = await findFreePort();
    adminUrl = `http://127.0.0.1:${adminPort}`;
    const env = { ...receiverInfluxEnv(influx, '1'), TERRA_SIGNING_SECRET: SECRET, ADMIN_PORT: String(adminPort) };
    receiver = await startReceiverProcess({ env });
  });

  afterAll(async () => {
    await receiver?.dispose();
    await influx?.dispose();
  });

  it('serves admin routes on the admin port only', async () => {
    for (const path of ['/metrics', '/healthz', '/readyz']) {
      const onMain = await fetch(`${receiver.url}${path}`);
      expect(onMain.status, path).toBe(404);
      expect(await onMain.json(), path).toEqual({ error: 'not_found', message: `No route for GET ${path}` });
    }

    const metrics = await fetch(`${adminUrl}/metrics`);
    expect(metrics.status).toBe(200);
    expect(metrics.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    await metrics.arrayBuffer();
    const health = await fetch(`${adminUrl}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok' });
    const readiness = await fetch(`${adminUrl}/readyz`);
    expect(readiness.status).toBe(200);
    await readiness.arrayBuffer();
    const webhookOnAdmin = await fetch(`${adminUrl}/webhooks/terra`, { method: 'POST', body: '{}' });
    expect(webhookOnAdmin.status).toBe(404);
    await webhookOnAdmin.arrayBuffer();

    const started = receiver.logs.find((line) => line.msg === 'receiver started');
    expect(started?.admin).toEqual({ host: '127.0.0.1', port: adminPort });
  });

  it('counts deliveries, samples and rejections', async () => {
    const garmin = garminWithSkippedSamples();
    expect(await post(receiver, garmin)).toBe(200);
    expect(await post(receiver, readTerraSample('auth.json'))).toBe(200);
    expect(await post(receiver, JSON.stringify({ type: 'mystery_event_x', secret_note: PERSON }))).toBe(200);
    expect(await post(receiver, garmin, null)).toBe(401);
    expect(await post(receiver, garmin, 'v1=abc')).toBe(401);
    expect(await post(receiver, garmin, signTerraBody(garmin, SECRET, Math.floor(Date.now() / 1000) - 3600))).toBe(401);
    expect(await post(receiver, garmin, signTerraBody(garmin, WRONG_SECRET, Math.floor(Date.now() / 1000)))).toBe(401);
    await receiver.waitForLog(() => processedCount(receiver) === 3);

    const { series } = await scrape(adminUrl);
    expect(series.get('hrv_receiver_deliveries_total{type="sleep",outcome="processed"}')).toBe(1);
    expect(series.get('hrv_receiver_deliveries_total{type="auth",outcome="processed"}')).toBe(1);
    expect(series.get('hrv_receiver_deliveries_total{type="other",outcome="processed"}')).toBe(1);
    const deliveries = [...series].filter(([name]) => name.startsWith('hrv_receiver_deliveries_total{'));
    expect(deliveries.reduce((sum, [, value]) => sum + value, 0)).toBe(3);
    expect(series.get('hrv_receiver_webhook_responses_total{status="200"}')).toBe(3);
    expect(series.get('hrv_receiver_webhook_responses_total{status="401"}')).toBe(4);
    for (const reason of ['missing', 'malformed', 'expired', 'mismatch']) {
      expect(series.get(`hrv_receiver_signature_failures_total{reason="${reason}"}`), reason).toBe(1);
    }
    expect(series.get('hrv_receiver_samples_stored_total{measure="rmssd"}')).toBe(95);
    expect(series.get('hrv_receiver_samples_stored_total{measure="sdnn"}')).toBe(95);
    expect(series.get('hrv_receiver_samples_skipped_total{reason="missing_value"}')).toBe(1);
    expect(series.get('hrv_receiver_samples_skipped_total{reason="out_of_range"}')).toBe(1);
    expect(series.get('hrv_receiver_samples_skipped_total{reason="invalid_timestamp"}')).toBe(1);
    expect(series.get('hrv_receiver_samples_skipped_total{reason="not_a_number"}')).toBe(0);
    expect(series.get('hrv_receiver_influxdb_write_failures_total{kind="retryable"}')).toBe(0);
    expect(series.get('hrv_receiver_influxdb_write_failures_total{kind="permanent"}')).toBe(0);
    expect(series.get('hrv_receiver_spool_deliveries{area="pending"}')).toBe(0);
    expect(series.get('hrv_receiver_spool_deliveries{area="failed"}')).toBe(0);
    expect(series.get('hrv_receiver_spool_oldest_pending_age_seconds')).toBe(0);
  });

  it('counts the nights the model wrote', async () => {
    const { series } = await scrape(adminUrl);
    const nights = await influx.query(`SELECT count(rmssd) FROM hrv_night WHERE person = '${PERSON}'`);

    expect(nights.map((row) => row.count)).toEqual([1]);
    expect(series.get('hrv_receiver_nights_written_total')).toBe(1);
    expect(series.get('hrv_receiver_nights_deleted_total')).toBe(0);
  });

  it('exports the default process metrics', async () => {
    const { series } = await scrape(adminUrl);

    expect(series.get('process_resident_memory_bytes')).toBeGreaterThan(0);
    expect(series.get('nodejs_eventloop_lag_seconds')).toBeGreaterThanOrEqual(0);
    expect(series.has('nodejs_heap_size_used_bytes')).toBe(true);
  });

  it('keeps ids, secrets and HRV values out', async () => {
    const { text, series } = await scrape(adminUrl);

    for (const forbidden of [PERSON, USER_ID, SECRET, WRONG_SECRET, 'alice', 'GARMIN', '40f7b0e1', 'mystery_event_x', String(MARKER_RMSSD_MS)]) {
      expect(text, forbidden).not.toContain(forbidden);
    }
    const ownSeries = [...series.keys()].filter((name) => name.startsWith('hrv_receiver_'));
    const labelNames = new Set(ownSeries.flatMap((name) => [...name.matchAll(/[{,]([a-z_]+)="/g)].map((match) => match[1])));
    expect([...labelNames].filter((name) => !ALLOWED_LABELS.includes(name!))).toEqual([]);
  });
});

describe('metrics on the main port', () => {
  let influx: InfluxDbServer;
  let receiver: ReceiverProcess;

  beforeAll(async () => {
    influx = await startInfluxDb();
    const env = receiverInfluxEnv(influx, '2');
    // No heartbeat: its writes go through the same gateway and would take the injected failure.
    receiver = await startReceiverProcess({ env: { ...env, TERRA_SIGNING_SECRET: SECRET, INFLUX_RETRY_MAX_DELAY_SECONDS: '1', HEARTBEAT_INTERVAL_SECONDS: '0' } });
  });

  afterAll(async () => {
    await receiver?.dispose();
    await influx?.dispose();
  });

  it('shows a pending delivery while InfluxDB fails', async () => {
    influx.gateway.failNextWrites(500, 1000);
    const sentAtMs = Date.now();
    expect(await post(receiver, readTerraSample('sleep-garmin.json'))).toBe(200);
    await receiver.waitForLog((line) => line.attempt === 1);

    const { series } = await scrape(receiver.url);
    const elapsedSeconds = (Date.now() - sentAtMs) / 1000;
    expect(series.get('hrv_receiver_spool_deliveries{area="pending"}')).toBe(1);
    expect(series.get('hrv_receiver_spool_oldest_pending_age_seconds')).toBeGreaterThan(0);
    // File times come from the kernel's coarse clock, which may lag Date.now() by a few ms; the
    // second of slack still distinguishes seconds from milliseconds.
    expect(series.get('hrv_receiver_spool_oldest_pending_age_seconds')).toBeLessThan(elapsedSeconds + 1);

    influx.gateway.clearInjectedFailures();
    await receiver.waitForLog(() => processedCount(receiver) === 1);
  });

  it('counts write failures and failed deliveries', async () => {
    influx.gateway.failNextWrites(400, 1);
    expect(await post(receiver, readTerraSample('daily-fitbit.json'))).toBe(200);
    // The worker counts the failure and logs this line after the delivery reached failed/.
    await receiver.waitForLog((line) => line.msg === 'delivery cannot be stored; moved to the failed area');

    const { series } = await scrape(receiver.url);
    const injected500 = influx.gateway.writes.filter((write) => write.injected && write.status === 500).length;
    expect(injected500).toBeGreaterThan(0);
    expect(series.get('hrv_receiver_influxdb_write_failures_total{kind="retryable"}')).toBe(injected500);
    expect(series.get('hrv_receiver_influxdb_write_failures_total{kind="permanent"}')).toBe(1);
    expect(series.get('hrv_receiver_influxdb_write_duration_seconds_count')).toBe(influx.gateway.writes.length);
    expect(series.get('hrv_receiver_deliveries_total{type="sleep",outcome="processed"}')).toBe(1);
    expect(series.get('hrv_receiver_deliveries_total{type="daily",outcome="failed"}')).toBe(1);
    expect(series.get('hrv_receiver_deliveries_total{type="daily",outcome="processed"}')).toBe(0);
    expect(series.get('hrv_receiver_samples_stored_total{measure="rmssd"}')).toBe(95);
    expect(series.get('hrv_receiver_spool_deliveries{area="failed"}')).toBe(1);
    expect(series.get('hrv_receiver_spool_deliveries{area="pending"}')).toBe(0);
    expect(series.get('hrv_receiver_spool_oldest_pending_age_seconds')).toBe(0);
  });
});
