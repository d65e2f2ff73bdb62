import { formatDayNumber, MS_PER_DAY, parseDayNumber } from '../day-numbers.js';

export const DEFAULT_PEOPLE = 3;
export const DEFAULT_NIGHTS = 30;
export const DEFAULT_SEED = 1;
export const MAX_PEOPLE = 100;
/** Ten years of nights. */
export const MAX_NIGHTS = 3650;

export interface SimulatedSleepOptions {
  /** Number of people, 1..100; default 3. */
  people?: number;
  /** Number of nights per person, 1..3650; default 30. */
  nights?: number;
  /** PRNG seed, a safe integer; default 1. */
  seed?: number;
  /** Wake-up date of the last night, `YYYY-MM-DD`; default: the UTC date before `now`. */
  endDate?: string;
  /** Clock used only for the default `endDate`; default: the current time. */
  now?: Date;
}

/**
 * Lists every invalid option with its value and the expected range. Returns an empty list when
 * the options are valid.
 */
export function checkSimulatedSleepOptions(options: SimulatedSleepOptions): string[] {
  const problems: string[] = [];
  const { people, nights, seed, endDate } = options;

  if (people !== undefined && !isIntegerIn(people, 1, MAX_PEOPLE)) {
    problems.push(`people must be a whole number from 1 to ${MAX_PEOPLE}, got ${people}`);
  }
  if (nights !== undefined && !isIntegerIn(nights, 1, MAX_NIGHTS)) {
    problems.push(`nights must be a whole number from 1 to ${MAX_NIGHTS}, got ${nights}`);
  }
  if (seed !== undefined && !Number.isSafeInteger(seed)) {
    problems.push(`seed must be a whole number, got ${seed}`);
  }
  if (endDate !== undefined && parseDayNumber(endDate) === undefined) {
    problems.push(`end date must be a real date written YYYY-MM-DD between 2000 and 2099, got "${endDate}"`);
  }

  return problems;
}

function isIntegerIn(value: number, min: number, max: number): boolean {
  return Number.isInteger(value) && value >= min && value <= max;
}

/** Returns the wake-up date of the last night: `endDate`, or the UTC date before `now`. */
export function resolveEndDate(options: Pick<SimulatedSleepOptions, 'endDate' | 'now'>): string {
  if (options.endDate !== undefined) return options.endDate;

  const nowMs = (options.now ?? new Date()).getTime();
  return formatDayNumber(Math.floor(nowMs / MS_PER_DAY) - 1);
}
