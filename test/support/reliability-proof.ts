/**
 * Helpers shared by the reliability proofs (bench/proof-*.ts at full size, test/reliability-*.test.ts
 * scaled down): distinct signed sleep deliveries with their expected samples, a sender that paces
 * them and retries failures as Terra does, a wait for an empty spool, and a check that InfluxDB
 * contains exactly the samples of the acknowledged deliveries.
 *
 * Expected samples are computed from the numbers the payloads are built from, not by parsing the
 * payloads, so the check does not reuse the receiver's timestamp or sample code.
 */
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { signTerraBody } from '../../terra/signature.js';
import { startInfluxDb, type InfluxDbServer } from './influxdb.js';
import { startReceiverProcess, waitFor, type ReceiverProcess } from './receiver-process.js';

// ---------------------------------------------------------------------------------------------
// Deliveries

export interface ProofDelivery {
  index: number;
  body: Buffer;
  /** Every sample the delivery carries, by `sampleKey`, with its value in milliseconds. */
  samples: Map<string, number>;
}

export interface ProofDeliveryOptions {
  count: number;
  /** RMSSD samples per delivery; each has an SDNN sample at the same time, 5 minutes apart. */
  samplesPerMeasure: number;
  /** Deliveries go to the people in turn, one night each. */
  people: number;
}

interface ProofPerson {
  referenceId: string;
  userId: string;
  provider: string;
  offsetMinutes: number;
}

const PROVIDERS = ['GARMIN', 'OURA', 'WHOOP', 'POLAR'];
/** UTC offsets in minutes, with half- and quarter-hour zones (India +05:30, Nepal +05:45). */
const OFFSETS_MINUTES = [60, -300, 330, 0, -480, 345, 540, -210];
const FIRST_NIGHT_UTC_MS = Date.UTC(2026, 0, 1, 22, 0, 0);
const SAMPLE_INTERVAL_MS = 5 * 60_000;
const DAY_MS = 24 * 3600_000;

function proofPerson(personIndex: number): ProofPerson {
  return {
    referenceId: `proof-person-${personIndex}`,
    userId: `proof-user-${personIndex}`,
    provider: PROVIDERS[personIndex % PROVIDERS.length]!,
    offsetMinutes: OFFSETS_MINUTES[personIndex % OFFSETS_MINUTES.length]!,
  };
}

/** Identifies one stored sample: series tags, field and time in nanoseconds since 1970. */
export function sampleKey(tags: { person: string; provider: string; userId: string; source: string }, measure: string, timeNs: string): string {
  return [tags.person, tags.provider, tags.userId, tags.source, measure, timeNs].join('\t');
}

/** Formats an instant as Terra does: local wall time, six fraction digits, the UTC offset. */
function terraTimestamp(epochSecondsMs: number, microseconds: number, offsetMinutes: number): string {
  const wallClock = new Date(epochSecondsMs + offsetMinutes * 60_000).toISOString().slice(0, 19);
  const absolute = Math.abs(offsetMinutes);
  const offset = `${offsetMinutes < 0 ? '-' : '+'}${String(Math.floor(absolute / 60)).padStart(2, '0')}:${String(absolute % 60).padStart(2, '0')}`;
  return `${wallClock}.${String(microseconds).padStart(6, '0')}${offset}`;
}

interface SampleLists {
  rmssd: Array<{ timestamp: string; hrv_rmssd: number }>;
  sdnn: Array<{ timestamp: string; hrv_sdnn: number }>;
  samples: Map<string, number>;
}

/**
 * Draws the samples of delivery `index`: distinct microseconds in every timestamp, so that a
 * time rounded to the millisecond would not match, and values with two decimals in (20, 120) ms.
 */
