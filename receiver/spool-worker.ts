import type { Logger } from 'pino';
import { InfluxWriteError } from '../influx/write-error.js';
import type { LineWriter } from '../influx/line-writer.js';
import type { ModelOutcome, NightUpdater } from '../hrv-model/night-updater.js';
import type { DeliveryMetrics } from './metrics.js';
import { prepareDelivery, type DeliveryOutcome, type PreparedDelivery } from './prepare-delivery.js';
import { prepareLinkedEvent, type PingDeliveryOptions } from './ping-delivery.js';
import { PingDownloadError } from './ping-download-error.js';
import { skipOlderCopySamples } from './older-copy-samples.js';
import { arrivalLine } from './arrival-line.js';
import type { TraceIdLedger } from './trace-id-ledger.js';
import type { LargeRequestTracker } from './large-request-tracker.js';

export interface WorkerOptions extends PingDeliveryOptions {
  writer: LineWriter;
  /** Keeps the nightly model current after each delivery's samples are stored. */
  nightUpdater: NightUpdater;
  /** Learns which trace ids are finished, so that their retries are acknowledged as duplicates. */
  traceIds: TraceIdLedger;
  /** Counts the processed chunks of Terra's large requests. */
  largeRequests: LargeRequestTracker;
  logger: Logger;
  /** Upper bound of the exponential backoff between attempts while InfluxDB is unavailable. */
  retryMaxDelayMs: number;
  /** Counts finished deliveries for /metrics. */
  metrics?: DeliveryMetrics;
}

const FIRST_RETRY_DELAY_MS = 1000;

/**
 * While idle, the worker also lists the spool this often, so that deliveries put back into
 * `pending/` by hand (`hrv-stack requeue-failed`) are picked up without a restart.
 */
export const IDLE_RESCAN_MS = 30_000;

/**
 * Processes the spool one delivery at a time, oldest first. A delivery leaves the spool only after
 * InfluxDB accepted all its points and the nights it affects were recomputed, or, when InfluxDB
 * rejects it for good or its ping-mode link cannot be downloaded, by moving to the failed area.
 * One worker per database: the nightly model reads and then rewrites points, which two workers
 * could interleave. A ping-mode download that fails for a transient reason is retried with the
 * same backoff until its link expires, and the deliveries behind it wait meanwhile.
 */
export class SpoolWorker {
  private running = false;
  private loop: Promise<void> | undefined;
  /** Ends the current idle wait; set while the worker waits for new deliveries. */
  private wakeIdle: (() => void) | undefined;
  /** Ends any wait, the backoff between attempts included; used by stop(). */
  private interrupt: (() => void) | undefined;
  private pendingWake = false;
  private lastWriteFailure: string | undefined;

  constructor(private readonly options: WorkerOptions) {}

  /** Starts processing, beginning with whatever the spool contains from before a restart. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  /** Tells the worker that a new delivery is in the spool. */
  notify(): void {
    this.pendingWake = true;
    this.wakeIdle?.();
  }

  /** Message of the last failed InfluxDB write, until a write succeeds again; /readyz reports it. */
  writeFailure(): string | undefined {
    return this.lastWriteFailure;
  }

  /** Finishes the delivery in hand, leaves the rest in the spool, and resolves when idle. */
  async stop(): Promise<void> {
    this.running = false;
    this.interrupt?.();
    await this.loop;
  }

  private async run(): Promise<void> {
    while (this.running) {
      this.pendingWake = false;
      const ids = await this.listPending();
      for (const id of ids) {
        if (!this.running) return;
        await this.processWithRetries(id);
      }
      if (ids.length === 0 && !this.pendingWake) await this.sleep(IDLE_RESCAN_MS, true);
    }
  }

  private async listPending(): Promise<string[]> {
    try {
      return await this.options.spool.pendingIds();
    } catch (error) {
      this.options.logger.error({ err: error }, 'cannot list the spool; trying again in 5 s');
      await this.sleep(5000);
      return [];
    }
  }

  private async processWithRetries(id: string): Promise<void> {
    for (let attempt = 1; this.running; attempt += 1) {
      const done = await this.attempt(id, attempt);
      if (done) return;
      await this.sleep(this.retryDelayMs(attempt));
    }
  }

