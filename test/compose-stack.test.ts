/**
 * End-to-end test of docker-compose.yml as a user starts it.
 *
 * Real: the receiver image built from the Dockerfile (which also runs dashboard-lite), InfluxDB 2.7
 * from the official image, the generated tokens, the published ports and InfluxDB's own query
 * engine.
 * Stand-ins: the Terra signing secret is a test value, and the webhook is a sample Garmin sleep
 * payload signed here instead of by Terra.
 *
 * Needs a container engine and Docker Compose v2. Without an engine the suite is skipped, and the
 * reason is printed.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

import {
  DockerComposeEnvironment,
  Wait,
  type StartedDockerComposeEnvironment,
} from 'testcontainers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { signTerraBody } from '../terra/signature.js';
import { findFreePort } from './support/free-port.js';
import { missingContainerRuntime } from './support/container-runtime.js';

const projectRoot = fileURLToPath(new URL('..', import.meta.url));
const samplePath = path.resolve(projectRoot, '../shared/terra-samples/sleep-garmin.json');

/** Test value only: it signs the test payload and is never a Terra secret. */
const testSigningSecret = 'compose-stack-test-signing-secret';

/** A cold start builds the receiver image and pulls InfluxDB, which takes minutes. */
const stackStartTimeoutMs = 15 * 60_000;
/** The receiver returns 200 before it writes to InfluxDB, so the test polls until this deadline. */
const storeDeadlineMs = 60_000;

/** Samples of each measure in the payload. RMSSD and SDNN have 95 each, and the first RMSSD is 47.9 ms. */
const expectedSampleCount = 95;

const fluxRange = 'range(start: 1970-01-01T00:00:00Z, stop: 2100-01-01T00:00:00Z)';

const missingRuntimeReason = await missingContainerRuntime('compose-stack.test.ts');

/** Parses the annotated CSV of `influx query --raw` that contains one table into row objects. */
function parseAnnotatedCsv(text: string): Record<string, string>[] {
  const lines = text.split(/\r?\n/).filter((line) => line !== '' && !line.startsWith('#'));
  const [headerLine, ...rowLines] = lines;
  if (headerLine === undefined) return [];

  const header = headerLine.split(',');
  return rowLines.map((line) => {
    const cells = line.split(',');
    return Object.fromEntries(header.map((name, index) => [name, cells[index] ?? '']));
  });
}

/**
 * Runs a Flux query with the influx CLI inside the InfluxDB container. The token comes from the
 * generated file, so a passing query also shows that InfluxDB accepted that token at setup.
 */
async function queryInflux(stack: StartedDockerComposeEnvironment, flux: string): Promise<Record<string, string>[]> {
  const influxdb = stack.getContainer('influxdb-1');
  const script = 'influx query --org hrv --token "$(cat /run/hrv-secrets/influx-admin-token)" --raw "$1"';
  const result = await influxdb.exec(['sh', '-c', script, 'influx-query', flux]);

  if (result.exitCode !== 0) throw new Error(`influx query failed with exit code ${result.exitCode}: ${result.stderr}`);
  return parseAnnotatedCsv(result.stdout);
}

async function countSamples(stack: StartedDockerComposeEnvironment, field: 'rmssd' | 'sdnn'): Promise<number> {
  const flux = `from(bucket: "hrv")
    |> ${fluxRange}
    |> filter(fn: (r) => r._measurement == "hrv" and r._field == "${field}")
    |> group()
    |> count()`;
  const rows = await queryInflux(stack, flux);

  return rows.length === 0 ? 0 : Number(rows[0]?._value);
}

/** Polls until the RMSSD count reaches the expected count or the deadline passes. */
async function waitForStoredRmssd(stack: StartedDockerComposeEnvironment): Promise<void> {
  const deadline = Date.now() + storeDeadlineMs;
  while (Date.now() < deadline) {
    if ((await countSamples(stack, 'rmssd')) >= expectedSampleCount) return;
    await sleep(1_000);
  }
}

