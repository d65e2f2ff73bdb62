import { MS_PER_DAY, parseDayNumber } from '../terra/day-numbers.js';
import { parseTerraTimestamp } from '../terra/timestamp.js';

/**
 * Time of day (UTC, in minutes) of the timestamp a night point gets on its date. 10:30 UTC falls
 * on the same calendar date for every offset from UTC-10:00 (00:30, Hawaii) to UTC+13:00 (23:30,
 * New Zealand in summer, Samoa, Tonga). So Grafana and a browser show the night on its own date for
 * viewers anywhere in that band. UTC+14:00 (Kiribati) shows the next date and UTC-11:00 the one before.
 */
export const NIGHT_POINT_MINUTE_UTC = 10 * 60 + 30;

const MS_PER_MINUTE = 60_000;

/**
 * Returns the calendar date of a Terra timestamp as written (`2026-11-02` for
 * `2026-11-02T06:45:00-05:00`), never converted to UTC or to the server's zone. Undefined when the
 * text is not a readable Terra timestamp.
 */
export function writtenDate(text: unknown, defaultZone: string): string | undefined {
  if (parseTerraTimestamp(text, defaultZone) === undefined) return undefined;
  return (text as string).slice(0, 10);
}

/** Returns days since 1970-01-01 of a `YYYY-MM-DD` date; throws for anything else. */
export function dayNumberOf(date: string): number {
  const dayNumber = parseDayNumber(date);
  if (dayNumber === undefined) throw new RangeError(`invalid date "${date}": expected YYYY-MM-DD between 2000 and 2099`);
  return dayNumber;
}

/** Returns the point time, in nanoseconds since the epoch, of the night or daily value of a day. */
export function nightPointNanoseconds(dayNumber: number): bigint {
  return BigInt(dayNumber * MS_PER_DAY + NIGHT_POINT_MINUTE_UTC * MS_PER_MINUTE) * 1_000_000n;
}
