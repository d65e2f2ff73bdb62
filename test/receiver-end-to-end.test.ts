// Real parts: the built receiver as a child process on a loopback port, InfluxDB (influxd started
// by the harness), the `hrv-stack send` command, and the spool on disk. Stand-in: on the v2 path,
// a gateway maps /api/v2/write onto influxd 1.6's /write, as InfluxDB 1.8 does itself.
import { execFile } from 'node:child_process';
import { request } from 'node:http';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signTerraBody } from '../terra/signature.js';
import { expectedPointsOf } from './support/expected-points.js';
import { countPoints, storedPoints } from './support/stored-points.js';
import { startInfluxDb, type InfluxDbServer, type InfluxRow, receiverInfluxEnv } from './support/influxdb.js';
import { startReceiverProcess, waitFor, type ReceiverProcess } from './support/receiver-process.js';
import { expectedSamples, readTerraSample, readTerraSampleJson, TERRA_SAMPLES_DIR } from './support/terra-samples.js';

const run = promisify(execFile);
const CLI = fileURLToPath(new URL('../dist/cli/hrv-stack.js', import.meta.url));
const SECRET = 'whsec-end-to-end-7f3a';
const ALL_PAYLOADS = [...expectedSamples.hrv, ...expectedSamples.account, ...expectedSamples.other].map((entry) => entry.file);

async function sendWithCli(url: string, files: string[]): Promise<string> {
  const paths = files.map((file) => fileURLToPath(new URL(file, TERRA_SAMPLES_DIR)));
  const { stdout } = await run(process.execPath, [CLI, 'send', '--url', url, '--secret', SECRET, ...paths]);
  return stdout;
}

function processedCount(receiver: ReceiverProcess): number {
  return receiver.logs.filter((line) => line.msg === 'delivery processed').length;
}

