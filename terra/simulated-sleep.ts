import { createHash } from 'node:crypto';

/**
 * Generates Terra `sleep` webhook bodies for made-up people, in the shape Terra publishes
 * (version 2022-03-16). The output depends only on the options: every random draw comes from a
 * seeded PRNG, and each night draws from its own stream keyed by seed, person and date. So the
 * same seed and date give the same session, the same `summary_id` and the same samples, whatever
 * `nights` or `people` is. Re-running the simulator therefore re-delivers sessions instead of
 * inventing new ones.
 */

/** Spacing of the RMSSD and SDNN samples, in minutes. */
export const HRV_SAMPLE_INTERVAL_MINUTES = 5;
/** Spacing of the heart-rate samples, in minutes, as in Terra's sleep samples. */
const HR_SAMPLE_INTERVAL_MINUTES = 10;
const MS_PER_MINUTE = 60_000;
const MS_PER_DAY = 86_400_000;

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

export interface HeartRateSample {
  timestamp: string;
  bpm: number;
  timer_duration_seconds: null;
  context: number;
}

export interface HrvRmssdSample {
  timestamp: string;
  hrv_rmssd: number;
}

export interface HrvSdnnSample {
  timestamp: string;
  hrv_sdnn: number;
}

export interface SleepMetadata {
  start_time: string;
  end_time: string;
  is_nap: boolean;
  upload_type: number;
  summary_id: string;
  timestamp_localization: number;
}

export interface SleepHeartRateData {
  summary: {
    avg_hr_bpm: number;
    avg_hrv_rmssd: number;
    avg_hrv_sdnn: number;
    min_hr_bpm: number;
    max_hr_bpm: number;
    resting_hr_bpm: number;
    user_max_hr_bpm: number;
    hr_zone_data: never[];
  };
  detailed: {
    hr_samples: HeartRateSample[];
    hrv_samples_rmssd: HrvRmssdSample[];
    hrv_samples_sdnn: HrvSdnnSample[];
  };
}

export interface SleepDurationsData {
  asleep: {
    duration_asleep_state_seconds: number;
    duration_deep_sleep_state_seconds: number;
    duration_REM_sleep_state_seconds: number;
    duration_light_sleep_state_seconds: number;
    num_REM_events: number;
  };
  awake: { duration_awake_state_seconds: number; num_wakeup_events: number };
  sleep_efficiency: number;
  hypnogram_samples: never[];
}

/** One sleep session, an item of the webhook's `data` array. */
export interface SleepItem {
  metadata: SleepMetadata;
  heart_rate_data: SleepHeartRateData;
  sleep_durations_data: SleepDurationsData;
  device_data: { name: null; manufacturer: null; other_devices: never[]; data_provided: never[] };
}

/** The `user` object of a Terra data event. */
export interface TerraUser {
  user_id: string;
  provider: string;
  last_webhook_update: string | null;
  scopes: string | null;
  reference_id: string | null;
  active: boolean;
  created_at: string | null;
}

export interface SleepWebhookBody {
  type: 'sleep';
  version: string;
  user: TerraUser;
  data: SleepItem[];
}

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

