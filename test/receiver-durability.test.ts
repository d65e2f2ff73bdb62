// Real parts: the built receiver as a child process, influxd started by the harness, the spool on
// disk, SIGKILL and SIGTERM. Stand-in: the v2 gateway in front of influxd, which here also returns
// chosen error statuses, as an overloaded or misconfigured InfluxDB would.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { signTerraBody } from '../terra/signature.js';
import { startInfluxDb, type InfluxDbServer, receiverInfluxEnv } from './support/influxdb.js';
import { startReceiverProcess, type ReceiverProcess } from './support/receiver-process.js';
import { readTerraSample } from './support/terra-samples.js';

const SECRET = 'whsec-durability-51c2';
const GARMIN = readTerraSample('sleep-garmin.json');
const OURA = readTerraSample('sleep-oura-night-and-nap.json');
const FITBIT = readTerraSample('daily-fitbit.json');

async function deliver(receiver: ReceiverProcess, body: Buffer): Promise<number> {
  const headers = { 'content-type': 'application/json', 'x-terra-signature': signTerraBody(body, SECRET, Math.floor(Date.now() / 1000)) };
  const response = await fetch(receiver.webhookUrl, { method: 'POST', body, headers });
  await response.arrayBuffer();
  return response.status;
}

async function countRmssd(influx: InfluxDbServer): Promise<number> {
  const rows = await influx.query('SELECT count(rmssd) FROM hrv');
  return rows.length === 0 ? 0 : Number(rows[0]!.count);
}

function pendingFiles(receiver: ReceiverProcess): string[] {
  return readdirSync(join(receiver.spoolDir, 'pending'));
}

function processedCount(receiver: ReceiverProcess): number {
  return receiver.logs.filter((line) => line.msg === 'delivery processed').length;
}

