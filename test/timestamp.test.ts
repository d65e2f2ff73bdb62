// Real parts: the timestamp parser, luxon and the runtime's time-zone database.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { formatEpochNanoseconds, parseTerraTimestamp } from '../terra/timestamp.js';

interface TimestampCase {
  text: string;
  defaultZone: string;
  expected: string | null;
  why: string;
}

const { cases } = JSON.parse(readFileSync(new URL('./fixtures/timestamps.json', import.meta.url), 'utf8')) as {
  cases: TimestampCase[];
};

describe('parseTerraTimestamp', () => {
  it.each(cases.map((c) => [`${c.why}: ${c.text}`, c] as const))('%s', (_name, testCase) => {
    const parsed = parseTerraTimestamp(testCase.text, testCase.defaultZone);
    expect(parsed === undefined ? null : parsed.toString()).toBe(testCase.expected);
  });

  it.each([null, 42, undefined, { iso: '2026-11-02T07:02:00Z' }])('rejects the non-string %s', (value) => {
    expect(parseTerraTimestamp(value, 'UTC')).toBeUndefined();
  });
});

describe('formatEpochNanoseconds', () => {
  it('keeps every digit of the fraction', () => {
    expect(formatEpochNanoseconds(1793602920123456000n)).toBe('2026-11-02T07:02:00.123456000Z');
  });
});
