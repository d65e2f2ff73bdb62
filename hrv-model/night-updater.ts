import { MS_PER_DAY } from '../terra/day-numbers.js';
import { DAILY_MEASUREMENT, NIGHT_MEASUREMENT, SESSION_MEASUREMENT, dailyLine, nightLine, sessionLine, type ModelTags } from '../influx/model-points.js';
import type { ModelStore } from '../influx/model-store.js';
import { affectedNightRanges, type DayRange } from './affected-nights.js';
import { dayNumberOf, nightPointNanoseconds } from './night-date.js';
import { computeNightValues } from './night-values.js';
import { groupBy, latestCopies, latestCopy, leavesFieldsBehind, planReplacements, type RecordIdentity, type ReplacementPlan } from './replacement-plan.js';
import { computeNightRow, NORMAL_RANGE_WINDOW_DAYS, type NightRow } from './rolling-values.js';
import { compareCopies, toDailyValue, toSessionValue, type DailyAverageRecord, type SleepSessionRecord } from './stored-records.js';

const NS_PER_DAY = BigInt(MS_PER_DAY) * 1_000_000n;
/**
 * A corrected copy of a session is looked up among stored sessions that start within this many
 * days of it. NOTE: a provider that moved a session's start further would leave the old copy too.
 */
const SESSION_LOOKUP_DAYS = 7n;
/** Rebuilds of one person by `recompute` while the receiver keeps storing sessions. */
const REBUILD_ATTEMPTS = 3;
/** Sessions are read from this many days before their night, since a night starts the day before. */
const SESSION_START_MARGIN_DAYS = 3;

export interface RecordCounts {
  written: number;
  unchanged: number;
  olderCopies: number;
}

/** Counts of one update of the model, logged with the delivery; no HRV value is included. */
export interface ModelOutcome {
  sessions: RecordCounts;
  dailies: RecordCounts;
  nights: { written: number; deleted: number; unchanged: number };
}

const SESSION_IDENTITY: RecordIdentity<SleepSessionRecord> = { keyOf: (session) => session.key, timeNsOf: (session) => session.startNs };
const DAILY_IDENTITY: RecordIdentity<DailyAverageRecord> = { keyOf: (daily) => daily.date, timeNsOf: (daily) => nightPointNanoseconds(dayNumberOf(daily.date)) };

const dayStartNs = (dayNumber: number) => BigInt(dayNumber) * NS_PER_DAY;

/**
 * Keeps `hrv_session`, `hrv_daily` and `hrv_night` current for one person and provider. Every
 * night row is computed from the stored sessions and daily averages alone, so deliveries in any
 * order, repeated or late, end in the same rows.
 */
export class NightUpdater {
  constructor(
    private readonly store: ModelStore,
    private readonly normalRangeSd: number,
  ) {}

  /**
   * Stores the latest copy of each session and daily average, then refreshes the nights they
   * affect. The order lets a retry after any failure complete the update. New copies are written
   * first. The nights of every copy that is not older than the stored one are refreshed, even when
   * nothing changed. Stored copies that moved to another time are deleted last.
   */
  async applyRecords(tags: ModelTags, sessions: readonly SleepSessionRecord[], dailies: readonly DailyAverageRecord[]): Promise<ModelOutcome> {
    const sessionPlan = await this.planSessions(tags, sessions);
    const dailyPlan = await this.planDailies(tags, dailies);

    const lines = [...sessionPlan.writes.map((session) => sessionLine(session, tags)), ...dailyPlan.writes.map((daily) => dailyLine(daily, tags))];
    await this.store.write(lines);
    const changedDays = new Set([...sessionPlan.affected.map((session) => dayNumberOf(session.nightDate)), ...dailyPlan.affected.map((daily) => dayNumberOf(daily.date))]);
    const nights = await this.refreshNights(tags, affectedNightRanges(changedDays));
    await this.store.deletePoints(SESSION_MEASUREMENT, tags, sessionPlan.obsolete.map((session) => session.startNs));

    return { sessions: countsOf(sessionPlan), dailies: countsOf(dailyPlan), nights };
  }

  /**
   * Returns the incoming sessions that lose to another copy of the same session, stored or in the
   * same delivery, because Terra emitted that copy later (compareCopies). Their raw samples must
   * not overwrite the winner's.
   */
  async findOlderCopies(tags: ModelTags, incoming: readonly SleepSessionRecord[]): Promise<Set<SleepSessionRecord>> {
    if (incoming.length === 0) return new Set();
    const stored = await this.readSessionsAround(tags, incoming);
    const copiesByKey = groupBy([...stored, ...incoming], SESSION_IDENTITY.keyOf);

    const older = incoming.filter((session) => compareCopies(latestCopy(copiesByKey.get(session.key)!)!, session) > 0);
    return new Set(older);
  }

  /** Reads the stored sessions that could be copies of the incoming ones. */
  private async readSessionsAround(tags: ModelTags, incoming: readonly SleepSessionRecord[]): Promise<SleepSessionRecord[]> {
    const starts = incoming.map((session) => session.startNs);
    const lookup = SESSION_LOOKUP_DAYS * NS_PER_DAY;
    return this.store.readSessions(tags, min(starts) - lookup, max(starts) + lookup);
  }