function sampleLists(index: number, person: ProofPerson, nightStartMs: number, count: number): SampleLists {
  const lists: SampleLists = { rmssd: [], sdnn: [], samples: new Map() };
  const tags = { person: person.referenceId, provider: person.provider, userId: person.userId, source: 'sleep' };

  for (let sample = 0; sample < count; sample += 1) {
    const epochMs = nightStartMs + sample * SAMPLE_INTERVAL_MS;
    const microseconds = (index * 7919 + sample * 104_729) % 1_000_000;
    const timestamp = terraTimestamp(epochMs, microseconds, person.offsetMinutes);
    const timeNs = (BigInt(epochMs) * 1_000_000n + BigInt(microseconds) * 1000n).toString();
    const rmssd = (2000 + ((index * 37 + sample * 11) % 8000)) / 100;
    const sdnn = (3000 + ((index * 53 + sample * 17) % 9000)) / 100;
    lists.rmssd.push({ timestamp, hrv_rmssd: rmssd });
    lists.sdnn.push({ timestamp, hrv_sdnn: sdnn });
    lists.samples.set(sampleKey(tags, 'rmssd', timeNs), rmssd);
    lists.samples.set(sampleKey(tags, 'sdnn', timeNs), sdnn);
  }

  return lists;
}

function buildDelivery(index: number, options: ProofDeliveryOptions): ProofDelivery {
  const person = proofPerson(index % options.people);
  const night = Math.floor(index / options.people);
  const startMs = FIRST_NIGHT_UTC_MS + night * DAY_MS;
  const endMs = startMs + options.samplesPerMeasure * SAMPLE_INTERVAL_MS;
  const lists = sampleLists(index, person, startMs, options.samplesPerMeasure);
  const user = { user_id: person.userId, provider: person.provider, last_webhook_update: null, scopes: 'SLEEP_READ', reference_id: person.referenceId, active: true, created_at: null };
  const metadata = {
    start_time: terraTimestamp(startMs, 0, person.offsetMinutes),
    end_time: terraTimestamp(endMs, 0, person.offsetMinutes),
    is_nap: false,
    upload_type: 1,
    summary_id: `proof-sleep-${index}`,
    timestamp_localization: 0,
  };
  const heartRate = { summary: { avg_hrv_rmssd: lists.rmssd[0]?.hrv_rmssd ?? null }, detailed: { hrv_samples_rmssd: lists.rmssd, hrv_samples_sdnn: lists.sdnn } };
  const body = { type: 'sleep', version: '2022-03-16', user, data: [{ metadata, heart_rate_data: heartRate }] };

  return { index, body: Buffer.from(JSON.stringify(body)), samples: lists.samples };
}

/**
 * Builds `count` small Terra sleep deliveries whose samples never share a series and time, so
 * each stored point belongs to exactly one delivery. Throws if two samples would collide.
 */
export function buildProofDeliveries(options: ProofDeliveryOptions): ProofDelivery[] {
  if (options.samplesPerMeasure * SAMPLE_INTERVAL_MS >= DAY_MS) throw new RangeError('samplesPerMeasure must fit in one day at 5-minute intervals');

  const deliveries = Array.from({ length: options.count }, (_, index) => buildDelivery(index, options));
  const distinctKeys = new Set(deliveries.flatMap((delivery) => [...delivery.samples.keys()]));
  if (distinctKeys.size !== options.count * options.samplesPerMeasure * 2) throw new Error('two proof samples share a series and time');

  return deliveries;
}

// ---------------------------------------------------------------------------------------------
// Sending at a steady rate, with Terra-like retries

export interface PacedLoadOptions {
  url: string;
  secret: string;
  ratePerSecond: number;
  /** How long a request may take before it counts as failed; Terra waits about 8 s. */
  timeoutMs: number;
  /** Waits before each retry of a failed delivery; empty sends each delivery once. */
  retryDelaysMs: readonly number[];
}

/** One delivery's attempts: each an HTTP status ("200", "503") or a failure ("ECONNREFUSED", "timeout"). */
export interface DeliveryRecord {
  index: number;
  attempts: string[];
  acknowledged: boolean;
}

export interface PacedLoad {
  /** Date.now() when the first delivery was sent. */
  readonly startedAtMs: number;
  /** Requests sent that have no response yet. */
  inFlight(): number;
  /** Date.now() when `done` resolved, undefined until then. */
  finishedAtMs(): number | undefined;
  /** Resolves when every delivery is acknowledged or has used up its retries. */
  readonly done: Promise<DeliveryRecord[]>;
}

