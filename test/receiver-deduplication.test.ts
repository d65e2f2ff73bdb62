// Real parts: the built receiver as a child process on a loopback port, influxd started by the
// harness, the spool and its trace id journal on disk, SIGKILL restarts. Deliveries are Terra's
// sample payloads, signed here as Terra signs them.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startInfluxDb, type InfluxDbServer, receiverInfluxEnv } from './support/influxdb.js';
import { startReceiverProcess, waitFor, type ReceiverProcess } from './support/receiver-process.js';
import { postSigned } from './support/signed-post.js';
import { readTerraSampleJson } from './support/terra-samples.js';

const SECRET = 'whsec-dedupe-3b8e';

interface SleepPayload {
  user: { reference_id: string };
  data: Array<{ heart_rate_data: { detailed: { hrv_samples_rmssd: Array<{ timestamp: string; hrv_rmssd: number }> } } }>;
}

/** Terra's Garmin sleep sample for another person, with its first RMSSD sample set to `firstRmssd`. */
function sleepFor(person: string, firstRmssd?: number): string {
  const payload = readTerraSampleJson<SleepPayload>('sleep-garmin.json');
  payload.user.reference_id = person;
  if (firstRmssd !== undefined) payload.data[0]!.heart_rate_data.detailed.hrv_samples_rmssd[0]!.hrv_rmssd = firstRmssd;
  return JSON.stringify(payload);
}

function accountEventFor(person: string): string {
  const payload = readTerraSampleJson<{ user: { reference_id: string } }>('deauth.json');
  payload.user.reference_id = person;
  return JSON.stringify(payload);
}

function processedWithTraceId(receiver: ReceiverProcess, traceId: string | undefined): number {
  return receiver.logs.filter((line) => line.msg === 'delivery processed' && line.traceId === traceId).length;
}

async function firstRmssd(influx: InfluxDbServer, person: string): Promise<unknown> {
  const rows = await influx.query(`SELECT rmssd FROM hrv WHERE person = '${person}' AND time = '2026-11-01T22:12:00Z'`);
  return rows.map((row) => row.rmssd);
}

describe('receiver deduplication by X-Terra-Trace-Id', () => {
  let influx: InfluxDbServer;
  let receiver: ReceiverProcess;

  beforeAll(async () => {
    influx = await startInfluxDb();
    const env = { ...receiverInfluxEnv(influx, '1'), INFLUX_RETRY_MAX_DELAY_SECONDS: '1' };
    receiver = await startReceiverProcess({ env: { ...env, TERRA_SIGNING_SECRET: SECRET } });
  });

  afterAll(async () => {
    await receiver?.dispose();
    await influx?.dispose();
  });

  /**
   * Sends a marker delivery without a trace id and waits until it is processed. The worker takes
   * the spool in arrival order, so anything spooled before the marker has been processed by then.
   */
  async function drainSpool(): Promise<void> {
    const before = processedWithTraceId(receiver, undefined);
    expect((await postSigned(receiver.webhookUrl, accountEventFor('marker'), SECRET)).status).toBe(200);
    await waitFor('the marker delivery', () => (processedWithTraceId(receiver, undefined) > before ? true : undefined));
  }

  it('acknowledges a retry after a restart as a duplicate', async () => {
    const traceId = 'a8c1f2e0-0b7d-4c55-9e0a-6f1d2b3c4d5e';
    const first = await postSigned(receiver.webhookUrl, sleepFor('erin', 47.9), SECRET, { 'x-terra-trace-id': traceId });
    expect(first).toEqual({ status: 200, body: { status: 'accepted' } });
    await waitFor('the first copy', () => (processedWithTraceId(receiver, traceId) === 1 ? true : undefined));

    await receiver.restart();
    // A changed body under the same trace id shows whether the second copy was stored.
    const second = await postSigned(receiver.webhookUrl, sleepFor('erin', 12.5), SECRET, { 'x-terra-trace-id': traceId });
    await drainSpool();

    expect(second).toEqual({ status: 200, body: { status: 'duplicate' } });
    expect(processedWithTraceId(receiver, traceId)).toBe(1);
    expect(await firstRmssd(influx, 'erin')).toEqual([47.9]);
    const duplicateLine = receiver.logs.find((line) => line.msg === 'duplicate delivery acknowledged: its trace id is pending or was processed');
    expect(duplicateLine).toMatchObject({ level: 30, traceId });
  });

  it('acknowledges a copy of a pending delivery, also after a restart', async () => {
    const traceId = '0d6e9a71-58c2-4f3e-a1b4-92c7e8d5f6a0';
    await influx.stop();
    const first = await postSigned(receiver.webhookUrl, sleepFor('frank', 51.5), SECRET, { 'x-terra-trace-id': traceId });
    const second = await postSigned(receiver.webhookUrl, sleepFor('frank', 13.5), SECRET, { 'x-terra-trace-id': traceId });
    await receiver.restart();
    const third = await postSigned(receiver.webhookUrl, sleepFor('frank', 14.5), SECRET, { 'x-terra-trace-id': traceId });

    expect([first.body, second.body, third.body]).toEqual([{ status: 'accepted' }, { status: 'duplicate' }, { status: 'duplicate' }]);
    expect(readdirSync(join(receiver.spoolDir, 'pending'))).toHaveLength(1);
    await influx.restart();
    await drainSpool();
    expect(processedWithTraceId(receiver, traceId)).toBe(1);
    expect(await firstRmssd(influx, 'frank')).toEqual([51.5]);
  });

  it('processes every copy that has no trace id', async () => {
    const before = processedWithTraceId(receiver, undefined);
    const first = await postSigned(receiver.webhookUrl, sleepFor('grace', 48.5), SECRET);
    const second = await postSigned(receiver.webhookUrl, sleepFor('grace', 15.5), SECRET);
    await waitFor('both copies', () => (processedWithTraceId(receiver, undefined) === before + 2 ? true : undefined));

    expect([first.body, second.body]).toEqual([{ status: 'accepted' }, { status: 'accepted' }]);
    expect(await firstRmssd(influx, 'grace')).toEqual([15.5]);
  });

  it('stores a retried account event once', async () => {
    // Without X-Terra-Ordering-Timestamp each copy's point time is its arrival time, so only the
    // trace id keeps a retry from becoming a second terra_event point.
    const traceId = '5c4b3a29-1807-4e6f-8d9c-0a1b2c3d4e5f';
    const answers = [];
    for (let copy = 0; copy < 3; copy += 1) answers.push((await postSigned(receiver.webhookUrl, accountEventFor('heidi'), SECRET, { 'x-terra-trace-id': traceId })).body);
    await drainSpool();

    expect(answers).toEqual([{ status: 'accepted' }, { status: 'duplicate' }, { status: 'duplicate' }]);
    expect(await influx.query(`SELECT "type" FROM terra_event WHERE person = 'heidi'`)).toHaveLength(1);
    const metrics = await (await fetch(`${receiver.url}/metrics`)).text();
    expect(metrics).toContain('hrv_receiver_deliveries_total{type="deauth",outcome="duplicate"} 2\n');
  });

  it('keeps the processed trace ids in the spool folder', async () => {
    expect(readdirSync(join(receiver.spoolDir, 'state'))).toContain('trace-ids.jsonl');
  });
});
