import { describe, expect, it } from 'vitest';

import { affectedNightRanges } from '../hrv-model/affected-nights.js';
import { nightPointNanoseconds, writtenDate } from '../hrv-model/night-date.js';
import { computeNightValues, type DailyValue, type NightValue, type SessionValue } from '../hrv-model/night-values.js';
import { planReplacements, type RecordIdentity } from '../hrv-model/replacement-plan.js';
import { computeNightRow } from '../hrv-model/rolling-values.js';
import type { SleepSessionRecord } from '../hrv-model/stored-records.js';
import { parseDayNumber } from '../terra/day-numbers.js';
import { classifyTerraEvent, isEnvelopeProblem } from '../terra/envelope.js';
import { extractHrvSamples } from '../terra/hrv-samples.js';
import { extractModelRecords } from '../terra/model-records.js';
import { parseTerraTimestamp } from '../terra/timestamp.js';
import { readTerraSampleJson } from './support/terra-samples.js';

// Everything here is real and in-process: the formulas of the nightly model on hand-worked cases,
// and the records it takes from Terra's sample payloads. Each expected number is written out with
// the arithmetic that gives it (values to 1e-9).

const LN_40 = 3.6888794541139363; // ln 40
const LN_50 = 3.912023005428146; // ln 50
const LN_60 = 4.0943445622221; // ln 60

function day(date: string): number {
  const dayNumber = parseDayNumber(date);
  if (dayNumber === undefined) throw new Error(`bad date ${date}`);
  return dayNumber;
}

/** Night values from `{ 'YYYY-MM-DD': rmssdMs }`, all with basis samples. */
function nights(values: Record<string, number>): Map<number, NightValue> {
  return new Map(Object.entries(values).map(([date, rmssdMs]) => [day(date), { rmssdMs, samples: 10, basis: 'samples' as const }]));
}

/** `count` consecutive nights ending the day before `lastDate`, alternating 40 and 60 ms. */
function alternatingNights(lastDate: string, count: number): Record<string, number> {
  const values: Record<string, number> = {};
  for (let index = 1; index <= count; index += 1) {
    const date = new Date((day(lastDate) - index) * 86_400_000).toISOString().slice(0, 10);
    values[date] = index % 2 === 0 ? 40 : 60;
  }
  return values;
}

function session(overrides: Partial<SessionValue> & { key: string }): SessionValue {
  return { nightDayNumber: day('2026-11-02'), isNap: false, basis: 'samples', samples: 1, rmssdMs: 50, ...overrides };
}

describe('baseline and CV over 7 days', () => {
  it('needs at least 3 nights', () => {
    const row = computeNightRow(nights({ '2026-11-01': 40, '2026-11-02': 50 }), day('2026-11-02'), 0.5);

    expect(row?.rmssdMs).toBe(50);
    expect(row?.lnRmssd).toBeCloseTo(LN_50, 12);
    expect(row?.baselineMs).toBeUndefined();
    expect(row?.cv7d).toBeUndefined();
    expect(row?.status).toBe('insufficient');
  });

  it('uses exactly 3 nights', () => {
    const row = computeNightRow(nights({ '2026-10-31': 40, '2026-11-01': 50, '2026-11-02': 60 }), day('2026-11-02'), 0.5);

    // mean ln = (3.688879454 + 3.912023005 + 4.094344562) / 3 = 3.898415674
    // baseline = exp(3.898415674) = cube root of 40·50·60 = 49.324241487 ms
    expect(row?.baselineMs).toBeCloseTo(49.324241486609374, 9);
    // sample SD of the three ln values (n - 1 = 2) = 0.203074760; CV = 100 · 0.203074760 / 3.898415674
    expect(row?.cv7d).toBeCloseTo(5.209161280041039, 9);
    expect(row?.status).toBe('insufficient');
  });

  it('counts calendar days, not nights, across gaps', () => {
    // D-7 lies outside D-6..D, so only D-6, D-3 and D count: the same three values as above.
    const values = nights({ '2026-10-26': 90, '2026-10-27': 40, '2026-10-30': 50, '2026-11-02': 60 });
    const row = computeNightRow(values, day('2026-11-02'), 0.5);

    expect(row?.baselineMs).toBeCloseTo(49.324241486609374, 9);
  });

  it('gives no row to a night without a value', () => {
    expect(computeNightRow(nights({ '2026-11-01': 40 }), day('2026-11-02'), 0.5)).toBeUndefined();
  });
});

