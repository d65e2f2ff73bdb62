import { readTerraSampleJson } from '../test/support/terra-samples.js';

interface SleepSample {
  data: Array<{ heart_rate_data: { detailed: Record<string, unknown> } }>;
}

/**
 * Builds Terra's Garmin sleep sample with its series stretched to `samplesPerMeasure` RMSSD and as
 * many SDNN samples, one a minute from 2026-01-01T00:00Z, RMSSD from 40 to 44.9 ms and SDNN from
 * 50 to 54.9 ms.
 */
export function buildLargeSleepPayload(samplesPerMeasure: number): Buffer {
  const payload = readTerraSampleJson<SleepSample>('sleep-garmin.json');
  const start = Date.parse('2026-01-01T00:00:00Z');
  const rmssd = [];
  const sdnn = [];
  for (let index = 0; index < samplesPerMeasure; index += 1) {
    const timestamp = new Date(start + index * 60_000).toISOString().replace('Z', '000+00:00');
    rmssd.push({ timestamp, hrv_rmssd: 40 + (index % 50) / 10 });
    sdnn.push({ timestamp, hrv_sdnn: 50 + (index % 50) / 10 });
  }
  payload.data[0]!.heart_rate_data.detailed.hrv_samples_rmssd = rmssd;
  payload.data[0]!.heart_rate_data.detailed.hrv_samples_sdnn = sdnn;
  return Buffer.from(JSON.stringify(payload));
}

/** Returns a samples-per-measure count whose payload is at least `bytes` long, and at most 1,000 more than needed. */
export function samplesPerMeasureForSize(bytes: number): number {
  const empty = buildLargeSleepPayload(0).length;
  const probeCount = 10_000;
  const bytesPerSample = (buildLargeSleepPayload(probeCount).length - empty) / probeCount;
  let count = Math.ceil((bytes - empty) / bytesPerSample);
  while (buildLargeSleepPayload(count).length < bytes) count += 1_000;
  return count;
}
