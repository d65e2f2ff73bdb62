/**
 * The reliability proofs as functions of their size, so that bench/proof-*.ts runs them at full
 * size and test/reliability-*.test.ts runs them scaled down in CI with the same code.
 *
 * Real parts: influxd (test/support/influxdb.ts), the built receiver as a child process with its
 * spool on the local disk, HTTP on 127.0.0.1, SIGKILL. Stand-in: the sender, which plays Terra.
 */
import { setTimeout as delay } from 'node:timers/promises';
import {
  buildProofDeliveries,
  checkStoredSamples,
  countSpoolFiles,
  delayUntil,
  firstProcessedAtMs,
  processedDeliveries,
  PROOF_SECRET,
  startPacedLoad,
  startProofStack,
  summarizeLoad,
  waitForEmptySpool,
  type LoadSummary,
  type PacedLoad,
  type ProofDeliveryOptions,
  type StoredCheck,
} from './reliability-proof.js';
import type { ReceiverProcess } from './receiver-process.js';

export interface ProofLoadOptions extends ProofDeliveryOptions {
  ratePerSecond: number;
  /** Waits before each retry of a delivery that got no 2xx; empty sends each delivery once. */
  retryDelaysMs: readonly number[];
  /** INFLUX_RETRY_MAX_DELAY_SECONDS of the receiver; undefined keeps its default. */
  influxRetryMaxDelaySeconds?: number;
  /** How long to wait for the spool to drain once the load is done. */
  drainTimeoutMs: number;
}

/** Terra waits about 8 s for a 2xx before it counts a delivery as failed. */
export const TERRA_TIMEOUT_MS = 8_000;

/** Retry waits of the proofs: Terra retries with exponential backoff, here compressed to seconds. */
export const TERRA_LIKE_RETRY_DELAYS_MS = [1_000, 2_000, 4_000, 8_000, 8_000, 8_000];

export interface ProofResult {
  load: LoadSummary;
  stored: StoredCheck;
  /** Seconds from the first delivery sent to the last response of the load, retries included. */
  sendingSeconds: number;
  /** `delivery processed` log lines: one per spooled delivery, and more after a crash mid-write. */
  deliveriesProcessed: number;
  /** Deliveries the worker moved to `failed/`. */
  failedDeliveries: number;
}

export interface InfluxOutageProofOptions extends ProofLoadOptions {
  /** Seconds after the first delivery when influxd is stopped. */
  outageStartSeconds: number;
  outageSeconds: number;
}

export interface InfluxOutageProofResult extends ProofResult {
  /** Seconds after the first delivery when influxd was stopped and when it responded to /ping again. */
  stoppedAtSeconds: number;
  restartedAtSeconds: number;
  /** Acknowledged deliveries waiting in `pending/` when influxd responded again. */
  pendingAtRestart: number;
  /** Seconds from influxd responding again until the worker stored the next delivery, which includes its backoff wait. */
  firstStoredSecondsAfterRestart: number | undefined;
  /** Seconds from influxd responding again until the spool was empty. */
  drainSecondsAfterRestart: number;
}

function receiverEnvironment(options: ProofLoadOptions): Record<string, string> {
  const maxDelay = options.influxRetryMaxDelaySeconds;
  return maxDelay === undefined ? {} : { INFLUX_RETRY_MAX_DELAY_SECONDS: String(maxDelay) };
}

const secondsSince = (startedAtMs: number) => (Date.now() - startedAtMs) / 1000;

/**
 * Waits up to 10 s until the receiver has logged `count` `delivery processed` lines. The worker
 * logs that line after it removed the delivery from the spool, so the last line can still be in
 * the log pipe when the spool looks empty. Returns without an error at the deadline, so the
 * caller's assertion on the count reports a real shortfall.
 */
async function waitForProcessedLines(receiver: ReceiverProcess, count: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (processedDeliveries(receiver) < count && Date.now() < deadline) await delay(50);
}

/**
 * Sends the deliveries while influxd is stopped for `outageSeconds` and started again, waits
 * until the spool is empty, and compares what InfluxDB stored with the acknowledged deliveries.
 */
