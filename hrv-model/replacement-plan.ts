import { compareCopies, sameRecord, type StoredRecord } from './stored-records.js';

/** The writes and deletes that leave only the latest copy of every record in storage. */
export interface ReplacementPlan<T> {
  writes: T[];
  /**
   * Stored copies whose time differs from the copy that replaces them. They are deleted last,
   * after the nights are refreshed, so that a retry after a failure still finds their night dates.
   */
  obsolete: T[];
  /** Incoming copies that are not older than the stored ones, and the stored copies they meet. */
  affected: T[];
  unchanged: number;
  /** Incoming copies older than a stored one, which are ignored. */
  olderCopies: number;
}

export interface RecordIdentity<T> {
  keyOf(record: T): string;
  timeNsOf(record: T): bigint;
}

/** Returns the copy that wins under compareCopies, or undefined for an empty list. */
export function latestCopy<T extends StoredRecord>(copies: readonly T[]): T | undefined {
  let latest: T | undefined;
  for (const copy of copies) if (latest === undefined || compareCopies(copy, latest) > 0) latest = copy;
  return latest;
}

export function groupBy<T>(records: readonly T[], keyOf: (record: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const record of records) {
    const key = keyOf(record);
    groups.set(key, [...(groups.get(key) ?? []), record]);
  }
  return groups;
}

/**
 * Keeps the latest copy of each key, and of each time: two records at the same time would be one
 * InfluxDB point, so only one of them can be stored.
 */
export function latestCopies<T extends StoredRecord>(records: readonly T[], identity: RecordIdentity<T>): T[] {
  const byKey = [...groupBy(records, identity.keyOf).values()].map((copies) => latestCopy(copies)!);
  return [...groupBy(byKey, (record) => String(identity.timeNsOf(record))).values()].map((copies) => latestCopy(copies)!);
}

/**
 * Plans how incoming copies replace stored ones. A copy replaces the stored records with its key,
 * and any other record at its time, unless one of them wins under compareCopies. Writing it
 * overwrites the stored point at its time; a stored copy at another time becomes obsolete.
 */
export function planReplacements<T extends StoredRecord>(incoming: readonly T[], stored: readonly T[], identity: RecordIdentity<T>): ReplacementPlan<T> {
  const plan: ReplacementPlan<T> = { writes: [], obsolete: [], affected: [], unchanged: 0, olderCopies: 0 };
  const storedByKey = groupBy(stored, identity.keyOf);
  const storedByTime = groupBy(stored, (record) => String(identity.timeNsOf(record)));

  for (const record of latestCopies(incoming, identity)) {
    const timeNs = identity.timeNsOf(record);
    const copies = storedByKey.get(identity.keyOf(record)) ?? [];
    const others = (storedByTime.get(String(timeNs)) ?? []).filter((other) => identity.keyOf(other) !== identity.keyOf(record));
    const current = latestCopy([...copies, ...others]);
    if (current !== undefined && compareCopies(current, record) > 0) {
      plan.olderCopies += 1;
      continue;
    }

    plan.affected.push(record, ...copies, ...others);
    if (copies.length === 1 && others.length === 0 && sameRecord(copies[0]!, record)) {
      plan.unchanged += 1;
      continue;
    }
    plan.writes.push(record);
    plan.obsolete.push(...copies.filter((copy) => identity.timeNsOf(copy) !== timeNs));
  }
  return plan;
}

/**
 * True when writing `next` over `previous` would leave one of `previous`'s fields behind:
 * InfluxDB merges the fields of two points with the same series and time.
 */
export function leavesFieldsBehind(previous: object, next: object): boolean {
  return Object.entries(previous).some(([name, value]) => value !== undefined && (next as Record<string, unknown>)[name] === undefined);
}
