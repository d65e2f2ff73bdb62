// Real parts: the built receiver as a child process on a loopback port and influxd started by the
// harness. The two copies of one session are Terra's Garmin sample, one with changed values,
// signed here as Terra signs them and distinguished by X-Terra-Ordering-Timestamp.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startInfluxDb, type InfluxDbServer, receiverInfluxEnv } from './support/influxdb.js';
import { startReceiverProcess, waitFor, type ReceiverProcess, type LogLine } from './support/receiver-process.js';
import { postSigned } from './support/signed-post.js';
import { readTerraSampleJson } from './support/terra-samples.js';

const SECRET = 'whsec-older-copies-9d2c';
const OLDER_MS = Date.UTC(2026, 10, 2, 7, 30);
const NEWER_MS = OLDER_MS + 60_000;

interface Sample {
  timestamp: string;
  hrv_rmssd?: number;
  hrv_sdnn?: number;
}

interface SleepPayload {
  user: { reference_id: string };
  data: Array<{ heart_rate_data: { detailed: { hrv_samples_rmssd: Sample[]; hrv_samples_sdnn: Sample[] } } }>;
}

/** Terra's Garmin sleep sample for `person`, with `shiftMs` added to every RMSSD and SDNN value. */
function sleepCopy(person: string, shiftMs: number): SleepPayload {
  const payload = readTerraSampleJson<SleepPayload>('sleep-garmin.json');
  payload.user.reference_id = person;
  const detailed = payload.data[0]!.heart_rate_data.detailed;
  for (const sample of detailed.hrv_samples_rmssd) sample.hrv_rmssd = sample.hrv_rmssd! + shiftMs;
  for (const sample of detailed.hrv_samples_sdnn) sample.hrv_sdnn = sample.hrv_sdnn! + shiftMs;
  return payload;
}

/** The values of one measure in time order, as the stored rows should hold them. */
function valuesInTimeOrder(samples: Sample[], field: 'hrv_rmssd' | 'hrv_sdnn'): number[] {
  return [...samples].sort((a, b) => Date.parse(a.timestamp) - Date.parse(b.timestamp)).map((sample) => sample[field]!);
}

describe('receiver with an older copy of a session', () => {
  let influx: InfluxDbServer;
  let receiver: ReceiverProcess;

  beforeAll(async () => {
    influx = await startInfluxDb();
    const env = receiverInfluxEnv(influx, '1');
    receiver = await startReceiverProcess({ env: { ...env, TERRA_SIGNING_SECRET: SECRET } });
  });

  afterAll(async () => {
    await receiver?.dispose();
    await influx?.dispose();
  });

  async function deliverAndWait(payload: SleepPayload, orderingMs: number): Promise<LogLine> {
    const before = receiver.logs.filter((line) => line.msg === 'delivery processed').length;
    const answer = await postSigned(receiver.webhookUrl, JSON.stringify(payload), SECRET, { 'x-terra-ordering-timestamp': String(orderingMs) });
    expect(answer.status).toBe(200);
    return waitFor('the delivery to be processed', () => receiver.logs.filter((line) => line.msg === 'delivery processed')[before]);
  }

  async function storedValues(person: string): Promise<{ rmssd: unknown[]; sdnn: unknown[] }> {
    const rows = await influx.query(`SELECT rmssd, sdnn FROM hrv WHERE person = '${person}'`);
    return { rmssd: rows.map((row) => row.rmssd), sdnn: rows.map((row) => row.sdnn) };
  }

  it('keeps the newer values when the older copy comes second', async () => {
    const newer = sleepCopy('ivan', 10);
    const older = sleepCopy('ivan', 0);

    await deliverAndWait(newer, NEWER_MS);
    const olderLine = await deliverAndWait(older, OLDER_MS);

    const detailed = newer.data[0]!.heart_rate_data.detailed;
    expect(await storedValues('ivan')).toEqual({ rmssd: valuesInTimeOrder(detailed.hrv_samples_rmssd, 'hrv_rmssd'), sdnn: valuesInTimeOrder(detailed.hrv_samples_sdnn, 'hrv_sdnn') });
    expect(olderLine.stored).toEqual({ rmssd: 0, sdnn: 0, events: 0 });
    expect(olderLine.skipped).toEqual({ older_copy: 95 + 95 });
    expect(olderLine.model).toMatchObject({ sessions: { written: 0, unchanged: 0, olderCopies: 1 } });
    const sessions = await influx.query(`SELECT ordering_ms FROM hrv_session WHERE person = 'ivan'`);
    expect(sessions.map((row) => row.ordering_ms)).toEqual([NEWER_MS]);
  });

  it('stores the newer values when the older copy comes first', async () => {
    const older = sleepCopy('judy', 0);
    const newer = sleepCopy('judy', 10);

    await deliverAndWait(older, OLDER_MS);
    const newerLine = await deliverAndWait(newer, NEWER_MS);

    const detailed = newer.data[0]!.heart_rate_data.detailed;
    expect(await storedValues('judy')).toEqual({ rmssd: valuesInTimeOrder(detailed.hrv_samples_rmssd, 'hrv_rmssd'), sdnn: valuesInTimeOrder(detailed.hrv_samples_sdnn, 'hrv_sdnn') });
    expect(newerLine.stored).toEqual({ rmssd: 95, sdnn: 95, events: 0 });
    expect(newerLine.skipped).toEqual({});
  });

  it('stores a retry of the same copy again', async () => {
    const copy = sleepCopy('ken', 5);

    await deliverAndWait(copy, OLDER_MS);
    const retryLine = await deliverAndWait(copy, OLDER_MS);

    expect(retryLine.stored).toEqual({ rmssd: 95, sdnn: 95, events: 0 });
    expect(retryLine.skipped).toEqual({});
    expect(retryLine.model).toMatchObject({ sessions: { written: 0, unchanged: 1, olderCopies: 0 } });
  });
});
