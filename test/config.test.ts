// Real parts: the configuration loader, zod, and secret files in a temporary folder.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadReceiverConfig } from '../receiver/config.js';
import { parsePersonLabels, resolvePerson } from '../terra/person.js';

function problemsOf(env: NodeJS.ProcessEnv): string[] {
  try {
    loadReceiverConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('loadReceiverConfig', () => {
  it('applies every default', () => {
    const config = loadReceiverConfig({ INFLUX_TOKEN: 'token-1' });
    expect(config).toEqual({
      host: '0.0.0.0',
      port: 8080,
      signingSecrets: [],
      signatureToleranceSeconds: 300,
      signatureFailureBurst: 20,
      signatureFailureRefillPerMinute: 10,
      spoolDir: './spool',
      maxBodyBytes: 64 * 1024 * 1024,
      defaultTimeZone: 'UTC',
      personLabels: new Map(),
      influx: { apiVersion: 2, url: 'http://localhost:8086', token: 'token-1', org: 'hrv', bucket: 'hrv', timeoutMs: 10_000 },
      retryMaxDelayMs: 60_000,
      normalRangeSd: 0.5,
      pingTimeoutMs: 60_000,
      pingAllowHttpLoopback: false,
      largeRequestWarnAfterMs: 86_400_000,
      heartbeatIntervalMs: 60_000,
      logLevel: 'info',
    });
  });

  it('splits a rotation of signing secrets', () => {
    const config = loadReceiverConfig({ INFLUX_TOKEN: 't', TERRA_SIGNING_SECRET: 'old-secret, new-secret,' });
    expect(config.signingSecrets).toEqual(['old-secret', 'new-secret']);
  });

  it('builds the version 1 settings', () => {
    const env = { INFLUX_API_VERSION: '1', INFLUX_URL: 'http://influx:8086/', INFLUX_DATABASE: 'health', INFLUX_USERNAME: 'writer', INFLUX_PASSWORD: 'pw' };
    expect(loadReceiverConfig(env).influx).toEqual({
      apiVersion: 1,
      url: 'http://influx:8086',
      database: 'health',
      username: 'writer',
      password: 'pw',
      timeoutMs: 10_000,
    });
  });

  it('reads secrets from *_FILE variables', () => {
    const folder = mkdtempSync(join(tmpdir(), 'hrv-config-'));
    writeFileSync(join(folder, 'terra'), 'whsec-from-file\n');
    writeFileSync(join(folder, 'token'), 'token-from-file\n');
    const config = loadReceiverConfig({ TERRA_SIGNING_SECRET_FILE: join(folder, 'terra'), INFLUX_TOKEN_FILE: join(folder, 'token') });
    rmSync(folder, { recursive: true, force: true });
    expect(config.signingSecrets).toEqual(['whsec-from-file']);
    expect(config.influx).toMatchObject({ token: 'token-from-file' });
  });

  it('treats blank variables as not set', () => {
    const config = loadReceiverConfig({ INFLUX_TOKEN: 't', PORT: '', TERRA_SIGNING_SECRET: '' });
    expect(config.port).toBe(8080);
    expect(config.signingSecrets).toEqual([]);
  });

  it('names every invalid variable in one error', () => {
    const problems = problemsOf({
      PORT: 'eighty',
      TERRA_SIGNATURE_TOLERANCE_SECONDS: '-1',
      DEFAULT_TIMEZONE: 'Mars/Olympus',
      INFLUX_API_VERSION: '3',
      INFLUX_URL: 'ftp://influx',
      PERSON_LABELS: 'alice',
      MAX_BODY_BYTES: '10',
    });
    const names = problems.map((problem) => problem.split(':')[0]);
    expect(names.sort()).toEqual(
      ['DEFAULT_TIMEZONE', 'INFLUX_API_VERSION', 'INFLUX_URL', 'MAX_BODY_BYTES', 'PERSON_LABELS', 'PORT', 'TERRA_SIGNATURE_TOLERANCE_SECONDS'].sort(),
    );
    expect(problems.find((problem) => problem.startsWith('PORT'))).toContain('got "eighty"');
  });

  it('reads the ping-mode settings', () => {
    const config = loadReceiverConfig({ INFLUX_TOKEN: 't', TERRA_PING_TIMEOUT_SECONDS: '15', TERRA_PING_ALLOW_HTTP_LOOPBACK: 'true' });

    expect(config.pingTimeoutMs).toBe(15_000);
    expect(config.pingAllowHttpLoopback).toBe(true);
  });

  it('rejects invalid ping-mode settings', () => {
    expect(problemsOf({ INFLUX_TOKEN: 't', TERRA_PING_TIMEOUT_SECONDS: '0', TERRA_PING_ALLOW_HTTP_LOOPBACK: 'yes' })).toEqual([
      'TERRA_PING_TIMEOUT_SECONDS: expected a whole number from 1 to 600 (got "0")',
      'TERRA_PING_ALLOW_HTTP_LOOPBACK: expected true or false (got "yes")',
    ]);
  });

  it.each(['0', '0.05', '3.5', '1e0', '-1', 'half', ' 0.5'])('rejects HRV_NORMAL_RANGE_SD %j', (text) => {
    expect(problemsOf({ INFLUX_TOKEN: 't', HRV_NORMAL_RANGE_SD: text })).toEqual([
      `HRV_NORMAL_RANGE_SD: expected a decimal number from 0.1 to 3, such as 0.5 (got "${text}")`,
    ]);
  });

  it.each(['0', '604801', '1.5', '1e3', '-5', 'day'])('rejects LARGE_REQUEST_WARN_AFTER_SECONDS %j', (text) => {
    expect(problemsOf({ INFLUX_TOKEN: 't', LARGE_REQUEST_WARN_AFTER_SECONDS: text })).toEqual([
      `LARGE_REQUEST_WARN_AFTER_SECONDS: expected a whole number from 1 to 604800 (got "${text}")`,
    ]);
  });

  it.each(['-1', '1', '9', '301', '3600', '1.5', 'minute'])('rejects HEARTBEAT_INTERVAL_SECONDS %j', (text) => {
    expect(problemsOf({ INFLUX_TOKEN: 't', HEARTBEAT_INTERVAL_SECONDS: text })).toEqual([
      `HEARTBEAT_INTERVAL_SECONDS: expected 0 or a whole number from 10 to 300 (got "${text}")`,
    ]);
  });

  it.each([['0', 0], ['10', 10_000], ['300', 300_000]])('reads HEARTBEAT_INTERVAL_SECONDS %s', (text, expected) => {
    expect(loadReceiverConfig({ INFLUX_TOKEN: 't', HEARTBEAT_INTERVAL_SECONDS: text }).heartbeatIntervalMs).toBe(expected);
  });

  it('reads LARGE_REQUEST_WARN_AFTER_SECONDS', () => {
    expect(loadReceiverConfig({ INFLUX_TOKEN: 't', LARGE_REQUEST_WARN_AFTER_SECONDS: '2' }).largeRequestWarnAfterMs).toBe(2000);
  });

  it.each([['1', 1], ['1.0', 1], ['0.75', 0.75], ['3', 3]])('reads HRV_NORMAL_RANGE_SD %s', (text, expected) => {
    expect(loadReceiverConfig({ INFLUX_TOKEN: 't', HRV_NORMAL_RANGE_SD: text }).normalRangeSd).toBe(expected);
  });

  it('reports pair problems beside an invalid variable', () => {
    const problems = problemsOf({ LOG_LEVEL: 'loud', INFLUX_PASSWORD: 'x', PORT: '8081', ADMIN_PORT: '8081' });

    expect(problems.map((problem) => problem.split(':')[0]).sort()).toEqual(['ADMIN_PORT', 'INFLUX_TOKEN', 'INFLUX_USERNAME', 'LOG_LEVEL']);
  });

  it('requires a token for version 2', () => {
    expect(problemsOf({})).toEqual([
      'INFLUX_TOKEN: required when INFLUX_API_VERSION is 2, the default (set INFLUX_TOKEN or INFLUX_TOKEN_FILE, or INFLUX_API_VERSION=1 for InfluxDB 1.x) (not set)',
    ]);
  });

  it('masks secrets in errors', () => {
    const problems = problemsOf({ INFLUX_TOKEN: 'super-secret-token', INFLUX_TOKEN_FILE: '/run/secrets/token' });
    expect(problems).toEqual(['INFLUX_TOKEN and INFLUX_TOKEN_FILE are both set: keep one']);
    const passwordProblems = problemsOf({ INFLUX_API_VERSION: '1', INFLUX_PASSWORD: 'hunter2-secret' });
    expect(passwordProblems).toEqual(['INFLUX_USERNAME: required when INFLUX_PASSWORD is set (not set)']);
    expect(JSON.stringify([problems, passwordProblems])).not.toContain('secret-token');
  });

  it.each([
    ['PORT', ' ', undefined],
    ['PORT', '0x1F90', 'PORT: expected a whole number from 0 to 65535 (got "0x1F90")'],
    ['PORT', '1e2', 'PORT: expected a whole number from 0 to 65535 (got "1e2")'],
    ['TERRA_SIGNATURE_TOLERANCE_SECONDS', '-5', 'TERRA_SIGNATURE_TOLERANCE_SECONDS: expected a whole number from 0 to 604800 (got "-5")'],
    ['TERRA_SIGNATURE_TOLERANCE_SECONDS', '1.5', 'TERRA_SIGNATURE_TOLERANCE_SECONDS: expected a whole number from 0 to 604800 (got "1.5")'],
    ['SIGNATURE_FAILURE_BURST', '-1', 'SIGNATURE_FAILURE_BURST: expected a whole number from 0 to 100000 (got "-1")'],
    ['SIGNATURE_FAILURE_REFILL_PER_MINUTE', '0', 'SIGNATURE_FAILURE_REFILL_PER_MINUTE: expected a whole number from 1 to 60000 (got "0")'],
    ['SIGNATURE_FAILURE_REFILL_PER_MINUTE', '0.5', 'SIGNATURE_FAILURE_REFILL_PER_MINUTE: expected a whole number from 1 to 60000 (got "0.5")'],
  ])('reads %s=%j strictly', (name, value, problem) => {
    const env = { INFLUX_TOKEN: 't', [name]: value };
    if (problem === undefined) expect(loadReceiverConfig(env).port).toBe(8080);
    else expect(problemsOf(env)).toEqual([problem]);
  });

  it('reads the signature failure limit', () => {
    const config = loadReceiverConfig({ INFLUX_TOKEN: 't', SIGNATURE_FAILURE_BURST: '0', SIGNATURE_FAILURE_REFILL_PER_MINUTE: '120' });
    expect(config.signatureFailureBurst).toBe(0);
    expect(config.signatureFailureRefillPerMinute).toBe(120);
  });

  it('moves the admin routes to ADMIN_PORT on loopback', () => {
    expect(loadReceiverConfig({ INFLUX_TOKEN: 't', ADMIN_PORT: '9464' }).admin).toEqual({ host: '127.0.0.1', port: 9464 });
    expect(loadReceiverConfig({ INFLUX_TOKEN: 't', ADMIN_PORT: '9464', ADMIN_HOST: '0.0.0.0' }).admin).toEqual({ host: '0.0.0.0', port: 9464 });
  });

  it('ignores ADMIN_HOST without ADMIN_PORT', () => {
    expect(loadReceiverConfig({ INFLUX_TOKEN: 't', ADMIN_HOST: '0.0.0.0', ADMIN_PORT: '' }).admin).toBeUndefined();
  });

  it.each([
    ['8080', {}, 'ADMIN_PORT: must differ from PORT, because the webhook and the admin routes need a port each (leave ADMIN_PORT unset to serve both on PORT) (got "8080")'],
    ['9000', { PORT: '9000' }, 'ADMIN_PORT: must differ from PORT, because the webhook and the admin routes need a port each (leave ADMIN_PORT unset to serve both on PORT) (got "9000")'],
    ['metrics', {}, 'ADMIN_PORT: expected a whole number from 0 to 65535 (got "metrics")'],
    ['70000', {}, 'ADMIN_PORT: expected a whole number from 0 to 65535 (got "70000")'],
  ])('rejects ADMIN_PORT=%s', (adminPort, extra, problem) => {
    expect(problemsOf({ INFLUX_TOKEN: 't', ADMIN_PORT: adminPort, ...extra })).toEqual([problem]);
  });

  it('keeps the time check on for a blank tolerance', () => {
    expect(loadReceiverConfig({ INFLUX_TOKEN: 't', TERRA_SIGNATURE_TOLERANCE_SECONDS: '  ' }).signatureToleranceSeconds).toBe(300);
  });

  it('rejects credentials in INFLUX_URL without printing them', () => {
    const problems = problemsOf({ INFLUX_TOKEN: 't', INFLUX_URL: 'http://admin:topsecretpw@influx:8086' });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^INFLUX_URL: must not contain a user name, password, query or fragment/);
    expect(problems[0]).not.toContain('topsecretpw');
  });

  it.each(['ftp://influx', '127.0.0.1:8086', 'http://', 'http//localhost:8086'])('names the unusable INFLUX_URL %s', (url) => {
    expect(problemsOf({ INFLUX_TOKEN: 't', INFLUX_URL: url })).toEqual([`INFLUX_URL: expected an http:// or https:// URL such as http://localhost:8086 (got "${url}")`]);
  });

  it.each(['http://127.0.0.1:8086?u=admin&p=S3CRETQ', ' http://admin:s3cret@influx:8086', 'http://admin:p@ss@influx:8086', 'http://influx:8086/#p=S3CRETQ'])(
    'rejects INFLUX_URL %s without echoing it',
    (url) => {
      const problems = problemsOf({ INFLUX_TOKEN: 't', INFLUX_URL: url });
      expect(problems).toHaveLength(1);
      expect(problems[0]).toMatch(/^INFLUX_URL: .* \(value hidden\)$/);
    },
  );

  it('reports empty and multi-line secret files', () => {
    const folder = mkdtempSync(join(tmpdir(), 'hrv-config-'));
    writeFileSync(join(folder, 'empty'), '\n');
    writeFileSync(join(folder, 'two-lines'), 'token-a\ntoken-b\n');
    writeFileSync(join(folder, 'secrets'), 'whsec-old\nwhsec-new\n');
    try {
      expect(problemsOf({ INFLUX_TOKEN_FILE: join(folder, 'empty') })[0]).toBe(`INFLUX_TOKEN_FILE=${join(folder, 'empty')}: the file is empty`);
      expect(problemsOf({ INFLUX_TOKEN_FILE: join(folder, 'two-lines') })[0]).toBe(
        `INFLUX_TOKEN_FILE=${join(folder, 'two-lines')}: the file has more than one line; keep only the token`,
      );
      const config = loadReceiverConfig({ INFLUX_TOKEN: 't', TERRA_SIGNING_SECRET_FILE: join(folder, 'secrets') });
      expect(config.signingSecrets).toEqual(['whsec-old', 'whsec-new']);
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });

  it('names an unreadable secret file', () => {
    expect(problemsOf({ INFLUX_TOKEN_FILE: '/nonexistent/token' })).toEqual([
      'INFLUX_TOKEN_FILE=/nonexistent/token: cannot read the file (ENOENT)',
      'INFLUX_TOKEN: required when INFLUX_API_VERSION is 2, the default (set INFLUX_TOKEN or INFLUX_TOKEN_FILE, or INFLUX_API_VERSION=1 for InfluxDB 1.x) (not set)',
    ]);
  });
});

describe('person labels', () => {
  const user = { user_id: 'uid-7', provider: 'OURA', reference_id: 'bob' };

  it('parses id=name pairs with spaces in names', () => {
    expect(parsePersonLabels('bob=Bob Smith, uid-9=Carol')).toEqual(new Map([['bob', 'Bob Smith'], ['uid-9', 'Carol']]));
  });

  it.each(['bob', '=Bob', 'bob=', 'bob=B,bob=C'])('rejects %s', (text) => {
    expect(typeof parsePersonLabels(text)).toBe('string');
  });

  it('prefers reference_id, then user_id, then their labels', () => {
    expect(resolvePerson(user, new Map())).toBe('bob');
    expect(resolvePerson({ ...user, reference_id: null }, new Map())).toBe('uid-7');
    expect(resolvePerson({ ...user, reference_id: '  ' }, new Map())).toBe('uid-7');
    expect(resolvePerson(user, new Map([['bob', 'Bob Smith']]))).toBe('Bob Smith');
    expect(resolvePerson(user, new Map([['uid-7', 'Robert']]))).toBe('Robert');
  });
});