/** Reads the reason of a failed fetch: a timeout, or the socket error code such as ECONNREFUSED. */
function failureName(error: unknown): string {
  if (error instanceof Error && error.name === 'TimeoutError') return 'timeout';
  const cause = error instanceof Error ? (error.cause as { code?: unknown } | undefined) : undefined;
  if (typeof cause?.code === 'string') return cause.code;
  return error instanceof Error ? error.message : String(error);
}

async function postOnce(body: Buffer, options: PacedLoadOptions): Promise<string> {
  const headers = { 'content-type': 'application/json', 'x-terra-signature': signTerraBody(body, options.secret, Math.floor(Date.now() / 1000)) };
  try {
    const response = await fetch(options.url, { method: 'POST', body, headers, signal: AbortSignal.timeout(options.timeoutMs) });
    await response.arrayBuffer();
    return String(response.status);
  } catch (error) {
    return failureName(error);
  }
}

export function isAcknowledgement(outcome: string): boolean {
  return /^2\d\d$/.test(outcome);
}

/**
 * Sends the deliveries at `ratePerSecond` without waiting for earlier responses, as Terra's
 * senders do, signing each attempt afresh. A delivery that is not acknowledged is sent again
 * after each of `retryDelaysMs`.
 */
export function startPacedLoad(deliveries: readonly ProofDelivery[], options: PacedLoadOptions): PacedLoad {
  const startedAtMs = Date.now();
  let inFlight = 0;
  let finishedAtMs: number | undefined;

  const deliver = async (delivery: ProofDelivery): Promise<DeliveryRecord> => {
    const record: DeliveryRecord = { index: delivery.index, attempts: [], acknowledged: false };
    for (let retry = 0; ; retry += 1) {
      inFlight += 1;
      const outcome = await postOnce(delivery.body, options).finally(() => (inFlight -= 1));
      record.attempts.push(outcome);
      record.acknowledged = isAcknowledgement(outcome);
      const wait = options.retryDelaysMs[retry];
      if (record.acknowledged || wait === undefined) return record;
      await delay(wait);
    }
  };

  const sendAll = async (): Promise<DeliveryRecord[]> => {
    const tasks: Promise<DeliveryRecord>[] = [];
    for (const delivery of deliveries) {
      const dueMs = startedAtMs + (delivery.index * 1000) / options.ratePerSecond;
      await delay(Math.max(0, dueMs - Date.now()));
      tasks.push(deliver(delivery));
    }
    const records = await Promise.all(tasks);
    finishedAtMs = Date.now();
    return records;
  };

  return { startedAtMs, inFlight: () => inFlight, finishedAtMs: () => finishedAtMs, done: sendAll() };
}

export interface LoadSummary {
  sent: number;
  acknowledged: number;
  acknowledgedAtFirstAttempt: number;
  acknowledgedAfterRetries: number;
  /** Deliveries never acknowledged, after every retry. */
  unacknowledged: number;
  /** Number of attempts that ended with each status or failure. */
  attemptOutcomes: Record<string, number>;
  /** The same for first attempts only. */
  firstAttemptOutcomes: Record<string, number>;
}

function countBy(values: readonly string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const value of values) counts[value] = (counts[value] ?? 0) + 1;
  return counts;
}

export function summarizeLoad(records: readonly DeliveryRecord[]): LoadSummary {
  const acknowledged = records.filter((record) => record.acknowledged);
  const atFirstAttempt = acknowledged.filter((record) => record.attempts.length === 1).length;

  return {
    sent: records.length,
    acknowledged: acknowledged.length,
    acknowledgedAtFirstAttempt: atFirstAttempt,
    acknowledgedAfterRetries: acknowledged.length - atFirstAttempt,
    unacknowledged: records.length - acknowledged.length,
    attemptOutcomes: countBy(records.flatMap((record) => record.attempts)),
    firstAttemptOutcomes: countBy(records.map((record) => record.attempts[0] ?? 'not sent')),
  };
}

