import { stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';

import { Spool } from '../receiver/spool.js';
import { IDLE_RESCAN_MS } from '../receiver/spool-worker.js';
import { type CommandOutput, InvalidOptionsError } from './deliver.js';

/** The receiver's spool folder when SPOOL_DIR is not set, as in receiver/config.ts. */
export const DEFAULT_SPOOL_DIR = './spool';

/** How often the receiver's idle worker lists `pending/` again, in seconds; the message below promises it. */
const WORKER_RESCAN_SECONDS = IDLE_RESCAN_MS / 1000;

export interface RequeueFailedOptions {
  /** The receiver's spool folder; relative paths start at the current folder. */
  spoolDir: string;
}

export interface RequeueFailedSummary {
  /** Absolute path of the spool folder. */
  spoolDir: string;
  /** Ids of the deliveries moved back to `pending/`, oldest first. */
  requeuedIds: string[];
}

/** A requeue that failed on the disk, for example for lack of permission. Deliveries already moved stay in pending/. */
export class RequeueFailedError extends Error {
  constructor(message: string, options: { cause: unknown }) {
    super(message, options);
    this.name = 'RequeueFailedError';
  }
}

/**
 * Returns the spool folder to use: the `--spool-dir` option, else SPOOL_DIR, else ./spool. An
 * empty SPOOL_DIR counts as not set, as it does for the receiver.
 */
export function resolveSpoolDir(option: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  if (option !== undefined) return option;

  const fromEnvironment = env.SPOOL_DIR;
  return fromEnvironment === undefined || fromEnvironment === '' ? DEFAULT_SPOOL_DIR : fromEnvironment;
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

/**
 * Returns a problem message unless `spoolDir` contains the `pending/` and `failed/` folders that the
 * receiver creates at start. The spool is not created here: a typo in the path would otherwise
 * make an empty spool and report that nothing needed requeueing.
 */
async function checkSpoolDir(spoolDir: string): Promise<string | undefined> {
  const passOption = "pass --spool-dir with the receiver's SPOOL_DIR";
  if (!(await isDirectory(spoolDir))) return `spool folder ${spoolDir} not found: ${passOption}`;

  const hasPending = await isDirectory(join(spoolDir, 'pending'));
  const hasFailed = await isDirectory(join(spoolDir, 'failed'));
  if (!hasPending || !hasFailed) return `${spoolDir} is not a receiver spool folder, because it has no pending/ or failed/ folder: ${passOption}`;

  return undefined;
}

function describeRequeue(summary: RequeueFailedSummary): string {
  const failedFolder = join(summary.spoolDir, 'failed');
  const count = summary.requeuedIds.length;
  if (count === 0) return `No failed deliveries in ${failedFolder}: nothing to requeue.`;

  const [noun, pronoun] = count === 1 ? ['delivery', 'it'] : ['deliveries', 'them'];
  return [
    `Requeued ${count} failed ${noun} from ${failedFolder} to pending/.`,
    `A running receiver picks ${pronoun} up within ${WORKER_RESCAN_SECONDS} seconds, a stopped one at its next start.`,
  ].join('\n');
}

/**
 * Moves every delivery in the spool's `failed/` folder back to `pending/` and removes its reason
 * file, so that the receiver's worker tries to store it again. Prints how many were moved. Throws
 * InvalidOptionsError when `spoolDir` is not a spool folder, and RequeueFailedError when a move
 * fails on the disk. It may run beside a running receiver, because unlike Spool.open() it does
 * not clear tmp/, where the receiver may be writing a delivery at that moment.
 */
export async function runRequeueFailed(options: RequeueFailedOptions, output: CommandOutput): Promise<RequeueFailedSummary> {
  const spoolDir = resolve(options.spoolDir);
  const problem = await checkSpoolDir(spoolDir);
  if (problem !== undefined) throw new InvalidOptionsError([problem]);

  let requeuedIds: string[];
  try {
    requeuedIds = await new Spool(spoolDir).requeueFailed();
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    const message = `moving failed deliveries back to pending/ in ${spoolDir} failed: ${reason}. Deliveries moved before the error stay in pending/.`;
    throw new RequeueFailedError(message, { cause: error });
  }

  const summary = { spoolDir, requeuedIds };
  output.info(describeRequeue(summary));
  return summary;
}
