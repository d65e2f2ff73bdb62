import { formatDayNumber, MS_PER_DAY } from '../terra/day-numbers.js';
import { nightPointNanoseconds } from '../hrv-model/night-date.js';
import type { NightRow, NightStatus } from '../hrv-model/rolling-values.js';
import type { NightBasis } from '../hrv-model/night-values.js';
import type { DailyAverageRecord, SessionBasis, SleepSessionRecord } from '../hrv-model/stored-records.js';
import { sessionKey } from '../hrv-model/stored-records.js';
import { createLineWriter, type InfluxConfig } from './create-line-writer.js';
import { InfluxQlClient, influxQlIdentifier, influxQlString, parseRfc3339Nanoseconds } from './influxql-client.js';
import type { LineWriter } from './line-writer.js';
import { createPointDeleter, type PointDeleter } from './point-deleter.js';
import { DAILY_MEASUREMENT, NIGHT_MEASUREMENT, SESSION_MEASUREMENT, type ModelTags } from './model-points.js';
import { lineProtocolTagValue } from './points.js';

const NS_PER_DAY = BigInt(MS_PER_DAY) * 1_000_000n;

type Row = Record<string, unknown>;

const optionalText = (value: unknown) => (typeof value === 'string' ? value : undefined);
const optionalNumber = (value: unknown) => (typeof value === 'number' ? value : undefined);

function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, field]) => field !== undefined)) as T;
}

function toSession(row: Row): SleepSessionRecord {
  const startNs = parseRfc3339Nanoseconds(row.time);
  const summaryId = optionalText(row.summary_id) || undefined;
  const basis = row.basis as SessionBasis;
  return withoutUndefined({
    key: sessionKey(summaryId, startNs),
    summaryId,
    startNs,
    startTime: String(row.start_time),
    endTime: String(row.end_time),
    nightDate: String(row.night_date),
    isNap: row.is_nap === true,
    basis,
    samples: Number(row.samples),
    rmssdMs: basis === 'none' ? undefined : optionalNumber(row.rmssd),
    orderingMs: Number(row.ordering_ms),
  });
}

function toDaily(row: Row): DailyAverageRecord {
  const rmssdMs = row.has_rmssd === true ? optionalNumber(row.rmssd) : undefined;
  return withoutUndefined({ date: String(row.date), rmssdMs, orderingMs: Number(row.ordering_ms) });
}

function toNight(row: Row): NightRow {
  const dayNumber = Number(parseRfc3339Nanoseconds(row.time) / NS_PER_DAY);
  return withoutUndefined({
    dayNumber,
    date: formatDayNumber(dayNumber),
    rmssdMs: Number(row.rmssd),
    lnRmssd: Number(row.ln_rmssd),
    samples: Number(row.samples),
    basis: row.basis as NightBasis,
    baselineMs: optionalNumber(row.baseline_ms),
    normalLowMs: optionalNumber(row.normal_low_ms),
    normalHighMs: optionalNumber(row.normal_high_ms),
    cv7d: optionalNumber(row.cv_7d),
    status: row.status as NightStatus,
  });
}

/**
 * Reads and replaces the nightly model's points (`hrv_session`, `hrv_daily`, `hrv_night`) of one
 * person and provider. Tag values are sanitised exactly as the writer sanitises them.
 */
export class ModelStore {
  constructor(
    private readonly influxQl: InfluxQlClient,
    private readonly writer: LineWriter,
    private readonly deleter: PointDeleter,
  ) {}

  /** Returns the sessions whose start lies in `fromNs..toNs`, in time order. */
  async readSessions(tags: ModelTags, fromNs: bigint, toNs: bigint): Promise<SleepSessionRecord[]> {
    const fields = ['summary_id', 'start_time', 'end_time', 'night_date', 'is_nap', 'basis', 'samples', 'rmssd', 'ordering_ms'];
    const rows = await this.selectRows(SESSION_MEASUREMENT, fields, tags, fromNs, toNs);
    return rows.map(toSession);
  }

  /** Returns the daily averages of the days `fromDay..toDay` (day numbers). */
  async readDailies(tags: ModelTags, fromDay: number, toDay: number): Promise<DailyAverageRecord[]> {
    const rows = await this.selectRows(DAILY_MEASUREMENT, ['date', 'rmssd', 'has_rmssd', 'ordering_ms'], tags, nightPointNanoseconds(fromDay), nightPointNanoseconds(toDay));
    return rows.map(toDaily);
  }

  /** Returns the `hrv_night` rows of the nights `fromDay..toDay` (day numbers). */
  async readNights(tags: ModelTags, fromDay: number, toDay: number): Promise<NightRow[]> {
    const fields = ['rmssd', 'ln_rmssd', 'samples', 'basis', 'baseline_ms', 'normal_low_ms', 'normal_high_ms', 'cv_7d', 'status'];
    const rows = await this.selectRows(NIGHT_MEASUREMENT, fields, tags, nightPointNanoseconds(fromDay), nightPointNanoseconds(toDay));
    return rows.map(toNight);
  }

