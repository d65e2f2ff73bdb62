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

interface WallClock {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  millisecond: number;
}

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
  const microseconds = Number(fraction.padEnd(6, '0'));
  const local: WallClock = {
    year: Number(year),
    month: Number(month),
    day: Number(day),
    hour: Number(hour),
    minute: Number(minute),
    second: Number(second),
    millisecond: Math.floor(microseconds / 1000),
  };
  if (local.year < EARLIEST_YEAR || local.year > LATEST_YEAR) return undefined;

  const epochMilliseconds = offset === undefined ? zonedEpochMilliseconds(local, defaultZone) : offsetEpochMilliseconds(local, offset);
  if (epochMilliseconds === undefined) return undefined;
  return BigInt(epochMilliseconds) * NANOSECONDS_PER_MILLISECOND + BigInt(microseconds % 1000) * 1000n;
}

/**
 * Converts a wall-clock time with an explicit offset without luxon: this is the usual form, and a
 * payload can carry hundreds of thousands of samples. Date.UTC rolls impossible dates over (30
 * February becomes 2 March), so the fields are compared after the round trip.
 */
function offsetEpochMilliseconds(local: WallClock, offset: string): number | undefined {
  if (offset !== 'Z' && !isPlausibleOffset(offset)) return undefined;
  const utc = Date.UTC(local.year, local.month - 1, local.day, local.hour, local.minute, local.second, local.millisecond);
  const check = new Date(utc);
  const valid =
    check.getUTCFullYear() === local.year &&
    check.getUTCMonth() === local.month - 1 &&
    check.getUTCDate() === local.day &&
    check.getUTCHours() === local.hour &&
    check.getUTCMinutes() === local.minute &&
    check.getUTCSeconds() === local.second;
  if (!valid) return undefined;

  const offsetMinutes = offset === 'Z' ? 0 : Number(offset.slice(1, 3)) * 60 + Number(offset.slice(4, 6));
  return utc - (offset.startsWith('-') ? -offsetMinutes : offsetMinutes) * 60_000;
}

/** Converts a local wall-clock time in an IANA zone, with luxon's time-zone rules. */
function zonedEpochMilliseconds(local: WallClock, zone: string): number | undefined {
  const parsed = DateTime.fromObject(local, { zone });
  if (!parsed.isValid || !matchesWallClock(parsed, local)) return undefined;
  return parsed.toMillis();
}

/**
 * Checks that luxon kept the wall-clock fields, because it silently moves a local time that falls
 * in a daylight-saving gap (02:30 on a spring-forward night) and rolls impossible dates over.
 */
function matchesWallClock(parsed: DateTime, local: WallClock): boolean {
  return parsed.hour === local.hour && parsed.minute === local.minute && parsed.day === local.day && parsed.second === local.second;
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
