import { readdirSync, readFileSync } from 'node:fs';

/** Terra's published sample payloads, shipped beside the project for tests only. */
export const TERRA_SAMPLES_DIR = new URL('../../../shared/terra-samples/', import.meta.url);

export function readTerraSample(file: string): Buffer {
  return readFileSync(new URL(file, TERRA_SAMPLES_DIR));
}

export function readTerraSampleJson<T = Record<string, unknown>>(file: string): T {
  return JSON.parse(readTerraSample(file).toString('utf8')) as T;
}

/** Lists every sample payload file, without the signature vectors. */
export function terraSamplePayloadFiles(): string[] {
  return readdirSync(TERRA_SAMPLES_DIR)
    .filter((name) => name.endsWith('.json') && name !== 'signature-vectors.json')
    .sort();
}

export interface ExpectedSeries {
  count: number;
  sum: number;
  first?: [string, number];
  last?: [string, number];
}

export interface ExpectedHrvPayload {
  file: string;
  type: string;
  person: string;
  provider: string;
  userId: string;
  rmssd: ExpectedSeries;
  sdnn: ExpectedSeries;
}

export interface ExpectedSamples {
  hrv: ExpectedHrvPayload[];
  account: Array<{ file: string; type: string; person: string; provider: string; userId: string }>;
  other: Array<{ file: string; type: string }>;
  ping: Array<{ file: string; url: string; expiresInSeconds: number }>;
}

export const expectedSamples = JSON.parse(
  readFileSync(new URL('../fixtures/terra-samples-expected.json', import.meta.url), 'utf8'),
) as ExpectedSamples;
