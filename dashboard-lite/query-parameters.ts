import { formatDayNumber, parseDayNumber } from '../terra/day-numbers.js';
import { HttpError } from '../receiver/http-error.js';

/** Day number of 2000-01-01: samples and nights outside the years 2000 to 2099 are never stored. */
const FIRST_STORED_DAY = 10_957;

/** Maximum length of a person or provider, in UTF-16 code units. The receiver rejects ids over 256 code points. */
const MAX_TAG_LENGTH = 1024;

/** Days each named range covers, today included. */
export const RANGE_DAYS = { '30d': 30, '90d': 90, '1y': 365 } as const;
export type RangeName = keyof typeof RANGE_DAYS | 'all';
const RANGE_NAMES: readonly RangeName[] = ['30d', '90d', '1y', 'all'];

export interface DayRange {
  fromDay: number;
  toDay: number;
}

type Query = Record<string, unknown>;

function invalidParameter(name: string, value: unknown, expected: string): HttpError {
  return new HttpError(400, 'invalid_parameter', `Invalid parameter ${name}=${JSON.stringify(value)}: expected ${expected}`, { parameter: name, value });
}

/** Returns a query parameter given once, or undefined when absent; a repeated one is a 400. */
function singleValue(query: Query, name: string): string | undefined {
  const value = query[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw invalidParameter(name, value, 'one value');
  return value;
}

/** Reads a required tag value such as `person` or `provider`. */
export function tagParameter(query: Query, name: string): string {
  const value = singleValue(query, name);
  if (value === undefined) throw new HttpError(400, 'missing_parameter', `Missing parameter ${name}: /api/people lists the values`, { parameter: name });
  if (value === '' || value.length > MAX_TAG_LENGTH) throw invalidParameter(name, value, `1 to ${MAX_TAG_LENGTH} characters`);
  return value;
}

/** Reads a `YYYY-MM-DD` date as a day number. */
export function dateParameter(query: Query, name: string): number | undefined {
  const value = singleValue(query, name);
  if (value === undefined) return undefined;
  const dayNumber = parseDayNumber(value);
  if (dayNumber === undefined) throw invalidParameter(name, value, 'a date YYYY-MM-DD from 2000-01-01 to 2099-12-31');
  return dayNumber;
}

/** Reads a required `YYYY-MM-DD` date. */
export function requiredDateParameter(query: Query, name: string): number {
  const dayNumber = dateParameter(query, name);
  if (dayNumber === undefined) throw new HttpError(400, 'missing_parameter', `Missing parameter ${name}: expected a date YYYY-MM-DD`, { parameter: name });
  return dayNumber;
}

/**
 * Reads the days to show: `from` and `to` (dates, both optional), or `range` (default 90d). A named
 * range ends tomorrow (UTC), because a night's date is the wake-up date as written by the wearable,
 * which east of UTC can be a day ahead of the server's date.
 */
export function dayRangeParameters(query: Query, todayDay: number): DayRange {
  const range = singleValue(query, 'range');
  const from = dateParameter(query, 'from');
  const to = dateParameter(query, 'to');
  const hasDates = from !== undefined || to !== undefined;

  if (range !== undefined && hasDates) throw invalidParameter('range', range, 'either range or from and to, not both');
  if (hasDates) {
    const days = { fromDay: from ?? FIRST_STORED_DAY, toDay: to ?? todayDay + 1 };
    if (days.fromDay > days.toDay) throw invalidParameter('from', formatDayNumber(days.fromDay), `a date on or before to=${formatDayNumber(days.toDay)}`);
    return days;
  }

  const name = range ?? '90d';
  if (!(RANGE_NAMES as readonly string[]).includes(name)) throw invalidParameter('range', name, RANGE_NAMES.join(', '));
  if (name === 'all') return { fromDay: FIRST_STORED_DAY, toDay: todayDay + 1 };
  return { fromDay: todayDay - RANGE_DAYS[name as keyof typeof RANGE_DAYS] + 1, toDay: todayDay + 1 };
}

/** Rejects parameters the route does not know, so that a typo such as `preson` is not ignored. */
export function rejectUnknownParameters(query: Query, known: readonly string[]): void {
  const unknown = Object.keys(query).find((name) => !known.includes(name));
  if (unknown === undefined) return;
  if (known.length === 0) {
    const value = query[unknown];
    throw new HttpError(400, 'invalid_parameter', `Invalid parameter ${unknown}=${JSON.stringify(value)}: this route takes no parameters`, { parameter: unknown, value });
  }
  throw invalidParameter(unknown, query[unknown], `one of the parameters ${known.join(', ')}`);
}
