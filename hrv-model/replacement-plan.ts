import { compareCopies, sameRecord, type StoredRecord } from './stored-records.js';

/** What to delete and write so that storage keeps only the latest copy of every record. */
export interface ReplacementPlan<T> {
  /** Stored copies to delete before the writes: their time differs, or a field would linger. */
  deletes: T[];
  writes: T[];
  /** Every copy that `writes` replaces, deleted or overwritten; their days are affected too. */
  replaced: T[];
  unchanged: number;
  /** Incoming copies older than the stored one, which are ignored. */
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

/** Keeps the latest copy of each key, for a delivery that carries one record twice. */
export function latestCopies<T extends StoredRecord>(records: readonly T[], identity: RecordIdentity<T>): T[] {
  const byKey = groupByKey(records, identity);
  return [...byKey.values()].map((copies) => latestCopy(copies)!);
}

export function groupByKey<T>(records: readonly T[], identity: RecordIdentity<T>): Map<string, T[]> {
  const byKey = new Map<string, T[]>();
  for (const record of records) {
    const key = identity.keyOf(record);
    byKey.set(key, [...(byKey.get(key) ?? []), record]);
  }
  return byKey;
}

/**
 * True when writing `next` over `previous` would leave one of `previous`'s fields behind:
 * InfluxDB merges the fields of two points with the same series and time.
 */
export function leavesFieldsBehind(previous: object, next: object): boolean {
  return Object.entries(previous).some(([name, value]) => value !== undefined && (next as Record<string, unknown>)[name] === undefined);
}

/**
 * Plans how incoming copies replace stored ones. A copy replaces the stored record with the same
 * key unless the stored one is later (compareCopies); an identical copy changes nothing.
 */
export function planReplacements<T extends StoredRecord>(incoming: readonly T[], stored: readonly T[], identity: RecordIdentity<T>): ReplacementPlan<T> {
  const plan: ReplacementPlan<T> = { deletes: [], writes: [], replaced: [], unchanged: 0, olderCopies: 0 };
  const storedByKey = groupByKey(stored, identity);

  for (const record of latestCopies(incoming, identity)) {
    const copies = storedByKey.get(identity.keyOf(record)) ?? [];
    const current = latestCopy(copies);
    if (current !== undefined && compareCopies(current, record) > 0) {
      plan.olderCopies += 1;
      continue;
    }
    if (current !== undefined && copies.length === 1 && sameRecord(current, record)) {
      plan.unchanged += 1;
      continue;
    }

    for (const copy of copies) {
      const moved = identity.timeNsOf(copy) !== identity.timeNsOf(record);
      if (moved || leavesFieldsBehind(copy, record)) plan.deletes.push(copy);
      plan.replaced.push(copy);
    }
    plan.writes.push(record);
  }
  return plan;
}