describe.skipIf(missingRuntimeReason !== undefined)('compose stack', () => {
  let stack: StartedDockerComposeEnvironment | undefined;
  let webhookStatus: number | undefined;

  beforeAll(async () => {
    const receiverPort = await findFreePort();
    const dashboardPort = await findFreePort();
    // testcontainers passes its own project name, so the stack gets fresh volumes and leaves a
    // deployed hrv-stack project alone.
    stack = await new DockerComposeEnvironment(projectRoot, 'docker-compose.yml')
      .withBuild()
      .withEnvironment({
        TERRA_SIGNING_SECRET: testSigningSecret,
        RECEIVER_PORT: String(receiverPort),
        DASHBOARD_LITE_PORT: String(dashboardPort),
        DASHBOARD_LITE_BIND_ADDRESS: '127.0.0.1',
      })
      .withWaitStrategy('influxdb-1', Wait.forHealthCheck())
      .withWaitStrategy('receiver-1', Wait.forHealthCheck())
      .withWaitStrategy('dashboard-lite-1', Wait.forHealthCheck())
      .withStartupTimeout(stackStartTimeoutMs)
      .up();

    // NOTE: compose binds the port to 127.0.0.1 of the Docker host, so this request reaches the
    // receiver only when the engine runs on this machine, not through a remote DOCKER_HOST.
    const receiver = stack.getContainer('receiver-1');
    const body = await readFile(samplePath);
    const signature = signTerraBody(body, testSigningSecret, Math.floor(Date.now() / 1000));
    const response = await fetch(`http://${receiver.getHost()}:${receiver.getMappedPort(8080)}/webhooks/terra`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-terra-signature': signature },
      body,
    });
    webhookStatus = response.status;

    await waitForStoredRmssd(stack);
  }, stackStartTimeoutMs + storeDeadlineMs);

  afterAll(async () => {
    await stack?.down({ removeVolumes: true });
  }, 120_000);

  function startedStack(): StartedDockerComposeEnvironment {
    if (stack === undefined) throw new Error('the compose stack did not start');
    return stack;
  }

  it('accepts signed sleep webhook', () => {
    expect(webhookStatus).toBe(200);
  });

  it('stores every RMSSD sample', async () => {
    expect(await countSamples(startedStack(), 'rmssd')).toBe(expectedSampleCount);
  });

  it('stores every SDNN sample', async () => {
    expect(await countSamples(startedStack(), 'sdnn')).toBe(expectedSampleCount);
  });

  it('stores first RMSSD sample exactly', async () => {
    const flux = `from(bucket: "hrv")
      |> ${fluxRange}
      |> filter(fn: (r) => r._measurement == "hrv" and r._field == "rmssd")
      |> group()
      |> sort(columns: ["_time"])
      |> limit(n: 1)`;
    const [first] = await queryInflux(startedStack(), flux);

    // 2026-11-01T23:12:00+01:00 in the payload.
    expect(first?._time).toBe('2026-11-01T22:12:00Z');
    expect(Number(first?._value)).toBe(47.9);
  });

  it('keeps InfluxDB off host ports', () => {
    const influxdb = startedStack().getContainer('influxdb-1');

    expect(() => influxdb.getMappedPort(8086)).toThrow();
  });

  it('runs receiver as uid 1000', async () => {
    const result = await startedStack().getContainer('receiver-1').exec(['id', '-u']);

    expect(result.stdout.trim()).toBe('1000');
  });

  it('mounts receiver root read-only', async () => {
    const result = await startedStack().getContainer('receiver-1').exec(['touch', '/app/write-probe']);

    expect(result.exitCode).not.toBe(0);
  });

  it('guards dashboard-lite with the generated password', async () => {
    const dashboard = startedStack().getContainer('dashboard-lite-1');
    const url = `http://${dashboard.getHost()}:${dashboard.getMappedPort(8081)}/api/people`;
    const passwordFile = await dashboard.exec(['cat', '/var/lib/hrv-stack/dashboard-lite/dashboard-lite-password']);
    const password = passwordFile.stdout.trim();
    const withoutCredentials = await fetch(url);
    const withCredentials = await fetch(url, { headers: { authorization: `Basic ${Buffer.from(`hrv:${password}`).toString('base64')}` } });
    const body = (await withCredentials.json()) as { authentication: string; people: unknown[] };

    expect(password).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(withoutCredentials.status).toBe(401);
    expect(withCredentials.status).toBe(200);
    expect(body.authentication).toBe('basic');
    expect(body.people).toHaveLength(1);
  });
});
