import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { generateSleepDeliveries } from '../terra/simulator/sleep-deliveries.js';
import { formatDayNumber, MS_PER_DAY } from '../terra/day-numbers.js';
import { PASSWORD_FILE_NAME } from '../dashboard-lite/generated-password.js';
import { runBuiltCli } from './support/built-cli.js';
import { startDashboardLiteProcess, type DashboardLiteProcess } from './support/dashboard-lite-process.js';
import { findFreePort } from './support/free-port.js';
import { startInfluxDb, type InfluxDbServer, type InfluxRow } from './support/influxdb.js';
import { startReceiverProcess, waitFor, type ReceiverProcess } from './support/receiver-process.js';

// Real parts: influxd 1.6 as a child process, the built receiver and the built
// `hrv-stack dashboard-lite` as child processes on loopback, and the built `hrv-stack simulate`,
// which signs and sends the project's simulated Terra sleep deliveries. Nothing is a stand-in.

const SECRET = 'whsec-dashboard-lite-3c9d';
const PASSWORD = 'correct-horse-battery-staple';
const TODAY_DAY = Math.floor(Date.now() / MS_PER_DAY);
const SIMULATION = { people: 3, nights: 45, seed: 23, endDate: formatDayNumber(TODAY_DAY - 1) };
const simulated = generateSleepDeliveries(SIMULATION);

function basicHeader(username: string, password: string): Record<string, string> {
  return { authorization: `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}` };
}
const AUTH = basicHeader('hrv', PASSWORD);

interface ApiNight {
  date: string;
  rmssdMs: number;
  [field: string]: unknown;
}

/** Returns the hrv_night rows of one person as the API should return them, oldest first. */
async function storedNights(influx: InfluxDbServer, person: string, provider: string): Promise<ApiNight[]> {
  const rows = await influx.query(`SELECT * FROM hrv_night WHERE person = '${person}' AND provider = '${provider}'`);
  return rows.map((row: InfluxRow) => ({
    date: new Date(Number(BigInt(row.time as string) / 1_000_000n)).toISOString().slice(0, 10),
    rmssdMs: row.rmssd as number,
    lnRmssd: row.ln_rmssd as number,
    samples: row.samples as number,
    basis: row.basis as string,
    baselineMs: row.baseline_ms ?? null,
    normalLowMs: row.normal_low_ms ?? null,
    normalHighMs: row.normal_high_ms ?? null,
    cv7d: row.cv_7d ?? null,
    status: row.status as string,
  }));
}

async function getJson(url: string, headers: Record<string, string> = AUTH): Promise<{ status: number; body: Record<string, unknown>; headers: Headers }> {
  const response = await fetch(url, { headers });
  return { status: response.status, body: (await response.json()) as Record<string, unknown>, headers: response.headers };
}

