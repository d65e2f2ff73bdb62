/** Source of a night's value, in order of preference. */
export type NightBasis = 'samples' | 'summary' | 'daily';

/** The value of one night for one person and provider. */
export interface NightValue {
  rmssdMs: number;
  /** RMSSD samples behind the value; 0 when it comes from summary or daily averages. */
  samples: number;
  basis: NightBasis;
}

/** The fields of a stored sleep session that the night value uses. */
export interface SessionValue {
  /** Identity of the session, used only to fix the summation order. */
  key: string;
  nightDayNumber: number;
  isNap: boolean;
  /** Mean of the session's valid RMSSD samples, or its summary average, or undefined. */
  rmssdMs?: number;
  basis: 'samples' | 'summary' | 'none';
  samples: number;
}

/** The fields of a stored daily average that the night value uses. */
export interface DailyValue {
  dayNumber: number;
  rmssdMs?: number;
}

/**
 * Returns the value of a night from its non-nap sessions: the mean of all their RMSSD samples
 * (each session's mean weighted by its sample count), else the mean of their summary averages.
 */
function nightFromSessions(sessions: readonly SessionValue[]): NightValue | undefined {
  const withSamples = sessions.filter((session) => session.basis === 'samples' && session.samples > 0);
  if (withSamples.length > 0) {
    let weightedSum = 0;
    let samples = 0;
    for (const session of withSamples) {
      weightedSum += session.rmssdMs! * session.samples;
      samples += session.samples;
    }
    return { rmssdMs: weightedSum / samples, samples, basis: 'samples' };
  }

  const withSummary = sessions.filter((session) => session.basis === 'summary');
  if (withSummary.length === 0) return undefined;
  let sum = 0;
  for (const session of withSummary) sum += session.rmssdMs!;
  return { rmssdMs: sum / withSummary.length, samples: 0, basis: 'summary' };
}

function compareKeys(a: SessionValue, b: SessionValue): number {
  if (a.key === b.key) return 0;
  return a.key < b.key ? -1 : 1;
}

/**
 * Computes the value of every night that has one, keyed by day number. Naps never count. A night
 * whose sessions carry no value at all falls back to that day's daily average, like a night with
 * no session. Sessions are taken in key order, so the floating-point sums do not depend on the
 * order in which they were delivered.
 */
export function computeNightValues(sessions: readonly SessionValue[], dailies: readonly DailyValue[]): Map<number, NightValue> {
  const sessionsByNight = new Map<number, SessionValue[]>();
  const sorted = sessions.filter((session) => !session.isNap).sort(compareKeys);
  for (const session of sorted) {
    const list = sessionsByNight.get(session.nightDayNumber) ?? [];
    list.push(session);
    sessionsByNight.set(session.nightDayNumber, list);
  }

  const values = new Map<number, NightValue>();
  for (const [dayNumber, list] of sessionsByNight) {
    const value = nightFromSessions(list);
    if (value !== undefined) values.set(dayNumber, value);
  }
  for (const daily of dailies) {
    if (daily.rmssdMs !== undefined && !values.has(daily.dayNumber)) {
      values.set(daily.dayNumber, { rmssdMs: daily.rmssdMs, samples: 0, basis: 'daily' });
    }
  }
  return values;
}
