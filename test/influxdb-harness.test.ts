/**
 * Checks the test harness itself. Real: InfluxDB (influxd 1.x from PATH, or the 2.7 container where a
 * container runtime exists) and the @influxdata/influxdb-client writer. Stand-in: the v2 write gateway,
 * which plays InfluxDB 1.8's `/api/v2/write` in front of influxd and forwards every write to it.
 */
import { InfluxDB } from '@influxdata/influxdb-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startInfluxDb, type InfluxDbServer } from './support/influxdb.js';

let server: InfluxDbServer;

beforeAll(async () => {
  server = await startInfluxDb();
});

afterAll(async () => {
  await server?.dispose();
});

function v2WriteUrl(bucket: string, precision = 'ns'): string {
  const url = new URL('/api/v2/write', server.v2Url);
  url.searchParams.set('org', server.org);
  url.searchParams.set('bucket', bucket);
  url.searchParams.set('precision', precision);
  return url.toString();
}

function postV2Write(bucket: string, lines: string, precision = 'ns'): Promise<Response> {
  return fetch(v2WriteUrl(bucket, precision), {
    method: 'POST',
    headers: { authorization: `Token ${server.token}`, 'content-type': 'text/plain; charset=utf-8' },
    body: lines,
  });
}

function connectionErrorCode(error: unknown): unknown {
  return error instanceof Error && error.cause instanceof Error ? (error.cause as NodeJS.ErrnoException).code : undefined;
}

