import { NORMAL_RANGE_WINDOW_DAYS } from './rolling-values.js';

/** Inclusive range of day numbers. */
export interface DayRange {
  from: number;
  to: number;
}

/**
 * Returns the nights whose windows contain any of the changed days, as sorted, merged ranges. A
 * changed day C is in the baseline window of C..C+6 and in the normal-range window of C+1..C+60,
 * so the nights C..C+60 are affected, and no others.
 */
export function affectedNightRanges(changedDays: Iterable<number>): DayRange[] {
  const sorted = [...new Set(changedDays)].sort((a, b) => a - b);
  const ranges: DayRange[] = [];

  for (const day of sorted) {
    const last = ranges.at(-1);
    const to = day + NORMAL_RANGE_WINDOW_DAYS;
    if (last !== undefined && day <= last.to + 1) last.to = Math.max(last.to, to);
    else ranges.push({ from: day, to });
  }
  return ranges;
}
