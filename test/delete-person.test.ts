import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { runDeletePerson } from '../cli/delete-person.js';
import { loadReceiverConfig } from '../receiver/config.js';
import { runBuiltCli } from './support/built-cli.js';
import { startInfluxDb, type InfluxDbServer, receiverInfluxEnv } from './support/influxdb.js';
import { startReceiverProcess, type ReceiverProcess } from './support/receiver-process.js';
import { expectedSamples, TERRA_SAMPLES_DIR } from './support/terra-samples.js';

// Real parts: influxd 1.6, the built receiver and the built `hrv-stack send` and `delete-person`
// commands. On API version 2 the deletes go through the test gateway, which turns
// /api/v2/delete into an InfluxQL DELETE on the same influxd.

const SECRET = 'whsec-delete-person-2b9d';
const ALL_PAYLOADS = [...expectedSamples.hrv, ...expectedSamples.account].map((entry) => entry.file);
const MEASUREMENTS = ['hrv', 'terra_event', 'hrv_session', 'hrv_daily', 'hrv_night', 'hrv_arrival'];

/** Number of points per measurement and person, as `measurement/person` keys. */
async function pointsByPerson(influx: InfluxDbServer): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const measurement of MEASUREMENTS) {
    const series = await influx.querySeries(`SELECT count(*) FROM ${measurement} GROUP BY person`);
    for (const entry of series) {
      const row = entry.rows[0]!;
      const values = Object.entries(row).filter(([column]) => column !== 'time').map(([, value]) => Number(value));
      counts[`${measurement}/${entry.tags.person}`] = Math.max(...values);
    }
  }
  return counts;
}

describe.each([
  { apiVersion: '1' as const, label: 'API version 1' },
  { apiVersion: '2' as const, label: 'API version 2' },
])('delete-person with $label', ({ apiVersion }) => {
  let influx: InfluxDbServer;
  let receiver: ReceiverProcess;
  let env: Record<string, string>;
  let before: Record<string, number>;

  beforeAll(async () => {
    influx = await startInfluxDb();
    env = receiverInfluxEnv(influx, apiVersion);
    receiver = await startReceiverProcess({ env: { ...env, TERRA_SIGNING_SECRET: SECRET } });
    const paths = ALL_PAYLOADS.map((file) => fileURLToPath(new URL(file, TERRA_SAMPLES_DIR)));
    const sent = await runBuiltCli(['send', '--url', receiver.webhookUrl, '--secret', SECRET, ...paths], { cwd: process.cwd() });
    expect(sent.exitCode).toBe(0);
    await receiver.waitForLog(() => receiver.logs.filter((line) => line.msg === 'delivery processed').length === ALL_PAYLOADS.length);
    before = await pointsByPerson(influx);
  });

  afterAll(async () => {
    await receiver?.dispose();
    await influx?.dispose();
  });

  it('stores points of alice first', () => {
    expect(before['hrv/alice']).toBeGreaterThan(0);
    expect(before['terra_event/alice']).toBeGreaterThan(0);
    expect(before['hrv_session/alice']).toBe(1);
    expect(before['hrv_night/alice']).toBe(1);
    expect(before['hrv_arrival/alice']).toBeGreaterThan(0);
  });

  it('needs --yes without a terminal', async () => {
    const run = await runBuiltCli(['delete-person', 'alice'], { cwd: process.cwd(), env });

    expect(run.exitCode).toBe(2);
    expect(run.stderr).toContain('stdin is not a terminal, so the deletion cannot be confirmed: pass --yes');
    expect(await pointsByPerson(influx)).toEqual(before);
  });

  it('keeps everything when the name does not match', async () => {
    const printed: string[] = [];
    const output = { info: (message: string) => printed.push(message), error: (message: string) => printed.push(message) };

    const exitCode = await runDeletePerson({ person: 'alice', yes: false }, loadReceiverConfig(env), output, async () => 'alicia');

    expect(exitCode).toBe(1);
    expect(printed.at(-1)).toBe('The name did not match; nothing was deleted.');
    expect(await pointsByPerson(influx)).toEqual(before);
  });

  it('names the stored people for an unknown one', async () => {
    const run = await runBuiltCli(['delete-person', 'nobody', '--yes'], { cwd: process.cwd(), env });

    expect(run.exitCode).toBe(1);
    expect(run.stderr).toContain('No points are stored for person "nobody". Stored people: alice, bob, c3d9a8e2-7b41-4f0e-8a53-6e2b1f4d7c90, carol.');
  });

  it('deletes every point of one person only', async () => {
    // Two deliveries in the failed area, as the worker leaves them: the body and a reason file.
    const failed = join(receiver.spoolDir, 'failed');
    for (const [id, person] of [['1764806400000-000001', 'alice'], ['1764806400000-000002', 'bob']]) {
      writeFileSync(join(failed, `${id}.delivery`), '{"receivedAtMs":1764806400000}\n{}');
      writeFileSync(join(failed, `${id}.reason.json`), JSON.stringify({ reason: 'InfluxDB responded with HTTP 400', person, provider: 'GARMIN' }));
    }

    const run = await runBuiltCli(['delete-person', 'alice', '--yes'], { cwd: process.cwd(), env: { ...env, SPOOL_DIR: receiver.spoolDir } });

    expect(run.stderr).toBe('');
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toMatch(/^ {2}hrv: [1-9]\d* RMSSD and SDNN samples$/m);
    expect(run.stdout).toContain(`  terra_event: ${before['terra_event/alice']} connection events`);
    expect(run.stdout).toContain('  hrv_session: 1 sleep sessions');
    expect(run.stdout).toContain('  hrv_daily: 0 daily averages');
    expect(run.stdout).toContain('  hrv_night: 1 nights');
    expect(run.stdout).toContain(`  hrv_arrival: ${before['hrv_arrival/alice']} delivery arrivals`);
    expect(run.stdout).toContain(`Deleted every point of person "alice". Removed 1 failed delivery of "alice" from ${receiver.spoolDir}/failed.`);
    expect(readdirSync(failed).sort()).toEqual(['1764806400000-000002.delivery', '1764806400000-000002.reason.json']);
    const after = await pointsByPerson(influx);
    const others = Object.fromEntries(Object.entries(before).filter(([key]) => !key.endsWith('/alice')));
    expect(after).toEqual(others);
    // Every measurement, also one added later to the receiver without a line here.
    expect(await influx.querySeries(`SELECT count(*) FROM /.*/ WHERE person = 'alice'`)).toEqual([]);
  });
});
