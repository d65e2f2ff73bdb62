import type { DailyValue, SessionValue } from './night-values.js';
import { dayNumberOf } from './night-date.js';

/** Source of a session's value: its RMSSD samples, its summary average, or neither. */
export type SessionBasis = 'samples' | 'summary' | 'none';

/** One sleep session as stored in `hrv_session`: the latest copy Terra sent of it. */
export interface SleepSessionRecord {
  /** `metadata.summary_id`, or `start:` and the start time in ns when the copy has none. */
  key: string;
  summaryId?: string;
  /** Start time in nanoseconds since the epoch; the time of the point. */
  startNs: bigint;
  /** `metadata.start_time` and `end_time` as written in the payload. */
  startTime: string;
  endTime: string;
  /** Calendar date of `endTime` as written: the wake-up date in the person's own offset. */
  nightDate: string;
  isNap: boolean;
  basis: SessionBasis;
  /** Number of valid RMSSD samples; 0 when the copy has none. */
  samples: number;
  /** Mean of the valid RMSSD samples in ms, else the summary average, else undefined. */
  rmssdMs?: number;
  /** X-Terra-Ordering-Timestamp of the delivery (ms), or its arrival time when Terra sent none. */
  orderingMs: number;
}

/** One day's `avg_hrv_rmssd` of a `daily` event, as stored in `hrv_daily`. */
export interface DailyAverageRecord {
  /** The day, taken from `metadata.start_time` as written. */
  date: string;
  rmssdMs?: number;
  orderingMs: number;
}

/** A stored record of either kind with the identity it is replaced by. */
export type StoredRecord = SleepSessionRecord | DailyAverageRecord;

export function sessionKey(summaryId: string | undefined, startNs: bigint): string {
  return summaryId ?? `start:${startNs}`;
}

/**
 * Returns the record's fields other than the ordering timestamp as text, with the names sorted,
 * so that a record read back from InfluxDB and one built from a payload compare equal.
 */
function contentFingerprint(record: StoredRecord): string {
  const entries = Object.entries(record)
    .filter(([name, value]) => name !== 'orderingMs' && value !== undefined)
    .map(([name, value]) => [name, typeof value === 'bigint' ? value.toString() : value] as const)
    .sort(([a], [b]) => (a < b ? -1 : 1));
  return JSON.stringify(entries);
}

/**
 * Orders two copies of the same record: the one Terra emitted later wins. Equal ordering
 * timestamps fall back to more samples, then to the content as text, so that the winner never
 * depends on the order in which copies arrive. Returns a positive number when `a` wins.
 */
export function compareCopies(a: StoredRecord, b: StoredRecord): number {
  if (a.orderingMs !== b.orderingMs) return a.orderingMs - b.orderingMs;
  const samplesA = 'samples' in a ? a.samples : 0;
  const samplesB = 'samples' in b ? b.samples : 0;
  if (samplesA !== samplesB) return samplesA - samplesB;
  const textA = contentFingerprint(a);
  const textB = contentFingerprint(b);
  if (textA === textB) return 0;
  return textA < textB ? -1 : 1;
}

export function sameRecord(a: StoredRecord, b: StoredRecord): boolean {
  return a.orderingMs === b.orderingMs && contentFingerprint(a) === contentFingerprint(b);
}

export function toSessionValue(record: SleepSessionRecord): SessionValue {
  const value = { key: record.key, nightDayNumber: dayNumberOf(record.nightDate), isNap: record.isNap, basis: record.basis, samples: record.samples };
  return record.rmssdMs === undefined ? value : { ...value, rmssdMs: record.rmssdMs };
}

export function toDailyValue(record: DailyAverageRecord): DailyValue {
  const value = { dayNumber: dayNumberOf(record.date) };
  return record.rmssdMs === undefined ? value : { ...value, rmssdMs: record.rmssdMs };
}
