// Real parts: the envelope classifier and sample extraction, on Terra's published sample payloads.
import { describe, expect, it } from 'vitest';
import { classifyTerraEvent, isEnvelopeProblem, type TerraEvent } from '../terra/envelope.js';
import { extractHrvSamples, type HrvSample } from '../terra/hrv-samples.js';
import { resolvePerson } from '../terra/person.js';
import { expectedSamples, readTerraSampleJson, terraSamplePayloadFiles } from './support/terra-samples.js';

function classify(file: string): TerraEvent {
  const event = classifyTerraEvent(readTerraSampleJson(file));
  if (isEnvelopeProblem(event)) throw new Error(`${file}: ${event.field}: ${event.message}`);
  return event;
}

function isoOf(sample: HrvSample): string {
  return new Date(Number(sample.epochNanoseconds / 1_000_000n)).toISOString();
}

describe('Terra sample payloads', () => {
  it('has an expectation for every sample file', () => {
    const covered = [...expectedSamples.hrv, ...expectedSamples.account, ...expectedSamples.other, ...expectedSamples.ping].map((entry) => entry.file);
    expect(covered.sort()).toEqual(terraSamplePayloadFiles());
  });

  describe.each(expectedSamples.hrv)('$file', (expected) => {
    const event = classify(expected.file);
    if (event.kind !== 'hrv') throw new Error(`${expected.file} is not an HRV event`);
    const extracted = extractHrvSamples(event.event, 'UTC');

    it('is an HRV event of its type and person', () => {
      expect(event.event.type).toBe(expected.type);
      expect(resolvePerson(event.event.user, new Map())).toBe(expected.person);
      expect(event.event.user.provider).toBe(expected.provider);
    });

    it.each(['rmssd', 'sdnn'] as const)('yields every %s sample', (measure) => {
      const samples = extracted.samples.filter((sample) => sample.measure === measure);
      const series = expected[measure];
      const sum = samples.reduce((total, sample) => total + sample.valueMs, 0);

      expect(samples).toHaveLength(series.count);
      expect(sum).toBeCloseTo(series.sum, 6);
      if (series.first !== undefined && series.last !== undefined) {
        expect([isoOf(samples[0]!), samples[0]!.valueMs]).toEqual(series.first);
        expect([isoOf(samples.at(-1)!), samples.at(-1)!.valueMs]).toEqual(series.last);
      }
    });

    it('skips nothing', () => {
      expect(extracted.skipped).toEqual({});
    });
  });

  it.each(expectedSamples.account)('$file is an account event', (expected) => {
    const event = classify(expected.file);
    expect(event.kind).toBe('account');
    if (event.kind !== 'account') return;
    expect(event.event.type).toBe(expected.type);
    expect(resolvePerson(event.user, new Map())).toBe(expected.person);
    expect(event.user.provider).toBe(expected.provider);
    expect(event.user.user_id).toBe(expected.userId);
  });

  it.each(expectedSamples.other)('$file is acknowledged only', (expected) => {
    expect(classify(expected.file)).toEqual({ kind: 'other', type: expected.type });
  });

  it.each(expectedSamples.ping)('$file is a ping-mode link', (expected) => {
    expect(classify(expected.file)).toEqual({ kind: 'ping', link: { url: expected.url, expiresInSeconds: expected.expiresInSeconds } });
  });
});