describe('dashboard-lite API', () => {
  const people = [...new Map(simulated.map((delivery) => [delivery.person, delivery.body.user.provider])).entries()].sort(([a], [b]) => (a < b ? -1 : 1));
  const [person, provider] = people[0]!;
  let influx: InfluxDbServer;
  let receiver: ReceiverProcess;
  let dashboard: DashboardLiteProcess;

  beforeAll(async () => {
    influx = await startInfluxDb();
    const influxEnv = { INFLUX_API_VERSION: '1', INFLUX_URL: influx.url, INFLUX_DATABASE: influx.database };
    receiver = await startReceiverProcess({ env: { TERRA_SIGNING_SECRET: SECRET, ...influxEnv } });
    const options = ['--people', String(SIMULATION.people), '--nights', String(SIMULATION.nights), '--seed', String(SIMULATION.seed), '--end-date', SIMULATION.endDate];
    const run = await runBuiltCli(['simulate', '--url', receiver.webhookUrl, ...options], { cwd: process.cwd(), env: { TERRA_SIGNING_SECRET: SECRET } });
    expect(run.exitCode, run.stderr).toBe(0);
    await waitFor('every delivery to be processed', () => (receiver.logs.filter((line) => line.msg === 'delivery processed').length >= simulated.length ? true : undefined), 120_000);
    // The 401 cases below make 12 failed logins from 127.0.0.1, more than the default burst of 10.
    dashboard = await startDashboardLiteProcess({ ...influxEnv, DASHBOARD_LITE_PASSWORD: PASSWORD, DASHBOARD_LITE_LOGIN_FAILURE_BURST: '100' });
  }, 300_000);

  afterAll(async () => {
    await dashboard?.dispose();
    await receiver?.dispose();
    await influx?.dispose();
  });

  it('lists every person with their provider', async () => {
    const { status, body } = await getJson(`${dashboard.url}/api/people`);

    expect(status).toBe(200);
    expect(body).toEqual({ authentication: 'basic', people: people.map(([name, source]) => ({ person: name, providers: [source] })) });
  });

  it('returns every stored night for range all', async () => {
    const expected = await storedNights(influx, person, provider);
    const { status, body } = await getJson(`${dashboard.url}/api/nights?person=${person}&provider=${provider}&range=all`);

    expect(status).toBe(200);
    expect(expected.length).toBeGreaterThanOrEqual(SIMULATION.nights - 1);
    expect(body.nights).toEqual(expected);
    expect(body.to).toBe(formatDayNumber(TODAY_DAY + 1));
  });

  it('returns the last 30 days for range 30d', async () => {
    const firstDate = formatDayNumber(TODAY_DAY - 29);
    const expected = (await storedNights(influx, person, provider)).filter((night) => night.date >= firstDate);
    const { body } = await getJson(`${dashboard.url}/api/nights?person=${person}&provider=${provider}&range=30d`);

    expect(body.from).toBe(firstDate);
    expect((body.nights as ApiNight[]).map((night) => night.date)).toEqual(expected.map((night) => night.date));
    expect(body.nights).toEqual(expected);
  });

  it('returns the nights between from and to', async () => {
    const from = formatDayNumber(TODAY_DAY - 20);
    const to = formatDayNumber(TODAY_DAY - 11);
    const expected = (await storedNights(influx, person, provider)).filter((night) => night.date >= from && night.date <= to);
    const { body } = await getJson(`${dashboard.url}/api/nights?person=${person}&provider=${provider}&from=${from}&to=${to}`);

    expect(expected.length).toBeGreaterThan(0);
    expect(body.nights).toEqual(expected);
  });

  it('returns an empty list for an unknown person', async () => {
    const { status, body } = await getJson(`${dashboard.url}/api/nights?person=nobody&provider=${provider}&range=all`);

    expect(status).toBe(200);
    expect(body.nights).toEqual([]);
  });

  it('returns the samples of one night', async () => {
    const night = simulated.find((delivery) => delivery.person === person && !delivery.isNap && !delivery.summaryOnly)!;
    const detailed = night.body.data[0]!.heart_rate_data.detailed;
    const { status, body } = await getJson(`${dashboard.url}/api/samples?person=${person}&provider=${provider}&night=${night.nightDate}`);
    const samples = body.samples as Array<{ time: string; rmssdMs: number | null; sdnnMs: number | null }>;

    expect(status).toBe(200);
    expect(body.sessions).toEqual([{ startTime: night.body.data[0]!.metadata.start_time, endTime: night.body.data[0]!.metadata.end_time }]);
    const rmssd = samples.filter((sample) => sample.rmssdMs !== null).map((sample) => [Date.parse(sample.time), sample.rmssdMs]);
    const sdnn = samples.filter((sample) => sample.sdnnMs !== null).map((sample) => [Date.parse(sample.time), sample.sdnnMs]);
    expect(rmssd).toEqual(detailed.hrv_samples_rmssd.map((sample) => [Date.parse(sample.timestamp), sample.hrv_rmssd]));
    expect(sdnn).toEqual(detailed.hrv_samples_sdnn.map((sample) => [Date.parse(sample.timestamp), sample.hrv_sdnn]));
  });

  it.each([
    ['/api/nights?provider=GARMIN', 'person', undefined],
    ['/api/nights?person=a', 'provider', undefined],
    ['/api/nights?person=a&provider=b&range=7d', 'range', '7d'],
    ['/api/nights?person=a&provider=b&from=2026-02-30', 'from', '2026-02-30'],
    ['/api/nights?person=a&provider=b&to=yesterday', 'to', 'yesterday'],
    ['/api/nights?person=a&provider=b&from=2026-03-02&to=2026-03-01', 'from', '2026-03-02'],
    ['/api/nights?person=a&provider=b&range=30d&from=2026-03-01', 'range', '30d'],
    ['/api/nights?person=a&person=b&provider=b', 'person', ['a', 'b']],
    ['/api/nights?person=a&provider=b&preson=c', 'preson', 'c'],
    ['/api/samples?person=a&provider=b', 'night', undefined],
    ['/api/samples?person=a&provider=b&night=2026-11', 'night', '2026-11'],
    ['/api/people?x=1', 'x', '1'],
  ])('rejects %s with 400', async (path, parameter, value) => {
    const { status, body } = await getJson(`${dashboard.url}${path}`);

    expect(status).toBe(400);
    expect(body.parameter).toBe(parameter);
    expect(body.value).toEqual(value);
    expect(body.message).toContain(parameter);
    if (typeof value === 'string') expect(body.message).toContain(value);
  });

  it('says a route takes no parameters', async () => {
    const { status, body } = await getJson(`${dashboard.url}/api/people?x=1`);

    expect(status).toBe(400);
    expect(body).toEqual({ error: 'invalid_parameter', message: 'Invalid parameter x="1": this route takes no parameters', parameter: 'x', value: '1' });
  });

  it.each([
    ['no credentials', {}],
    ['a wrong password', basicHeader('hrv', `${PASSWORD}x`)],
    ['a wrong user name', basicHeader('admin', PASSWORD)],
    ['a malformed header', { authorization: 'Basic !!!' }],
  ])('rejects %s with 401', async (_case, headers) => {
    for (const path of ['/api/people', `/api/nights?person=${person}&provider=${provider}`, '/', '/vendor/chart.umd.min.js']) {
      const response = await fetch(`${dashboard.url}${path}`, { headers });
      const text = await response.text();

      expect(response.status, path).toBe(401);
      expect(response.headers.get('www-authenticate'), path).toBe('Basic realm="hrv-stack dashboard-lite", charset="UTF-8"');
      expect(text, path).not.toContain(person);
    }
  });

  it('serves /healthz without credentials', async () => {
    const { status, body } = await getJson(`${dashboard.url}/healthz`, {});

    expect(status).toBe(200);
    expect(body).toEqual({ status: 'ok' });
  });

  it('serves the page and Chart.js with security headers', async () => {
    const page = await fetch(`${dashboard.url}/`, { headers: AUTH });
    const chart = await fetch(`${dashboard.url}/vendor/chart.umd.min.js`, { headers: AUTH });
    const html = await page.text();

    expect(page.status).toBe(200);
    expect(html).toContain('<canvas id="nights-chart"');
    expect(html).not.toMatch(/<script>|<style>|\sstyle=|https?:\/\//);
    expect(page.headers.get('content-security-policy')).toBe("default-src 'self'; base-uri 'none'; object-src 'none'; form-action 'none'; frame-ancestors 'none'");
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
    expect(page.headers.get('referrer-policy')).toBe('no-referrer');
    expect(page.headers.get('x-frame-options')).toBe('DENY');
    expect(chart.status).toBe(200);
    expect(chart.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(await chart.text()).toBe(readFileSync('node_modules/chart.js/dist/chart.umd.min.js', 'utf8'));
  });

  it('generates and keeps a password', async () => {
    const dataDir = join(mkdtempSync(join(tmpdir(), 'hrv-lite-password-')), 'data');
    const influxEnv = { INFLUX_API_VERSION: '1', INFLUX_URL: influx.url, INFLUX_DATABASE: influx.database, DASHBOARD_LITE_DATA_DIR: dataDir };
    const first = await startDashboardLiteProcess(influxEnv);
    try {
      const passwordFile = `${first.dataDir}/${PASSWORD_FILE_NAME}`;
      const password = readFileSync(passwordFile, 'utf8').trim();
      const logLine = first.logs.find((line) => line.msg === 'generated a password for dashboard-lite; read it from the file');

      expect(password).toMatch(/^[A-Za-z0-9_-]{32}$/);
      expect(statSync(passwordFile).mode & 0o777).toBe(0o600);
      expect(logLine?.passwordFile).toBe(passwordFile);
      expect(first.output()).not.toContain(password);
      expect((await fetch(`${first.url}/api/people`, { headers: basicHeader('hrv', password) })).status).toBe(200);
      expect((await fetch(`${first.url}/api/people`)).status).toBe(401);

      await first.dispose();
      const second = await startDashboardLiteProcess(influxEnv);
      try {
        expect(second.logs.some((line) => line.msg === 'using the generated password stored in the file')).toBe(true);
        expect((await fetch(`${second.url}/api/people`, { headers: basicHeader('hrv', password) })).status).toBe(200);
      } finally {
        await second.dispose();
      }
    } finally {
      await first.dispose();
      rmSync(dirname(dataDir), { recursive: true, force: true });
    }
  });

  it('serves openly when auth is off', async () => {
    const open = await startDashboardLiteProcess({ INFLUX_API_VERSION: '1', INFLUX_URL: influx.url, INFLUX_DATABASE: influx.database, DASHBOARD_LITE_AUTH: 'off' });
    try {
      const { status, body } = await getJson(`${open.url}/api/people`, {});

      expect(status).toBe(200);
      expect(body.authentication).toBe('off');
      expect(open.logs.some((line) => line.level === 40 && String(line.msg).startsWith('DASHBOARD_LITE_AUTH is off'))).toBe(true);
    } finally {
      await open.dispose();
    }
  });

  it('reads through the InfluxDB 2 settings', async () => {
    const v2 = await startDashboardLiteProcess({ INFLUX_API_VERSION: '2', INFLUX_URL: influx.url, INFLUX_TOKEN: influx.token, INFLUX_BUCKET: influx.database, DASHBOARD_LITE_AUTH: 'off' });
    try {
      const { body } = await getJson(`${v2.url}/api/nights?person=${person}&provider=${provider}&range=all`, {});

      expect(body.nights).toEqual(await storedNights(influx, person, provider));
    } finally {
      await v2.dispose();
    }
  });

  it('returns 503 when InfluxDB is unreachable', async () => {
    const closedPort = await findFreePort();
    const offline = await startDashboardLiteProcess({ INFLUX_API_VERSION: '1', INFLUX_URL: `http://127.0.0.1:${closedPort}`, INFLUX_TIMEOUT_SECONDS: '2', DASHBOARD_LITE_AUTH: 'off' });
    try {
      const { status, body } = await getJson(`${offline.url}/api/nights?person=${person}&provider=${provider}`, {});

      expect(status).toBe(503);
      expect(body.error).toBe('influxdb_unavailable');
      expect(body.message).toContain('InfluxDB could not be read');
      expect(body.message).toContain('INFLUX_URL');
      // The log line is written while the response is sent, so it may reach the pipe after it.
      const logged = await waitFor('the query failure log line', () => offline.logs.find((line) => line.msg === 'InfluxDB query failed'), 5_000);
      expect(logged.msg).toBe('InfluxDB query failed');
    } finally {
      await offline.dispose();
    }
  });

  it('exits 2 listing every invalid variable', async () => {
    const env = { DASHBOARD_LITE_PORT: '80000', DASHBOARD_LITE_AUTH: 'maybe', DASHBOARD_LITE_PASSWORD: 'short', INFLUX_URL: 'ftp://x' };
    const run = await runBuiltCli(['dashboard-lite'], { cwd: process.cwd(), env, withoutEnv: ['INFLUX_TOKEN', 'INFLUX_API_VERSION'] });

    expect(run.exitCode).toBe(2);
    for (const name of ['DASHBOARD_LITE_PORT', 'DASHBOARD_LITE_AUTH', 'DASHBOARD_LITE_PASSWORD', 'INFLUX_URL', 'INFLUX_TOKEN']) expect(run.stderr).toContain(`  - ${name}`);
    expect(run.stderr).not.toContain('short');
  });
});