export async function runInfluxOutageProof(options: InfluxOutageProofOptions): Promise<InfluxOutageProofResult> {
  const deliveries = buildProofDeliveries(options);
  const stack = await startProofStack(receiverEnvironment(options));

  try {
    const { influx, receiver } = stack;
    const load = startPacedLoad(deliveries, { url: receiver.webhookUrl, secret: PROOF_SECRET, ratePerSecond: options.ratePerSecond, timeoutMs: TERRA_TIMEOUT_MS, retryDelaysMs: options.retryDelaysMs });
    await delayUntil(load.startedAtMs, options.outageStartSeconds);
    await influx.stop();
    const stoppedAtSeconds = secondsSince(load.startedAtMs);
    await delayUntil(load.startedAtMs, options.outageStartSeconds + options.outageSeconds);
    await influx.restart();
    const restartedAtMs = Date.now();
    const pendingAtRestart = await countSpoolFiles(receiver.spoolDir, 'pending');

    const records = await load.done;
    const { failed } = await waitForEmptySpool(receiver, options.drainTimeoutMs);
    const drainSecondsAfterRestart = secondsSince(restartedAtMs);
    await waitForProcessedLines(receiver, records.filter((record) => record.acknowledged).length - failed);
    const firstStoredAtMs = firstProcessedAtMs(receiver, restartedAtMs);
    const stored = await checkStoredSamples(influx, deliveries, records);

    return {
      load: summarizeLoad(records),
      stored,
      sendingSeconds: ((load.finishedAtMs() ?? Date.now()) - load.startedAtMs) / 1000,
      deliveriesProcessed: processedDeliveries(receiver),
      failedDeliveries: failed,
      stoppedAtSeconds,
      restartedAtSeconds: (restartedAtMs - load.startedAtMs) / 1000,
      pendingAtRestart,
      firstStoredSecondsAfterRestart: firstStoredAtMs === undefined ? undefined : (firstStoredAtMs - restartedAtMs) / 1000,
      drainSecondsAfterRestart,
    };
  } finally {
    await stack.dispose();
  }
}

/**
 * When a kill should land: while a request is on its way (its delivery may be half spooled), or
 * while an acknowledged delivery waits in `pending/` for the worker (it may be half written to
 * InfluxDB).
 */
export type KillMoment = 'request in flight' | 'delivery pending';

export interface PlannedKill {
  /** Seconds after the first delivery from which the proof waits for `moment`. */
  afterSeconds: number;
  moment: KillMoment;
}

export interface ReceiverKillProofOptions extends ProofLoadOptions {
  /** SIGKILLs to send, in increasing order of `afterSeconds`. */
  kills: readonly PlannedKill[];
  /** Seconds the receiver stays down before it is started again on the same spool. */
  downSeconds: number;
}

export interface ReceiverKill {
  /** Seconds after the first delivery. */
  killedAtSeconds: number;
  /** False when the moment did not come within 5 s and the kill landed at any moment. */
  momentReached: boolean;
  /** Requests sent that had no response yet when the signal was sent. */
  requestsInFlight: number;
  /** `pendingDeliveries` the restarted receiver logged: acknowledged deliveries it had not stored. */
  pendingAtRestart: number;
}

export interface ReceiverKillProofResult extends ProofResult {
  kills: ReceiverKill[];
  /** Seconds from the last response of the load until the spool was empty. */
  drainSecondsAfterLoad: number;
}

const MOMENT_WAIT_MS = 5_000;

/** Polls every millisecond until `moment` comes, and returns false if it did not within 5 s. */
async function waitForMoment(moment: KillMoment, load: PacedLoad, receiver: ReceiverProcess): Promise<boolean> {
  const deadline = Date.now() + MOMENT_WAIT_MS;
  const reached = async () => (moment === 'request in flight' ? load.inFlight() > 0 : (await countSpoolFiles(receiver.spoolDir, 'pending')) > 0);

  while (Date.now() < deadline) {
    if (await reached()) return true;
    await delay(1);
  }
  return false;
}

/**
 * Sends the deliveries while the receiver is killed with SIGKILL at each planned moment and
 * restarted on the same spool, with Terra-like retries of failed deliveries, then compares what
 * InfluxDB stored with the acknowledged deliveries.
 */
export async function runReceiverKillProof(options: ReceiverKillProofOptions): Promise<ReceiverKillProofResult> {
  const deliveries = buildProofDeliveries(options);
  const stack = await startProofStack(receiverEnvironment(options));

  try {
    const { influx, receiver } = stack;
    const load = startPacedLoad(deliveries, { url: receiver.webhookUrl, secret: PROOF_SECRET, ratePerSecond: options.ratePerSecond, timeoutMs: TERRA_TIMEOUT_MS, retryDelaysMs: options.retryDelaysMs });
    const kills: ReceiverKill[] = [];
    for (const planned of options.kills) {
      await delayUntil(load.startedAtMs, planned.afterSeconds);
      const momentReached = await waitForMoment(planned.moment, load, receiver);
      const requestsInFlight = load.inFlight();
      await receiver.kill('SIGKILL');
      const killedAtSeconds = secondsSince(load.startedAtMs);
      await delay(options.downSeconds * 1000);
      await receiver.restart();
      const started = receiver.logs.filter((line) => line.msg === 'receiver started').at(-1);
      kills.push({ killedAtSeconds, momentReached, requestsInFlight, pendingAtRestart: Number(started?.pendingDeliveries) });
    }

    const records = await load.done;
    const sendingSeconds = ((load.finishedAtMs() ?? Date.now()) - load.startedAtMs) / 1000;
    const { failed } = await waitForEmptySpool(receiver, options.drainTimeoutMs);
    const drainSecondsAfterLoad = secondsSince(load.startedAtMs) - sendingSeconds;
    const stored = await checkStoredSamples(influx, deliveries, records);

    return { load: summarizeLoad(records), stored, sendingSeconds, deliveriesProcessed: processedDeliveries(receiver), failedDeliveries: failed, kills, drainSecondsAfterLoad };
  } finally {
    await stack.dispose();
  }
}
