import { readTerraSampleJson } from './terra-samples.js';

export interface ExpectedPoint {
  time: string;
  measure: 'rmssd' | 'sdnn';
  value: number;
}

type Json = Record<string, any>;

/**
 * Nanoseconds since the epoch of a timestamp that carries an offset, computed without the
 * receiver's parser: Date.parse gives the milliseconds, and digits 4 to 6 of the fraction add the
 * microseconds that Date drops.
 */
export function independentNanoseconds(timestamp: string): string {
  const fraction = /\.(\d+)/.exec(timestamp)?.[1] ?? '';
  const microseconds = BigInt(fraction.padEnd(6, '0').slice(3, 6));
  return (BigInt(Date.parse(timestamp)) * 1_000_000n + microseconds * 1000n).toString();
}

/** Lists every RMSSD and SDNN sample of a published payload file, read straight from its JSON. */
export function expectedPointsOf(file: string): ExpectedPoint[] {
  const payload = readTerraSampleJson<Json>(file);
  const points: ExpectedPoint[] = [];

  for (const item of payload.data as Json[]) {
    const heartRate = payload.type === 'body' ? item.heart_data?.heart_rate_data : item.heart_rate_data;
    for (const sample of heartRate?.detailed?.hrv_samples_rmssd ?? []) {
      points.push({ time: independentNanoseconds(sample.timestamp), measure: 'rmssd', value: sample.hrv_rmssd });
    }
    for (const sample of heartRate?.detailed?.hrv_samples_sdnn ?? []) {
      points.push({ time: independentNanoseconds(sample.timestamp), measure: 'sdnn', value: sample.hrv_sdnn });
    }
  }

  return sortPoints(points);
}

export function sortPoints(points: ExpectedPoint[]): ExpectedPoint[] {
  return [...points].sort((a, b) => (a.time === b.time ? a.measure.localeCompare(b.measure) : BigInt(a.time) < BigInt(b.time) ? -1 : 1));
}
