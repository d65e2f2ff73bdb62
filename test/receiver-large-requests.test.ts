// Real parts: the built receiver as a child process on a loopback port, influxd started by the
// harness, the spool and its large request journal on disk, a SIGKILL restart. The announcement is
// Terra's large_request_sending sample and the chunks are its Garmin sleep sample, signed here as
// Terra signs them, with the headers Terra sends for a large request.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startInfluxDb, type InfluxDbServer, receiverInfluxEnv } from './support/influxdb.js';
import { startReceiverProcess, waitFor, type ReceiverProcess } from './support/receiver-process.js';
import { postSigned } from './support/signed-post.js';
import { readTerraSampleJson } from './support/terra-samples.js';

const SECRET = 'whsec-large-requests-6a0f';
const COMPLETE = 'large request complete: every expected payload was processed';
const INCOMPLETE = 'large request incomplete: payloads are still missing; request that date range from Terra again';

function announcementFor(reference: string): string {
  return JSON.stringify({ ...readTerraSampleJson('large_request_sending.json'), reference });
}

const SLEEP_CHUNK = JSON.stringify(readTerraSampleJson('sleep-garmin.json'));

function processedCount(receiver: ReceiverProcess): number {
  return receiver.logs.filter((line) => line.msg === 'delivery processed').length;
}

async function sendAll(receiver: ReceiverProcess, deliveries: Array<{ body: string; headers: Record<string, string> }>): Promise<void> {
  const before = processedCount(receiver);
  for (const delivery of deliveries) expect((await postSigned(receiver.webhookUrl, delivery.body, SECRET, delivery.headers)).body).toEqual({ status: 'accepted' });
  await waitFor('the deliveries to be processed', () => (processedCount(receiver) >= before + deliveries.length ? true : undefined));
}

function chunk(requestId: string, reference: string, number: number) {
  return { body: SLEEP_CHUNK, headers: { 'x-terra-trace-id': `${requestId}:chunk:${number}`, 'terra-reference': reference } };
}

describe('receiver tracking large requests', () => {
  let influx: InfluxDbServer;
  let receiver: ReceiverProcess;
  let impatient: ReceiverProcess;

  beforeAll(async () => {
    influx = await startInfluxDb();
    const env = { ...receiverInfluxEnv(influx, '1'), TERRA_SIGNING_SECRET: SECRET };
    receiver = await startReceiverProcess({ env });
    // The "day" of waiting for missing chunks, shortened to 2 s.
    impatient = await startReceiverProcess({ env: { ...env, LARGE_REQUEST_WARN_AFTER_SECONDS: '2' } });
  });

  afterAll(async () => {
    await receiver?.dispose();
    await impatient?.dispose();
    await influx?.dispose();
  });

  it('logs completion of three chunks across a restart', async () => {
    const reference = 'b7c0a2f4-2c1e-4e8e-9d43-0f2d7c1a6e55';
    const requestId = '8f2e4d6c-1a3b-4c5d-9e7f-0a1b2c3d4e5f';
    await sendAll(receiver, [{ body: announcementFor(reference), headers: { 'x-terra-trace-id': 'c0ffee00-1111-4222-8333-444455556666' } }, chunk(requestId, reference, 0), chunk(requestId, reference, 1)]);
    expect(receiver.logs.filter((line) => line.reference === reference)).toEqual([]);

    await receiver.restart();
    await sendAll(receiver, [chunk(requestId, reference, 2)]);

    const complete = await receiver.waitForLog((line) => line.msg === COMPLETE);
    expect(complete).toMatchObject({ level: 30, reference, expectedPayloads: 3, processedPayloads: 3, person: 'alice', provider: 'GARMIN' });
    expect(receiver.logs.filter((line) => line.msg === COMPLETE)).toHaveLength(1);
    expect(receiver.logs.filter((line) => line.msg === INCOMPLETE)).toEqual([]);
  });

  it('warns about a missing chunk after the wait', async () => {
    const reference = '2d9c7b5a-3e4f-4a1b-8c2d-6e7f8a9b0c1d';
    const requestId = '47a1b2c3-d4e5-4f60-8a9b-c0d1e2f3a4b5';
    await sendAll(impatient, [{ body: announcementFor(reference), headers: {} }, chunk(requestId, reference, 0), chunk(requestId, reference, 2)]);

    const warning = await impatient.waitForLog((line) => line.msg === INCOMPLETE, 20_000);

    expect(warning).toMatchObject({ level: 40, reference, expectedPayloads: 3, processedPayloads: 2, missingPayloads: 1, receivedChunks: [0, 2], person: 'alice', provider: 'GARMIN' });
    expect(impatient.logs.filter((line) => line.msg === COMPLETE)).toEqual([]);
    expect(impatient.output()).not.toMatch(/hrv_rmssd|47\.9/);
  });
});
