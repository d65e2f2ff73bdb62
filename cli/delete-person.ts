import { createInterface } from 'node:readline/promises';

import { InfluxQlClient, influxQlIdentifier, influxQlString } from '../influx/influxql-client.js';
import { createPointDeleter, type PointDeleter } from '../influx/point-deleter.js';
import { lineProtocolTagValue } from '../influx/points.js';
import { InfluxWriteError } from '../influx/write-error.js';
import type { ReceiverConfig } from '../receiver/config.js';
import { ARRIVAL_MEASUREMENT } from '../receiver/arrival-line.js';
import { Spool } from '../receiver/spool.js';
import { InvalidOptionsError, type CommandOutput } from './deliver.js';

/** Every measurement with a `person` tag, and the fields whose values are counted for the summary. */
const PERSON_MEASUREMENTS: ReadonlyArray<{ measurement: string; fields: readonly string[]; describe: string }> = [
  { measurement: 'hrv', fields: ['rmssd', 'sdnn'], describe: 'RMSSD and SDNN samples' },
  { measurement: 'terra_event', fields: ['type'], describe: 'connection events' },
  { measurement: 'hrv_session', fields: ['ordering_ms'], describe: 'sleep sessions' },
  { measurement: 'hrv_daily', fields: ['ordering_ms'], describe: 'daily averages' },
  { measurement: 'hrv_night', fields: ['status'], describe: 'nights' },
  { measurement: ARRIVAL_MEASUREMENT, fields: ['samples'], describe: 'delivery arrivals' },
];

export interface DeletePersonOptions {
  person: string;
  /** Skips the confirmation. */
  yes: boolean;
}

/** Asks the user to type the person's name; undefined when there is no terminal to ask on. */
export type ConfirmationPrompt = (question: string) => Promise<string | undefined>;

/** A deletion that InfluxDB stopped; the measurements deleted before it stay deleted. */
export class DeletePersonError extends Error {
  override name = 'DeletePersonError';
}

/** Asks on the terminal, or returns undefined when stdin is not one. */
export const terminalPrompt: ConfirmationPrompt = async (question) => {
  if (process.stdin.isTTY !== true) return undefined;
  const readline = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return await readline.question(question);
  } finally {
    readline.close();
  }
};

async function countValues(influxQl: InfluxQlClient, person: string): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  const condition = `"person" = ${influxQlString(lineProtocolTagValue(person))}`;
  for (const { measurement, fields } of PERSON_MEASUREMENTS) {
    const columns = fields.map((field) => `count(${influxQlIdentifier(field)})`).join(', ');
    const [series] = await influxQl.select(`SELECT ${columns} FROM ${influxQlIdentifier(measurement)} WHERE ${condition}`);
    const row = series?.rows[0] ?? {};
    const total = Object.entries(row).reduce((sum, [column, value]) => (column === 'time' ? sum : sum + Number(value ?? 0)), 0);
    counts.set(measurement, total);
  }
  return counts;
}

/**
 * Lists the people with points. SHOW TAG VALUES would be shorter, but InfluxDB 1.x keeps listing a
 * deleted tag value in it until its index is compacted.
 */
async function storedPeople(influxQl: InfluxQlClient): Promise<string[]> {
  const people = new Set<string>();
  for (const { measurement, fields } of PERSON_MEASUREMENTS) {
    const series = await influxQl.select(`SELECT count(${influxQlIdentifier(fields[0]!)}) FROM ${influxQlIdentifier(measurement)} GROUP BY "person"`);
    for (const entry of series) if (entry.tags.person !== undefined) people.add(entry.tags.person);
  }
  return [...people].sort();
}

/**
 * Deletes the deliveries of the spool's failed area whose reason names the person: they hold the
 * raw payload, HRV values included, and `requeue-failed` would store them again. Returns how many,
 * or undefined when the spool folder is not there.
 */
async function removeFailedDeliveries(spoolDir: string, person: string): Promise<number | undefined> {
  const spool = new Spool(spoolDir);
  let ids: string[];
  try {
    ids = await spool.failedIds();
  } catch {
    return undefined;
  }
  let removed = 0;
  for (const id of ids) {
    const reason = await spool.failedReason(id);
    if (typeof reason?.person !== 'string' || lineProtocolTagValue(reason.person) !== lineProtocolTagValue(person)) continue;
    await spool.removeFailed(id);
    removed += 1;
  }
  return removed;
}

function describeCounts(counts: ReadonlyMap<string, number>): string {
  return PERSON_MEASUREMENTS.map(({ measurement, describe }) => `  ${measurement}: ${counts.get(measurement) ?? 0} ${describe}`).join('\n');
}

async function deleteEverything(deleter: PointDeleter, person: string): Promise<void> {
  for (const { measurement } of PERSON_MEASUREMENTS) await deleter.deleteAll(measurement, { person });
}

/**
 * Deletes every point whose `person` tag is `options.person`, in every measurement, after the user
 * typed the name to confirm (or with `yes`). Prints what it will delete first and checks afterwards
 * that nothing is left. Returns the exit code.
 */
export async function runDeletePerson(options: DeletePersonOptions, config: ReceiverConfig, output: CommandOutput, prompt: ConfirmationPrompt): Promise<number> {
  const influxQl = new InfluxQlClient(config.influx);
  const person = options.person;
  try {
    const counts = await countValues(influxQl, person);
    if ([...counts.values()].every((count) => count === 0)) {
      const people = await storedPeople(influxQl);
      output.error(`No points are stored for person "${person}". Stored people: ${people.length === 0 ? 'none' : people.join(', ')}.`);
      return 1;
    }

    output.info(`Deleting every point of person "${person}" cannot be undone. Stored now:\n${describeCounts(counts)}`);
    if (!options.yes) {
      const answer = await prompt(`Type the person's name (${person}) to delete: `);
      if (answer === undefined) throw new InvalidOptionsError(['stdin is not a terminal, so the deletion cannot be confirmed: pass --yes']);
      if (answer.trim() !== person.trim()) {
        output.error('The name did not match; nothing was deleted.');
        return 1;
      }
    }

    await deleteEverything(createPointDeleter(config.influx, influxQl), person);
    const left = await countValues(influxQl, person);
    if ([...left.values()].some((count) => count > 0)) throw new DeletePersonError(`some points of "${person}" are still stored:\n${describeCounts(left)}\nRun the command again.`);
  } catch (error) {
    if (!(error instanceof InfluxWriteError)) throw error;
    throw new DeletePersonError(`delete-person stopped: ${error.message}. Check INFLUX_URL and that the credentials may delete, then run it again.`);
  }

  const removed = await removeFailedDeliveries(config.spoolDir, person);
  const failedArea = removed === undefined
    ? `The spool folder ${config.spoolDir} was not found, so its failed deliveries were not checked; run the command where SPOOL_DIR is the receiver's.`
    : `Removed ${removed} failed ${removed === 1 ? 'delivery' : 'deliveries'} of "${person}" from ${config.spoolDir}/failed.`;
  output.info(
    `Deleted every point of person "${person}". ${failedArea} Disconnect the person in Terra too (or remove the connection): ` +
      'a delivery still waiting in the spool, or a new one, would store data for them again.',
  );
  return 0;
}
