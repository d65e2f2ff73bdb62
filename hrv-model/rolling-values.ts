import { formatDayNumber } from '../terra/day-numbers.js';
import type { NightValue } from './night-values.js';

/** The baseline window is the night itself and the 6 calendar days before it. */
export const BASELINE_WINDOW_DAYS = 7;
export const BASELINE_MIN_NIGHTS = 3;
/** The normal range uses the 60 calendar days before the night, the night itself excluded. */
export const NORMAL_RANGE_WINDOW_DAYS = 60;
export const NORMAL_RANGE_MIN_NIGHTS = 14;
/** Default of HRV_NORMAL_RANGE_SD: the smallest worthwhile change, 0.5 SD of lnRMSSD. */
export const DEFAULT_NORMAL_RANGE_SD = 0.5;

export type NightStatus = 'below' | 'within' | 'above' | 'insufficient';

/** One `hrv_night` row: the night's value and the rolling values of its windows. */
export interface NightRow {
  dayNumber: number;
  date: string;
  rmssdMs: number;
  lnRmssd: number;
  samples: number;
  basis: NightValue['basis'];
  baselineMs?: number;
  normalLowMs?: number;
  normalHighMs?: number;
  cv7d?: number;
  status: NightStatus;
}

/** Returns the arithmetic mean, summing in the order given so that results repeat bit for bit. */
function mean(values: readonly number[]): number {
  let sum = 0;
  for (const value of values) sum += value;
  return sum / values.length;
}

/** Returns the sample standard deviation (n - 1 in the denominator); needs at least 2 values. */
function sampleStandardDeviation(values: readonly number[]): number {
  const average = mean(values);
  let squares = 0;
  for (const value of values) squares += (value - average) ** 2;
  return Math.sqrt(squares / (values.length - 1));
}

/** Returns ln(RMSSD) of the nights in `from..to` (day numbers, inclusive), in date order. */
function lnValuesBetween(values: ReadonlyMap<number, NightValue>, from: number, to: number): number[] {
  const result: number[] = [];
  for (let day = from; day <= to; day += 1) {
    const night = values.get(day);
    if (night !== undefined) result.push(Math.log(night.rmssdMs));
  }
  return result;
}

function statusOf(baselineMs: number | undefined, lowMs: number | undefined, highMs: number | undefined): NightStatus {
  if (baselineMs === undefined || lowMs === undefined || highMs === undefined) return 'insufficient';
  if (baselineMs < lowMs) return 'below';
  if (baselineMs > highMs) return 'above';
  return 'within';
}

/**
 * Computes the row of one night from the night values around it, or undefined when the night has
 * no value. `normalRangeSd` is k in exp(m ± k·s).
 */
export function computeNightRow(values: ReadonlyMap<number, NightValue>, dayNumber: number, normalRangeSd: number): NightRow | undefined {
  const night = values.get(dayNumber);
  if (night === undefined) return undefined;

  const week = lnValuesBetween(values, dayNumber - BASELINE_WINDOW_DAYS + 1, dayNumber);
  const history = lnValuesBetween(values, dayNumber - NORMAL_RANGE_WINDOW_DAYS, dayNumber - 1);
  const weekMean = week.length >= BASELINE_MIN_NIGHTS ? mean(week) : undefined;
  const baselineMs = weekMean === undefined ? undefined : Math.exp(weekMean);
  const cv7d = weekMean === undefined ? undefined : (100 * sampleStandardDeviation(week)) / weekMean;

  let normalLowMs: number | undefined;
  let normalHighMs: number | undefined;
  if (history.length >= NORMAL_RANGE_MIN_NIGHTS) {
    const historyMean = mean(history);
    const spread = normalRangeSd * sampleStandardDeviation(history);
    normalLowMs = Math.exp(historyMean - spread);
    normalHighMs = Math.exp(historyMean + spread);
  }

  return {
    dayNumber,
    date: formatDayNumber(dayNumber),
    rmssdMs: night.rmssdMs,
    lnRmssd: Math.log(night.rmssdMs),
    samples: night.samples,
    basis: night.basis,
    baselineMs,
    normalLowMs,
    normalHighMs,
    cv7d,
    status: statusOf(baselineMs, normalLowMs, normalHighMs),
  };
}