describe('receiver durability', () => {
  let influx: InfluxDbServer;
  let receiver: ReceiverProcess;

  beforeEach(async () => {
    influx = await startInfluxDb();
    const env = receiverInfluxEnv(influx, '2');
    // No heartbeat: its writes go through the same gateway and could take an injected failure.
    receiver = await startReceiverProcess({ env: { ...env, TERRA_SIGNING_SECRET: SECRET, INFLUX_RETRY_MAX_DELAY_SECONDS: '1', HEARTBEAT_INTERVAL_SECONDS: '0' } });
  });

  afterEach(async () => {
    await receiver?.dispose();
    await influx?.dispose();
  });

  it('loses nothing while InfluxDB is down', async () => {
    await influx.stop();
    expect(await deliver(receiver, GARMIN)).toBe(200);
    expect(await deliver(receiver, OURA)).toBe(200);
    expect(await deliver(receiver, FITBIT)).toBe(200);

    const warning = await receiver.waitForLog((line) => line.msg === 'InfluxDB write failed; delivery kept in the spool');
    expect(warning).toMatchObject({ level: 40, attempt: 1 });
    const readiness = await fetch(`${receiver.url}/readyz`);
    expect(readiness.status).toBe(503);
    expect(((await readiness.json()) as { checks: { influxdb: string } }).checks.influxdb).toMatch(/^failed: /);
    expect(pendingFiles(receiver)).toHaveLength(3);

    await influx.restart();
    await receiver.waitForLog(() => processedCount(receiver) === 3);
    expect(await countRmssd(influx)).toBe(95 + 106 + 6);
    expect(pendingFiles(receiver)).toEqual([]);
  });

  it('loses nothing acknowledged before a SIGKILL', async () => {
    await influx.stop();
    expect(await deliver(receiver, GARMIN)).toBe(200);
    expect(await deliver(receiver, OURA)).toBe(200);
    expect(await receiver.kill('SIGKILL')).toBeNull();

    await influx.restart();
    await receiver.restart();
    const starts = receiver.logs.filter((line) => line.msg === 'receiver started');
    expect(starts.at(-1)).toMatchObject({ pendingDeliveries: 2 });
    await receiver.waitForLog(() => processedCount(receiver) === 2);
    expect(await countRmssd(influx)).toBe(95 + 106);
  });

  it('exits 0 on SIGTERM and keeps the spool', async () => {
    await influx.stop();
    expect(await deliver(receiver, GARMIN)).toBe(200);
    await receiver.waitForLog((line) => line.attempt === 1);

    expect(await receiver.kill('SIGTERM')).toBe(0);
    expect(receiver.logs.at(-1)).toMatchObject({ msg: 'receiver stopped', pendingDeliveries: 1 });
    expect(pendingFiles(receiver)).toHaveLength(1);
  });

  it('answers 503 while the spool cannot be written', async () => {
    // Root ignores permission bits, so a regular file in place of tmp/ makes every write fail.
    const temporary = join(receiver.spoolDir, 'tmp');
    renameSync(temporary, `${temporary}.moved`);
    writeFileSync(temporary, 'not a folder');

    const answer = await fetch(receiver.webhookUrl, {
      method: 'POST',
      body: GARMIN,
      headers: { 'x-terra-signature': signTerraBody(GARMIN, SECRET, Math.floor(Date.now() / 1000)) },
    });
    expect(answer.status).toBe(503);
    expect(await answer.json()).toEqual({ error: 'spool_unavailable', message: 'The delivery could not be stored durably; retry later' });
    expect((await fetch(`${receiver.url}/readyz`)).status).toBe(503);

    rmSync(temporary);
    renameSync(`${temporary}.moved`, temporary);
    expect(await deliver(receiver, GARMIN)).toBe(200);
    await receiver.waitForLog(() => processedCount(receiver) === 1);
    expect(await countRmssd(influx)).toBe(95);
  });

  it('retries 429 and 500 answers, then stores', async () => {
    influx.gateway.failNextWrites(429, 1, { retryAfterSeconds: 1 });
    influx.gateway.failNextWrites(500, 1);
    expect(await deliver(receiver, GARMIN)).toBe(200);

    await receiver.waitForLog(() => processedCount(receiver) === 1);
    const attempts = receiver.logs.filter((line) => line.msg === 'InfluxDB write failed; delivery kept in the spool');
    expect(attempts.map((line) => line.attempt)).toEqual([1, 2]);
    expect(String(attempts[0]?.error)).toMatch(/^InfluxDB responded with HTTP 429: /);
    expect(String(attempts[1]?.error)).toMatch(/^InfluxDB responded with HTTP 500: /);
    expect(await countRmssd(influx)).toBe(95);
  });

  it('keeps deliveries pending while InfluxDB rejects the token', async () => {
    influx.gateway.failNextWrites(401, 2);
    expect(await deliver(receiver, GARMIN)).toBe(200);

    const warning = await receiver.waitForLog((line) => line.attempt === 1);
    expect(String(warning.error)).toMatch(/^InfluxDB responded with HTTP 401 \(check INFLUX_TOKEN/);
    const readiness = await fetch(`${receiver.url}/readyz`);
    expect(readiness.status).toBe(503);
    const checks = ((await readiness.json()) as { checks: { influxdb: string } }).checks;
    expect(checks.influxdb).toMatch(/^failed: the last write failed: InfluxDB responded with HTTP 401/);

    await receiver.waitForLog(() => processedCount(receiver) === 1);
    expect(await countRmssd(influx)).toBe(95);
    expect(readdirSync(join(receiver.spoolDir, 'failed'))).toEqual([]);
    expect((await fetch(`${receiver.url}/readyz`)).status).toBe(200);
  });

  it('moves a delivery InfluxDB rejects for good to the failed area', async () => {
    influx.gateway.failNextWrites(400, 1);
    expect(await deliver(receiver, GARMIN)).toBe(200);
    expect(await deliver(receiver, FITBIT)).toBe(200);

    const failure = await receiver.waitForLog((line) => line.msg === 'delivery cannot be stored; moved to the failed area');
    expect(failure).toMatchObject({ level: 50, statusCode: 400, type: 'sleep', person: 'alice', provider: 'GARMIN' });
    expect(failure.points).toEqual({ rmssd: 95, sdnn: 95, events: 0 });
    await receiver.waitForLog(() => processedCount(receiver) === 1);
    expect(await countRmssd(influx)).toBe(6);

    const failedFolder = join(receiver.spoolDir, 'failed');
    const files = readdirSync(failedFolder).sort();
    expect(files).toHaveLength(2);
    const reason = JSON.parse(readFileSync(join(failedFolder, files.find((name) => name.endsWith('.reason.json'))!), 'utf8'));
    expect(reason).toMatchObject({ statusCode: 400, type: 'sleep', person: 'alice', points: { rmssd: 95, sdnn: 95, events: 0 } });
    expect(reason.reason).toMatch(/^InfluxDB responded with HTTP 400: /);
    const kept = readFileSync(join(failedFolder, files.find((name) => name.endsWith('.delivery'))!));
    expect(kept.subarray(kept.indexOf(0x0a) + 1).equals(GARMIN)).toBe(true);
  });
});

describe('receiver without a signing secret', () => {
  it('runs, answers 503 and says how to set the secret', async () => {
    const influx = await startInfluxDb();
    const receiver = await startReceiverProcess({ env: receiverInfluxEnv(influx, '1') });
    try {
      const hint = await receiver.waitForLog((line) => String(line.msg).startsWith('TERRA_SIGNING_SECRET is not set'));
      expect(hint.level).toBe(40);
      const readiness = await fetch(`${receiver.url}/readyz`);
      expect(readiness.status).toBe(503);
      expect(await readiness.json()).toMatchObject({ checks: { signingSecret: 'failed: TERRA_SIGNING_SECRET is not set, so every webhook gets 503' } });
      const answer = await fetch(receiver.webhookUrl, { method: 'POST', body: GARMIN, headers: { 'x-terra-signature': signTerraBody(GARMIN, 'x', 1) } });
      expect(answer.status).toBe(503);
      expect(await answer.json()).toMatchObject({ error: 'signing_secret_not_configured' });
      expect(pendingFiles(receiver)).toEqual([]);
    } finally {
      await receiver.dispose();
      await influx.dispose();
    }
  });
});

describe('receiver configuration errors', () => {
  it('exits 2 naming every invalid variable', async () => {
    const cli = fileURLToPath(new URL('../dist/cli/hrv-stack.js', import.meta.url));
    const env = { PATH: process.env.PATH ?? '', PORT: 'x', INFLUX_API_VERSION: '7', INFLUX_TOKEN: 'token-not-to-print' };
    const result = spawnSync(process.execPath, [cli, 'receiver'], { env, encoding: 'utf8', timeout: 20_000 });

    expect(result.status).toBe(2);
    expect(result.stderr).toContain('PORT: expected a whole number from 0 to 65535 (got "x")');
    expect(result.stderr).toContain('INFLUX_API_VERSION: Invalid option');
    expect(result.stderr).not.toContain('token-not-to-print');
    expect(result.stdout).toBe('');
  });
});
