// Measures the nightly model against a real influxd started by the test harness, in-process:
// 1. keeping nights current: one sleep session per call of NightUpdater.applyRecords, for 3
//    people and 365 nights each, delivered in order (each call reads the stored sessions and nights
//    around the new night and rewrites the nights it affects);
// 2. `hrv-stack recompute`'s work (NightUpdater.rebuildAll) for 10 people with 730 nights each.
// Raw samples are not written: the model reads only hrv_session, hrv_daily and hrv_night.
// Run with `npm run bench:model`.
import { performance } from 'node:perf_hooks';
import { NightUpdater } from '../hrv-model/night-updater.js';
import { DEFAULT_NORMAL_RANGE_SD } from '../hrv-model/rolling-values.js';
import { sessionLine } from '../influx/model-points.js';
import { createModelStore } from '../influx/model-store.js';
import { V1LineWriter } from '../influx/v1-line-writer.js';
import { classifyTerraEvent, isEnvelopeProblem } from '../terra/envelope.js';
import { extractHrvSamples } from '../terra/hrv-samples.js';
import { extractModelRecords, type ModelRecords } from '../terra/model-records.js';
import { iterateSleepDeliveries } from '../terra/simulator/sleep-deliveries.js';
import { startInfluxDb } from '../test/support/influxdb.js';

const END_DATE = '2026-11-02';

function percentile(sorted: number[], fraction: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(fraction * sorted.length))] ?? Number.NaN;
}

function* recordsOf(people: number, nights: number): Generator<{ person: string; provider: string; records: ModelRecords }> {
  let ordering = Date.UTC(2026, 10, 3);
  for (const delivery of iterateSleepDeliveries({ people, nights, seed: 5, endDate: END_DATE })) {
    const event = classifyTerraEvent(delivery.body);
    if (isEnvelopeProblem(event) || event.kind !== 'hrv') throw new Error('the simulator sent something that is not an HRV event');
    const records = extractModelRecords(event.event, extractHrvSamples(event.event, 'UTC'), 'UTC', (ordering += 1));
    yield { person: delivery.person, provider: event.event.user.provider, records };
  }
}

async function measureIncremental(): Promise<void> {
  const influx = await startInfluxDb();
  try {
    const writer = new V1LineWriter({ url: influx.url, database: influx.database, timeoutMs: 30_000 });
    const updater = new NightUpdater(createModelStore({ apiVersion: 1, url: influx.url, database: influx.database, timeoutMs: 30_000 }, writer), DEFAULT_NORMAL_RANGE_SD);
    const latencies: number[] = [];
    for (const { person, provider, records } of recordsOf(3, 365)) {
      const started = performance.now();
      await updater.applyRecords({ person, provider }, records.sessions, records.dailies);
      latencies.push(performance.now() - started);
    }
    const sorted = latencies.sort((a, b) => a - b);
    const format = (value: number) => value.toFixed(1);
    console.log(`applyRecords, one session per call, in order: n=${sorted.length} p50=${format(percentile(sorted, 0.5))} ms p95=${format(percentile(sorted, 0.95))} ms max=${format(sorted.at(-1)!)} ms`);
  } finally {
    await influx.dispose();
  }
}

async function measureRebuild(): Promise<void> {
  const influx = await startInfluxDb();
  try {
    const writer = new V1LineWriter({ url: influx.url, database: influx.database, timeoutMs: 60_000 });
    const store = createModelStore({ apiVersion: 1, url: influx.url, database: influx.database, timeoutMs: 60_000 }, writer);
    const pairs = new Map<string, { person: string; provider: string }>();
    const lines: string[] = [];
    for (const { person, provider, records } of recordsOf(10, 730)) {
      pairs.set(`${person}\n${provider}`, { person, provider });
      for (const session of records.sessions) lines.push(sessionLine(session, { person, provider }));
    }
    await writer.write(lines);

    const updater = new NightUpdater(store, DEFAULT_NORMAL_RANGE_SD);
    const started = performance.now();
    let written = 0;
    for (const tags of pairs.values()) written += (await updater.rebuildAll(tags)).written;
    const seconds = (performance.now() - started) / 1000;
    console.log(`rebuildAll for ${pairs.size} people, ${lines.length} sessions: ${written} nights written in ${seconds.toFixed(2)} s (${(seconds / pairs.size).toFixed(2)} s per person)`);
  } finally {
    await influx.dispose();
  }
}

await measureIncremental();
await measureRebuild();
