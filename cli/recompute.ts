import { NightUpdater } from '../hrv-model/night-updater.js';
import { InfluxWriteError } from '../influx/write-error.js';
import { createLineWriter } from '../influx/create-line-writer.js';
import type { ModelTags } from '../influx/model-points.js';
import { createModelStore, type ModelStore } from '../influx/model-store.js';
import { lineProtocolTagValue } from '../influx/points.js';
import type { ReceiverConfig } from '../receiver/config.js';
import { InvalidOptionsError, type CommandOutput } from './deliver.js';

export interface RecomputeOptions {
  person?: string;
  provider?: string;
}

/** Output for the progress bar: a terminal's stderr, or nothing when `isTTY` is false. */
export interface ProgressOutput {
  isTTY: boolean;
  columns?: number;
  write(text: string): void;
}

export interface RecomputeSummary {
  pairs: number;
  written: number;
  deleted: number;
  unchanged: number;
}

/** A recompute that InfluxDB stopped; the nights finished before it stay written. */
export class RecomputeError extends Error {
  override name = 'RecomputeError';
}

const BAR_WIDTH = 30;

function drawProgress(progress: ProgressOutput, done: number, total: number, tags: ModelTags): void {
  if (!progress.isTTY) return;
  const filled = Math.round((BAR_WIDTH * done) / total);
  const line = `[${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}] ${done}/${total} ${tags.person} ${tags.provider}`;
  progress.write(`\r${line.slice(0, (progress.columns ?? 80) - 1).padEnd((progress.columns ?? 80) - 1)}`);
}

async function selectPairs(store: ModelStore, options: RecomputeOptions): Promise<ModelTags[]> {
  const all = await store.listModelTags();
  const person = options.person === undefined ? undefined : lineProtocolTagValue(options.person);
  const provider = options.provider === undefined ? undefined : lineProtocolTagValue(options.provider);
  const selected = all.filter((tags) => (person === undefined || tags.person === person) && (provider === undefined || tags.provider === provider));
  if (selected.length > 0 || all.length === 0) return selected;

  const known = all.map((tags) => `${tags.person} (${tags.provider})`).join(', ');
  const selection = [options.person && `person "${options.person}"`, options.provider && `provider "${options.provider}"`].filter(Boolean).join(' and ');
  throw new InvalidOptionsError([`no sessions or daily averages are stored for ${selection}; stored: ${known}`]);
}

/**
 * Recomputes every `hrv_night` row of the selected people from the `hrv_session` and `hrv_daily`
 * points InfluxDB holds, with the current HRV_NORMAL_RANGE_SD, and deletes rows of nights that
 * no longer have a value. Prints one line per person and provider.
 */
export async function runRecompute(options: RecomputeOptions, config: ReceiverConfig, output: CommandOutput, progress: ProgressOutput): Promise<RecomputeSummary> {
  const store = createModelStore(config.influx, createLineWriter(config.influx));
  const updater = new NightUpdater(store, config.normalRangeSd);
  const summary: RecomputeSummary = { pairs: 0, written: 0, deleted: 0, unchanged: 0 };

  try {
    const pairs = await selectPairs(store, options);
    if (pairs.length === 0) output.info('No sessions or daily averages are stored yet: nothing to recompute.');
    for (const [index, tags] of pairs.entries()) {
      drawProgress(progress, index, pairs.length, tags);
      const counts = await updater.rebuildAll(tags);
      if (progress.isTTY) progress.write('\r\u001b[K');
      output.info(`${tags.person} (${tags.provider}): ${counts.written} nights written, ${counts.deleted} deleted, ${counts.unchanged} unchanged`);
      summary.pairs += 1;
      summary.written += counts.written;
      summary.deleted += counts.deleted;
      summary.unchanged += counts.unchanged;
    }
  } catch (error) {
    if (progress.isTTY) progress.write('\n');
    if (!(error instanceof InfluxWriteError)) throw error;
    throw new RecomputeError(`recompute stopped: ${error.message}. Check INFLUX_URL and the credentials, then run it again; it starts over safely.`);
  }

  const pairs = summary.pairs === 1 ? '1 person and provider pair' : `${summary.pairs} person and provider pairs`;
  output.info(`Recomputed ${pairs} with k = ${config.normalRangeSd}: ${summary.written} nights written, ${summary.deleted} deleted, ${summary.unchanged} unchanged.`);
  return summary;
}
