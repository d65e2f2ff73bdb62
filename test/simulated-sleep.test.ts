import { readFileSync } from 'node:fs';

import { describe, expect, it } from 'vitest';

import {
  countSleepDeliveries,
  generateSleepDeliveries,
  type SimulatedSleepDelivery,
} from '../terra/simulator/sleep-deliveries.js';
import { hrvSampleCount } from '../terra/simulator/sleep-items.js';
import type { SleepItem } from '../terra/simulator/sleep-payload.js';
import { parseTerraTimestamp } from '../terra/timestamp.js';
import { fileURLToPath } from 'node:url';
import { TERRA_SAMPLES_DIR } from './support/terra-samples.js';

// Everything here is real: the generator runs in-process and nothing is replaced.

const GARMIN_SAMPLE_PATH = fileURLToPath(new URL('sleep-garmin.json', TERRA_SAMPLES_DIR));

const OPTIONS = { people: 4, nights: 30, seed: 7, endDate: '2026-11-02' };
const NANOSECONDS_PER_MINUTE = 60_000_000_000n;
const TERRA_TIMESTAMP_FORM = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}[+-]\d{2}:\d{2}$/;

function itemOf(delivery: SimulatedSleepDelivery): SleepItem {
  return delivery.body.data[0] as SleepItem;
}

/** Parses a timestamp the generator wrote; the zone argument is unused because each carries an offset. */
function toNanoseconds(timestamp: string): bigint {
  const parsed = parseTerraTimestamp(timestamp, 'UTC');
  if (parsed === undefined) throw new Error(`invalid Terra timestamp ${timestamp}`);
  return parsed;
}

function durationMinutes(item: SleepItem): number {
  return Number((toNanoseconds(item.metadata.end_time) - toNanoseconds(item.metadata.start_time)) / NANOSECONDS_PER_MINUTE);
}

function offsetOf(timestamp: string): string {
  return timestamp.slice(-6);
}

/** Minutes after local midnight, read from the wall-clock part of the timestamp. */
function localMinuteOfDay(timestamp: string): number {
  return Number(timestamp.slice(11, 13)) * 60 + Number(timestamp.slice(14, 16));
}

function groupByPerson(deliveries: SimulatedSleepDelivery[]): Map<string, SimulatedSleepDelivery[]> {
  const groups = new Map<string, SimulatedSleepDelivery[]>();
  for (const delivery of deliveries) groups.set(delivery.person, [...(groups.get(delivery.person) ?? []), delivery]);
  return groups;
}

/** Lists every key path of a JSON value, with array items merged, to compare payload shapes. */
function keyPaths(value: unknown, prefix = ''): Set<string> {
  const paths = new Set<string>();
  if (Array.isArray(value)) {
    for (const item of value) for (const path of keyPaths(item, `${prefix}[]`)) paths.add(path);
  } else if (value !== null && typeof value === 'object') {
    for (const [key, child] of Object.entries(value)) {
      paths.add(`${prefix}.${key}`);
      for (const path of keyPaths(child, `${prefix}.${key}`)) paths.add(path);
    }
  }
  return paths;
}