// ---------------------------------------------------------------------------------------------
// What InfluxDB stored

export interface StoredCheck {
  /** Samples of the acknowledged deliveries. */
  expectedSamples: number;
  /** Samples InfluxDB returned, each series, field and time counted once. */
  storedSamples: number;
  /** Expected samples that are not stored. */
  missing: number;
  /** Stored samples that no sent delivery carries. */
  unexpected: number;
  /** Stored samples whose value differs from the delivery's. */
  wrongValue: number;
  /** Series, field and time returned more than once by the query (InfluxDB keeps one point per series and time). */
  duplicates: number;
  /**
   * Stored samples of deliveries that were sent but never acknowledged. They are allowed: a
   * receiver killed after spooling a delivery but before responding stores it, and Terra would
   * send it again anyway.
   */
  storedUnacknowledged: number;
  /** Up to 10 keys of missing, unexpected or wrong samples, to start debugging from. */
  examples: string[];
}

const SERIES_TAGS = 'person, provider, user_id, source';

/** Reads every `hrv` sample as key to values (more than one value would be a duplicate). */
async function readStoredSamples(influx: InfluxDbServer): Promise<Map<string, number[]>> {
  const stored = new Map<string, number[]>();
  const series = await influx.querySeries(`SELECT rmssd, sdnn FROM hrv GROUP BY ${SERIES_TAGS}`);

  for (const one of series) {
    const tags = { person: one.tags.person ?? '', provider: one.tags.provider ?? '', userId: one.tags.user_id ?? '', source: one.tags.source ?? '' };
    for (const row of one.rows) {
      for (const measure of ['rmssd', 'sdnn']) {
        const value = row[measure];
        if (typeof value !== 'number') continue;
        const key = sampleKey(tags, measure, String(row.time));
        stored.set(key, [...(stored.get(key) ?? []), value]);
      }
    }
  }

  return stored;
}

/** Counts samples with count(), to prove that the raw query was not cut short by a row limit. */
async function countStoredSamples(influx: InfluxDbServer): Promise<number> {
  const rows = await influx.query(`SELECT count(rmssd) AS rmssd, count(sdnn) AS sdnn FROM hrv GROUP BY ${SERIES_TAGS}`);
  return rows.reduce((total, row) => total + Number(row.rmssd ?? 0) + Number(row.sdnn ?? 0), 0);
}

function noteProblem(check: StoredCheck, problem: string, key: string): void {
  if (check.examples.length < 10) check.examples.push(`${problem}: ${key.replaceAll('\t', ' ')}`);
}

/** Counts one sample of a sent delivery into `check`; `storedValues` are what InfluxDB returned for its key. */
function compareSample(check: StoredCheck, key: string, value: number, storedValues: number[] | undefined, acknowledged: boolean): void {
  if (!acknowledged) {
    if (storedValues !== undefined) check.storedUnacknowledged += 1;
    return;
  }

  check.expectedSamples += 1;
  if (storedValues === undefined) {
    check.missing += 1;
    noteProblem(check, 'missing', key);
    return;
  }
  if (storedValues.some((storedValue) => storedValue !== value)) {
    check.wrongValue += 1;
    noteProblem(check, 'wrong value', key);
  }
  if (storedValues.length > 1) {
    check.duplicates += 1;
    noteProblem(check, 'duplicate', key);
  }
}

/**
 * Compares the full set of stored (series, field, time, value) with the samples of the
 * acknowledged deliveries: nothing missing, nothing unexpected, no wrong value, no duplicate.
 */
export async function checkStoredSamples(influx: InfluxDbServer, deliveries: readonly ProofDelivery[], records: readonly DeliveryRecord[]): Promise<StoredCheck> {
  const stored = await readStoredSamples(influx);
  const counted = await countStoredSamples(influx);
  const rowsRead = [...stored.values()].reduce((total, values) => total + values.length, 0);
  if (counted !== rowsRead) throw new Error(`InfluxDB counts ${counted} samples but the raw query returned ${rowsRead}`);

  const acknowledged = new Set(records.filter((record) => record.acknowledged).map((record) => record.index));
  const check: StoredCheck = { expectedSamples: 0, storedSamples: stored.size, missing: 0, unexpected: 0, wrongValue: 0, duplicates: 0, storedUnacknowledged: 0, examples: [] };

  for (const delivery of deliveries) {
    for (const [key, value] of delivery.samples) {
      compareSample(check, key, value, stored.get(key), acknowledged.has(delivery.index));
      stored.delete(key);
    }
  }
  check.unexpected = stored.size;
  for (const key of [...stored.keys()].slice(0, 10)) noteProblem(check, 'unexpected', key);

  return check;
}

