import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest, createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { PASSWORD_FILE_NAME } from '../dashboard-lite/generated-password.js';
import { runBuiltCli } from './support/built-cli.js';
import { startDashboardLiteProcess, type DashboardLiteProcess } from './support/dashboard-lite-process.js';
import { startInfluxDb, type InfluxDbServer } from './support/influxdb.js';
import { waitFor } from './support/receiver-process.js';

// Real parts: influxd 1.6 as a child process (an empty database, because these checks come before
// any query), the built `hrv-stack dashboard-lite` as a child process on loopback, and Node's HTTP
// client, which can send any Host header. Nothing is a stand-in.

const PASSWORD = 'correct-horse-battery-staple';

interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** Sends a GET with exactly these headers, Host included, which fetch would rewrite. */
function rawGet(baseUrl: string, path: string, headers: Record<string, string>): Promise<RawResponse> {
  const url = new URL(path, baseUrl);
  return new Promise((resolve, reject) => {
    const request = httpRequest({ host: url.hostname, port: url.port, path: url.pathname + url.search, headers }, (response) => {
      let body = '';
      response.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body }));
    });
    request.on('error', reject);
    request.end();
  });
}

function basicHeader(username: string, password: string): Record<string, string> {
  return { authorization: `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}` };
}

describe('dashboard-lite security', () => {
  let influx: InfluxDbServer;
  let influxEnv: Record<string, string>;
  const started: DashboardLiteProcess[] = [];
  const folders: string[] = [];

  async function start(env: Record<string, string>): Promise<DashboardLiteProcess> {
    const dashboard = await startDashboardLiteProcess({ ...influxEnv, ...env });
    started.push(dashboard);
    return dashboard;
  }

  function temporaryFolder(): string {
    const folder = mkdtempSync(join(tmpdir(), 'hrv-lite-security-'));
    folders.push(folder);
    return folder;
  }

  beforeAll(async () => {
    influx = await startInfluxDb();
    influxEnv = { INFLUX_API_VERSION: '1', INFLUX_URL: influx.url, INFLUX_DATABASE: influx.database };
  }, 120_000);

  afterAll(async () => {
    for (const dashboard of started) await dashboard.dispose();
    for (const folder of folders) rmSync(folder, { recursive: true, force: true });
    await influx?.dispose();
  });

  describe('Host check', () => {
    it('rejects other names when auth is off', async () => {
      const dashboard = await start({ DASHBOARD_LITE_AUTH: 'off' });
      const response = await rawGet(dashboard.url, '/api/people', { host: 'rebound.example:8081' });
      const body = JSON.parse(response.body) as Record<string, unknown>;

      expect(response.status).toBe(421);
      expect(body.error).toBe('host_not_allowed');
      expect(body.host).toBe('rebound.example:8081');
      expect(body.message).toContain('DASHBOARD_LITE_ALLOWED_HOSTS');
      expect(body).not.toHaveProperty('people');
      const logLine = await waitFor('the rejected Host log line', () =>
        dashboard.logs.find((line) => line.msg === 'rejected a request for a host name not in DASHBOARD_LITE_ALLOWED_HOSTS'),
      );
      expect(logLine?.level).toBe(40);
      expect(logLine?.host).toBe('rebound.example:8081');
      expect(logLine?.address).toBe('127.0.0.1');
    });

    it('serves IP literals and localhost when auth is off', async () => {
      const dashboard = await start({ DASHBOARD_LITE_AUTH: 'off' });
      const port = new URL(dashboard.url).port;

      for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `LOCALHOST.:${port}`, `[::1]:${port}`, '192.168.1.20']) {
        const response = await rawGet(dashboard.url, '/api/people', { host });
        expect(response.status, host).toBe(200);
        expect(JSON.parse(response.body), host).toEqual({ authentication: 'off', people: [] });
      }
    });

    it('serves the names in DASHBOARD_LITE_ALLOWED_HOSTS', async () => {
      const dashboard = await start({ DASHBOARD_LITE_AUTH: 'off', DASHBOARD_LITE_ALLOWED_HOSTS: 'hrv.home.arpa, nas.local' });

      expect((await rawGet(dashboard.url, '/api/people', { host: 'HRV.home.arpa:8081' })).status).toBe(200);
      expect((await rawGet(dashboard.url, '/api/people', { host: 'nas.local.' })).status).toBe(200);
      expect((await rawGet(dashboard.url, '/api/people', { host: 'home.arpa' })).status).toBe(421);
    });

    it('applies the list with auth on', async () => {
      const dashboard = await start({ DASHBOARD_LITE_PASSWORD: PASSWORD, DASHBOARD_LITE_ALLOWED_HOSTS: 'hrv.home.arpa' });
      const auth = basicHeader('hrv', PASSWORD);

      expect((await rawGet(dashboard.url, '/api/people', { ...auth, host: 'hrv.home.arpa' })).status).toBe(200);
      expect((await rawGet(dashboard.url, '/api/people', { ...auth, host: 'rebound.example' })).status).toBe(421);
    });

    it('accepts any name with auth on and no list', async () => {
      const dashboard = await start({ DASHBOARD_LITE_PASSWORD: PASSWORD });

      expect((await rawGet(dashboard.url, '/api/people', { ...basicHeader('hrv', PASSWORD), host: 'any-name.example' })).status).toBe(200);
    });

    it('keeps /healthz open to any name', async () => {
      const dashboard = await start({ DASHBOARD_LITE_AUTH: 'off' });

      expect((await rawGet(dashboard.url, '/healthz', { host: 'dashboard-lite:8081' })).status).toBe(200);
    });
  });

  describe('failed logins', () => {
    it('answers 429 after the burst', async () => {
      const dashboard = await start({ DASHBOARD_LITE_PASSWORD: PASSWORD, DASHBOARD_LITE_LOGIN_FAILURE_BURST: '3', DASHBOARD_LITE_LOGIN_FAILURE_REFILL_PER_MINUTE: '1' });
      const host = new URL(dashboard.url).host;

      // A browser sends its first request without credentials to get the login prompt, so these are not failures.
      for (let attempt = 0; attempt < 5; attempt += 1) expect((await rawGet(dashboard.url, '/api/people', { host })).status).toBe(401);
      for (let attempt = 1; attempt <= 3; attempt += 1) {
        expect((await rawGet(dashboard.url, '/api/people', { host, ...basicHeader('guessed-user-name', `guess-${attempt}-abcdefgh`) })).status).toBe(401);
      }
      const limited = await rawGet(dashboard.url, '/api/people', { host, ...basicHeader('hrv', 'guess-4-abcdefgh') });
      const rightPassword = await rawGet(dashboard.url, '/api/people', { host, ...basicHeader('hrv', PASSWORD) });

      expect(limited.status).toBe(429);
      expect(limited.headers['retry-after']).toBe('60');
      expect(JSON.parse(limited.body)).toEqual({
        error: 'too_many_failed_logins',
        message: 'Too many failed logins from this address; retry after 60 seconds',
        retryAfterSeconds: 60,
      });
      expect(rightPassword.status).toBe(429);
    });

    it('logs each failure without the values', async () => {
      const dashboard = await start({ DASHBOARD_LITE_PASSWORD: PASSWORD, DASHBOARD_LITE_LOGIN_FAILURE_BURST: '5' });
      const host = new URL(dashboard.url).host;

      await rawGet(dashboard.url, '/api/people', { host, ...basicHeader('typed-user-name', 'typed-password-1') });
      await rawGet(dashboard.url, '/api/people', { host, ...basicHeader('hrv', 'typed-password-2') });
      const failures = await waitFor('two failed login lines', () => {
        const lines = dashboard.logs.filter((line) => line.msg === 'failed login');
        return lines.length >= 2 ? lines : undefined;
      });

      expect(failures.map((line) => [line.level, line.address, line.usernameMatches, line.failedLoginsSinceStart])).toEqual([
        [40, '127.0.0.1', false, 1],
        [40, '127.0.0.1', true, 2],
      ]);
      expect(dashboard.output()).not.toContain('typed-user-name');
      expect(dashboard.output()).not.toContain('typed-password');
    });
  });

  describe('stored password file', () => {
    it('rejects a short one with exit 2', async () => {
      const dataDir = temporaryFolder();
      writeFileSync(join(dataDir, PASSWORD_FILE_NAME), 'short\n', { mode: 0o600 });
      const run = await runBuiltCli(['dashboard-lite'], { cwd: process.cwd(), env: { ...influxEnv, DASHBOARD_LITE_DATA_DIR: dataDir, DASHBOARD_LITE_HOST: '127.0.0.1', DASHBOARD_LITE_PORT: '0' } });

      expect(run.exitCode).toBe(2);
      expect(run.stderr).toContain(`the password file ${join(dataDir, PASSWORD_FILE_NAME)} holds 5 characters, fewer than 12`);
      expect(run.stdout + run.stderr).not.toContain('short\n');
    });

    it('warns when others may read it', async () => {
      const dataDir = temporaryFolder();
      const path = join(dataDir, PASSWORD_FILE_NAME);
      writeFileSync(path, `${PASSWORD}\n`);
      chmodSync(path, 0o644);
      const dashboard = await start({ DASHBOARD_LITE_DATA_DIR: dataDir });
      const warning = dashboard.logs.find((line) => line.level === 40 && line.passwordFile === path);

      expect(warning?.msg).toBe(`the password file may be read by other users of this host: run chmod 600 ${path}`);
      expect((await fetch(`${dashboard.url}/api/people`, { headers: basicHeader('hrv', PASSWORD) })).status).toBe(200);
    });

    it('is not written when the port is taken', async () => {
      const occupant = createServer();
      await new Promise<void>((resolve) => occupant.listen(0, '127.0.0.1', resolve));
      const port = (occupant.address() as { port: number }).port;
      const dataDir = join(temporaryFolder(), 'data');
      try {
        const env = { ...influxEnv, DASHBOARD_LITE_DATA_DIR: dataDir, DASHBOARD_LITE_HOST: '127.0.0.1', DASHBOARD_LITE_PORT: String(port) };
        const run = await runBuiltCli(['dashboard-lite'], { cwd: process.cwd(), env, withoutEnv: ['DASHBOARD_LITE_PASSWORD'] });

        expect(run.exitCode).toBe(1);
        expect(run.stdout).toContain('EADDRINUSE');
        expect(run.stdout).not.toContain('passwordFile');
        expect(existsSync(join(dataDir, PASSWORD_FILE_NAME))).toBe(false);
      } finally {
        await new Promise((resolve) => occupant.close(resolve));
      }
    });
  });

  it('sends the page files as private', async () => {
    const dashboard = await start({ DASHBOARD_LITE_PASSWORD: PASSWORD });

    for (const path of ['/', '/index.html', '/app.js', '/style.css', '/vendor/chart.umd.min.js']) {
      const response = await fetch(`${dashboard.url}${path}`, { headers: basicHeader('hrv', PASSWORD) });
      expect(response.status, path).toBe(200);
      expect(response.headers.get('cache-control'), path).toBe('private, no-cache');
    }
  });
});
