import type { HrvEvent, HrvEventType } from './envelope.js';
import { parseTerraTimestamp } from './timestamp.js';

export type HrvMeasure = 'rmssd' | 'sdnn';

export interface HrvSample {
  measure: HrvMeasure;
  valueMs: number;
  epochNanoseconds: bigint;
}

/** Reason a sample or an item was not stored, counted in the delivery's log line. */
export type SkipReason =
  | 'invalid_item'
  | 'missing_value'
  | 'not_a_number'
  | 'not_finite'
  | 'out_of_range'
  | 'invalid_timestamp'
  /** A sleep item without a readable start or end time, or a daily item without a readable date. */
  | 'invalid_item_time'
  /** A sample of a sleep session whose stored copy Terra emitted later, so it must not overwrite. */
  | 'older_copy';

export type SkipCounts = Partial<Record<SkipReason, number>>;

/** Sum and count of the valid RMSSD samples of one item of the event's `data` array. */
export interface ItemRmssd {
  sumMs: number;
  count: number;
}

export interface ExtractedSamples {
  source: HrvEventType;
  samples: HrvSample[];
  skipped: SkipCounts;
  /** Per item, in `data` order; undefined for an item that is not an object. */
  itemRmssd: (ItemRmssd | undefined)[];
  /**
   * Per item, in `data` order: the index in `samples` after the item's last sample. An item's
   * samples start where the previous item's end, RMSSD first, then SDNN.
   */
  itemSampleEnds: number[];
}

/** RMSSD and SDNN above 0 ms and below this bound are plausible; anything else is a device error. */
const MAX_PLAUSIBLE_MS = 1000;

const SAMPLE_FIELDS = {
  rmssd: { array: 'hrv_samples_rmssd', value: 'hrv_rmssd' },
  sdnn: { array: 'hrv_samples_sdnn', value: 'hrv_sdnn' },
} as const;

type JsonObject = Record<string, unknown>;

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function child(value: unknown, key: string): unknown {
  return isObject(value) ? value[key] : undefined;
}

/** Body items nest the heart-rate block one level deeper than sleep, daily and activity items. */
function detailedHeartRate(item: JsonObject, source: HrvEventType): unknown {
  const heartRateData = source === 'body' ? child(item.heart_data, 'heart_rate_data') : item.heart_rate_data;
  return child(heartRateData, 'detailed');
}

/** Returns why a value is not a plausible RMSSD or SDNN in ms, or undefined when it is one. */
export function classifyValue(value: unknown): SkipReason | undefined {
  if (value === null || value === undefined) return 'missing_value';
  if (typeof value !== 'number') return 'not_a_number';
  if (!Number.isFinite(value)) return 'not_finite';
  if (value <= 0 || value >= MAX_PLAUSIBLE_MS) return 'out_of_range';
  return undefined;
}

function countSkip(skipped: SkipCounts, reason: SkipReason): void {
  skipped[reason] = (skipped[reason] ?? 0) + 1;
}

function collectMeasure(
  detailed: unknown,
  measure: HrvMeasure,
  defaultZone: string,
  result: ExtractedSamples,
): void {
  const fields = SAMPLE_FIELDS[measure];
  const entries = child(detailed, fields.array);
  if (entries === null || entries === undefined) return;
  if (!Array.isArray(entries)) return countSkip(result.skipped, 'invalid_item');

  for (const entry of entries) {
    if (!isObject(entry)) {
      countSkip(result.skipped, 'invalid_item');
      continue;
    }
    const valueProblem = classifyValue(entry[fields.value]);
    if (valueProblem !== undefined) {
      countSkip(result.skipped, valueProblem);
      continue;
    }
    const epochNanoseconds = parseTerraTimestamp(entry.timestamp, defaultZone);
    if (epochNanoseconds === undefined) {
      countSkip(result.skipped, 'invalid_timestamp');
      continue;
    }
    result.samples.push({ measure, valueMs: entry[fields.value] as number, epochNanoseconds });
  }
}

function sumSamples(samples: readonly HrvSample[], from: number): ItemRmssd {
  let sumMs = 0;
  for (let index = from; index < samples.length; index += 1) sumMs += samples[index]!.valueMs;
  return { sumMs, count: samples.length - from };
}

/**
 * Collects every valid RMSSD and SDNN sample of a sleep, daily, body or activity event. Items and
 * samples that are null, not finite numbers, outside (0, 1000) ms or without a readable timestamp
 * are skipped and counted by reason, and the rest of the payload is kept.
 */
export function extractHrvSamples(event: HrvEvent, defaultZone: string): ExtractedSamples {
  const result: ExtractedSamples = { source: event.type, samples: [], skipped: {}, itemRmssd: [], itemSampleEnds: [] };

  for (const item of event.data) {
    if (!isObject(item)) {
      countSkip(result.skipped, 'invalid_item');
      result.itemRmssd.push(undefined);
      result.itemSampleEnds.push(result.samples.length);
      continue;
    }
    const detailed = detailedHeartRate(item, event.type);
    const firstRmssd = result.samples.length;
    collectMeasure(detailed, 'rmssd', defaultZone, result);
    result.itemRmssd.push(sumSamples(result.samples, firstRmssd));
    collectMeasure(detailed, 'sdnn', defaultZone, result);
    result.itemSampleEnds.push(result.samples.length);
  }

  return result;
}