// ---------------------------------------------------------------------------------------------
// The stack under test

export const PROOF_SECRET = 'whsec-reliability-proof';

export interface ProofStack {
  influx: InfluxDbServer;
  receiver: ReceiverProcess;
  /** Stops both, saves the receiver's output under test-output/reliability/ and prints where. */
  dispose(): Promise<void>;
}

const REPOSITORY_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const RECEIVER_LOG_DIRECTORY = join(REPOSITORY_ROOT, 'test-output', 'reliability');

/** Writes the receiver's stdout and stderr (JSON log lines, no HRV values) under test-output/reliability/. */
async function saveReceiverOutput(receiver: ReceiverProcess): Promise<void> {
  await mkdir(RECEIVER_LOG_DIRECTORY, { recursive: true });
  const path = join(RECEIVER_LOG_DIRECTORY, `${new Date().toISOString().replace(/[:.]/g, '-')}-receiver.log`);
  await writeFile(path, receiver.output());
  console.info(`[reliability] receiver output saved to ${relative(REPOSITORY_ROOT, path)}`);
}

/**
 * Starts influxd (test/support/influxdb.ts) and the built receiver writing to it through the v1
 * `/write` endpoint, so an outage is a real refused connection rather than the v2 gateway's 503.
 */
export async function startProofStack(receiverEnv: Record<string, string> = {}): Promise<ProofStack> {
  const influx = await startInfluxDb();
  const env = { INFLUX_API_VERSION: '1', INFLUX_URL: influx.url, INFLUX_DATABASE: influx.database, TERRA_SIGNING_SECRET: PROOF_SECRET, LOG_LEVEL: 'info', ...receiverEnv };
  const receiver = await startReceiverProcess({ env }).catch(async (error: unknown) => {
    await influx.dispose();
    throw error;
  });

  return {
    influx,
    receiver,
    async dispose() {
      await receiver.dispose();
      await influx.dispose();
      await saveReceiverOutput(receiver);
    },
  };
}

export async function countSpoolFiles(spoolDir: string, folder: 'pending' | 'failed'): Promise<number> {
  return (await readdir(join(spoolDir, folder))).filter((name) => name.endsWith('.delivery')).length;
}

/** Waits until `pending/` is empty and returns how many deliveries ended in `failed/`. */
export async function waitForEmptySpool(receiver: ReceiverProcess, timeoutMs: number): Promise<{ failed: number }> {
  await waitFor('an empty spool', async () => ((await countSpoolFiles(receiver.spoolDir, 'pending')) === 0 ? true : undefined), timeoutMs);
  return { failed: await countSpoolFiles(receiver.spoolDir, 'failed') };
}

export function processedDeliveries(receiver: ReceiverProcess): number {
  return receiver.logs.filter((line) => line.msg === 'delivery processed').length;
}

/** Returns the time (Unix milliseconds) of the first `delivery processed` line logged at or after `sinceMs`. */
export function firstProcessedAtMs(receiver: ReceiverProcess, sinceMs: number): number | undefined {
  // The receiver logs `time` as an ISO 8601 string with milliseconds.
  const times = receiver.logs.filter((line) => line.msg === 'delivery processed').map((line) => Date.parse(String(line.time)));
  return times.find((time) => time >= sinceMs);
}

/** Resolves at `startedAtMs + seconds`, at once if that has passed. */
export function delayUntil(startedAtMs: number, seconds: number): Promise<void> {
  return delay(Math.max(0, startedAtMs + seconds * 1000 - Date.now()));
}
