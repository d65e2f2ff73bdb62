import { parseTerraTimestamp } from '../terra/timestamp.js';
import { checkSimulatedSleepOptions, DEFAULT_SEED, resolveEndDate } from '../terra/simulator/simulation-options.js';
import {
  countSleepDeliveries,
  iterateSleepDeliveries,
  type SimulatedSleepDelivery,
} from '../terra/simulator/sleep-deliveries.js';
import {
  checkWebhookUrl,
  type CommandOutput,
  DeliveryError,
  type DeliveryOptions,
  deliverSignedBody,
  InvalidOptionsError,
  quoteResponseBody,
  redactUrl,
} from './deliver.js';

export interface SimulateOptions {
  /** Receiver's webhook URL, http or https. */
  url: string;
  /** Signing secret shared with the receiver; never printed. */
  secret: string;
  /** Number of people, 1..100. */
  people: number;
  /** Nights per person, 1..3650. */
  nights: number;
  /** PRNG seed; default 1, so two runs send the same data. */
  seed?: number;
  /** Wake-up date of the last night, `YYYY-MM-DD`; default: yesterday in UTC. */
  endDate?: string;
  /** Deliveries in flight at once, 1..32; default 4. */
  concurrency?: number;
  /** Clock used only for the default end date. */
  now?: Date;
  /** Timeout and retry settings of each delivery. */
  delivery?: Pick<DeliveryOptions, 'timeoutMs' | 'retries' | 'retryDelayMs'>;
}

export interface SimulateSummary {
  seed: number;
  endDate: string;
  people: number;
  nights: number;
  /** Deliveries posted: one per person per night plus one per nap. */
  deliveries: number;
  /** Deliveries the receiver accepted with a 2xx status. */
  accepted: number;
  /** Deliveries that got a status other than 2xx, or no response at all. */
  rejected: number;
  /** Rejected deliveries by HTTP status, or under `no response` when every attempt failed. */
  rejectedByStatus: Record<string, number>;
  naps: number;
  /** Sessions sent with summary averages only and empty sample arrays. */
  summaryOnlySessions: number;
  /** RMSSD samples in all deliveries posted; the SDNN samples have the same count. */
  rmssdSamplesSent: number;
  /** RMSSD samples in accepted deliveries; the SDNN samples have the same count. */
  rmssdSamplesAccepted: number;
}

const DEFAULT_CONCURRENCY = 4;
const MAX_CONCURRENCY = 32;
/** Progress is printed about this many times per run. */
const PROGRESS_STEPS = 10;
const NO_RESPONSE = 'no response';

/** Lists every invalid option with its value and the expected range; the secret's value is never shown. */
export function checkSimulateOptions(options: SimulateOptions): string[] {
  const problems = checkSimulatedSleepOptions(options);
  const urlProblem = checkWebhookUrl(options.url);
  const { concurrency } = options;

  if (urlProblem !== undefined) problems.unshift(urlProblem);
  if (options.secret === '') problems.push('secret must not be empty: pass --secret or set TERRA_SIGNING_SECRET to the signing secret the receiver uses');
  if (concurrency !== undefined && !(Number.isInteger(concurrency) && concurrency >= 1 && concurrency <= MAX_CONCURRENCY)) {
    problems.push(`concurrency must be a whole number from 1 to ${MAX_CONCURRENCY}, got ${concurrency}`);
  }

  return problems;
}

/**
 * Runs `work` on every item with at most `concurrency` calls in flight. Items are pulled from the
 * iterator only when a worker is free, so a long simulation is never held in memory at once.
 */
async function runWithConcurrency<T>(items: Iterator<T>, concurrency: number, work: (item: T) => Promise<void>): Promise<void> {
  const worker = async (): Promise<void> => {
    for (let next = items.next(); next.done !== true; next = items.next()) await work(next.value);
  };

  await Promise.all(Array.from({ length: concurrency }, worker));
}

function emptySummary(options: SimulateOptions): SimulateSummary {
  return {
    seed: options.seed ?? DEFAULT_SEED,
    endDate: resolveEndDate(options),
    people: options.people,
    nights: options.nights,
    deliveries: 0,
    accepted: 0,
    rejected: 0,
    rejectedByStatus: {},
    naps: 0,
    summaryOnlySessions: 0,
    rmssdSamplesSent: 0,
    rmssdSamplesAccepted: 0,
  };
}