/** A person's fixed traits, drawn once from the seed. */
interface PersonProfile {
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

/** One session before it is written out as Terra JSON. */
interface SessionPlan {
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

type Random = () => number;

const NAMED_PEOPLE = ['alice', 'bob', 'carol'];
const PROVIDERS = ['GARMIN', 'OURA', 'WHOOP', 'POLAR', 'FITBIT'];
/**
 * Home offsets for person-4 onwards. West of -06:00 is left out so that the default end date
 * (yesterday in UTC) never puts a session in the future.
 */
const EXTRA_HOME_OFFSETS_MINUTES = [0, 120, 330, -180, 600, -360, 60, 480];
const SCOPES = 'ACTIVITY_EXPORT,HEALTH_EXPORT,SLEEP_READ';
const TERRA_VERSION = '2022-03-16';
/** Terra's `upload_type` as found in its sleep samples. */
const UPLOAD_TYPE = 2;
/**
 * The travelling person spends days 14..20 of every 21-day cycle away, so any 21 consecutive
 * nights include a change of offset.
 */
const TRAVEL_CYCLE_DAYS = 21;
const TRAVEL_AWAY_FROM_DAY = 14;

/** mulberry32: a small 32-bit PRNG, good enough for test data and identical on every platform. */
export function mulberry32(seed: number): Random {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Derives a 32-bit seed from text, so each person and night gets its own stream. */
function hashToSeed(text: string): number {
  return createHash('sha256').update(text).digest().readUInt32BE(0);
}

/** Formats the SHA-256 of `text` as a version-4-shaped UUID, stable for the same text. */
function hashToUuid(text: string): string {
  const hex = createHash('sha256').update(text).digest('hex');
  const variant = ((parseInt(hex.charAt(16), 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

function uniform(random: Random, min: number, max: number): number {
  return min + (max - min) * random();
}

/** Draws from the standard normal distribution (Box-Muller). */
function standardNormal(random: Random): number {
  const u = 1 - random();
  const v = random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

function roundToTenth(value: number): number {
  return Math.round(value * 10) / 10;
}

/**
 * Returns the mean of values that have one decimal, rounded to one decimal. Summing whole tenths
 * keeps binary fractions out of the sum, so the result matches a by-hand calculation.
 */
export function meanToTenth(values: readonly number[]): number {
  const tenths = values.reduce((sum, value) => sum + Math.round(value * 10), 0);
  return Math.round(tenths / values.length) / 10;
}

/** Returns how many 5-minute HRV samples a session of `durationMinutes` has, both ends included. */
export function hrvSampleCount(durationMinutes: number): number {
  return Math.floor(durationMinutes / HRV_SAMPLE_INTERVAL_MINUTES) + 1;
}

function formatOffset(offsetMinutes: number): string {
  const sign = offsetMinutes < 0 ? '-' : '+';
  const absolute = Math.abs(offsetMinutes);
  const hours = String(Math.floor(absolute / 60)).padStart(2, '0');
  const minutes = String(absolute % 60).padStart(2, '0');
  return `${sign}${hours}:${minutes}`;
}

/** Writes an instant the way Terra does: local wall time, 6 fraction digits, and the offset. */
export function formatTerraTimestamp(epochMs: number, offsetMinutes: number): string {
  const wallClock = new Date(epochMs + offsetMinutes * MS_PER_MINUTE).toISOString().slice(0, 19);
  return `${wallClock}.000000${formatOffset(offsetMinutes)}`;
}

const DATE_PATTERN = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Parses `YYYY-MM-DD` into days since 1970-01-01; undefined for another form or an impossible date. */
function parseDayNumber(date: string): number | undefined {
  const match = DATE_PATTERN.exec(date);
  if (match === null) return undefined;

  const [, year, month, day] = match.map(Number) as [number, number, number, number];
  const epochMs = Date.UTC(year, month - 1, day);
  if (new Date(epochMs).getUTCDate() !== day || year < 2000 || year > 2099) return undefined;

  return epochMs / MS_PER_DAY;
}

function formatDayNumber(dayNumber: number): string {
  return new Date(dayNumber * MS_PER_DAY).toISOString().slice(0, 10);
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
function buildPersonProfile(seed: number, index: number): PersonProfile {
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
function offsetOnDay(profile: PersonProfile, dayNumber: number, seed: number): number {
  const { travelOffsetsMinutes } = profile;
  const cycleDay = dayNumber % TRAVEL_CYCLE_DAYS;
  if (travelOffsetsMinutes.length === 0 || cycleDay < TRAVEL_AWAY_FROM_DAY) return profile.homeOffsetMinutes;

  const trip = Math.floor(dayNumber / TRAVEL_CYCLE_DAYS);
  const choice = hashToSeed(`${seed}:trip:${profile.referenceId}:${trip}`) % travelOffsetsMinutes.length;
  return travelOffsetsMinutes[choice] ?? profile.homeOffsetMinutes;
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
 * Draws the 5-minute RMSSD and SDNN series. RMSSD rises about 20 % from the start of the session to
 * its end, each sample varies log-normally (sigma 0.18), and SDNN is the person's ratio (1.2-1.4)
 * times RMSSD with a little noise of its own. Values have one decimal and are at least 5.0 ms.
 */
function drawHrvSeries(plan: SessionPlan, profile: PersonProfile, random: Random) {
  const count = hrvSampleCount(plan.inBedMinutes);
  const rmssd: HrvRmssdSample[] = [];
  const sdnn: HrvSdnnSample[] = [];

  for (let k = 0; k < count; k += 1) {
    const timestamp = formatTerraTimestamp(plan.startMs + k * HRV_SAMPLE_INTERVAL_MINUTES * MS_PER_MINUTE, plan.offsetMinutes);
    const progress = count === 1 ? 0 : k / (count - 1);
    const rmssdMs = plan.meanRmssdMs * (0.9 + 0.2 * progress) * Math.exp(0.18 * standardNormal(random));
    const sdnnMs = rmssdMs * profile.sdnnToRmssdRatio * Math.exp(0.05 * standardNormal(random));
    rmssd.push({ timestamp, hrv_rmssd: Math.max(5, roundToTenth(rmssdMs)) });
    sdnn.push({ timestamp, hrv_sdnn: Math.max(5, roundToTenth(sdnnMs)) });
  }

  return { rmssd, sdnn };
}

/** Draws heart rate every 10 minutes, falling about 10 % across the session. */
function drawHeartRateSeries(plan: SessionPlan, profile: PersonProfile, random: Random): HeartRateSample[] {
  const count = Math.max(1, Math.floor(plan.inBedMinutes / HR_SAMPLE_INTERVAL_MINUTES));
  const samples: HeartRateSample[] = [];

  for (let k = 0; k < count; k += 1) {
    const timestamp = formatTerraTimestamp(plan.startMs + k * HR_SAMPLE_INTERVAL_MINUTES * MS_PER_MINUTE, plan.offsetMinutes);
    const progress = count === 1 ? 0 : k / (count - 1);
    const bpm = profile.restingHrBpm * plan.heartRateFactor * (1.08 - 0.1 * progress) + 2.5 * standardNormal(random);
    samples.push({ timestamp, bpm: Math.round(bpm), timer_duration_seconds: null, context: 0 });
  }

  return samples;
}

/** Splits the time asleep into deep (about 20 %), REM (about 24 %) and light sleep, in seconds. */
function buildSleepDurations(plan: SessionPlan, random: Random): SleepDurationsData {
  const asleepSeconds = plan.asleepMinutes * 60;
  const deepSeconds = Math.round(asleepSeconds * uniform(random, 0.15, 0.25));
  const remSeconds = Math.round(asleepSeconds * uniform(random, 0.2, 0.28));
  const awakeSeconds = (plan.inBedMinutes - plan.asleepMinutes) * 60;

  return {
    asleep: {
      duration_asleep_state_seconds: asleepSeconds,
      duration_deep_sleep_state_seconds: deepSeconds,
      duration_REM_sleep_state_seconds: remSeconds,
      duration_light_sleep_state_seconds: asleepSeconds - deepSeconds - remSeconds,
      num_REM_events: plan.isNap ? 0 : Math.round(uniform(random, 3, 6)),
    },
    awake: { duration_awake_state_seconds: awakeSeconds, num_wakeup_events: Math.round(uniform(random, 0, 4)) },
    sleep_efficiency: roundToTenth((100 * plan.asleepMinutes) / plan.inBedMinutes),
    hypnogram_samples: [],
  };
}

/**
 * Writes one planned session as a Terra sleep item. The summary averages are the means of the
 * samples, so a summary-only session reports the averages of the series it leaves out.
 */
function buildSleepItem(plan: SessionPlan, profile: PersonProfile, random: Random): SleepItem {
  const hrv = drawHrvSeries(plan, profile, random);
  const heartRate = drawHeartRateSeries(plan, profile, random);
  const bpmValues = heartRate.map((sample) => sample.bpm);
  const endMs = plan.startMs + plan.inBedMinutes * MS_PER_MINUTE;

  return {
    metadata: {
      start_time: formatTerraTimestamp(plan.startMs, plan.offsetMinutes),
      end_time: formatTerraTimestamp(endMs, plan.offsetMinutes),
      is_nap: plan.isNap,
      upload_type: UPLOAD_TYPE,
      summary_id: plan.summaryId,
      timestamp_localization: 0,
    },
    heart_rate_data: {
      summary: {
        avg_hr_bpm: meanToTenth(bpmValues),
        avg_hrv_rmssd: meanToTenth(hrv.rmssd.map((sample) => sample.hrv_rmssd)),
        avg_hrv_sdnn: meanToTenth(hrv.sdnn.map((sample) => sample.hrv_sdnn)),
        min_hr_bpm: Math.min(...bpmValues),
        max_hr_bpm: Math.max(...bpmValues),
        resting_hr_bpm: Math.min(...bpmValues),
        user_max_hr_bpm: profile.maxHrBpm,
        hr_zone_data: [],
      },
      detailed: {
        hr_samples: heartRate,
        hrv_samples_rmssd: plan.summaryOnly ? [] : hrv.rmssd,
        hrv_samples_sdnn: plan.summaryOnly ? [] : hrv.sdnn,
      },
    },
    sleep_durations_data: buildSleepDurations(plan, random),
    device_data: { name: null, manufacturer: null, other_devices: [], data_provided: [] },
  };
}

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

/**
 * Plans the night of one person that ends on the morning of `dayNumber`, and any nap that
 * afternoon. Returns the plans with the day's random stream, from which the samples are drawn next.
 */
function planDay(profile: PersonProfile, dayNumber: number, seed: number): { sessions: SessionPlan[]; random: Random } {
  const random = mulberry32(hashToSeed(`${seed}:${profile.referenceId}:${dayNumber}`));
  const night = planNight(profile, dayNumber, seed, random);
  const hasNap = random() < profile.napChance;
  const sessions = hasNap ? [night, planNap(night, profile, dayNumber, seed, random)] : [night];

  return { sessions, random };
}

function deliveriesForDay(profile: PersonProfile, dayNumber: number, seed: number): SimulatedSleepDelivery[] {
  const { sessions, random } = planDay(profile, dayNumber, seed);

  return sessions.map((plan) => {
    const item = buildSleepItem(plan, profile, random);
    return buildDelivery(profile, dayNumber, item, plan.startMs + plan.inBedMinutes * MS_PER_MINUTE);
  });
}

/** Returns the wake-up date of the last night: `endDate`, or the UTC date before `now`. */
export function resolveEndDate(options: Pick<SimulatedSleepOptions, 'endDate' | 'now'>): string {
  if (options.endDate !== undefined) return options.endDate;

  const nowMs = (options.now ?? new Date()).getTime();
  return formatDayNumber(Math.floor(nowMs / MS_PER_DAY) - 1);
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