describe('generateSleepDeliveries', () => {
  const deliveries = generateSleepDeliveries(OPTIONS);
  const nights = deliveries.filter((delivery) => !delivery.isNap);
  const naps = deliveries.filter((delivery) => delivery.isNap);
  const withSamples = deliveries.filter((delivery) => !delivery.summaryOnly);

  it('same seed gives same deliveries', () => {
    const again = generateSleepDeliveries(OPTIONS);

    expect(again).toEqual(deliveries);
  });

  it('different seed gives different data', () => {
    const other = generateSleepDeliveries({ ...OPTIONS, seed: 8 });

    expect(other[0]?.body.user.user_id).not.toBe(deliveries[0]?.body.user.user_id);
    expect(itemOf(other[0] as SimulatedSleepDelivery).metadata.summary_id).not.toBe(itemOf(deliveries[0] as SimulatedSleepDelivery).metadata.summary_id);
  });

  it('night does not depend on night count', () => {
    const shortRun = generateSleepDeliveries({ ...OPTIONS, nights: 3 });
    const lastDate = (delivery: SimulatedSleepDelivery) => delivery.nightDate === '2026-11-02';

    expect(shortRun.filter(lastDate)).toEqual(deliveries.filter(lastDate));
  });

  it('one delivery per person per night', () => {
    const keys = nights.map((delivery) => `${delivery.person} ${delivery.nightDate}`);

    expect(nights).toHaveLength(OPTIONS.people * OPTIONS.nights);
    expect(new Set(keys).size).toBe(keys.length);
    for (const delivery of deliveries) expect(delivery.body.data).toHaveLength(1);
    expect(nights[0]?.nightDate).toBe('2026-10-04');
    expect(nights.at(-1)?.nightDate).toBe('2026-11-02');
  });

  it('people have names, providers and stable ids', () => {
    const people = new Map(deliveries.map((delivery) => [delivery.person, delivery.body.user]));

    expect([...people.keys()]).toEqual(['alice', 'bob', 'carol', 'person-4']);
    expect([...people.values()].map((user) => user.provider)).toEqual(['GARMIN', 'OURA', 'WHOOP', 'POLAR']);
    for (const delivery of deliveries) {
      const user = people.get(delivery.person);
      expect(delivery.body.user.user_id).toBe(user?.user_id);
      expect(delivery.body.user.provider).toBe(user?.provider);
      expect(user?.reference_id).toBe(delivery.person);
      expect(user?.user_id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    }
  });

  it('count matches generated deliveries', () => {
    expect(countSleepDeliveries(OPTIONS)).toBe(deliveries.length);
  });

  it('summary ids are unique per session', () => {
    const ids = deliveries.map((delivery) => itemOf(delivery).metadata.summary_id);

    expect(new Set(ids).size).toBe(deliveries.length);
  });

  it('body has the shape of a Terra sample', () => {
    const sample: unknown = JSON.parse(readFileSync(GARMIN_SAMPLE_PATH, 'utf8'));
    const generated = deliveries.find((delivery) => !delivery.summaryOnly)?.body;

    expect([...keyPaths(generated)].sort()).toEqual([...keyPaths(sample)].sort());
    expect(generated?.type).toBe('sleep');
    expect(generated?.version).toBe('2022-03-16');
  });

  it('sample counts match session length', () => {
    for (const delivery of withSamples) {
      const { detailed } = itemOf(delivery).heart_rate_data;
      const expected = hrvSampleCount(durationMinutes(itemOf(delivery)));
      expect(detailed.hrv_samples_rmssd).toHaveLength(expected);
      expect(detailed.hrv_samples_sdnn).toHaveLength(expected);
      expect(delivery.hrvSampleCount).toBe(expected);
    }
  });

  it('summary averages are sample means', () => {
    for (const delivery of withSamples) {
      const { summary, detailed } = itemOf(delivery).heart_rate_data;
      const rmssd = detailed.hrv_samples_rmssd.map((sample) => sample.hrv_rmssd);
      const sdnn = detailed.hrv_samples_sdnn.map((sample) => sample.hrv_sdnn);
      const mean = (values: number[]) => values.reduce((sum, value) => sum + value, 0) / values.length;
      // Half a tenth plus room for binary rounding of the float sum.
      expect(Math.abs(summary.avg_hrv_rmssd - mean(rmssd))).toBeLessThanOrEqual(0.05 + 1e-9);
      expect(Math.abs(summary.avg_hrv_sdnn - mean(sdnn))).toBeLessThanOrEqual(0.05 + 1e-9);
    }
  });

  it('values have one decimal and sane ranges', () => {
    for (const delivery of withSamples) {
      const { detailed } = itemOf(delivery).heart_rate_data;
      detailed.hrv_samples_rmssd.forEach((sample, index) => {
        const sdnnMs = detailed.hrv_samples_sdnn[index]?.hrv_sdnn as number;
        expect(sample.hrv_rmssd * 10).toBeCloseTo(Math.round(sample.hrv_rmssd * 10), 9);
        expect(sample.hrv_rmssd).toBeGreaterThanOrEqual(5);
        expect(sample.hrv_rmssd).toBeLessThan(300);
        expect(sdnnMs / sample.hrv_rmssd).toBeGreaterThan(1);
        expect(sdnnMs / sample.hrv_rmssd).toBeLessThan(1.7);
      });
    }
  });

  it('person averages stay near a baseline', () => {
    const byPerson = groupByPerson(nights);

    for (const [, personNights] of byPerson) {
      const averages = personNights.map((delivery) => itemOf(delivery).heart_rate_data.summary.avg_hrv_rmssd);
      const median = averages.toSorted((a, b) => a - b)[Math.floor(averages.length / 2)] as number;
      expect(median).toBeGreaterThan(30);
      expect(median).toBeLessThan(90);
      expect(new Set(averages).size).toBeGreaterThan(averages.length / 2);
    }
  });

  it('timestamps parse and lie inside session', () => {
    for (const delivery of withSamples) {
      const { metadata, heart_rate_data: heartRate } = itemOf(delivery);
      const start = toNanoseconds(metadata.start_time);
      const end = toNanoseconds(metadata.end_time);
      const samples = [...heartRate.detailed.hrv_samples_rmssd, ...heartRate.detailed.hrv_samples_sdnn, ...heartRate.detailed.hr_samples];
      expect(metadata.start_time).toMatch(TERRA_TIMESTAMP_FORM);
      expect(metadata.end_time).toMatch(TERRA_TIMESTAMP_FORM);
      for (const sample of samples) {
        expect(sample.timestamp).toMatch(TERRA_TIMESTAMP_FORM);
        expect(offsetOf(sample.timestamp)).toBe(offsetOf(metadata.start_time));
        expect(toNanoseconds(sample.timestamp)).toBeGreaterThanOrEqual(start);
        expect(toNanoseconds(sample.timestamp)).toBeLessThanOrEqual(end);
      }
    }
  });

  it('samples are five minutes apart', () => {
    for (const delivery of withSamples) {
      const times = itemOf(delivery).heart_rate_data.detailed.hrv_samples_rmssd.map((sample) => toNanoseconds(sample.timestamp));
      for (let index = 1; index < times.length; index += 1) {
        expect((times[index] as bigint) - (times[index - 1] as bigint)).toBe(5n * NANOSECONDS_PER_MINUTE);
      }
    }
  });

  it('nights start 22:30-00:30 with 6.5-8.5 h asleep', () => {
    for (const delivery of nights) {
      const item = itemOf(delivery);
      const bedtime = localMinuteOfDay(item.metadata.start_time);
      const asleepHours = item.sleep_durations_data.asleep.duration_asleep_state_seconds / 3600;
      expect(bedtime >= 22 * 60 + 30 || bedtime <= 30).toBe(true);
      expect(item.metadata.end_time.slice(0, 10)).toBe(delivery.nightDate);
      expect(asleepHours).toBeGreaterThanOrEqual(6.5);
      expect(asleepHours).toBeLessThanOrEqual(8.5);
      expect(item.metadata.is_nap).toBe(false);
    }
  });

  it('naps are short afternoon sessions', () => {
    expect(naps.length).toBeGreaterThan(0);
    for (const delivery of naps) {
      const item = itemOf(delivery);
      expect(item.metadata.is_nap).toBe(true);
      expect(localMinuteOfDay(item.metadata.start_time)).toBeGreaterThanOrEqual(13 * 60);
      expect(localMinuteOfDay(item.metadata.start_time)).toBeLessThanOrEqual(15 * 60 + 30);
      expect(durationMinutes(item)).toBeGreaterThanOrEqual(20);
      expect(durationMinutes(item)).toBeLessThanOrEqual(40);
      expect(item.heart_rate_data.detailed.hrv_samples_rmssd.length).toBeGreaterThan(0);
      expect(item.metadata.start_time.slice(0, 10)).toBe(delivery.nightDate);
    }
  });

  it('summary-only nights have averages only', () => {
    const summaryOnly = deliveries.filter((delivery) => delivery.summaryOnly);

    expect(summaryOnly.length).toBeGreaterThan(0);
    for (const delivery of summaryOnly) {
      const { summary, detailed } = itemOf(delivery).heart_rate_data;
      expect(detailed.hrv_samples_rmssd).toEqual([]);
      expect(detailed.hrv_samples_sdnn).toEqual([]);
      expect(delivery.hrvSampleCount).toBe(0);
      expect(summary.avg_hrv_rmssd).toBeGreaterThan(0);
      expect(summary.avg_hrv_sdnn).toBeGreaterThan(summary.avg_hrv_rmssd);
    }
  });

  it('alice travels and others stay', () => {
    const offsets = (person: string) => new Set(nights.filter((delivery) => delivery.person === person).map((delivery) => offsetOf(itemOf(delivery).metadata.start_time)));

    expect(offsets('alice').size).toBeGreaterThan(1);
    expect(offsets('alice').has('+01:00')).toBe(true);
    expect([...offsets('bob')]).toEqual(['-05:00']);
    expect([...offsets('carol')]).toEqual(['+09:30']);
  });

  it('sessions of a person never overlap', () => {
    const byPerson = groupByPerson(deliveries);

    for (const [, sessions] of byPerson) {
      const spans = sessions.map((delivery) => [toNanoseconds(itemOf(delivery).metadata.start_time), toNanoseconds(itemOf(delivery).metadata.end_time)] as const).sort((a, b) => (a[0] < b[0] ? -1 : 1));
      for (let index = 1; index < spans.length; index += 1) {
        expect(spans[index]?.[0]).toBeGreaterThan(spans[index - 1]?.[1] as bigint);
      }
    }
  });
});

describe('generateSleepDeliveries options', () => {
  it('defaults to three people, thirty nights', () => {
    const deliveries = generateSleepDeliveries({ endDate: '2026-11-02' });

    expect(deliveries.filter((delivery) => !delivery.isNap)).toHaveLength(90);
  });

  it('end date defaults to yesterday UTC', () => {
    const deliveries = generateSleepDeliveries({ people: 1, nights: 2, now: new Date('2026-11-03T00:30:00Z') });

    expect(deliveries.filter((delivery) => !delivery.isNap).map((delivery) => delivery.nightDate)).toEqual(['2026-11-01', '2026-11-02']);
  });

  it('invalid options list every problem', () => {
    const generate = () => generateSleepDeliveries({ people: 0, nights: 3651, seed: 1.5, endDate: '2026-02-30' });

    expect(generate).toThrow(RangeError);
    expect(generate).toThrow(/people must be a whole number from 1 to 100, got 0/);
    expect(generate).toThrow(/nights must be a whole number from 1 to 3650, got 3651/);
    expect(generate).toThrow(/seed must be a whole number, got 1.5/);
    expect(generate).toThrow(/end date must be a real date .* got "2026-02-30"/);
  });
});