  private async planSessions(tags: ModelTags, incoming: readonly SleepSessionRecord[]): Promise<ReplacementPlan<SleepSessionRecord>> {
    if (incoming.length === 0) return planReplacements([], [], SESSION_IDENTITY);
    const stored = await this.readSessionsAround(tags, incoming);
    return planReplacements(incoming, stored, SESSION_IDENTITY);
  }

  /** Plans the daily averages. A day's average always has the same time, so a new copy overwrites the stored one. */
  private async planDailies(tags: ModelTags, incoming: readonly DailyAverageRecord[]): Promise<ReplacementPlan<DailyAverageRecord>> {
    if (incoming.length === 0) return planReplacements([], [], DAILY_IDENTITY);
    const days = incoming.map((daily) => dayNumberOf(daily.date));
    const stored = await this.store.readDailies(tags, Math.min(...days), Math.max(...days));
    return planReplacements(incoming, stored, DAILY_IDENTITY);
  }

  /**
   * Recomputes the nights in `ranges` from the stored sessions and daily averages, and writes only
   * the rows that changed. A night that no longer has a value loses its row.
   */
  async refreshNights(tags: ModelTags, ranges: readonly DayRange[]): Promise<ModelOutcome['nights']> {
    const counts = { written: 0, deleted: 0, unchanged: 0 };
    if (ranges.length === 0) return counts;
    const inputFrom = ranges[0]!.from - NORMAL_RANGE_WINDOW_DAYS;
    const to = ranges.at(-1)!.to;

    const values = await this.readNightValues(tags, inputFrom, to);
    const existing = new Map((await this.store.readNights(tags, ranges[0]!.from, to)).map((row) => [row.dayNumber, row]));
    const deletes: number[] = [];
    const writes: NightRow[] = [];
    for (const range of ranges) {
      for (let day = range.from; day <= range.to; day += 1) {
        const row = computeNightRow(values, day, this.normalRangeSd);
        const old = existing.get(day);
        if (row === undefined) {
          if (old !== undefined) deletes.push(day);
        } else if (old !== undefined && sameNightRow(old, row)) counts.unchanged += 1;
        else {
          if (old !== undefined && leavesFieldsBehind(old, row)) deletes.push(day);
          writes.push(row);
        }
      }
    }

    await this.store.deletePoints(NIGHT_MEASUREMENT, tags, deletes.map(nightPointNanoseconds));
    await this.store.write(writes.map((row) => nightLine(row, tags)));
    counts.written = writes.length;
    counts.deleted = deletes.filter((day) => values.get(day) === undefined).length;
    return counts;
  }

  /**
   * Rebuilds every night of this person and provider from what InfluxDB holds. When the receiver
   * stores a session meanwhile, the rows written from the older state are rebuilt again, up to
   * three times, so that a night never ends older than its sessions.
   */
  async rebuildAll(tags: ModelTags): Promise<ModelOutcome['nights']> {
    const total = { written: 0, deleted: 0, unchanged: 0 };
    for (let attempt = 1; attempt <= REBUILD_ATTEMPTS; attempt += 1) {
      const versionBefore = await this.store.inputVersion(tags);
      const counts = await this.rebuildOnce(tags);
      total.written += counts.written;
      total.deleted += counts.deleted;
      total.unchanged = counts.unchanged;
      if ((await this.store.inputVersion(tags)) === versionBefore) break;
    }
    return total;
  }

  private async rebuildOnce(tags: ModelTags): Promise<ModelOutcome['nights']> {
    const bounds = await Promise.all([SESSION_MEASUREMENT, DAILY_MEASUREMENT, NIGHT_MEASUREMENT].map((measurement) => this.store.timeBounds(measurement, tags)));
    const known = bounds.filter((bound) => bound !== undefined);
    if (known.length === 0) return { written: 0, deleted: 0, unchanged: 0 };

    // Night dates can lie a day after a session's start, so the range reaches past the last point.
    const from = Number(min(known.map((bound) => bound.fromNs)) / NS_PER_DAY) - 1;
    const to = Number(max(known.map((bound) => bound.toNs)) / NS_PER_DAY) + 2;
    return this.refreshNights(tags, [{ from, to }]);
  }

  private async readNightValues(tags: ModelTags, fromDay: number, toDay: number) {
    const sessionsFrom = dayStartNs(fromDay - SESSION_START_MARGIN_DAYS);
    const stored = await this.store.readSessions(tags, sessionsFrom, dayStartNs(toDay + 2));
    const sessions = latestCopies(stored, SESSION_IDENTITY)
      .map(toSessionValue)
      .filter((session) => session.nightDayNumber >= fromDay && session.nightDayNumber <= toDay);
    const dailies = (await this.store.readDailies(tags, fromDay, toDay)).map(toDailyValue);
    return computeNightValues(sessions, dailies);
  }
}

function countsOf(plan: ReplacementPlan<unknown>): RecordCounts {
  return { written: plan.writes.length, unchanged: plan.unchanged, olderCopies: plan.olderCopies };
}

function sameNightRow(a: NightRow, b: NightRow): boolean {
  const names = new Set([...Object.keys(a), ...Object.keys(b)]) as Set<keyof NightRow>;
  return [...names].every((name) => a[name] === b[name]);
}

function min(values: readonly bigint[]): bigint {
  return values.reduce((a, b) => (b < a ? b : a));
}

function max(values: readonly bigint[]): bigint {
  return values.reduce((a, b) => (b > a ? b : a));
}
