// Real parts: the built receiver as a child process, a real 128 KiB tmpfs as its spool, and influxd
// started by the harness. Mounting needs root and CAP_SYS_ADMIN; without them the test is skipped
// and prints why.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signTerraBody } from '../terra/signature.js';
import { startInfluxDb, type InfluxDbServer, receiverInfluxEnv } from './support/influxdb.js';
import { startReceiverProcess, type ReceiverProcess } from './support/receiver-process.js';
import { mountSmallTmpfs } from './support/small-tmpfs.js';
import { readTerraSample } from './support/terra-samples.js';

const SECRET = 'whsec-disk-full-3b9d';
const mounted = mountSmallTmpfs('128k');
const mountProblem = 'problem' in mounted ? mounted.problem : undefined;
const disk = 'problem' in mounted ? undefined : mounted;
if (mountProblem !== undefined) {
  console.log(`spool-disk-full.test.ts skipped: cannot mount a small tmpfs (${mountProblem}); it needs root with CAP_SYS_ADMIN.`);
}

async function deliver(receiver: ReceiverProcess, body: Buffer): Promise<number> {
  const headers = { 'content-type': 'application/json', 'x-terra-signature': signTerraBody(body, SECRET, Math.floor(Date.now() / 1000)) };
  const response = await fetch(receiver.webhookUrl, { method: 'POST', body, headers });
  await response.arrayBuffer();
  return response.status;
}

function processedCount(receiver: ReceiverProcess): number {
  return receiver.logs.filter((line) => line.msg === 'delivery processed').length;
}

describe.skipIf(mountProblem !== undefined)('spool on a full disk', () => {
  let influx: InfluxDbServer;
  let receiver: ReceiverProcess;

  beforeAll(async () => {
    influx = await startInfluxDb();
    const env = { ...receiverInfluxEnv(influx, '1'), TERRA_SIGNING_SECRET: SECRET, INFLUX_RETRY_MAX_DELAY_SECONDS: '1' };
    receiver = await startReceiverProcess({ env, spoolDir: join(disk!.mountPoint, 'spool') });
  });

  afterAll(async () => {
    await receiver?.dispose();
    await influx?.dispose();
    disk?.dispose();
  });

  it('acknowledges only deliveries written whole', async () => {
    await influx.stop();
    const template = JSON.parse(readTerraSample('sleep-garmin.json').toString('utf8'));
    const statuses: number[] = [];
    const bodies = new Map<string, Buffer>();

    for (let index = 0; index < 8; index += 1) {
      template.user.reference_id = `disk-${index}`;
      const body = Buffer.from(JSON.stringify(template));
      const status = await deliver(receiver, body);
      statuses.push(status);
      if (status === 200) bodies.set(`disk-${index}`, body);
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
    await receiver.waitForLog(() => processedCount(receiver) === bodies.size);
    const rows = await influx.query('SELECT count(rmssd) FROM hrv');
    expect(rows[0]?.count).toBe(95 * bodies.size);
  });

  it('accepts deliveries again once space returns', async () => {
    // The worker removed the stored deliveries above, which freed the disk.
    expect(readdirSync(join(receiver.spoolDir, 'pending'))).toEqual([]);
    const processedBefore = processedCount(receiver);
    const template = JSON.parse(readTerraSample('sleep-garmin.json').toString('utf8'));
    template.user.reference_id = 'disk-after';

    expect(await deliver(receiver, Buffer.from(JSON.stringify(template)))).toBe(200);
    await receiver.waitForLog(() => processedCount(receiver) === processedBefore + 1);
    const rows = await influx.query(`SELECT count(rmssd) FROM hrv WHERE person = 'disk-after'`);
    expect(rows[0]?.count).toBe(95);
  });
});
