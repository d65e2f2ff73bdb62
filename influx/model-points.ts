import { Point } from '@influxdata/influxdb-client';
import { nightPointNanoseconds, dayNumberOf } from '../hrv-model/night-date.js';
import type { NightRow } from '../hrv-model/rolling-values.js';
import type { DailyAverageRecord, SleepSessionRecord } from '../hrv-model/stored-records.js';
import { lineProtocolTagValue } from './points.js';

/** Tags of the nightly model's points: HRV from two providers is never mixed. */
export interface ModelTags {
  person: string;
  provider: string;
}

export const SESSION_MEASUREMENT = 'hrv_session';
export const DAILY_MEASUREMENT = 'hrv_daily';
export const NIGHT_MEASUREMENT = 'hrv_night';

function modelPoint(measurement: string, tags: ModelTags): Point {
  return new Point(measurement).tag('person', lineProtocolTagValue(tags.person)).tag('provider', lineProtocolTagValue(tags.provider));
}

/**
 * Builds the `hrv_session` line of a session; its time is the session's start. InfluxDB merges a
 * point's fields with those of the point it overwrites, so `summary_id` is always written (empty
 * when Terra sent none), and readers use `rmssd` only when `basis` is not `none`.
 */
export function sessionLine(session: SleepSessionRecord, tags: ModelTags): string {
  const point = modelPoint(SESSION_MEASUREMENT, tags)
    .stringField('start_time', session.startTime)
    .stringField('end_time', session.endTime)
    .stringField('night_date', session.nightDate)
    .booleanField('is_nap', session.isNap)
    .stringField('basis', session.basis)
    .intField('samples', session.samples)
    .intField('ordering_ms', session.orderingMs)
    .stringField('summary_id', session.summaryId ?? '')
    .timestamp(session.startNs.toString());
  if (session.rmssdMs !== undefined) point.floatField('rmssd', session.rmssdMs);
  return point.toLineProtocol() as string;
}

/**
 * Builds the `hrv_daily` line of a day's average, at the same time of day as a night point.
 * `has_rmssd` marks whether `rmssd` belongs to this copy, because a copy without a valid
 * average leaves the `rmssd` of the copy it overwrites in place.
 */
export function dailyLine(daily: DailyAverageRecord, tags: ModelTags): string {
  const point = modelPoint(DAILY_MEASUREMENT, tags)
    .stringField('date', daily.date)
    .booleanField('has_rmssd', daily.rmssdMs !== undefined)
    .intField('ordering_ms', daily.orderingMs)
    .timestamp(nightPointNanoseconds(dayNumberOf(daily.date)).toString());
  if (daily.rmssdMs !== undefined) point.floatField('rmssd', daily.rmssdMs);
  return point.toLineProtocol() as string;
}

/** Builds the `hrv_night` line of a night; fields without a value are left out. */
export function nightLine(row: NightRow, tags: ModelTags): string {
  const point = modelPoint(NIGHT_MEASUREMENT, tags)
    .floatField('rmssd', row.rmssdMs)
    .floatField('ln_rmssd', row.lnRmssd)
    .intField('samples', row.samples)
    .stringField('basis', row.basis)
    .stringField('status', row.status)
    .timestamp(nightPointNanoseconds(row.dayNumber).toString());
  if (row.baselineMs !== undefined) point.floatField('baseline_ms', row.baselineMs);
  if (row.normalLowMs !== undefined) point.floatField('normal_low_ms', row.normalLowMs);
  if (row.normalHighMs !== undefined) point.floatField('normal_high_ms', row.normalHighMs);
  if (row.cv7d !== undefined) point.floatField('cv_7d', row.cv7d);
  return point.toLineProtocol() as string;
}
