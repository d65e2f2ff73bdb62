/**
 * An independent, deliberately plain implementation of the nightly model's definitions, used to
 * check what the receiver stores. It shares no code with hrv-model/: it reads Terra JSON directly
 * and recomputes every night from scratch.
 */

export interface ReferenceNight {
  date: string;
  rmssd: number;
  ln_rmssd: number;
  samples: number;
  basis: 'samples' | 'summary' | 'daily';
  baseline_ms?: number;
  normal_low_ms?: number;
  normal_high_ms?: number;
  cv_7d?: number;
  status: 'below' | 'within' | 'above' | 'insufficient';
}

interface SleepItemJson {
  metadata: { end_time: string; is_nap?: boolean };
  heart_rate_data?: { summary?: { avg_hrv_rmssd?: number | null }; detailed?: { hrv_samples_rmssd?: Array<{ hrv_rmssd: unknown }> | null } };
}

interface DailyItemJson {
  metadata: { start_time: string };
  heart_rate_data?: { summary?: { avg_hrv_rmssd?: number | null } };
}

const isPlausible = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value) && value > 0 && value < 1000;

function addDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
}

function mean(values: number[]): number {
  return values.reduce((a, b) => a + b, 0) / values.length;
}

function sampleSd(values: number[]): number {
  const m = mean(values);
  return Math.sqrt(values.reduce((sum, value) => sum + (value - m) ** 2, 0) / (values.length - 1));
}

/** Night values by date from the final copy of every sleep item and daily item of one person. */
export function referenceNightValues(sleepItems: SleepItemJson[], dailyItems: DailyItemJson[]): Map<string, { rmssd: number; samples: number; basis: ReferenceNight['basis'] }> {
  const byDate = new Map<string, SleepItemJson[]>();
  for (const item of sleepItems) {
    if (item.metadata.is_nap === true) continue;
    const date = item.metadata.end_time.slice(0, 10);
    byDate.set(date, [...(byDate.get(date) ?? []), item]);
  }

  const values = new Map<string, { rmssd: number; samples: number; basis: ReferenceNight['basis'] }>();
  for (const [date, items] of byDate) {
    const samples = items.flatMap((item) => (item.heart_rate_data?.detailed?.hrv_samples_rmssd ?? []).map((s) => s.hrv_rmssd).filter(isPlausible));
    const summaries = items.map((item) => item.heart_rate_data?.summary?.avg_hrv_rmssd).filter(isPlausible);
    if (samples.length > 0) values.set(date, { rmssd: mean(samples), samples: samples.length, basis: 'samples' });
    else if (summaries.length > 0) values.set(date, { rmssd: mean(summaries), samples: 0, basis: 'summary' });
  }
  for (const item of dailyItems) {
    const date = item.metadata.start_time.slice(0, 10);
    const average = item.heart_rate_data?.summary?.avg_hrv_rmssd;
    if (!values.has(date) && isPlausible(average)) values.set(date, { rmssd: average, samples: 0, basis: 'daily' });
  }
  return values;
}

/** Computes every night row of one person, sorted by date, with k = `normalRangeSd`. */
export function referenceNights(sleepItems: SleepItemJson[], dailyItems: DailyItemJson[], normalRangeSd: number): ReferenceNight[] {
  const values = referenceNightValues(sleepItems, dailyItems);
  const lnOf = (date: string) => (values.has(date) ? Math.log(values.get(date)!.rmssd) : undefined);
  const window = (date: string, fromOffset: number, toOffset: number) => {
    const result: number[] = [];
    for (let offset = fromOffset; offset <= toOffset; offset += 1) {
      const ln = lnOf(addDays(date, offset));
      if (ln !== undefined) result.push(ln);
    }
    return result;
  };

  return [...values.keys()].sort().map((date) => {
    const value = values.get(date)!;
    const night: ReferenceNight = { date, rmssd: value.rmssd, ln_rmssd: Math.log(value.rmssd), samples: value.samples, basis: value.basis, status: 'insufficient' };
    const week = window(date, -6, 0);
    if (week.length >= 3) {
      night.baseline_ms = Math.exp(mean(week));
      night.cv_7d = (100 * sampleSd(week)) / mean(week);
    }
    const history = window(date, -60, -1);
    if (history.length >= 14) {
      night.normal_low_ms = Math.exp(mean(history) - normalRangeSd * sampleSd(history));
      night.normal_high_ms = Math.exp(mean(history) + normalRangeSd * sampleSd(history));
    }
    if (night.baseline_ms !== undefined && night.normal_low_ms !== undefined) {
      night.status = 'within';
      if (night.baseline_ms < night.normal_low_ms) night.status = 'below';
      if (night.baseline_ms > night.normal_high_ms!) night.status = 'above';
    }
    return night;
  });
}