describe('normal range over D-60..D-1', () => {
  it('is missing with 13 nights', () => {
    const values = nights({ ...alternatingNights('2026-11-02', 13), '2026-11-02': 50 });
    const row = computeNightRow(values, day('2026-11-02'), 0.5);

    expect(row?.normalLowMs).toBeUndefined();
    expect(row?.normalHighMs).toBeUndefined();
    expect(row?.status).toBe('insufficient');
  });

  it('is computed from 14 nights', () => {
    // Nights D-14..D-1: seven of 40 ms and seven of 60 ms. D itself (50 ms) is not in the window.
    // m = (ln 40 + ln 60) / 2 = ln sqrt(2400) = 3.891612008
    // s = (ln 60 - ln 40) / 2 · sqrt(14 / 13) = 0.210385514 (sample SD, n - 1 = 13)
    // low = exp(m - 0.5 s) = 44.098212606 ms, high = exp(m + 0.5 s) = 54.423974537 ms
    const values = nights({ ...alternatingNights('2026-11-02', 14), '2026-11-02': 50 });
    const row = computeNightRow(values, day('2026-11-02'), 0.5);

    expect(row?.normalLowMs).toBeCloseTo(44.09821260611056, 9);
    expect(row?.normalHighMs).toBeCloseTo(54.423974536950716, 9);
    expect(Math.log(row!.normalLowMs!)).toBeCloseTo(3.8916120081680186 - 0.5 * 0.21038551402056735, 9);
  });

  it('counts the night 60 days back', () => {
    // D-60 lies inside D-60..D-1: 13 nights D-13..D-1 plus D-60 make 14.
    const values = nights({ ...alternatingNights('2026-11-02', 13), '2026-09-03': 40, '2026-11-02': 50 });

    expect(computeNightRow(values, day('2026-11-02'), 0.5)?.normalLowMs).toBeDefined();
  });

  it('ignores the night 61 days back', () => {
    const values = nights({ ...alternatingNights('2026-11-02', 13), '2026-09-02': 40, '2026-11-02': 50 });

    expect(computeNightRow(values, day('2026-11-02'), 0.5)?.normalLowMs).toBeUndefined();
  });

  it('widens with k = 1', () => {
    // low = exp(3.891612008 - 0.210385514) = 39.66 ms; high = exp(3.891612008 + 0.210385514) = 60.51 ms
    const values = nights({ ...alternatingNights('2026-11-02', 14), '2026-11-02': 50 });
    const row = computeNightRow(values, day('2026-11-02'), 1);

    expect(row?.normalLowMs).toBeCloseTo(Math.exp(3.8916120081680186 - 0.21038551402056735), 9);
    expect(row?.normalHighMs).toBeCloseTo(Math.exp(3.8916120081680186 + 0.21038551402056735), 9);
  });
});

describe('status', () => {
  // History: 14 nights D-21..D-8 alternating 40 and 60 ms. The last week D-6..D is constant.
  const history = alternatingNights('2026-10-26', 14);
  const week = (rmssdMs: number) => Object.fromEntries(['10-27', '10-28', '10-29', '10-30', '10-31', '11-01', '11-02'].map((monthDay) => [`2026-${monthDay}`, rmssdMs]));

  it('is below when the baseline is under the range', () => {
    // Range window D-60..D-1: the 14 history nights and D-6..D-1 at 40 ms (20 nights).
    // m = (13 ln 40 + 7 ln 60) / 20 = 3.830792242, s = 0.198418602
    // low = exp(m - 0.5 s) = 41.745135978 ms; baseline = 40 ms < low
    const row = computeNightRow(nights({ ...history, ...week(40) }), day('2026-11-02'), 0.5);

    expect(row?.baselineMs).toBeCloseTo(40, 9);
    expect(row?.normalLowMs).toBeCloseTo(41.74513597800123, 9);
    expect(row?.status).toBe('below');
  });

  it('is above when the baseline is over the range', () => {
    // m = (7 ln 40 + 13 ln 60) / 20 = 3.952431774, s = 0.198418602
    // high = exp(m + 0.5 s) = 57.491727929 ms; baseline = 60 ms > high
    const row = computeNightRow(nights({ ...history, ...week(60) }), day('2026-11-02'), 0.5);

    expect(row?.baselineMs).toBeCloseTo(60, 9);
    expect(row?.normalHighMs).toBeCloseTo(57.49172792884773, 9);
    expect(row?.status).toBe('above');
  });

  it('is within between the bounds', () => {
    // Nights D-14..D-1 alternate 40 and 60 ms (range 44.098..54.424 ms, see above) and D is 50 ms.
    // Baseline over D-6..D: 60, 40, 60, 40, 60, 40, 50 gives exp(mean ln) = 49.04 ms.
    const row = computeNightRow(nights({ ...alternatingNights('2026-11-02', 14), '2026-11-02': 50 }), day('2026-11-02'), 0.5);

    expect(row?.baselineMs).toBeCloseTo(Math.exp((3 * LN_40 + 3 * LN_60 + LN_50) / 7), 9);
    expect(row?.status).toBe('within');
  });
});

