import { MS_PER_MINUTE } from '../day-numbers.js';

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
