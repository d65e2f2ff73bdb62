// Real parts: the built receiver as a child process on a loopback port, influxd, and HTTP over
// loopback. Stand-in: the test plays the reverse proxy. The receiver trusts X-Forwarded-For from
// loopback, as it would from a proxy on the same host, so each request names the client address
// that a proxy would have forwarded.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signTerraBody } from '../terra/signature.js';
import { startInfluxDb, type InfluxDbServer, receiverInfluxEnv } from './support/influxdb.js';
import { startReceiverProcess, waitFor, type LogLine, type ReceiverProcess } from './support/receiver-process.js';

const SECRET = 'whsec-limit-3c9d';
const ATTACKER = '203.0.113.7';
const TERRA = '198.51.100.20';
const LIMITED_MESSAGE = 'client address limited after too many failed signature checks; its webhook requests get 429 until the allowance refills';

interface Answer {
  status: number;
  headers: Headers;
  json: Record<string, unknown>;
}

const nowSeconds = () => Math.floor(Date.now() / 1000);

/** Builds a sleep delivery with one RMSSD sample under its own user id, so that its points can be found. */
function sleepBody(userId: string): string {
  const sample = { timestamp: '2026-11-02T03:00:00.000000+01:00', hrv_rmssd: 41.5 };
  const item = { heart_rate_data: { detailed: { hrv_samples_rmssd: [sample] } } };
  return JSON.stringify({ type: 'sleep', user: { user_id: userId, provider: 'OURA', reference_id: null }, data: [item] });
}

async function post(receiver: ReceiverProcess, client: string, body: string | Buffer, signature?: string): Promise<Answer> {
  const headers: Record<string, string> = { 'content-type': 'application/json', 'x-forwarded-for': client };
  if (signature !== undefined) headers['x-terra-signature'] = signature;
  const response = await fetch(receiver.webhookUrl, { method: 'POST', body, headers });
  return { status: response.status, headers: response.headers, json: (await response.json()) as Record<string, unknown> };
}

/** Sends three failures from `client`: no signature, a stale one and one made with another secret. */
async function failThreeTimes(receiver: ReceiverProcess, client: string): Promise<number[]> {
  const body = sleepBody('attacker');
  const answers = [
    await post(receiver, client, body),
    await post(receiver, client, body, signTerraBody(body, SECRET, nowSeconds() - 3600)),
    await post(receiver, client, body, signTerraBody(body, 'whsec-guess', nowSeconds())),
  ];
  return answers.map((answer) => answer.status);
}

function limitedLines(receiver: ReceiverProcess, address: string): LogLine[] {
  return receiver.logs.filter((line) => line.msg === LIMITED_MESSAGE && line.address === address);
}

async function storedRmssd(influx: InfluxDbServer, userId: string): Promise<unknown[]> {
  const rows = await influx.query(`SELECT rmssd FROM hrv WHERE user_id = '${userId}'`);
  return rows.map((row) => row.rmssd);
}

