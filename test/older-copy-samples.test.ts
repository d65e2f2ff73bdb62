// Real parts: the worker's preparation of Terra's Oura sample (a night and a nap) and the
// NightUpdater's copy comparison. Stand-ins: a finder that names the older sessions, and a model
// store that returns chosen stored sessions instead of querying InfluxDB.
import { describe, expect, it } from 'vitest';
import { NightUpdater } from '../hrv-model/night-updater.js';
import type { SleepSessionRecord } from '../hrv-model/stored-records.js';
import type { ModelStore } from '../influx/model-store.js';
import { skipOlderCopySamples, type OlderCopyFinder } from '../receiver/older-copy-samples.js';
import { prepareDelivery, type PreparedDelivery } from '../receiver/prepare-delivery.js';
import { readTerraSample } from './support/terra-samples.js';

const OPTIONS = { personLabels: new Map<string, string>(), defaultTimeZone: 'UTC' };
const NIGHT_ID = '6cdc1836-5c65-22ed-88ac-c0d2bec801bf';
const NAP_ID = '0c9deccc-a383-40a7-9188-e022fd1a1d1b';

function prepareOura(): PreparedDelivery {
  const delivery = { id: 'delivery-1', metadata: { receivedAtMs: 0, orderingTimestampMs: Date.UTC(2026, 10, 2, 12) }, body: readTerraSample('sleep-oura-night-and-nap.json') };
  return prepareDelivery(delivery, OPTIONS);
}

/** Returns a finder that reports every session with one of these summary ids as an older copy. */
function finderOf(olderIds: string[]): OlderCopyFinder & { calls: number } {
  const finder = {
    calls: 0,
    async findOlderCopies(_tags: unknown, sessions: readonly SleepSessionRecord[]) {
      finder.calls += 1;
      return new Set(sessions.filter((session) => olderIds.includes(session.summaryId ?? '')));
    },
  };
  return finder;
}

describe('skipOlderCopySamples', () => {
  it('keeps every sample when no copy is older', async () => {
    const prepared = prepareOura();

    const result = await skipOlderCopySamples(prepared, finderOf([]));

    expect(result).toBe(prepared);
    expect(result.lines).toHaveLength(2 * (98 + 8));
  });

  it('drops the samples of an older night', async () => {
    const prepared = prepareOura();

    const result = await skipOlderCopySamples(prepared, finderOf([NIGHT_ID]));

    expect(result.lines).toEqual(prepared.lines.slice(2 * 98));
    expect(result.outcome.stored).toEqual({ rmssd: 8, sdnn: 8, events: 0 });
    expect(result.outcome.skipped).toEqual({ older_copy: 2 * 98 });
    expect(result.model).toBe(prepared.model);
  });

  it('drops the samples of an older nap', async () => {
    const prepared = prepareOura();

    const result = await skipOlderCopySamples(prepared, finderOf([NAP_ID]));

    expect(result.lines).toEqual(prepared.lines.slice(0, 2 * 98));
    expect(result.outcome.stored).toEqual({ rmssd: 98, sdnn: 98, events: 0 });
    expect(result.outcome.skipped).toEqual({ older_copy: 2 * 8 });
  });

  it('skips the lookup for a delivery without samples', async () => {
    const finder = finderOf([NIGHT_ID]);
    const delivery = { id: 'delivery-2', metadata: { receivedAtMs: 0 }, body: readTerraSample('sleep-whoop-summary-only.json') };
    const prepared = prepareDelivery(delivery, OPTIONS);

    expect(await skipOlderCopySamples(prepared, finder)).toBe(prepared);
    expect(finder.calls).toBe(0);
  });
});

describe('NightUpdater.findOlderCopies', () => {
  const tags = { person: 'bob', provider: 'OURA' };
  const [night, nap] = prepareOura().model!.sessions as [SleepSessionRecord, SleepSessionRecord];

  function updaterWith(stored: SleepSessionRecord[]): NightUpdater {
    const store = { readSessions: async () => stored } as unknown as ModelStore;
    return new NightUpdater(store, 0.5);
  }

  it('names a session whose stored copy is later', async () => {
    const later = { ...night, orderingMs: night.orderingMs + 1 };

    expect(await updaterWith([later]).findOlderCopies(tags, [night, nap])).toEqual(new Set([night]));
  });

  it('keeps a session whose stored copy is earlier', async () => {
    const earlier = { ...night, orderingMs: night.orderingMs - 1, samples: 200 };

    expect(await updaterWith([earlier]).findOlderCopies(tags, [night, nap])).toEqual(new Set());
  });

  it('keeps a session stored exactly as it arrives', async () => {
    expect(await updaterWith([night]).findOlderCopies(tags, [night])).toEqual(new Set());
  });

  it('names the losing copy within one delivery', async () => {
    const fuller = { ...night, samples: night.samples + 1 };

    expect(await updaterWith([]).findOlderCopies(tags, [night, fuller])).toEqual(new Set([night]));
  });
});