describe.each([
  { apiVersion: '1' as const, label: 'InfluxDB v1 /write' },
  { apiVersion: '2' as const, label: 'InfluxDB v2 client through the 1.8-style gateway' },
])('receiver with $label', ({ apiVersion }) => {
  let influx: InfluxDbServer;
  let receiver: ReceiverProcess;

  beforeAll(async () => {
    influx = await startInfluxDb();
    const env: Record<string, string> = receiverInfluxEnv(influx, apiVersion);
    receiver = await startReceiverProcess({ env: { ...env, TERRA_SIGNING_SECRET: SECRET, INFLUX_RETRY_MAX_DELAY_SECONDS: '1' } });
  });

  afterAll(async () => {
    await receiver?.dispose();
    await influx?.dispose();
  });

  it('stores every sample sent by hrv-stack send', async () => {
    const output = await sendWithCli(receiver.webhookUrl, ALL_PAYLOADS);
    expect(output).not.toContain(SECRET);
    await receiver.waitForLog(() => processedCount(receiver) === ALL_PAYLOADS.length);

    for (const expected of expectedSamples.hrv) {
      const stored = await storedPoints(influx, expected.person, expected.provider);
      expect(stored, expected.file).toEqual(expectedPointsOf(expected.file));
    }
  });

  it('stores each sleep session and its night', async () => {
    const garmin = readTerraSampleJson<{ data: Array<{ heart_rate_data: { detailed: { hrv_samples_rmssd: Array<{ hrv_rmssd: number }> } } }> }>('sleep-garmin.json');
    const garminValues = garmin.data[0]!.heart_rate_data.detailed.hrv_samples_rmssd.map((sample) => sample.hrv_rmssd);
    const sessions = await influx.query('SELECT person, provider, summary_id, night_date, is_nap, basis, samples, start_time, end_time FROM hrv_session');
    const nights = await influx.query('SELECT person, provider, rmssd, samples, basis, status, baseline_ms FROM hrv_night');
    const byPerson = (a: InfluxRow, b: InfluxRow) => `${a.person}${a.provider}${a.time}`.localeCompare(`${b.person}${b.provider}${b.time}`);
    const nightTime = String(BigInt(Date.parse('2026-11-02T10:30:00Z')) * 1_000_000n);

    expect(sessions.sort(byPerson).map(({ time: _time, ...fields }) => fields)).toEqual([
      { person: 'alice', provider: 'GARMIN', summary_id: 'cc259ead-061f-9840-88ea-768596deaf1c', night_date: '2026-11-02', is_nap: false, basis: 'samples', samples: 95, start_time: '2026-11-01T23:12:00.000000+01:00', end_time: '2026-11-02T07:02:00.000000+01:00' },
      { person: 'bob', provider: 'OURA', summary_id: '6cdc1836-5c65-22ed-88ac-c0d2bec801bf', night_date: '2026-11-02', is_nap: false, basis: 'samples', samples: 98, start_time: '2026-11-01T22:40:00.000000-05:00', end_time: '2026-11-02T06:45:00.000000-05:00' },
      { person: 'bob', provider: 'OURA', summary_id: '0c9deccc-a383-40a7-9188-e022fd1a1d1b', night_date: '2026-11-02', is_nap: true, basis: 'samples', samples: 8, start_time: '2026-11-02T14:05:00.000000-05:00', end_time: '2026-11-02T14:40:00.000000-05:00' },
      { person: 'c3d9a8e2-7b41-4f0e-8a53-6e2b1f4d7c90', provider: 'WHOOP', summary_id: '92beb4bb-7ab9-e065-2111-baecc6666073', night_date: '2026-11-02', is_nap: false, basis: 'summary', samples: 0, start_time: '2026-11-01T23:55:00.000000+00:00', end_time: '2026-11-02T06:55:00.000000+00:00' },
    ]);
    const sortedNights = nights.sort(byPerson);
    expect(sortedNights.map((row) => [row.time, row.person, row.provider, row.samples, row.basis, row.status, row.baseline_ms])).toEqual([
      [nightTime, 'alice', 'GARMIN', 95, 'samples', 'insufficient', null],
      [nightTime, 'bob', 'OURA', 98, 'samples', 'insufficient', null],
      [nightTime, 'c3d9a8e2-7b41-4f0e-8a53-6e2b1f4d7c90', 'WHOOP', 0, 'summary', 'insufficient', null],
      [nightTime, 'carol', 'FITBIT', 0, 'daily', 'insufficient', null],
    ]);
    expect(sortedNights[0]!.rmssd as number).toBeCloseTo(garminValues.reduce((a, b) => a + b, 0) / garminValues.length, 9);
    expect(sortedNights.slice(2).map((row) => row.rmssd)).toEqual([83.4, 38.6]);
  });

  it('tags each series with person, provider, user_id and source', async () => {
    const series = await influx.querySeries('SELECT count(rmssd) FROM hrv GROUP BY *');
    const tags = series.map((entry) => entry.tags).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
    expect(tags).toEqual([
      { person: 'alice', provider: 'GARMIN', source: 'sleep', user_id: '40f7b0e1-89e2-43ac-a5b8-1e29c8d47cad' },
      { person: 'alice', provider: 'WITHINGS', source: 'body', user_id: '9f8e7d6c-5b4a-4392-8a1b-0c2d3e4f5a6b' },
      { person: 'bob', provider: 'OURA', source: 'sleep', user_id: '5b1f3c9e-0d2a-4e55-9f61-2f0c7a1d9b42' },
      { person: 'carol', provider: 'FITBIT', source: 'daily', user_id: 'e2a1c4b7-3f58-4d90-b6e1-9a7c5d3f2b18' },
    ]);
  });

  it('stores account events as terra_event points', async () => {
    const rows = await influx.query('SELECT "type", message, person, provider, user_id, old_user_id FROM terra_event');
    const events = rows.map(({ time: _time, ...fields }) => fields).sort((a, b) => String(a.type).localeCompare(String(b.type)));
    expect(events).toEqual([
      { type: 'access_revoked', message: 'User revoked access through the provider', person: 'carol', provider: 'FITBIT', user_id: 'e2a1c4b7-3f58-4d90-b6e1-9a7c5d3f2b18', old_user_id: null },
      { type: 'auth', message: 'User has successfully authenticated', person: 'alice', provider: 'GARMIN', user_id: '40f7b0e1-89e2-43ac-a5b8-1e29c8d47cad', old_user_id: null },
      { type: 'deauth', message: 'User has deauthenticated', person: 'bob', provider: 'OURA', user_id: '5b1f3c9e-0d2a-4e55-9f61-2f0c7a1d9b42', old_user_id: null },
      {
        type: 'user_reauth',
        message: 'User has reauthenticated and old ID has been deleted',
        person: 'alice',
        provider: 'GARMIN',
        user_id: '9c8b7a65-4321-4fed-a0b9-87c6d5e4f321',
        old_user_id: '40f7b0e1-89e2-43ac-a5b8-1e29c8d47cad',
      },
    ]);
  });

  it('leaves no duplicates when a payload arrives twice', async () => {
    const before = await countPoints(influx);
    const processed = processedCount(receiver);
    await sendWithCli(receiver.webhookUrl, ['sleep-garmin.json', 'sleep-oura-night-and-nap.json']);
    await receiver.waitForLog(() => processedCount(receiver) === processed + 2);

    expect(await countPoints(influx)).toBe(before);
  });

  it('leaves no duplicates when a newer copy is a superset', async () => {
    const full = JSON.parse(readTerraSample('sleep-garmin.json').toString('utf8'));
    full.user.reference_id = 'dave';
    const partial = structuredClone(full);
    const detailed = partial.data[0].heart_rate_data.detailed;
    detailed.hrv_samples_rmssd = detailed.hrv_samples_rmssd.slice(0, 40);
    detailed.hrv_samples_sdnn = detailed.hrv_samples_sdnn.slice(0, 10);
    const processed = processedCount(receiver);

    for (const payload of [partial, full]) {
      const body = JSON.stringify(payload);
      const headers = { 'content-type': 'application/json', 'x-terra-signature': signTerraBody(body, SECRET, Math.floor(Date.now() / 1000)) };
      expect((await fetch(receiver.webhookUrl, { method: 'POST', body, headers })).status).toBe(200);
    }
    await receiver.waitForLog(() => processedCount(receiver) === processed + 2);

    expect(await storedPoints(influx, 'dave', 'GARMIN')).toEqual(expectedPointsOf('sleep-garmin.json'));
  });

  it('logs one line per delivery without HRV values or secrets', () => {
    const garmin = receiver.logs.find((line) => line.msg === 'delivery processed' && line.provider === 'GARMIN' && line.type === 'sleep');
    expect(garmin).toMatchObject({ level: 30, type: 'sleep', person: 'alice', provider: 'GARMIN', stored: { rmssd: 95, sdnn: 95, events: 0 }, skipped: {} });
    expect(garmin?.model).toEqual({
      sessions: { written: 1, unchanged: 0, olderCopies: 0 },
      dailies: { written: 0, unchanged: 0, olderCopies: 0 },
      nights: { written: 1, deleted: 0, unchanged: 0 },
    });
    expect(receiver.output()).not.toContain(SECRET);
    expect(receiver.output()).not.toContain('hrv_rmssd');
    // The log's own timestamps can contain any digits, so only the other fields are searched.
    const fields = receiver.logs.map(({ time: _time, ...rest }) => JSON.stringify(rest)).join('\n');
    expect(fields).not.toContain('47.9');
    expect(fields).not.toContain('79.6');
  });
});

