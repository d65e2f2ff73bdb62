// Real parts: the configuration loader, zod, and a password file in a temporary folder.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadDashboardLiteConfig } from '../dashboard-lite/config.js';
import { ConfigError } from '../receiver/config.js';

function problemsOf(env: NodeJS.ProcessEnv): string[] {
  try {
    loadDashboardLiteConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('loadDashboardLiteConfig', () => {
  it('applies every default', () => {
    expect(loadDashboardLiteConfig({ INFLUX_TOKEN: 'read-token' })).toEqual({
      host: '0.0.0.0',
      port: 8081,
      auth: { mode: 'basic', username: 'hrv', password: undefined },
      dataDir: './dashboard-lite-data',
      allowedHosts: [],
      loginFailureBurst: 10,
      loginFailureRefillPerMinute: 6,
      influx: { apiVersion: 2, url: 'http://localhost:8086', token: 'read-token', org: 'hrv', bucket: 'hrv', timeoutMs: 10_000 },
      logLevel: 'info',
    });
  });

  it('reads the password from a file', () => {
    const folder = mkdtempSync(join(tmpdir(), 'hrv-lite-config-'));
    try {
      writeFileSync(join(folder, 'password'), 'a-long-enough-password\n');
      const config = loadDashboardLiteConfig({ INFLUX_TOKEN: 't', DASHBOARD_LITE_USERNAME: 'family', DASHBOARD_LITE_PASSWORD_FILE: join(folder, 'password') });

      expect(config.auth).toEqual({ mode: 'basic', username: 'family', password: 'a-long-enough-password' });
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });

  it('names the password file when it is short', () => {
    const folder = mkdtempSync(join(tmpdir(), 'hrv-lite-config-'));
    try {
      const path = join(folder, 'password');
      writeFileSync(path, 'short\n');

      expect(problemsOf({ INFLUX_TOKEN: 't', DASHBOARD_LITE_PASSWORD_FILE: path })).toEqual([
        `DASHBOARD_LITE_PASSWORD_FILE=${path}: expected at least 12 characters (value hidden)`,
      ]);
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });

  it('reads the allowed host names', () => {
    const config = loadDashboardLiteConfig({ INFLUX_TOKEN: 't', DASHBOARD_LITE_ALLOWED_HOSTS: ' HRV.home.arpa., nas.local,, ' });

    expect(config.allowedHosts).toEqual(['hrv.home.arpa', 'nas.local']);
  });

  it.each(['http://hrv.lan', 'hrv.lan:8081', 'a b', '-bad.lan'])('rejects allowed host %s', (entry) => {
    expect(problemsOf({ INFLUX_TOKEN: 't', DASHBOARD_LITE_ALLOWED_HOSTS: `ok.lan,${entry}` })).toEqual([
      `DASHBOARD_LITE_ALLOWED_HOSTS: expected comma-separated host names without port or scheme, such as hrv.home.arpa (got "ok.lan,${entry}")`,
    ]);
  });

  it('reads the failed login limit', () => {
    const config = loadDashboardLiteConfig({ INFLUX_TOKEN: 't', DASHBOARD_LITE_LOGIN_FAILURE_BURST: '3', DASHBOARD_LITE_LOGIN_FAILURE_REFILL_PER_MINUTE: '1' });

    expect([config.loginFailureBurst, config.loginFailureRefillPerMinute]).toEqual([3, 1]);
    expect(problemsOf({ INFLUX_TOKEN: 't', DASHBOARD_LITE_LOGIN_FAILURE_BURST: '0' })).toEqual([
      'DASHBOARD_LITE_LOGIN_FAILURE_BURST: expected a whole number from 1 to 100000 (got "0")',
    ]);
  });

  it('turns authentication off', () => {
    expect(loadDashboardLiteConfig({ INFLUX_TOKEN: 't', DASHBOARD_LITE_AUTH: 'off' }).auth).toEqual({ mode: 'off' });
  });

  it('lists every invalid variable at once, secrets hidden', () => {
    const problems = problemsOf({
      DASHBOARD_LITE_PORT: '65536',
      DASHBOARD_LITE_AUTH: 'digest',
      DASHBOARD_LITE_USERNAME: 'a:b',
      DASHBOARD_LITE_PASSWORD: 'hunter2',
      INFLUX_API_VERSION: '1',
      INFLUX_PASSWORD: 'influx-secret',
    });

    expect(problems).toEqual([
      'DASHBOARD_LITE_PORT: expected a whole number from 0 to 65535 (got "65536")',
      'DASHBOARD_LITE_AUTH: expected basic or off (got "digest")',
      'DASHBOARD_LITE_USERNAME: expected 1 to 64 characters without a colon or a space (got "a:b")',
      'DASHBOARD_LITE_PASSWORD: expected at least 12 characters (value hidden)',
      'INFLUX_USERNAME: required when INFLUX_PASSWORD is set (not set)',
    ]);
  });

  it('rejects auth off together with a password', () => {
    expect(problemsOf({ INFLUX_TOKEN: 't', DASHBOARD_LITE_AUTH: 'off', DASHBOARD_LITE_PASSWORD: 'a-long-enough-password' })).toEqual([
      'DASHBOARD_LITE_AUTH: is off while DASHBOARD_LITE_PASSWORD is set: unset one of them (got "off")',
    ]);
  });

  it('requires a token for InfluxDB 2', () => {
    expect(problemsOf({})).toEqual(['INFLUX_TOKEN: required when INFLUX_API_VERSION is 2, the default (set INFLUX_TOKEN or INFLUX_TOKEN_FILE, or INFLUX_API_VERSION=1 for InfluxDB 1.x) (not set)']);
  });
});
