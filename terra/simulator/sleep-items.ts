import { MS_PER_MINUTE } from '../day-numbers.js';
import type { PersonProfile } from './people.js';
import { meanToTenth, type Random, roundToTenth, standardNormal, uniform } from './random.js';
import {
  formatTerraTimestamp,
  type HeartRateSample,
  type HrvRmssdSample,
  type HrvSdnnSample,
  type SleepDurationsData,
  type SleepItem,
} from './sleep-payload.js';
import type { SessionPlan } from './sleep-sessions.js';

/** Spacing of the RMSSD and SDNN samples, in minutes. */
export const HRV_SAMPLE_INTERVAL_MINUTES = 5;
/** Spacing of the heart-rate samples, in minutes, as in Terra's sleep samples. */
const HR_SAMPLE_INTERVAL_MINUTES = 10;

/** Terra's `upload_type` as found in its sleep samples. */
const UPLOAD_TYPE = 2;

/** Returns how many 5-minute HRV samples a session of `durationMinutes` has, both ends included. */
export function hrvSampleCount(durationMinutes: number): number {
  return Math.floor(durationMinutes / HRV_SAMPLE_INTERVAL_MINUTES) + 1;
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
export function buildSleepItem(plan: SessionPlan, profile: PersonProfile, random: Random): SleepItem {
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