  /** Returns true when the delivery has left the pending area, false when it should be tried again. */
  private async attempt(id: string, attempt: number): Promise<boolean> {
    const { spool, writer, traceIds, largeRequests, logger } = this.options;
    let outcome: DeliveryOutcome | undefined;
    let traceId: string | undefined;
    try {
      const delivery = await spool.read(id);
      traceId = delivery.metadata.traceId;
      let prepared = prepareDelivery(delivery, this.options);
      outcome = prepared.outcome;
      if (prepared.pingLink !== undefined) prepared = await prepareLinkedEvent(delivery, prepared.pingLink, this.options);
      // Counted before older copies are skipped: a late copy still shows that the wearable syncs.
      const arrival = arrivalLine(prepared, delivery.metadata.receivedAtMs);
      prepared = await skipOlderCopySamples(prepared, this.options.nightUpdater);
      outcome = prepared.outcome;
      // Appended in place: a large payload has hundreds of thousands of lines, too many to copy.
      if (arrival !== undefined) prepared.lines.push(arrival);
      await writer.write(prepared.lines);
      const model = await this.updateModel(prepared.model);
      this.lastWriteFailure = undefined;
      // Recorded before the removal, because a chunk processed again after a crash here has the same key.
      await largeRequests.recordDelivery(id, delivery.metadata, prepared);
      await spool.remove(id);
      await traceIds.markProcessed(traceId);
      this.options.metrics?.deliveryProcessed(outcome, model);
      const { warning, ...counts } = outcome;
      logger.info({ delivery: id, traceId: delivery.metadata.traceId, ...counts, model }, 'delivery processed');
      if (warning !== undefined) logger.warn({ delivery: id, type: outcome.type }, warning);
      return true;
    } catch (error) {
      if (error instanceof InfluxWriteError && error.retryable) {
        this.lastWriteFailure = error.message;
        const delaySeconds = this.retryDelayMs(attempt) / 1000;
        logger.warn({ delivery: id, attempt, error: error.message, retryInSeconds: delaySeconds }, 'InfluxDB write failed; delivery kept in the spool');
        return false;
      }
      if (error instanceof PingDownloadError && error.canRetryAfter(this.retryDelayMs(attempt))) {
        const delaySeconds = this.retryDelayMs(attempt) / 1000;
        logger.warn({ delivery: id, attempt, error: error.message, retryInSeconds: delaySeconds }, 'ping-mode download failed; delivery kept in the spool');
        return false;
      }
      if (await this.moveToFailed(id, error, outcome)) await traceIds.markProcessed(traceId);
      return true;
    }
  }

  private async updateModel(input: PreparedDelivery['model']): Promise<ModelOutcome | undefined> {
    if (input === undefined || (input.sessions.length === 0 && input.dailies.length === 0)) return undefined;
    return this.options.nightUpdater.applyRecords(input.tags, input.sessions, input.dailies);
  }

  /** Returns true when the delivery is in the failed area, false when it stays pending. */
  private async moveToFailed(id: string, error: unknown, outcome: DeliveryOutcome | undefined): Promise<boolean> {
    const { spool, logger } = this.options;
    const statusCode = error instanceof InfluxWriteError ? error.statusCode : undefined;
    const reason = error instanceof Error ? error.message : String(error);
    // The counts are the points the delivery carried. Batches written before the failure stay stored.
    const counts = outcome === undefined ? {} : { type: outcome.type, person: outcome.person, provider: outcome.provider, points: outcome.stored, skipped: outcome.skipped };
    try {
      const path = await spool.moveToFailed(id, { reason, statusCode, ...counts });
      logger.error({ delivery: id, reason, statusCode, path, ...counts }, 'delivery cannot be stored; moved to the failed area');
      this.options.metrics?.deliveryFailed(outcome?.type);
      return true;
    } catch (moveError) {
      logger.error({ delivery: id, reason, err: moveError }, 'delivery cannot be stored and cannot be moved to the failed area; it stays pending');
      await this.sleep(this.options.retryMaxDelayMs);
      return false;
    }
  }

  private retryDelayMs(attempt: number): number {
    return Math.min(FIRST_RETRY_DELAY_MS * 2 ** (attempt - 1), this.options.retryMaxDelayMs);
  }

  /**
   * Waits for the delay or until stop() is called. An idle wait also ends on notify(); a backoff
   * does not, so that deliveries arriving during an InfluxDB outage do not hasten the retries.
   */
  private sleep(delayMs: number, wakeOnNotify = false): Promise<void> {
    if (!this.running) return Promise.resolve();

    return new Promise((resolve) => {
      const finish = () => {
        clearTimeout(timer);
        this.wakeIdle = undefined;
        this.interrupt = undefined;
        resolve();
      };
      const timer = Number.isFinite(delayMs) ? setTimeout(finish, delayMs) : undefined;
      this.interrupt = finish;
      this.wakeIdle = wakeOnNotify ? finish : undefined;
    });
  }
}
