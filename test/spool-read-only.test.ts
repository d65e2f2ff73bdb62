// Real parts: the built receiver as a child process, a real 1 MiB tmpfs as its spool, remounted
// read-only so that every write fails with EROFS (root's too, unlike permission bits), and influxd
// started by the harness. Mounting needs root and CAP_SYS_ADMIN; without them the test is skipped
// and prints why.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signTerraBody } from '../terra/signature.js';
import { startInfluxDb, type InfluxDbServer, receiverInfluxEnv } from './support/influxdb.js';
import { startReceiverProcess, type ReceiverProcess } from './support/receiver-process.js';
import { mountSmallTmpfs } from './support/small-tmpfs.js';
import { readTerraSample } from './support/terra-samples.js';

const SECRET = 'whsec-read-only-7e21';
const mounted = mountSmallTmpfs('1m');
const mountProblem = 'problem' in mounted ? mounted.problem : undefined;
const disk = 'problem' in mounted ? undefined : mounted;
if (mountProblem !== undefined) {
  console.log(`spool-read-only.test.ts skipped: cannot mount a small tmpfs (${mountProblem}); it needs root with CAP_SYS_ADMIN.`);
}

function garminFor(person: string): Buffer {
  const template = JSON.parse(readTerraSample('sleep-garmin.json').toString('utf8'));
  template.user.reference_id = person;
  return Buffer.from(JSON.stringify(template));
}

async function deliver(receiver: ReceiverProcess, body: Buffer): Promise<{ status: number; json: unknown }> {
  const headers = { 'content-type': 'application/json', 'x-terra-signature': signTerraBody(body, SECRET, Math.floor(Date.now() / 1000)) };
  const response = await fetch(receiver.webhookUrl, { method: 'POST', body, headers });
  return { status: response.status, json: await response.json() };
}

async function readiness(receiver: ReceiverProcess): Promise<{ status: number; spool: string }> {
  const response = await fetch(`${receiver.url}/readyz`);
  const body = (await response.json()) as { checks: { spool: string } };
  return { status: response.status, spool: body.checks.spool };
}

async function storedRmssd(influx: InfluxDbServer, person: string): Promise<number> {
  const rows = await influx.query(`SELECT count(rmssd) FROM hrv WHERE person = '${person}'`);
  return rows.length === 0 ? 0 : Number(rows[0]!.count);
}

function processedCount(receiver: ReceiverProcess): number {
  return receiver.logs.filter((line) => line.msg === 'delivery processed').length;
}

describe.skipIf(disk === undefined)('spool on a read-only disk', () => {
  let influx: InfluxDbServer;
  let receiver: ReceiverProcess;

  beforeAll(async () => {
    influx = await startInfluxDb();
    // MAX_BODY_BYTES fits the 1 MiB disk, so that /readyz can report the spool ready again.
    const env = { ...receiverInfluxEnv(influx, '1'), TERRA_SIGNING_SECRET: SECRET, INFLUX_RETRY_MAX_DELAY_SECONDS: '1', MAX_BODY_BYTES: '262144' };
    receiver = await startReceiverProcess({ env, spoolDir: join(disk!.mountPoint, 'spool') });
  });

  afterAll(async () => {
    await receiver?.dispose();
    await influx?.dispose();
    disk?.makeWritable();
    disk?.dispose();
  });

  it('responds 503 and keeps pending deliveries', async () => {
    await influx.stop();
    expect((await deliver(receiver, garminFor('before'))).status).toBe(200);
    disk!.makeReadOnly();
    await influx.restart();

    const refused = await deliver(receiver, garminFor('during'));
    expect(refused.status).toBe(503);
    expect(refused.json).toEqual({ error: 'spool_unavailable', message: 'The delivery could not be stored durably; retry later' });
    const ready = await readiness(receiver);
    expect(ready.status).toBe(503);
    expect(ready.spool).toMatch(/^failed: .*EROFS/);
    // The worker stores the pending delivery but cannot remove it, so it stays pending.
    await receiver.waitForLog((line) => line.msg === 'delivery cannot be stored and cannot be moved to the failed area; it stays pending');
    expect(readdirSync(join(receiver.spoolDir, 'pending')).filter((name) => name.endsWith('.delivery'))).toHaveLength(1);
  });

  it('recovers once the disk is writable', async () => {
    disk!.makeWritable();

    expect((await deliver(receiver, garminFor('after'))).status).toBe(200);
    await receiver.waitForLog(() => processedCount(receiver) === 2);
    expect(await storedRmssd(influx, 'before')).toBe(95);
    expect(await storedRmssd(influx, 'during')).toBe(0);
    expect(await storedRmssd(influx, 'after')).toBe(95);
    expect(readdirSync(join(receiver.spoolDir, 'pending'))).toEqual([]);
    expect(readdirSync(join(receiver.spoolDir, 'failed'))).toEqual([]);
    expect(await readiness(receiver)).toEqual({ status: 200, spool: 'ok' });
  });
});
