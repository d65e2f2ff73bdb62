const MS_PER_DAY = 86_400_000;

/** Returns the day number (days since 1970-01-01) of a YYYY-MM-DD date, read as a UTC date. */
export function dayNumberOf(date: string): number {
  return Date.parse(`${date}T00:00:00Z`) / MS_PER_DAY;
}

/**
 * Formats a day number as a date, in UTC on purpose: a day number is a calendar date, and
 * formatting it in the browser's zone would move it to the day before west of UTC.
 */
export function formatDay(dayNumber: number, style: 'short' | 'long'): string {
  const options: Intl.DateTimeFormatOptions =
    style === 'short' ? { timeZone: 'UTC', day: 'numeric', month: 'short' } : { timeZone: 'UTC', weekday: 'short', day: 'numeric', month: 'short', year: 'numeric' };
  return new Intl.DateTimeFormat(undefined, options).format(new Date(dayNumber * MS_PER_DAY));
}

/** Returns the UTC offset in minutes of a timestamp as written (`+01:00`, `Z`), or undefined without one. */
export function writtenOffsetMinutes(timestamp: string): number | undefined {
  if (timestamp.endsWith('Z')) return 0;
  const match = /([+-])(\d{2}):(\d{2})$/.exec(timestamp);
  if (match === null) return undefined;
  const minutes = Number(match[2]) * 60 + Number(match[3]);
  return match[1] === '-' ? -minutes : minutes;
}

/** Formats a moment as HH:MM in the given offset from UTC, so that it reads as the wearer's clock time. */
export function formatClockTime(epochMs: number, offsetMinutes: number): string {
  return new Date(epochMs + offsetMinutes * 60_000).toISOString().slice(11, 16);
}

/** Reads a timestamp as written by the wearable; one without an offset is read as UTC. */
export function parseWrittenTimestamp(timestamp: string): number {
  // Terra writes microseconds, and Date.parse is only specified for milliseconds.
  const milliseconds = timestamp.replace(/(\.\d{3})\d+/, '$1');
  return Date.parse(writtenOffsetMinutes(timestamp) === undefined ? `${milliseconds}Z` : milliseconds);
}

/** Tick spacings of a clock-time axis, in minutes: whole or half hours only. */
const CLOCK_TICK_MINUTES = [30, 60, 120, 180, 240, 360, 720];

/**
 * Returns at most `maxCount` tick values from `minMs` to `maxMs` on whole or half hours. The values
 * are clock times shifted into UTC (epoch ms plus the UTC offset), so that multiples of the
 * spacing are whole hours of the wearer's clock.
 */
export function clockTicks(minMs: number, maxMs: number, maxCount: number): number[] {
  const spanMinutes = (maxMs - minMs) / 60_000;
  const stepMinutes = CLOCK_TICK_MINUTES.find((minutes) => spanMinutes / minutes < maxCount) ?? CLOCK_TICK_MINUTES.at(-1)!;
  const stepMs = stepMinutes * 60_000;

  const ticks: number[] = [];
  for (let value = Math.ceil(minMs / stepMs) * stepMs; value <= maxMs; value += stepMs) ticks.push(value);
  return ticks;
}