describe('InfluxDB harness', () => {
  it('stores v1 and v2 writes exactly', async () => {
    await server.writeLineProtocol([
      'hrv,person=alice,provider=OURA,source=sleep,user_id=u-alice rmssd=42.5,sdnn=61.25 1762063320123456789',
      'hrv,person=alice,provider=OURA,source=sleep,user_id=u-alice rmssd=38.75,sdnn=55 1762063380000000000',
    ]);
    const v2Lines = [
      'hrv,person=bob,provider=GARMIN,source=daily,user_id=u-bob rmssd=27.125,sdnn=40.5 1762063320123456789',
      'hrv,person=bob,provider=GARMIN,source=daily,user_id=u-bob rmssd=29,sdnn=44.875 1762063321000000001',
    ].join('\n');
    const v2Response = await postV2Write(`${server.database}/autogen`, v2Lines);

    expect(v2Response.status).toBe(204);
    const alice = await server.query(`SELECT * FROM hrv WHERE person = 'alice'`);
    expect(alice).toEqual([
      { time: '1762063320123456789', person: 'alice', provider: 'OURA', source: 'sleep', user_id: 'u-alice', rmssd: 42.5, sdnn: 61.25 },
      { time: '1762063380000000000', person: 'alice', provider: 'OURA', source: 'sleep', user_id: 'u-alice', rmssd: 38.75, sdnn: 55 },
    ]);
    const bob = await server.query(`SELECT * FROM hrv WHERE person = 'bob'`);
    expect(bob).toEqual([
      { time: '1762063320123456789', person: 'bob', provider: 'GARMIN', source: 'daily', user_id: 'u-bob', rmssd: 27.125, sdnn: 40.5 },
      { time: '1762063321000000001', person: 'bob', provider: 'GARMIN', source: 'daily', user_id: 'u-bob', rmssd: 29, sdnn: 44.875 },
    ]);
  });

  it('returns GROUP BY series with tags', async () => {
    const series = await server.querySeries(`SELECT count(rmssd) FROM hrv WHERE person = 'alice' OR person = 'bob' GROUP BY person`);

    expect(series.map((one) => one.tags)).toEqual([{ person: 'alice' }, { person: 'bob' }]);
    expect(series.map((one) => one.rows[0]?.count)).toEqual([2, 2]);
    const tagValues = await server.querySeries(`SHOW TAG VALUES FROM hrv WITH KEY = "provider"`);
    expect(tagValues[0]?.rows).toEqual([
      { key: 'provider', value: 'GARMIN' },
      { key: 'provider', value: 'OURA' },
    ]);
  });

  it('accepts v2 client library writes', async () => {
    const writeApi = new InfluxDB({ url: server.v2Url, token: server.token }).getWriteApi(server.org, server.database, 'ns', {
      maxRetries: 0,
      flushInterval: 0,
    });

    writeApi.writeRecord('hrv,person=carol,provider=WHOOP,source=sleep,user_id=u-carol rmssd=51.5 1762063399999999999');
    await writeApi.close();

    const carol = await server.query(`SELECT rmssd FROM hrv WHERE person = 'carol'`);
    expect(carol).toEqual([{ time: '1762063399999999999', rmssd: 51.5 }]);
  });

  it('forwards gzip-encoded v2 writes', async () => {
    const writeApi = new InfluxDB({ url: server.v2Url, token: server.token }).getWriteApi(server.org, server.database, 'ns', {
      maxRetries: 0,
      flushInterval: 0,
      // The client compresses every body of at least this many bytes.
      gzipThreshold: 1,
    });

    writeApi.writeRecord('hrv,person=heidi,provider=OURA,source=sleep,user_id=u-heidi rmssd=47.75,sdnn=58.5 1762063700000000123');
    await writeApi.close();

    const heidi = await server.query(`SELECT rmssd, sdnn FROM hrv WHERE person = 'heidi'`);
    expect(heidi).toEqual([{ time: '1762063700000000123', rmssd: 47.75, sdnn: 58.5 }]);
  });

  it('relays partial write as 400', async () => {
    const lines = [
      'hrv,person=dave,provider=OURA,source=sleep,user_id=u-dave rmssd=not-a-number 1762063320000000000',
      'hrv,person=dave,provider=OURA,source=sleep,user_id=u-dave rmssd=33.5 1762063440000000000',
    ].join('\n');

    const response = await postV2Write(server.database, lines);

    expect(response.status).toBe(400);
    const body = (await response.json()) as { error: string };
    expect(body.error).toMatch(/^partial write: unable to parse/);
    const dave = await server.query(`SELECT rmssd FROM hrv WHERE person = 'dave'`);
    expect(dave).toEqual([{ time: '1762063440000000000', rmssd: 33.5 }]);
  });

  it('maps bucket and precision like 1.8', async () => {
    const line = 'hrv,person=erin rmssd=20 1762063320';

    expect((await postV2Write('', line, 's')).status).toBe(404);
    expect((await postV2Write('/autogen', line, 's')).status).toBe(404);
    expect((await postV2Write(server.database, line, 'm')).status).toBe(400);
    const missingDatabase = await postV2Write('no_such_database', line, 's');
    expect(missingDatabase.status).toBe(404);
    expect(await missingDatabase.json()).toEqual({ error: 'database not found: "no_such_database"' });
    expect((await postV2Write(server.database, line, 's')).status).toBe(204);
    expect(await server.query(`SELECT rmssd FROM hrv WHERE person = 'erin'`)).toEqual([{ time: '1762063320000000000', rmssd: 20 }]);
  });

  it('injects failures with failNextWrites', async () => {
    const line = 'hrv,person=frank rmssd=45.25 1762063500000000000';
    server.gateway.failNextWrites(429, 2, { retryAfterSeconds: 3 });
    const writesBefore = server.gateway.writes.length;

    const first = await postV2Write(server.database, line);
    const second = await postV2Write(server.database, line);
    expect(await server.query(`SELECT rmssd FROM hrv WHERE person = 'frank'`)).toEqual([]);
    const third = await postV2Write(server.database, line);

    expect(first.status).toBe(429);
    expect(first.headers.get('retry-after')).toBe('3');
    expect(second.status).toBe(429);
    expect(third.status).toBe(204);
    expect(server.gateway.writes.slice(writesBefore).map((write) => [write.status, write.injected])).toEqual([
      [429, true],
      [429, true],
      [204, false],
    ]);
    expect(await server.query(`SELECT rmssd FROM hrv WHERE person = 'frank'`)).toEqual([{ time: '1762063500000000000', rmssd: 45.25 }]);
  });

  it('proxies /ping and serves /health', async () => {
    const ping = await fetch(new URL('/ping', server.v2Url));
    const health = await fetch(new URL('/health', server.v2Url));

    expect(ping.status).toBe(204);
    expect(ping.headers.get('x-influxdb-version')).toBeTruthy();
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ name: 'influxdb', status: 'pass' });
  });

  it('keeps data across stop and restart', async () => {
    const urlBefore = server.url;
    await server.writeLineProtocol('hrv,person=grace rmssd=60.5 1762063600123456789');

    await server.stop();
    const pingError = await fetch(new URL('/ping', server.url)).then(() => undefined, (error: unknown) => error);
    expect(connectionErrorCode(pingError)).toBe('ECONNREFUSED');
    const writeWhileDown = await postV2Write(server.database, 'hrv,person=grace rmssd=61 1762063660000000000');
    expect(writeWhileDown.status).toBe(503);
    const healthWhileDown = await fetch(new URL('/health', server.v2Url));
    expect(healthWhileDown.status).toBe(503);
    expect(await healthWhileDown.json()).toMatchObject({ name: 'influxdb', status: 'fail' });

    await server.restart();
    expect(server.url).toBe(urlBefore);
    expect(await server.query(`SELECT rmssd FROM hrv WHERE person = 'grace'`)).toEqual([{ time: '1762063600123456789', rmssd: 60.5 }]);
    expect(await server.query(`SELECT count(rmssd) FROM hrv WHERE person = 'alice'`)).toEqual([{ time: '0', count: 2 }]);
    expect((await postV2Write(server.database, 'hrv,person=grace rmssd=61 1762063660000000000')).status).toBe(204);
  });
});