function countPosted(summary: SimulateSummary, delivery: SimulatedSleepDelivery): void {
  summary.deliveries += 1;
  if (delivery.isNap) summary.naps += 1;
  if (delivery.summaryOnly) summary.summaryOnlySessions += 1;
  summary.rmssdSamplesSent += delivery.hrvSampleCount;
}

function describeDelivery(delivery: SimulatedSleepDelivery): string {
  return `${delivery.isNap ? 'nap' : 'night'} of ${delivery.person} on ${delivery.nightDate}`;
}

/**
 * Records one rejection. Only the first rejection of each status is printed in full, so a
 * receiver with the wrong secret does not flood the output. The summary has the counts.
 */
function recordRejection(summary: SimulateSummary, key: string, detail: string, output: CommandOutput): void {
  const seen = summary.rejectedByStatus[key] ?? 0;
  summary.rejectedByStatus[key] = seen + 1;
  summary.rejected += 1;

  if (seen === 0) output.error(`${detail} (further rejections with this status are only counted)`);
}

/** Posts one delivery and adds its outcome to `summary`. */
async function sendDelivery(delivery: SimulatedSleepDelivery, options: SimulateOptions, summary: SimulateSummary, output: CommandOutput): Promise<void> {
  try {
    // Terra stamps a record when it emits it. The simulator uses the session's update time, so
    // sending the same night again is an identical copy rather than a newer one.
    const updatedNs = parseTerraTimestamp(delivery.body.user.last_webhook_update, 'UTC');
    const orderingTimestampMs = updatedNs === undefined ? undefined : Number(updatedNs / 1_000_000n);
    const result = await deliverSignedBody(options.url, JSON.stringify(delivery.body), options.secret, { ...options.delivery, orderingTimestampMs });
    if (result.status >= 200 && result.status < 300) {
      summary.accepted += 1;
      summary.rmssdSamplesAccepted += delivery.hrvSampleCount;
      return;
    }
    const detail = `Receiver rejected the ${describeDelivery(delivery)} with HTTP ${result.status}: ${quoteResponseBody(result.body)}`;
    recordRejection(summary, String(result.status), detail, output);
  } catch (error) {
    if (!(error instanceof DeliveryError)) throw error;
    recordRejection(summary, NO_RESPONSE, `Delivery of the ${describeDelivery(delivery)} failed: ${error.message}`, output);
  }
}

function formatSummary(summary: SimulateSummary): string {
  const statusCounts = Object.entries(summary.rejectedByStatus).map(([status, count]) => `${count} x ${status}`);
  const rejectedDetail = statusCounts.length === 0 ? '' : ` (${statusCounts.join(', ')})`;

  return [
    `Simulated ${summary.people} ${summary.people === 1 ? 'person' : 'people'} over ${summary.nights} nights ending ${summary.endDate}, seed ${summary.seed}:`,
    `${summary.deliveries} deliveries including ${summary.naps} naps and ${summary.summaryOnlySessions} summary-only sessions;`,
    `${summary.accepted} accepted, ${summary.rejected} rejected${rejectedDetail};`,
    `${summary.rmssdSamplesAccepted} of ${summary.rmssdSamplesSent} RMSSD samples (and as many SDNN samples) accepted.`,
  ].join(' ');
}

/**
 * Generates simulated Terra sleep webhooks and posts each one, signed, to the receiver. Prints
 * progress and a summary, and returns the summary: the caller should exit non-zero when
 * `rejected` is above 0. Throws InvalidOptionsError listing every invalid option before sending
 * anything.
 */
export async function runSimulate(options: SimulateOptions, output: CommandOutput): Promise<SimulateSummary> {
  const problems = checkSimulateOptions(options);
  if (problems.length > 0) throw new InvalidOptionsError(problems);

  const total = countSleepDeliveries(options);
  const summary = emptySummary(options);
  const progressEvery = Math.max(1, Math.ceil(total / PROGRESS_STEPS));
  let done = 0;
  output.info(`Sending ${total} sleep webhooks to ${redactUrl(options.url)}`);

  await runWithConcurrency(iterateSleepDeliveries(options), options.concurrency ?? DEFAULT_CONCURRENCY, async (delivery) => {
    countPosted(summary, delivery);
    await sendDelivery(delivery, options, summary, output);
    done += 1;
    if (done % progressEvery === 0 || done === total) output.info(`Sent ${done} of ${total}`);
  });

  output.info(formatSummary(summary));
  return summary;
}
