export const MS_PER_MINUTE = 60_000;
export const MS_PER_DAY = 86_400_000;

const DATE_PATTERN = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Parses `YYYY-MM-DD` into days since 1970-01-01; undefined for another form or an impossible date. */
export function parseDayNumber(date: string): number | undefined {
  const match = DATE_PATTERN.exec(date);
  if (match === null) return undefined;

  const [, year, month, day] = match.map(Number) as [number, number, number, number];
  const epochMs = Date.UTC(year, month - 1, day);
  if (new Date(epochMs).getUTCDate() !== day || year < 2000 || year > 2099) return undefined;

  return epochMs / MS_PER_DAY;
}

export function formatDayNumber(dayNumber: number): string {
  return new Date(dayNumber * MS_PER_DAY).toISOString().slice(0, 10);
}
