import { sortPoints, type ExpectedPoint } from './expected-points.js';
import type { InfluxDbServer } from './influxdb.js';

/** Returns every RMSSD and SDNN sample stored in `hrv` for one person and provider, sorted. */
export async function storedPoints(influx: InfluxDbServer, person: string, provider: string): Promise<ExpectedPoint[]> {
  const rows = await influx.query(`SELECT rmssd, sdnn FROM hrv WHERE person = '${person}' AND provider = '${provider}'`);
  const points: ExpectedPoint[] = [];
  for (const row of rows) {
    if (row.rmssd !== null) points.push({ time: String(row.time), measure: 'rmssd', value: row.rmssd as number });
    if (row.sdnn !== null) points.push({ time: String(row.time), measure: 'sdnn', value: row.sdnn as number });
  }
  return sortPoints(points);
}

/** Counts the RMSSD and SDNN values stored in `hrv`, for every person. */
export async function countPoints(influx: InfluxDbServer): Promise<number> {
  const rows = await influx.query('SELECT count(rmssd) AS rmssd, count(sdnn) AS sdnn FROM hrv');
  return rows.length === 0 ? 0 : Number(rows[0]!.rmssd) + Number(rows[0]!.sdnn);
}
