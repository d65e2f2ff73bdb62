import { formatDayNumber, MS_PER_DAY, MS_PER_MINUTE } from '../day-numbers.js';
import { offsetOnDay, type PersonProfile } from './people.js';
import { hashToSeed, hashToUuid, mulberry32, type Random, standardNormal, uniform } from './random.js';

/** One session before it is written out as Terra JSON. */
export interface SessionPlan {
  isNap: boolean;
  startMs: number;
  inBedMinutes: number;
  asleepMinutes: number;
  offsetMinutes: number;
  meanRmssdMs: number;
  heartRateFactor: number;
  summaryOnly: boolean;
  summaryId: string;
}

/**
 * Draws the night's mean RMSSD in ms: the baseline, a slow sinusoidal trend (±10 %), a
 * log-normal night-to-night variation (sigma 0.12 in lnRMSSD) and, on about 6 % of nights, a
 * bad night at 55-75 % of the usual value.
 */
function drawNightRmssdMs(profile: PersonProfile, dayNumber: number, random: Random): { meanMs: number; bad: boolean } {
  const trendAngle = (2 * Math.PI * dayNumber) / profile.trendPeriodDays + profile.trendPhaseRadians;
  const trend = Math.exp(0.1 * Math.sin(trendAngle));
  const nightly = Math.exp(0.12 * standardNormal(random));
  const bad = random() < 0.06;
  const badFactor = bad ? uniform(random, 0.55, 0.75) : 1;

  return { meanMs: profile.rmssdBaselineMs * trend * nightly * badFactor, bad };
}

/** Plans the main sleep that ends on the morning of `dayNumber`: bedtime 22:30-00:30, 6.5-8.5 h asleep. */
function planNight(profile: PersonProfile, dayNumber: number, seed: number, random: Random): SessionPlan {
  const offsetMinutes = offsetOnDay(profile, dayNumber, seed);
  const bedtime = Math.min(30, Math.max(-90, profile.bedtimeMinutes + Math.round(uniform(random, -30, 30))));
  const asleepMinutes = Math.round(uniform(random, 390, 510));
  const inBedMinutes = Math.round(asleepMinutes / uniform(random, 0.86, 0.95));
  const { meanMs, bad } = drawNightRmssdMs(profile, dayNumber, random);

  return {
    isNap: false,
    startMs: dayNumber * MS_PER_DAY + (bedtime - offsetMinutes) * MS_PER_MINUTE,
    inBedMinutes,
    asleepMinutes,
    offsetMinutes,
    meanRmssdMs: meanMs,
    heartRateFactor: bad ? 1.08 : 1,
    summaryOnly: random() < profile.summaryOnlyChance,
    summaryId: hashToUuid(`${seed}:${profile.referenceId}:${formatDayNumber(dayNumber)}:night`),
  };
}

/** Plans an afternoon nap on `dayNumber`: start 13:00-15:30 local, 20-40 min long, always with samples. */
function planNap(night: SessionPlan, profile: PersonProfile, dayNumber: number, seed: number, random: Random): SessionPlan {
  const startMinutes = 13 * 60 + Math.round(uniform(random, 0, 150));
  const inBedMinutes = Math.round(uniform(random, 20, 40));

  return {
    isNap: true,
    startMs: dayNumber * MS_PER_DAY + (startMinutes - night.offsetMinutes) * MS_PER_MINUTE,
    inBedMinutes,
    asleepMinutes: Math.round(inBedMinutes * uniform(random, 0.8, 0.95)),
    offsetMinutes: night.offsetMinutes,
    meanRmssdMs: night.meanRmssdMs * uniform(random, 0.9, 1.1),
    heartRateFactor: 1,
    summaryOnly: false,
    summaryId: hashToUuid(`${seed}:${profile.referenceId}:${formatDayNumber(dayNumber)}:nap`),
  };
}

/**
 * Plans the night of one person that ends on the morning of `dayNumber`, and any nap that
 * afternoon. Returns the plans with the day's random stream, from which the samples are drawn next.
 */
export function planDay(profile: PersonProfile, dayNumber: number, seed: number): { sessions: SessionPlan[]; random: Random } {
  const random = mulberry32(hashToSeed(`${seed}:${profile.referenceId}:${dayNumber}`));
  const night = planNight(profile, dayNumber, seed, random);
  const hasNap = random() < profile.napChance;
  const sessions = hasNap ? [night, planNap(night, profile, dayNumber, seed, random)] : [night];

  return { sessions, random };
}
