// Real parts: the built receiver as a child process, a real 128 KiB tmpfs as its spool, and influxd
// started by the harness. Mounting needs root and CAP_SYS_ADMIN; without them the test is skipped
// and prints why.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signTerraBody } from '../terra/signature.js';
import { startInfluxDb, type InfluxDbServer } from './support/influxdb.js';
import { startReceiverProcess, type ReceiverProcess } from './support/receiver-process.js';
import { readTerraSample } from './support/terra-samples.js';

const SECRET = 'whsec-disk-full-3b9d';
const mountPoint = mkdtempSync(join(tmpdir(), 'hrv-tmpfs-'));

function mountSmallDisk(): string | undefined {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=128k', 'tmpfs', mountPoint], { stdio: 'pipe' });
    return undefined;
  } catch (error) {
    return String((error as { stderr?: Buffer }).stderr ?? error).trim();
  }
}

const mountProblem = mountSmallDisk();
if (mountProblem !== undefined) {
  console.log(`spool-disk-full.test.ts skipped: cannot mount a small tmpfs (${mountProblem}); it needs root with CAP_SYS_ADMIN.`);
}

describe.skipIf(mountProblem !== undefined)('spool on a full disk', () => {
  let influx: InfluxDbServer;
  let receiver: ReceiverProcess;

  beforeAll(async () => {
    influx = await startInfluxDb();
    const env = { INFLUX_API_VERSION: '1', INFLUX_URL: influx.url, INFLUX_DATABASE: influx.database, TERRA_SIGNING_SECRET: SECRET, INFLUX_RETRY_MAX_DELAY_SECONDS: '1' };
    receiver = await startReceiverProcess({ env, spoolDir: join(mountPoint, 'spool') });
  });

  afterAll(async () => {
    await receiver?.dispose();
    await influx?.dispose();
    execFileSync('umount', [mountPoint]);
    rmSync(mountPoint, { recursive: true, force: true });
  });

  it('acknowledges only deliveries written whole', async () => {
    await influx.stop();
    const template = JSON.parse(readTerraSample('sleep-garmin.json').toString('utf8'));
    const statuses: number[] = [];
    const bodies = new Map<string, Buffer>();

    for (let index = 0; index < 8; index += 1) {
      template.user.reference_id = `disk-${index}`;
      const body = Buffer.from(JSON.stringify(template));
      const headers = { 'content-type': 'application/json', 'x-terra-signature': signTerraBody(body, SECRET, Math.floor(Date.now() / 1000)) };
      const response = await fetch(receiver.webhookUrl, { method: 'POST', body, headers });
      await response.arrayBuffer();
      statuses.push(response.status);
      if (response.status === 200) bodies.set(`disk-${index}`, body);
    }

    expect(statuses).toContain(503);
    expect(statuses.slice(0, statuses.indexOf(503)).every((status) => status === 200)).toBe(true);
    const pending = readdirSync(join(receiver.spoolDir, 'pending'));
    expect(pending).toHaveLength(bodies.size);
    expect(readdirSync(join(receiver.spoolDir, 'tmp'))).toEqual([]);
    for (const name of pending) {
      const content = readFileSync(join(receiver.spoolDir, 'pending', name));
      const body = content.subarray(content.indexOf(0x0a) + 1);
      const person = JSON.parse(body.toString('utf8')).user.reference_id as string;
      expect(body.equals(bodies.get(person)!)).toBe(true);
    }

    await influx.restart();
    await receiver.waitForLog(() => receiver.logs.filter((line) => line.msg === 'delivery processed').length === bodies.size);
    const rows = await influx.query('SELECT count(rmssd) FROM hrv');
    expect(rows[0]?.count).toBe(95 * bodies.size);
  });
});
