import { hashToSeed, hashToUuid, mulberry32, uniform } from './random.js';

/** A person's fixed traits, drawn once from the seed. */
export interface PersonProfile {
  referenceId: string;
  userId: string;
  provider: string;
  homeOffsetMinutes: number;
  /** Offsets the person travels to; empty for someone who stays home. */
  travelOffsetsMinutes: number[];
  rmssdBaselineMs: number;
  sdnnToRmssdRatio: number;
  /** Usual bedtime in minutes from local midnight of the wake-up date (negative: the evening before). */
  bedtimeMinutes: number;
  restingHrBpm: number;
  maxHrBpm: number;
  trendPeriodDays: number;
  trendPhaseRadians: number;
  summaryOnlyChance: number;
  napChance: number;
}

const NAMED_PEOPLE = ['alice', 'bob', 'carol'];
const PROVIDERS = ['GARMIN', 'OURA', 'WHOOP', 'POLAR', 'FITBIT'];
/**
 * Home offsets for person-4 onwards. West of -06:00 is left out so that the default end date
 * (yesterday in UTC) never puts a session in the future.
 */
const EXTRA_HOME_OFFSETS_MINUTES = [0, 120, 330, -180, 600, -360, 60, 480];

/**
 * The travelling person spends days 14..20 of every 21-day cycle away, so any 21 consecutive
 * nights include a change of offset.
 */
const TRAVEL_CYCLE_DAYS = 21;
const TRAVEL_AWAY_FROM_DAY = 14;

function referenceIdFor(index: number): string {
  return NAMED_PEOPLE[index] ?? `person-${index + 1}`;
}

function homeOffsetFor(index: number): number {
  const named = [60, -300, 570];
  const extra = EXTRA_HOME_OFFSETS_MINUTES[(index - named.length) % EXTRA_HOME_OFFSETS_MINUTES.length] ?? 0;
  return named[index] ?? extra;
}

/**
 * Draws one person's traits. Alice (the first person) travels between +01:00, -05:00 and +04:00.
 * No two offsets she uses differ by more than 6 h, so a session never overlaps the next one.
 */
export function buildPersonProfile(seed: number, index: number): PersonProfile {
  const random = mulberry32(hashToSeed(`${seed}:person:${index}`));
  const provider = PROVIDERS[index % PROVIDERS.length] ?? 'GARMIN';

  return {
    referenceId: referenceIdFor(index),
    userId: hashToUuid(`${seed}:user:${index}`),
    provider,
    homeOffsetMinutes: homeOffsetFor(index),
    travelOffsetsMinutes: index === 0 ? [-300, 240] : [],
    rmssdBaselineMs: uniform(random, 35, 80),
    sdnnToRmssdRatio: uniform(random, 1.2, 1.4),
    bedtimeMinutes: Math.round(uniform(random, -60, 0)),
    restingHrBpm: uniform(random, 46, 60),
    maxHrBpm: Math.round(uniform(random, 170, 195)),
    trendPeriodDays: uniform(random, 45, 120),
    trendPhaseRadians: uniform(random, 0, 2 * Math.PI),
    // Whoop sends only nightly averages more often than the others do.
    summaryOnlyChance: provider === 'WHOOP' ? 0.3 : 0.05,
    napChance: uniform(random, 0.05, 0.15),
  };
}

/** Returns the UTC offset a person lives in on the morning of `dayNumber`. */
export function offsetOnDay(profile: PersonProfile, dayNumber: number, seed: number): number {
  const { travelOffsetsMinutes } = profile;
  const cycleDay = dayNumber % TRAVEL_CYCLE_DAYS;
  if (travelOffsetsMinutes.length === 0 || cycleDay < TRAVEL_AWAY_FROM_DAY) return profile.homeOffsetMinutes;

  const trip = Math.floor(dayNumber / TRAVEL_CYCLE_DAYS);
  const choice = hashToSeed(`${seed}:trip:${profile.referenceId}:${trip}`) % travelOffsetsMinutes.length;
  return travelOffsetsMinutes[choice] ?? profile.homeOffsetMinutes;
}