describe('night value', () => {
  const D = day('2026-11-02');

  it('averages all samples of two sessions', () => {
    // Session a: 2 samples, mean 40 (sum 80). Session b: 6 samples, mean 60 (sum 360).
    // Night = (80 + 360) / 8 = 55 ms, not the mean of the means (50).
    const values = computeNightValues([session({ key: 'a', samples: 2, rmssdMs: 40 }), session({ key: 'b', samples: 6, rmssdMs: 60 })], []);

    expect(values.get(D)).toEqual({ rmssdMs: 55, samples: 8, basis: 'samples' });
  });

  it('leaves a nap out', () => {
    const values = computeNightValues([session({ key: 'night', samples: 4, rmssdMs: 40 }), session({ key: 'nap', isNap: true, samples: 4, rmssdMs: 80 })], []);

    expect(values.get(D)).toEqual({ rmssdMs: 40, samples: 4, basis: 'samples' });
  });

  it('gives a nap alone no night', () => {
    expect(computeNightValues([session({ key: 'nap', isNap: true })], []).has(D)).toBe(false);
  });

  it('averages summaries when no session has samples', () => {
    // (40 + 60) / 2 = 50 ms
    const values = computeNightValues([session({ key: 'a', basis: 'summary', samples: 0, rmssdMs: 40 }), session({ key: 'b', basis: 'summary', samples: 0, rmssdMs: 60 })], []);

    expect(values.get(D)).toEqual({ rmssdMs: 50, samples: 0, basis: 'summary' });
  });

  it('prefers samples over a summary', () => {
    const values = computeNightValues([session({ key: 'a', basis: 'summary', samples: 0, rmssdMs: 90 }), session({ key: 'b', samples: 3, rmssdMs: 45 })], []);

    expect(values.get(D)).toEqual({ rmssdMs: 45, samples: 3, basis: 'samples' });
  });

  it('falls back to the daily average', () => {
    const dailies: DailyValue[] = [{ dayNumber: D, rmssdMs: 38.6 }, { dayNumber: D + 1 }];
    const values = computeNightValues([], dailies);

    expect(values.get(D)).toEqual({ rmssdMs: 38.6, samples: 0, basis: 'daily' });
    expect(values.has(D + 1)).toBe(false);
  });

  it('ignores the daily average when a session has a value', () => {
    const values = computeNightValues([session({ key: 'a', basis: 'summary', samples: 0, rmssdMs: 70 })], [{ dayNumber: D, rmssdMs: 38.6 }]);

    expect(values.get(D)?.basis).toBe('summary');
  });

  it('uses the daily average when the session has no value', () => {
    const empty = session({ key: 'a', basis: 'none', samples: 0 });
    delete empty.rmssdMs;
    const values = computeNightValues([empty], [{ dayNumber: D, rmssdMs: 38.6 }]);

    expect(values.get(D)?.basis).toBe('daily');
  });

  it('does not depend on session order', () => {
    const sessions = [session({ key: 'a', samples: 3, rmssdMs: 41.3 }), session({ key: 'b', samples: 7, rmssdMs: 58.9 }), session({ key: 'c', samples: 5, rmssdMs: 47.1 })];
    const forward = computeNightValues(sessions, []).get(D);
    const backward = computeNightValues([...sessions].reverse(), []).get(D);

    expect(backward).toEqual(forward);
  });
});

