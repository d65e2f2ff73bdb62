import type { DailyAverageRecord, SleepSessionRecord } from '../hrv-model/stored-records.js';
import { sessionKey } from '../hrv-model/stored-records.js';
import { writtenDate } from '../hrv-model/night-date.js';
import type { HrvEvent } from './envelope.js';
import { child, classifyValue, isObject, type ExtractedSamples } from './hrv-samples.js';
import { parseTerraTimestamp } from './timestamp.js';

/** The sessions and daily averages the nightly model takes from one event, and the items it could not use. */
export interface ModelRecords {
  sessions: SleepSessionRecord[];
  /** Index in the event's `data` of the item each session comes from, parallel to `sessions`. */
  sessionItemIndexes: number[];
  dailies: DailyAverageRecord[];
  /** Sleep items without a readable start or end time, and daily items without a readable date. */
  unusableItems: number;
}

/** Returns `heart_rate_data.summary.avg_hrv_rmssd` when it is a plausible RMSSD in ms. */
function summaryRmssdMs(item: Record<string, unknown>): number | undefined {
  const value = child(child(item.heart_rate_data, 'summary'), 'avg_hrv_rmssd');
  return classifyValue(value) === undefined ? (value as number) : undefined;
}

function nonEmptyText(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value : undefined;
}

function sessionOf(item: unknown, rmssd: ExtractedSamples['itemRmssd'][number], zone: string, orderingMs: number): SleepSessionRecord | undefined {
  if (!isObject(item)) return undefined;
  const metadata = item.metadata;
  const startTime = child(metadata, 'start_time');
  const endTime = child(metadata, 'end_time');
  const startNs = parseTerraTimestamp(startTime, zone);
  const nightDate = writtenDate(endTime, zone);
  if (startNs === undefined || nightDate === undefined) return undefined;

  const summaryId = nonEmptyText(child(metadata, 'summary_id'));
  const samples = rmssd?.count ?? 0;
  const summary = summaryRmssdMs(item);
  let basis: SleepSessionRecord['basis'] = 'none';
  if (samples > 0) basis = 'samples';
  else if (summary !== undefined) basis = 'summary';
  const session: SleepSessionRecord = {
    key: sessionKey(summaryId, startNs),
    startNs,
    startTime: startTime as string,
    endTime: endTime as string,
    nightDate,
    isNap: child(metadata, 'is_nap') === true,
    basis,
    samples,
    orderingMs,
  };
  if (summaryId !== undefined) session.summaryId = summaryId;
  if (samples > 0) session.rmssdMs = rmssd!.sumMs / samples;
  else if (summary !== undefined) session.rmssdMs = summary;
  return session;
}

function dailyOf(item: unknown, zone: string, orderingMs: number): DailyAverageRecord | undefined {
  if (!isObject(item)) return undefined;
  const date = writtenDate(child(item.metadata, 'start_time'), zone);
  if (date === undefined) return undefined;

  const rmssdMs = summaryRmssdMs(item);
  return rmssdMs === undefined ? { date, orderingMs } : { date, rmssdMs, orderingMs };
}

/**
 * Collects the sleep sessions of a `sleep` event and the daily averages of a `daily` event, for
 * the nightly model. Other event types give nothing. `orderingMs` orders copies of one record.
 */
export function extractModelRecords(event: HrvEvent, extracted: ExtractedSamples, zone: string, orderingMs: number): ModelRecords {
  const records: ModelRecords = { sessions: [], sessionItemIndexes: [], dailies: [], unusableItems: 0 };

  event.data.forEach((item, index) => {
    // An item that is not an object is already counted as invalid_item with the samples.
    if (!isObject(item)) return;
    if (event.type === 'sleep') {
      const session = sessionOf(item, extracted.itemRmssd[index], zone, orderingMs);
      if (session === undefined) records.unusableItems += 1;
      else {
        records.sessions.push(session);
        records.sessionItemIndexes.push(index);
      }
    } else if (event.type === 'daily') {
      const daily = dailyOf(item, zone, orderingMs);
      if (daily === undefined) records.unusableItems += 1;
      else records.dailies.push(daily);
    }
  });
  return records;
}
