// Measures dashboard-lite's nights API against a real influxd started by the test harness: 10
// people with 730 nights each (two years), read through the built `hrv-stack dashboard-lite`
// process over HTTP with basic auth, as the page reads them. The hrv_night points are written
// directly with the receiver's own line builder; the API reads only hrv_night, so no samples or
// sessions are needed. Requests are sent one at a time. Run with `npm run bench:lite`.
import { cpus } from 'node:os';
import { performance } from 'node:perf_hooks';
import { nightLine } from '../influx/model-points.js';
import type { NightRow, NightStatus } from '../hrv-model/rolling-values.js';
import { formatDayNumber, MS_PER_DAY } from '../terra/day-numbers.js';
import { startDashboardLiteProcess } from '../test/support/dashboard-lite-process.js';
import { startInfluxDb } from '../test/support/influxdb.js';

const PEOPLE = 10;
const NIGHTS = 730;
const WARM_UP_REQUESTS = 20;
const REQUESTS_PER_RANGE = 300;
const PASSWORD = 'benchmark-password-2b7c';
const STATUSES: NightStatus[] = ['below', 'within', 'above'];

function percentile(sorted: number[], fraction: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(fraction * sorted.length))] ?? Number.NaN;
}

/** Builds every person's nights, ending yesterday (UTC), with plausible values in ms. */
function nightLines(lastDay: number): string[] {
  const lines: string[] = [];
  for (let person = 0; person < PEOPLE; person += 1) {
    for (let offset = NIGHTS - 1; offset >= 0; offset -= 1) {
      const dayNumber = lastDay - offset;
      const rmssdMs = 40 + 20 * Math.sin((dayNumber + person * 17) / 9);
      const row: NightRow = {
        dayNumber,
        date: formatDayNumber(dayNumber),
        rmssdMs,
        lnRmssd: Math.log(rmssdMs),
        samples: 96,
        basis: 'samples',
        baselineMs: rmssdMs * 0.98,
        normalLowMs: 35,
        normalHighMs: 60,
        cv7d: 0.08,
        status: offset > NIGHTS - 14 ? 'insufficient' : STATUSES[dayNumber % 3]!,
      };
      lines.push(nightLine(row, { person: `person-${person + 1}`, provider: 'GARMIN' }));
    }
  }
  return lines;
}

async function measure(url: string, range: string): Promise<{ timesMs: number[]; nights: number }> {
  const headers = { authorization: `Basic ${Buffer.from(`hrv:${PASSWORD}`).toString('base64')}` };
  const timesMs: number[] = [];
  let nights = 0;
  for (let index = 0; index < WARM_UP_REQUESTS + REQUESTS_PER_RANGE; index += 1) {
    const person = `person-${(index % PEOPLE) + 1}`;
    const started = performance.now();
    const response = await fetch(`${url}/api/nights?person=${person}&provider=GARMIN&range=${range}`, { headers });
    const body = (await response.json()) as { nights: unknown[] };
    const elapsedMs = performance.now() - started;
    if (response.status !== 200) throw new Error(`the nights API responded with HTTP ${response.status}`);
    nights = body.nights.length;
    if (index >= WARM_UP_REQUESTS) timesMs.push(elapsedMs);
  }
  return { timesMs: timesMs.sort((a, b) => a - b), nights };
}

async function main(): Promise<void> {
  const influx = await startInfluxDb();
  const dashboard = await startDashboardLiteProcess({ INFLUX_API_VERSION: '1', INFLUX_URL: influx.url, INFLUX_DATABASE: influx.database, DASHBOARD_LITE_PASSWORD: PASSWORD });
  try {
    await influx.writeLineProtocol(nightLines(Math.floor(Date.now() / MS_PER_DAY) - 1));
    console.log(`${PEOPLE} people × ${NIGHTS} nights in influxd ${influx.kind}; ${cpus().length} CPUs (${cpus()[0]?.model ?? 'unknown'})`);
    for (const range of ['all', '90d']) {
      const { timesMs, nights } = await measure(dashboard.url, range);
      const format = (fraction: number) => percentile(timesMs, fraction).toFixed(1);
      console.log(`range=${range}: ${nights} nights per response, ${timesMs.length} requests: p50 ${format(0.5)} ms, p95 ${format(0.95)} ms, max ${format(1)} ms`);
    }
  } finally {
    await dashboard.dispose();
    await influx.dispose();
  }
}

await main();