describe('night date', () => {
  it('is the written date of a session crossing midnight UTC', () => {
    // 06:00 at +10:00 is 20:00 UTC on 1 November; the person woke up on 2 November.
    expect(writtenDate('2026-11-02T06:00:00.000000+10:00', 'UTC')).toBe('2026-11-02');
    // 23:30 at -05:00 is 04:30 UTC on 3 November; a late wake-up still belongs to 2 November.
    expect(writtenDate('2026-11-02T23:30:00.000000-05:00', 'UTC')).toBe('2026-11-02');
  });

  it('follows the offset across daylight saving', () => {
    // London: 28 March 2026 ends at +00:00, 29 March (clocks forward at 01:00) at +01:00.
    expect(writtenDate('2026-03-28T07:00:00.000000+00:00', 'UTC')).toBe('2026-03-28');
    expect(writtenDate('2026-03-29T07:00:00.000000+01:00', 'UTC')).toBe('2026-03-29');
  });

  it('follows the offset when travelling', () => {
    // Berlin on 2 November, New York on 3 November, Tokyo on 4 November: three consecutive nights,
    // although the last two wake-ups are only 10 hours apart in UTC.
    expect(writtenDate('2026-11-02T07:00:00+01:00', 'UTC')).toBe('2026-11-02');
    expect(writtenDate('2026-11-03T07:00:00-05:00', 'UTC')).toBe('2026-11-03');
    expect(writtenDate('2026-11-04T06:00:00+09:00', 'UTC')).toBe('2026-11-04');
  });

  it('keeps the date of a timestamp without offset', () => {
    expect(writtenDate('2026-11-02T07:00:00', 'America/New_York')).toBe('2026-11-02');
  });

  it('rejects an unreadable end time', () => {
    expect(writtenDate('2026-11-31T07:00:00Z', 'UTC')).toBeUndefined();
    expect(writtenDate(null, 'UTC')).toBeUndefined();
  });

  it.each([
    ['Etc/GMT+10', -10],
    ['Etc/GMT+5', -5],
    ['UTC', 0],
    ['Etc/GMT-9', 9],
    ['Etc/GMT-12', 12],
    ['Etc/GMT-13', 13],
  ])('puts the night point on its date in %s', (zone, _offsetHours) => {
    const epochMs = Number(nightPointNanoseconds(day('2026-11-02')) / 1_000_000n);
    const shown = new Intl.DateTimeFormat('en-CA', { timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(epochMs);

    expect(shown).toBe('2026-11-02');
  });
});

describe('affected nights', () => {
  it('covers the changed night and the next 60', () => {
    expect(affectedNightRanges([100])).toEqual([{ from: 100, to: 160 }]);
  });

  it('merges overlapping and adjacent windows', () => {
    expect(affectedNightRanges([100, 130, 161, 300])).toEqual([
      { from: 100, to: 221 },
      { from: 300, to: 360 },
    ]);
  });
});

describe('replacing a session', () => {
  const identity: RecordIdentity<SleepSessionRecord> = { keyOf: (s) => s.key, timeNsOf: (s) => s.startNs };
  const firstCopy: SleepSessionRecord = {
    key: 's1',
    summaryId: 's1',
    startNs: 1_000n,
    startTime: '2026-11-01T23:00:00+01:00',
    endTime: '2026-11-02T07:00:00+01:00',
    nightDate: '2026-11-02',
    isNap: false,
    basis: 'samples',
    samples: 4,
    rmssdMs: 40,
    orderingMs: 1_000,
  };
  const fullerCopy: SleepSessionRecord = { ...firstCopy, samples: 8, rmssdMs: 45, orderingMs: 2_000 };

  it('takes a later copy with more samples', () => {
    const plan = planReplacements([fullerCopy], [firstCopy], identity);

    expect(plan.writes).toEqual([fullerCopy]);
    expect(plan.obsolete).toEqual([]);
    expect(plan.affected).toEqual([fullerCopy, firstCopy]);
  });

  it('ignores an older copy', () => {
    const plan = planReplacements([firstCopy], [fullerCopy], identity);

    expect(plan.writes).toEqual([]);
    expect(plan.olderCopies).toBe(1);
  });

  it('changes nothing for the same copy', () => {
    const plan = planReplacements([firstCopy], [firstCopy], identity);

    expect(plan.writes).toEqual([]);
    expect(plan.unchanged).toBe(1);
    expect(plan.affected).toEqual([firstCopy, firstCopy]);
  });

  it('matches a copy read back with its fields in another order', () => {
    const { summaryId, ...rest } = firstCopy;
    const readBack = { summaryId, ...rest } as SleepSessionRecord;

    expect(planReplacements([firstCopy], [readBack], identity).unchanged).toBe(1);
  });

  it('deletes a copy that moved, and only that one', () => {
    const moved = { ...fullerCopy, startNs: 2_000n };
    const withoutValue: SleepSessionRecord = { ...firstCopy, basis: 'none', samples: 0, orderingMs: 3_000 };
    delete withoutValue.rmssdMs;

    expect(planReplacements([moved], [firstCopy], identity).obsolete).toEqual([firstCopy]);
    expect(planReplacements([withoutValue], [firstCopy], identity).obsolete).toEqual([]);
  });

  it('keeps one of two sessions at the same time', () => {
    const other: SleepSessionRecord = { ...firstCopy, key: 's2', summaryId: 's2', rmssdMs: 60, orderingMs: 500 };

    expect(planReplacements([other], [firstCopy], identity).olderCopies).toBe(1);
    expect(planReplacements([firstCopy, other], [], identity).writes).toEqual([firstCopy]);
  });

  it('breaks a full tie by content', () => {
    // Same ordering timestamp and sample count: the content as text decides, in both orders.
    const a: SleepSessionRecord = { ...firstCopy, samples: 3, rmssdMs: 50 };
    const b: SleepSessionRecord = { ...firstCopy, samples: 3, rmssdMs: 80 };
    const storedAfter = (first: SleepSessionRecord, second: SleepSessionRecord) => planReplacements([second], [first], identity).writes[0] ?? first;

    expect(storedAfter(a, b)).toEqual(storedAfter(b, a));
  });
  it('breaks a tie of ordering timestamps by sample count', () => {
    const tiedFuller = { ...fullerCopy, orderingMs: firstCopy.orderingMs };

    expect(planReplacements([firstCopy], [tiedFuller], identity).olderCopies).toBe(1);
    expect(planReplacements([tiedFuller], [firstCopy], identity).writes).toEqual([tiedFuller]);
  });
});

describe('records from Terra payloads', () => {
  function recordsOf(file: string, orderingMs = 5_000) {
    const event = classifyTerraEvent(readTerraSampleJson(file));
    if (isEnvelopeProblem(event) || event.kind !== 'hrv') throw new Error(`${file} is not an HRV event`);
    return extractModelRecords(event.event, extractHrvSamples(event.event, 'UTC'), 'UTC', orderingMs);
  }

  it('keeps the nap apart from the night', () => {
    const { sessions } = recordsOf('sleep-oura-night-and-nap.json');

    expect(sessions.map((s) => [s.summaryId, s.nightDate, s.isNap, s.basis, s.samples])).toEqual([
      ['6cdc1836-5c65-22ed-88ac-c0d2bec801bf', '2026-11-02', false, 'samples', 98],
      ['0c9deccc-a383-40a7-9188-e022fd1a1d1b', '2026-11-02', true, 'samples', 8],
    ]);
    expect(sessions[0]!.orderingMs).toBe(5_000);
  });

  it('averages the valid samples of a session', () => {
    const payload = readTerraSampleJson<{ data: Array<{ heart_rate_data: { detailed: { hrv_samples_rmssd: Array<{ hrv_rmssd: number }> } } }> }>('sleep-garmin.json');
    const values = payload.data[0]!.heart_rate_data.detailed.hrv_samples_rmssd.map((sample) => sample.hrv_rmssd);
    const [session] = recordsOf('sleep-garmin.json').sessions;

    expect(session?.samples).toBe(values.length);
    expect(session?.rmssdMs).toBeCloseTo(values.reduce((a, b) => a + b, 0) / values.length, 9);
    expect(session?.startNs).toBe(parseTerraTimestamp('2026-11-01T23:12:00.000000+01:00', 'UTC'));
  });

  it('uses the summary of a session without samples', () => {
    const [session] = recordsOf('sleep-whoop-summary-only.json').sessions;

    expect(session).toMatchObject({ basis: 'summary', samples: 0, rmssdMs: 83.4, nightDate: '2026-11-02' });
  });

  it('takes the daily average and its written date', () => {
    expect(recordsOf('daily-fitbit.json').dailies).toEqual([{ date: '2026-11-02', rmssdMs: 38.6, orderingMs: 5_000 }]);
  });
});