describe('receiver webhook answers', () => {
  let influx: InfluxDbServer;
  let receiver: ReceiverProcess;
  const body = readTerraSample('sleep-garmin.json');

  beforeAll(async () => {
    influx = await startInfluxDb();
    const env = receiverInfluxEnv(influx, '1');
    receiver = await startReceiverProcess({ env: { ...env, TERRA_SIGNING_SECRET: `old-secret,${SECRET}`, MAX_BODY_BYTES: '40000' } });
  });

  afterAll(async () => {
    await receiver?.dispose();
    await influx?.dispose();
  });

  async function post(payload: Buffer | string, headers: Record<string, string>): Promise<{ status: number; json: Record<string, unknown> }> {
    const response = await fetch(receiver.webhookUrl, { method: 'POST', body: payload, headers: { 'content-type': 'application/json', ...headers } });
    return { status: response.status, json: (await response.json()) as Record<string, unknown> };
  }

  const now = () => Math.floor(Date.now() / 1000);

  it.each([
    ['missing', {}],
    ['malformed', { 'x-terra-signature': 'v1=abc' }],
    ['expired', { 'x-terra-signature': signTerraBody(body, SECRET, Math.floor(Date.now() / 1000) - 3600) }],
    ['mismatch', { 'x-terra-signature': signTerraBody(body, 'whsec-someone-else', Math.floor(Date.now() / 1000)) }],
  ])('answers 401 %s and stores nothing', async (reason, headers) => {
    const answer = await post(body, headers);

    expect(answer.status).toBe(401);
    expect(answer.json).toMatchObject({ error: 'invalid_signature', reason });
    const warning = await receiver.waitForLog((line) => line.reason === reason);
    expect(warning.level).toBe(40);
    expect(JSON.stringify(warning)).not.toContain('hrv_samples');
    expect(await countPoints(influx)).toBe(0);
    expect(processedCount(receiver)).toBe(0);
  });

  it('accepts the deprecated terra-signature header', async () => {
    const answer = await post(body, { 'terra-signature': signTerraBody(body, SECRET, now()) });
    expect(answer).toEqual({ status: 200, json: { status: 'accepted' } });
    await receiver.waitForLog((line) => line.msg === 'delivery processed');
    expect(await countPoints(influx)).toBe(190);
  });

  it('answers 400 to a body that is not JSON', async () => {
    const text = '{"type": "sleep", ';
    const answer = await post(text, { 'x-terra-signature': signTerraBody(text, SECRET, now()) });
    expect(answer).toEqual({ status: 400, json: { error: 'invalid_json', message: 'The body is not valid UTF-8 JSON' } });
  });

  it('answers 400 naming an invalid field', async () => {
    const text = JSON.stringify({ type: 'sleep', user: { user_id: 'u-1', provider: 'OURA' }, data: { not: 'an array' } });
    const answer = await post(text, { 'x-terra-signature': signTerraBody(text, SECRET, now()) });
    expect(answer.status).toBe(400);
    expect(answer.json).toMatchObject({ error: 'invalid_event', field: 'data' });
  });

  it('answers 413 above MAX_BODY_BYTES', async () => {
    const large = Buffer.alloc(50_000, 0x20);
    const answer = await post(large, { 'x-terra-signature': signTerraBody(large, SECRET, now()) });
    expect(answer).toEqual({ status: 413, json: { error: 'body_too_large', message: 'The body exceeds MAX_BODY_BYTES (40000 bytes)', limit: 40000 } });
  });

  it('answers 404 as JSON elsewhere', async () => {
    const response = await fetch(`${receiver.url}/admin`);
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ error: 'not_found', message: 'No route for GET /admin' });
  });

  it('rejects an unsigned body before reading it', async () => {
    const large = Buffer.alloc(50_000, 0x20);
    const answer = await post(large, {});
    expect(answer.status).toBe(401);
    expect(answer.json).toMatchObject({ reason: 'missing' });
  });

  it('falls back to terra-signature when x-terra-signature is empty', async () => {
    const payload = Buffer.from(JSON.stringify({ type: 'healthcheck', status: 'success' }));
    const answer = await post(payload, { 'x-terra-signature': '', 'terra-signature': signTerraBody(payload, SECRET, now()) });
    expect(answer.status).toBe(200);
  });

  it('answers 415 to a compressed body', async () => {
    const compressed = gzipSync(body);
    const answer = await post(compressed, { 'content-encoding': 'gzip', 'x-terra-signature': signTerraBody(compressed, SECRET, now()) });
    expect(answer.status).toBe(415);
    expect(answer.json).toMatchObject({ error: 'unsupported_encoding' });
  });

  it('answers 503 while the body cap is reached', async () => {
    // Two uploads of 39,990 declared bytes that stall halfway fill the cap of 2 x MAX_BODY_BYTES.
    const stalled = [0, 1].map(() => {
      const upload = request(receiver.webhookUrl, {
        method: 'POST',
        headers: { 'content-length': '39990', 'x-terra-signature': `t=${now()},v1=${'0'.repeat(64)}` },
      });
      upload.on('error', () => undefined);
      upload.write(Buffer.alloc(1000, 0x20));
      return upload;
    });
    await new Promise((resolve) => setTimeout(resolve, 300));

    const payload = Buffer.from(JSON.stringify({ type: 'healthcheck' }));
    const busy = await post(payload, { 'x-terra-signature': signTerraBody(payload, SECRET, now()) });
    expect(busy).toEqual({ status: 503, json: { error: 'busy', message: 'Too many webhook bodies are being received at once; retry later' } });

    for (const upload of stalled) upload.destroy();
    await waitFor('the cap to be released', async () => {
      const answer = await post(payload, { 'x-terra-signature': signTerraBody(payload, SECRET, now()) });
      return answer.status === 200 ? true : undefined;
    });
  });

  it('answers 405 to other methods', async () => {
    const response = await fetch(receiver.webhookUrl);
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('POST');
  });

  it('stores a body that starts with a byte-order mark', async () => {
    const payload = JSON.parse(body.toString('utf8'));
    payload.user.reference_id = 'bom-person';
    const withMark = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(JSON.stringify(payload))]);
    const answer = await post(withMark, { 'x-terra-signature': signTerraBody(withMark, SECRET, now()) });
    expect(answer.status).toBe(200);

    await waitFor('the samples of bom-person', async () => {
      const rows = await influx.query(`SELECT count(rmssd) FROM hrv WHERE person = 'bom-person'`);
      return rows[0]?.count === 95 ? true : undefined;
    });
  });

  it('stores ids that line protocol cannot carry as sent', async () => {
    const referenceIds = ["O'Brien\\", 'line\nbreak', 'a b,c=d"e 😀'];
    for (const referenceId of referenceIds) {
      const payload = JSON.parse(body.toString('utf8'));
      payload.user.reference_id = referenceId;
      const text = JSON.stringify(payload);
      expect((await post(text, { 'x-terra-signature': signTerraBody(text, SECRET, now()) })).status).toBe(200);
    }
    // Waits for each person's own log line: a count of processed deliveries could include one still
    // logging from the previous test.
    for (const referenceId of referenceIds) {
      await receiver.waitForLog((line) => line.msg === 'delivery processed' && line.person === referenceId);
    }

    const series = await influx.querySeries('SHOW TAG VALUES FROM hrv WITH KEY = person');
    const people = series.flatMap((entry) => entry.rows.map((row) => row.value));
    expect(people).toEqual(expect.arrayContaining(["O'Brien\ufffd", 'line\ufffdbreak', 'a b,c=d"e 😀']));
    expect(receiver.logs.filter((line) => line.level >= 50)).toEqual([]);
  });

  it('reports health and readiness', async () => {
    const health = await fetch(`${receiver.url}/healthz`);
    expect(health.status).toBe(200);
    const ready = await fetch(`${receiver.url}/readyz`);
    expect(await ready.json()).toEqual({ status: 'ready', checks: { influxdb: 'ok', spool: 'ok', signingSecret: 'ok' } });
  });
});