describe('signature failure limit', () => {
  let influx: InfluxDbServer;
  let receiver: ReceiverProcess;

  beforeAll(async () => {
    influx = await startInfluxDb();
    const env = { ...receiverInfluxEnv(influx, '1'), TERRA_SIGNING_SECRET: SECRET };
    // One failure credited back per minute, so no test here runs long enough to see a refill.
    const limit = { SIGNATURE_FAILURE_BURST: '3', SIGNATURE_FAILURE_REFILL_PER_MINUTE: '1', MAX_BODY_BYTES: '40000' };
    receiver = await startReceiverProcess({ env: { ...env, ...limit } });
  });

  afterAll(async () => {
    await receiver?.dispose();
    await influx?.dispose();
  });

  it('answers 401 until the burst is used', async () => {
    expect(await failThreeTimes(receiver, ATTACKER)).toEqual([401, 401, 401]);
  });

  it('answers 429 with Retry-After once limited', async () => {
    const body = sleepBody('attacker');
    const answer = await post(receiver, ATTACKER, body, signTerraBody(body, 'whsec-guess', nowSeconds()));

    expect(answer.status).toBe(429);
    const retryAfter = Number(answer.headers.get('retry-after'));
    expect(Number.isInteger(retryAfter)).toBe(true);
    // One failure comes back per minute, so the wait is at most 60 s.
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(answer.json).toEqual({
      error: 'too_many_signature_failures',
      message: `Too many requests from this address failed the signature check; retry after ${retryAfter} seconds`,
      retryAfterSeconds: retryAfter,
    });
  });

  it('answers 429 before reading the body', async () => {
    // Above MAX_BODY_BYTES: a body that was read would get 413.
    const large = Buffer.alloc(50_000, 0x20);
    const answer = await post(receiver, ATTACKER, large, signTerraBody(large, SECRET, nowSeconds()));
    expect(answer.status).toBe(429);
  });

  it('answers 429 to a valid delivery from a limited address', async () => {
    const body = sleepBody('limited-but-valid');
    const answer = await post(receiver, ATTACKER, body, signTerraBody(body, SECRET, nowSeconds()));

    expect(answer.status).toBe(429);
    expect(await storedRmssd(influx, 'limited-but-valid')).toEqual([]);
  });

  it('answers 429 to other methods from a limited address', async () => {
    const response = await fetch(receiver.webhookUrl, { headers: { 'x-forwarded-for': ATTACKER } });
    expect(response.status).toBe(429);
    const health = await fetch(`${receiver.url}/healthz`, { headers: { 'x-forwarded-for': ATTACKER } });
    expect(health.status).toBe(200);
  });

  it('stores valid deliveries from other addresses', async () => {
    const body = sleepBody('terra-user');
    const answer = await post(receiver, TERRA, body, signTerraBody(body, SECRET, nowSeconds()));

    expect(answer.status).toBe(200);
    await receiver.waitForLog((line) => line.msg === 'delivery processed' && line.person === 'terra-user');
    expect(await storedRmssd(influx, 'terra-user')).toEqual([41.5]);
  });

  it('logs one warning per limited address', async () => {
    await waitFor('the limit warning', () => (limitedLines(receiver, ATTACKER).length > 0 ? true : undefined));
    expect(limitedLines(receiver, ATTACKER)).toEqual([
      expect.objectContaining({ level: 40, address: ATTACKER, burst: 3, refillPerMinute: 1, retryAfterSeconds: expect.any(Number) }),
    ]);
    // Each 429 is counted, not logged: the three failures are the only other lines naming the address.
    const lines = receiver.logs.filter((line) => line.ip === ATTACKER || line.address === ATTACKER);
    expect(lines.map((line) => line.msg)).toEqual([
      'webhook rejected: signature check failed',
      'webhook rejected: signature check failed',
      'webhook rejected: signature check failed',
      LIMITED_MESSAGE,
    ]);
  });

  it('limits IPv6 clients by their /64 prefix', async () => {
    expect(await failThreeTimes(receiver, '2001:db8:0:7::1')).toEqual([401, 401, 401]);

    const body = sleepBody('ipv6-user');
    const sameNetwork = await post(receiver, '2001:db8:0:7::2', body, signTerraBody(body, SECRET, nowSeconds()));
    expect(sameNetwork.status).toBe(429);
    const otherNetwork = await post(receiver, '2001:db8:0:8::1', body, signTerraBody(body, SECRET, nowSeconds()));
    expect(otherNetwork.status).toBe(200);
    expect(limitedLines(receiver, '2001:db8:0:7::/64')).toHaveLength(1);
  });
});

describe('signature failure limit turned off', () => {
  let influx: InfluxDbServer;
  let receiver: ReceiverProcess;

  beforeAll(async () => {
    influx = await startInfluxDb();
    const env = { ...receiverInfluxEnv(influx, '1'), TERRA_SIGNING_SECRET: SECRET };
    receiver = await startReceiverProcess({ env: { ...env, SIGNATURE_FAILURE_BURST: '0' } });
  });

  afterAll(async () => {
    await receiver?.dispose();
    await influx?.dispose();
  });

  it('never answers 429', async () => {
    for (let round = 0; round < 10; round += 1) {
      expect(await failThreeTimes(receiver, ATTACKER)).toEqual([401, 401, 401]);
    }
    const body = sleepBody('after-thirty-failures');
    const answer = await post(receiver, ATTACKER, body, signTerraBody(body, SECRET, nowSeconds()));

    expect(answer.status).toBe(200);
    expect(receiver.logs.filter((line) => line.msg === LIMITED_MESSAGE)).toEqual([]);
  });
});
