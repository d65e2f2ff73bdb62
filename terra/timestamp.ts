import { DateTime } from 'luxon';

/**
 * Terra's timestamp form: ISO 8601 date and time with 0 to 6 fraction digits and an optional
 * `Z` or `±HH:MM` offset, as in `2026-11-02T07:02:00.000000+01:00`.
 */
const TERRA_TIMESTAMP =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?(Z|[+-]\d{2}:\d{2})?$/;

/** Samples outside these years are rejected as unreadable: no wearable recorded HRV before 2000. */
const EARLIEST_YEAR = 2000;
const LATEST_YEAR = 2099;

const NANOSECONDS_PER_MILLISECOND = 1_000_000n;

/**
 * Parses a Terra timestamp into nanoseconds since the Unix epoch, keeping all 6 fraction digits.
 * A timestamp without an offset is local time in `defaultZone` (an IANA zone name). Returns
 * undefined for any other form, an impossible date, a local time that does not exist in that zone
 * (skipped by a daylight-saving change), or a year outside 2000..2099.
 */
export function parseTerraTimestamp(text: unknown, defaultZone: string): bigint | undefined {
  if (typeof text !== 'string') return undefined;
  const match = TERRA_TIMESTAMP.exec(text);
  if (match === null) return undefined;

  const [, year, month, day, hour, minute, second, fraction = '', offset] = match;
  if (offset !== undefined && offset !== 'Z' && !isPlausibleOffset(offset)) return undefined;
  const microseconds = Number(fraction.padEnd(6, '0'));
  let zone = defaultZone;
  if (offset === 'Z') zone = 'UTC';
  else if (offset !== undefined) zone = `UTC${offset}`;
  const local = {
    year: Number(year),
    month: Number(month),
    day: Number(day),
    hour: Number(hour),
    minute: Number(minute),
    second: Number(second),
    millisecond: Math.floor(microseconds / 1000),
  };
  const parsed = DateTime.fromObject(local, { zone });
  if (!parsed.isValid || !matchesWallClock(parsed, local)) return undefined;
  if (local.year < EARLIEST_YEAR || local.year > LATEST_YEAR) return undefined;

  const epochMilliseconds = BigInt(parsed.toMillis());
  return epochMilliseconds * NANOSECONDS_PER_MILLISECOND + BigInt(microseconds % 1000) * 1000n;
}

/**
 * Checks that luxon kept the wall-clock fields, because it silently moves a local time that falls
 * in a daylight-saving gap (02:30 on a spring-forward night) and rolls impossible dates over.
 */
function matchesWallClock(parsed: DateTime, local: { hour: number; minute: number; day: number }): boolean {
  return parsed.hour === local.hour && parsed.minute === local.minute && parsed.day === local.day;
}

/** Real UTC offsets lie between -12:00 and +14:00; ±18:00 is the widest that ISO 8601 tools accept. */
function isPlausibleOffset(offset: string): boolean {
  const hours = Number(offset.slice(1, 3));
  const minutes = Number(offset.slice(4, 6));
  return hours <= 18 && minutes <= 59;
}

/** Checks that `zone` is an IANA time-zone name in this runtime's time-zone database. */
export function isKnownTimeZone(zone: string): boolean {
  return DateTime.local().setZone(zone).isValid;
}

/** Formats nanoseconds since the epoch as an RFC 3339 UTC string with 9 fraction digits. */
export function formatEpochNanoseconds(epochNanoseconds: bigint): string {
  const milliseconds = epochNanoseconds / NANOSECONDS_PER_MILLISECOND;
  const iso = new Date(Number(milliseconds)).toISOString();
  const nanosecondFraction = (epochNanoseconds % 1_000_000_000n).toString().padStart(9, '0');
  return `${iso.slice(0, 19)}.${nanosecondFraction}Z`;
}
