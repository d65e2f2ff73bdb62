import type { InfluxConfig } from '../influx/create-line-writer.js';
import { InfluxQlClient, influxQlString, parseRfc3339Nanoseconds } from '../influx/influxql-client.js';
import { createModelReader, type ModelReader } from '../influx/model-store.js';
import type { ModelTags } from '../influx/model-points.js';
import { lineProtocolTagValue } from '../influx/points.js';
import { nightPointNanoseconds } from '../hrv-model/night-date.js';
import type { NightRow } from '../hrv-model/rolling-values.js';
import { parseTerraTimestamp } from '../terra/timestamp.js';

/** A person and the providers that have nights or sessions for them. */
export interface PersonProviders {
  person: string;
  providers: string[];
}

/** One sleep session of a night, with its start and end as the wearable wrote them. */
export interface NightSession {
  startTime: string;
  endTime: string;
}

/** One `hrv` point of a night: RMSSD, SDNN or both, in ms, null when absent. */
export interface NightSample {
  time: string;
  rmssdMs: number | null;
  sdnnMs: number | null;
}

export interface NightSamples {
  sessions: NightSession[];
  samples: NightSample[];
}

const NS_PER_DAY = 86_400_000_000_000n;

/**
 * Reads what dashboard-lite shows: people and providers and the `hrv_night` rows through the model
 * store, and the `hrv` samples of one night's sleep sessions through InfluxQL.
 */
export class NightReader {
  private readonly influxQl: InfluxQlClient;
  private readonly models: ModelReader;

  constructor(config: InfluxConfig) {
    this.influxQl = new InfluxQlClient(config);
    this.models = createModelReader(config, this.influxQl);
  }

  async listPeople(): Promise<PersonProviders[]> {
    const people = new Map<string, string[]>();
    for (const { person, provider } of await this.models.listModelTags()) {
      people.set(person, [...(people.get(person) ?? []), provider]);
    }
    return [...people].map(([person, providers]) => ({ person, providers }));
  }

  /** Returns the nights of `fromDay..toDay` (day numbers, both included), oldest first. */
  async readNights(tags: ModelTags, fromDay: number, toDay: number): Promise<NightRow[]> {
    return this.models.readNights(tags, fromDay, toDay);
  }

  /**
   * Returns the sleep sessions (naps excluded) whose night date is `dayNumber`, and the `hrv`
   * samples of source `sleep` between each one's start and end.
   */
  async readNightSamples(tags: ModelTags, dayNumber: number): Promise<NightSamples> {
    // A session ends on its night date as written, in any offset from UTC-12 to UTC+14, and no
    // session lasts two days, so every start lies in this window.
    const fromNs = nightPointNanoseconds(dayNumber - 2);
    const toNs = nightPointNanoseconds(dayNumber + 1);
    const nightDate = new Date(dayNumber * 86_400_000).toISOString().slice(0, 10);
    const sessions = (await this.models.readSessions(tags, fromNs, toNs)).filter((session) => session.nightDate === nightDate && !session.isNap);

    const samples: NightSample[] = [];
    for (const session of sessions) {
      const endNs = session.startNs + sessionDurationNs(session.startTime, session.endTime);
      samples.push(...(await this.readSamples(tags, session.startNs, endNs)));
    }
    return { sessions: sessions.map(({ startTime, endTime }) => ({ startTime, endTime })), samples };
  }

  private async readSamples(tags: ModelTags, fromNs: bigint, toNs: bigint): Promise<NightSample[]> {
    const person = influxQlString(lineProtocolTagValue(tags.person));
    const provider = influxQlString(lineProtocolTagValue(tags.provider));
    const where = `"person" = ${person} AND "provider" = ${provider} AND "source" = 'sleep' AND time >= ${fromNs} AND time <= ${toNs}`;
    const series = await this.influxQl.select(`SELECT "rmssd", "sdnn" FROM "hrv" WHERE ${where}`);
    return series.flatMap((item) => item.rows).map((row) => ({
      time: new Date(Number(parseRfc3339Nanoseconds(row.time) / 1_000_000n)).toISOString(),
      rmssdMs: typeof row.rmssd === 'number' ? row.rmssd : null,
      sdnnMs: typeof row.sdnn === 'number' ? row.sdnn : null,
    }));
  }
}

/**
 * Returns a session's length from its start and end as written. Both are read in UTC: a timestamp
 * without an offset is then off by the same amount at both ends, so the length stays right.
 * NOTE: such a session across a daylight-saving change in DEFAULT_TIMEZONE is one hour off.
 */
function sessionDurationNs(startTime: string, endTime: string): bigint {
  const start = parseTerraTimestamp(startTime, 'UTC');
  const end = parseTerraTimestamp(endTime, 'UTC');
  if (start === undefined || end === undefined || end < start) return NS_PER_DAY;
  return end - start;
}
