import type { ModelTags } from '../influx/model-points.js';
import type { SleepSessionRecord } from '../hrv-model/stored-records.js';
import type { ExtractedSamples } from '../terra/hrv-samples.js';
import type { ModelRecords } from '../terra/model-records.js';
import type { PreparedDelivery } from './prepare-delivery.js';

/** The line protocol lines of one sleep item's samples, with the session the item describes. */
export interface SessionSampleLines {
  session: SleepSessionRecord;
  /** Index of the item's first line. Lines `start` to `rmssdEnd - 1` are its RMSSD samples. */
  start: number;
  /** Index after the item's last RMSSD line, where its SDNN lines begin. */
  rmssdEnd: number;
  /** Index after the item's last line. */
  end: number;
}

/** Finds the sessions whose stored copy wins; NightUpdater.findOlderCopies does this. */
export interface OlderCopyFinder {
  findOlderCopies(tags: ModelTags, sessions: readonly SleepSessionRecord[]): Promise<Set<SleepSessionRecord>>;
}

/** Returns where each session's samples lie in the delivery's lines, which follow `extracted.samples` one to one. */
export function sessionSampleLines(extracted: ExtractedSamples, records: ModelRecords): SessionSampleLines[] {
  return records.sessions.map((session, position) => {
    const itemIndex = records.sessionItemIndexes[position]!;
    const start = itemIndex === 0 ? 0 : extracted.itemSampleEnds[itemIndex - 1]!;
    const rmssdEnd = start + (extracted.itemRmssd[itemIndex]?.count ?? 0);
    return { session, start, rmssdEnd, end: extracted.itemSampleEnds[itemIndex]! };
  });
}

/**
 * Drops the raw samples of sleep items that are an older copy of a stored session, and counts them
 * as skipped `older_copy`. InfluxDB keeps the last point written at a series and time, so without
 * this an older copy arriving late would overwrite the newer copy's values. At-least-once still
 * holds: the worker writes a session to `hrv_session` only after InfluxDB accepted all of that
 * delivery's samples, so a stored newer copy means its samples are stored too.
 */
export async function skipOlderCopySamples(prepared: PreparedDelivery, finder: OlderCopyFinder): Promise<PreparedDelivery> {
  const groups = prepared.model?.sessionLines ?? [];
  if (prepared.model === undefined || groups.every((group) => group.end === group.start)) return prepared;

  const older = await finder.findOlderCopies(prepared.model.tags, groups.map((group) => group.session));
  const skippedGroups = groups.filter((group) => older.has(group.session) && group.end > group.start);
  return skippedGroups.length === 0 ? prepared : withoutGroups(prepared, skippedGroups);
}

function withoutGroups(prepared: PreparedDelivery, groups: readonly SessionSampleLines[]): PreparedDelivery {
  const dropped = new Uint8Array(prepared.lines.length);
  let rmssd = 0;
  let sdnn = 0;
  for (const group of groups) {
    dropped.fill(1, group.start, group.end);
    rmssd += group.rmssdEnd - group.start;
    sdnn += group.end - group.rmssdEnd;
  }

  const lines = prepared.lines.filter((_line, index) => dropped[index] === 0);
  const { stored, skipped } = prepared.outcome;
  const outcome = {
    ...prepared.outcome,
    stored: { ...stored, rmssd: stored.rmssd - rmssd, sdnn: stored.sdnn - sdnn },
    skipped: { ...skipped, older_copy: (skipped.older_copy ?? 0) + rmssd + sdnn },
  };
  return { ...prepared, lines, outcome };
}
