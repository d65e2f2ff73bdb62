// Real parts: the point builders and @influxdata/influxdb-client's line-protocol serialiser.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { hrvSampleLines, terraEventLine, type ConnectionTags, type TerraEventFields } from '../influx/points.js';
import type { HrvMeasure } from '../terra/hrv-samples.js';
import type { HrvEventType } from '../terra/envelope.js';

interface Fixture {
  hrv: Array<{ why: string; tags: ConnectionTags; source: HrvEventType; sample: { measure: HrvMeasure; valueMs: number; epochNanoseconds: string }; line: string }>;
  terraEvent: Array<{ why: string; tags: ConnectionTags; fields: TerraEventFields; epochMilliseconds: number; line: string }>;
}

const fixture = JSON.parse(readFileSync(new URL('./fixtures/line-protocol.json', import.meta.url), 'utf8')) as Fixture;

describe('line protocol', () => {
  it.each(fixture.hrv.map((c) => [c.why, c] as const))('hrv: %s', (_why, testCase) => {
    const sample = { ...testCase.sample, epochNanoseconds: BigInt(testCase.sample.epochNanoseconds) };
    const lines = hrvSampleLines({ source: testCase.source, samples: [sample] }, testCase.tags);
    expect(lines).toEqual([testCase.line]);
  });

  it('hrv: several samples in order', () => {
    const tags = { person: 'alice', provider: 'GARMIN', userId: 'user-1' };
    const samples = [
      { measure: 'rmssd' as const, valueMs: 42.5, epochNanoseconds: 1767225600123456000n },
      { measure: 'sdnn' as const, valueMs: 61, epochNanoseconds: 1767225600123456000n },
      { measure: 'rmssd' as const, valueMs: 0.001, epochNanoseconds: 1767225900000000000n },
    ];

    expect(hrvSampleLines({ source: 'sleep', samples }, tags)).toEqual([
      'hrv,person=alice,provider=GARMIN,source=sleep,user_id=user-1 rmssd=42.5 1767225600123456000',
      'hrv,person=alice,provider=GARMIN,source=sleep,user_id=user-1 sdnn=61 1767225600123456000',
      'hrv,person=alice,provider=GARMIN,source=sleep,user_id=user-1 rmssd=0.001 1767225900000000000',
    ]);
  });

  it.each(fixture.terraEvent.map((c) => [c.why, c] as const))('terra_event: %s', (_why, testCase) => {
    expect(terraEventLine(testCase.fields, testCase.tags, testCase.epochMilliseconds)).toBe(testCase.line);
  });
});