  /** Deletes the points of one measurement at the given times (ns), for this person and provider. */
  async deletePoints(measurement: string, tags: ModelTags, timesNs: readonly bigint[]): Promise<void> {
    if (timesNs.length === 0) return;
    await this.deleter.deletePoints(measurement, { person: tags.person, provider: tags.provider }, timesNs);
  }

  async write(lines: readonly string[]): Promise<void> {
    await this.writer.write(lines);
  }

  /** Lists every person and provider that has sessions, daily averages or nights, sorted. */
  async listModelTags(): Promise<ModelTags[]> {
    const found = new Map<string, ModelTags>();
    for (const [measurement, field] of [[SESSION_MEASUREMENT, 'ordering_ms'], [DAILY_MEASUREMENT, 'ordering_ms'], [NIGHT_MEASUREMENT, 'status']] as const) {
      const series = await this.influxQl.select(`SELECT count(${influxQlIdentifier(field)}) FROM ${influxQlIdentifier(measurement)} GROUP BY "person", "provider"`);
      for (const { tags } of series) {
        if (tags.person !== undefined && tags.provider !== undefined) found.set(`${tags.person}\n${tags.provider}`, { person: tags.person, provider: tags.provider });
      }
    }
    return [...found.values()].sort((a, b) => (a.person === b.person ? compareText(a.provider, b.provider) : compareText(a.person, b.person)));
  }

  /** Returns the first and last time (ns) of this person's points in a measurement, if any. */
  async timeBounds(measurement: string, tags: ModelTags): Promise<{ fromNs: bigint; toNs: bigint } | undefined> {
    // Every hrv_session and hrv_daily point has ordering_ms and every hrv_night point has status.
    const field = measurement === NIGHT_MEASUREMENT ? 'status' : 'ordering_ms';
    const from = `FROM ${influxQlIdentifier(measurement)} WHERE ${tagCondition(tags)}`;
    const [first] = await this.influxQl.select(`SELECT first(${influxQlIdentifier(field)}) ${from}`);
    const [last] = await this.influxQl.select(`SELECT last(${influxQlIdentifier(field)}) ${from}`);
    const firstRow = first?.rows[0];
    const lastRow = last?.rows[0];
    if (firstRow === undefined || lastRow === undefined) return undefined;
    return { fromNs: parseRfc3339Nanoseconds(firstRow.time), toNs: parseRfc3339Nanoseconds(lastRow.time) };
  }

  /**
   * Returns a text that changes whenever a session or daily average of this person is written with
   * another ordering timestamp: the count and sum of `ordering_ms` of both measurements.
   */
  async inputVersion(tags: ModelTags): Promise<string> {
    const parts: unknown[] = [];
    for (const measurement of [SESSION_MEASUREMENT, DAILY_MEASUREMENT]) {
      const [series] = await this.influxQl.select(`SELECT count("ordering_ms"), sum("ordering_ms") FROM ${influxQlIdentifier(measurement)} WHERE ${tagCondition(tags)}`);
      const row = series?.rows[0];
      parts.push(row?.count ?? 0, row?.sum ?? 0);
    }
    return JSON.stringify(parts);
  }

  private async selectRows(measurement: string, fields: readonly string[], tags: ModelTags, fromNs: bigint, toNs: bigint): Promise<Row[]> {
    const columns = fields.map(influxQlIdentifier).join(', ');
    const statement = `SELECT ${columns} FROM ${influxQlIdentifier(measurement)} WHERE ${tagCondition(tags)} AND time >= ${fromNs} AND time <= ${toNs}`;
    const series = await this.influxQl.select(statement);
    return series.flatMap((item) => item.rows);
  }
}

function tagCondition(tags: ModelTags): string {
  const person = influxQlString(lineProtocolTagValue(tags.person));
  const provider = influxQlString(lineProtocolTagValue(tags.provider));
  return `"person" = ${person} AND "provider" = ${provider}`;
}

function compareText(a: string, b: string): number {
  if (a === b) return 0;
  return a < b ? -1 : 1;
}

/** The reading methods of ModelStore, for consumers that must not write, such as dashboard-lite. */
export type ModelReader = Pick<ModelStore, 'readNights' | 'readSessions' | 'listModelTags'>;

/**
 * Builds a store that can only read. Its writer and deleter are never called through this type,
 * and constructing them sends no request, so read-only InfluxDB credentials are enough.
 */
export function createModelReader(config: InfluxConfig, influxQl: InfluxQlClient = new InfluxQlClient(config)): ModelReader {
  return new ModelStore(influxQl, createLineWriter(config), createPointDeleter(config, influxQl));
}

/** Builds the store for the receiver's InfluxDB settings, writing through `writer`. */
export function createModelStore(config: InfluxConfig, writer: LineWriter): ModelStore {
  const influxQl = new InfluxQlClient(config);
  return new ModelStore(influxQl, writer, createPointDeleter(config, influxQl));
}
