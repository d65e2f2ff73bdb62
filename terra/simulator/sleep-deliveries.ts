import { formatDayNumber, MS_PER_MINUTE, parseDayNumber } from '../day-numbers.js';
import { buildPersonProfile, type PersonProfile } from './people.js';
import {
  checkSimulatedSleepOptions,
  DEFAULT_NIGHTS,
  DEFAULT_PEOPLE,
  DEFAULT_SEED,
  resolveEndDate,
  type SimulatedSleepOptions,
} from './simulation-options.js';
import { buildSleepItem } from './sleep-items.js';
import { formatTerraTimestamp, type SleepItem, type SleepWebhookBody, type TerraUser } from './sleep-payload.js';
import { planDay } from './sleep-sessions.js';

/**
 * Generates Terra `sleep` webhook bodies for made-up people, in the shape Terra publishes
 * (version 2022-03-16). The output depends only on the options: every random draw comes from a
 * seeded PRNG, and each night draws from its own stream keyed by seed, person and date. So the
 * same seed and date give the same session, the same `summary_id` and the same samples, whatever
 * `nights` or `people` is. Re-running the simulator therefore re-delivers sessions instead of
 * inventing new ones.
 */

/** One webhook delivery: a single sleep session of one person, as Terra sends one event per sleep. */
export interface SimulatedSleepDelivery {
  /** The person's `reference_id`. */
  person: string;
  /** Local date (`YYYY-MM-DD`) of the morning the night ended, or of the afternoon of a nap. */
  nightDate: string;
  isNap: boolean;
  /** True when the session carries only summary averages and empty sample arrays. */
  summaryOnly: boolean;
  /** Number of RMSSD samples in the body; the SDNN series has the same count. */
  hrvSampleCount: number;
  body: SleepWebhookBody;
}

const SCOPES = 'ACTIVITY_EXPORT,HEALTH_EXPORT,SLEEP_READ';
const TERRA_VERSION = '2022-03-16';

/** Wraps one session in the webhook envelope; Terra stamps `last_webhook_update` in UTC. */
function buildDelivery(profile: PersonProfile, dayNumber: number, item: SleepItem, endMs: number): SimulatedSleepDelivery {
  const user: TerraUser = {
    user_id: profile.userId,
    provider: profile.provider,
    last_webhook_update: formatTerraTimestamp(endMs + 18 * MS_PER_MINUTE, 0),
    scopes: SCOPES,
    reference_id: profile.referenceId,
    active: true,
    created_at: null,
  };

  return {
    person: profile.referenceId,
    nightDate: formatDayNumber(dayNumber),
    isNap: item.metadata.is_nap,
    summaryOnly: item.heart_rate_data.detailed.hrv_samples_rmssd.length === 0,
    hrvSampleCount: item.heart_rate_data.detailed.hrv_samples_rmssd.length,
    body: { type: 'sleep', version: TERRA_VERSION, user, data: [item] },
  };
}

function deliveriesForDay(profile: PersonProfile, dayNumber: number, seed: number): SimulatedSleepDelivery[] {
  const { sessions, random } = planDay(profile, dayNumber, seed);

  return sessions.map((plan) => {
    const item = buildSleepItem(plan, profile, random);
    return buildDelivery(profile, dayNumber, item, plan.startMs + plan.inBedMinutes * MS_PER_MINUTE);
  });
}

interface SimulationRange {
  seed: number;
  profiles: PersonProfile[];
  firstDay: number;
  lastDay: number;
}

/** Checks the options and draws every person. Throws a RangeError that lists every invalid option. */
function resolveSimulationRange(options: SimulatedSleepOptions): SimulationRange {
  const problems = checkSimulatedSleepOptions(options);
  const endDate = resolveEndDate(options);
  const lastDay = parseDayNumber(endDate);
  if (problems.length === 0 && lastDay === undefined) problems.push(`end date "${endDate}" is outside 2000..2099`);
  if (problems.length > 0 || lastDay === undefined) throw new RangeError(`Invalid simulation options: ${problems.join('; ')}`);

  const seed = options.seed ?? DEFAULT_SEED;
  const people = options.people ?? DEFAULT_PEOPLE;
  const profiles = Array.from({ length: people }, (_, index) => buildPersonProfile(seed, index));

  return { seed, profiles, firstDay: lastDay - (options.nights ?? DEFAULT_NIGHTS) + 1, lastDay };
}

function* deliveriesInRange(range: SimulationRange): Generator<SimulatedSleepDelivery, void, undefined> {
  for (let dayNumber = range.firstDay; dayNumber <= range.lastDay; dayNumber += 1) {
    for (const profile of range.profiles) yield* deliveriesForDay(profile, dayNumber, range.seed);
  }
}

/**
 * Yields one delivery per person per night, plus one per nap, ordered by date, then person, then
 * night before nap. Only the deliveries being consumed are held in memory, so ten years of 100
 * people can be streamed. Throws a RangeError listing every invalid option at the call, before
 * the first delivery is drawn.
 */
export function iterateSleepDeliveries(options: SimulatedSleepOptions = {}): Generator<SimulatedSleepDelivery, void, undefined> {
  return deliveriesInRange(resolveSimulationRange(options));
}

/** Generates every delivery at once, in the order of `iterateSleepDeliveries`. */
export function generateSleepDeliveries(options: SimulatedSleepOptions = {}): SimulatedSleepDelivery[] {
  return [...iterateSleepDeliveries(options)];
}

/** Counts the deliveries that `iterateSleepDeliveries` yields, drawing only the plans and no samples. */
export function countSleepDeliveries(options: SimulatedSleepOptions = {}): number {
  const range = resolveSimulationRange(options);
  let count = 0;

  for (let dayNumber = range.firstDay; dayNumber <= range.lastDay; dayNumber += 1) {
    for (const profile of range.profiles) count += planDay(profile, dayNumber, range.seed).sessions.length;
  }

  return count;
}
