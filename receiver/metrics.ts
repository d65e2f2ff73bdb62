import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Logger } from 'pino';
import type { ModelOutcome } from '../hrv-model/night-updater.js';
import { InfluxWriteError } from '../influx/write-error.js';
import type { WriteObserver } from '../influx/observed-line-writer.js';
import { ACCOUNT_EVENT_TYPES, HRV_EVENT_TYPES } from '../terra/envelope.js';
import type { SkipReason } from '../terra/hrv-samples.js';
import type { SignatureFailure } from '../terra/signature.js';
import type { DeliveryOutcome } from './prepare-delivery.js';
import type { Spool } from './spool.js';

/**
 * Event types that Terra's webhook documentation lists. Any other `type` is counted as `other`,
 * so a sender cannot create a new time series per request.
 */
const KNOWN_EVENT_TYPES: readonly string[] = [
  ...HRV_EVENT_TYPES,
  'nutrition',
  'menstruation',
  'hormone',
  'athlete',
  ...ACCOUNT_EVENT_TYPES,
  'auth_cancelled',
  'healthcheck',
  'google_no_datasource',
  'large_request_processing',
  'large_request_sending',
  'rate_limit_hit',
  's3_payload',
];
const OTHER_EVENT_TYPE = 'other';

const DELIVERY_OUTCOMES = ['processed', 'failed', 'duplicate'] as const;
const SIGNATURE_FAILURES = ['missing', 'malformed', 'expired', 'mismatch'] as const satisfies readonly SignatureFailure[];
/** Every SkipReason once; `satisfies` fails to compile when a reason is added there and not here. */
const SKIP_REASONS = Object.keys({
  invalid_item: true,
  missing_value: true,
  not_a_number: true,
  not_finite: true,
  out_of_range: true,
  invalid_timestamp: true,
  invalid_item_time: true,
  older_copy: true,
} satisfies Record<SkipReason, true>) as SkipReason[];

/**
 * Upper bounds of the write-duration buckets, in seconds. The top buckets are there because
 * INFLUX_TIMEOUT_SECONDS (10 s by default) ends each request of a write only after that long.
 */
const WRITE_DURATION_BUCKETS_SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/** The hooks the spool worker calls; see ReceiverMetrics. */
export interface DeliveryMetrics {
  deliveryProcessed(outcome: DeliveryOutcome, model: ModelOutcome | undefined): void;
  deliveryFailed(type: string | undefined): void;
}

/** The hooks the webhook calls for each signature it rejects and each duplicate it acknowledges. */
export interface WebhookMetrics {
  signatureRejected(reason: SignatureFailure): void;
  duplicateAcknowledged(type: string): void;
}

/** Maps an event type from a payload onto the bounded set of label values. */
export function eventTypeLabel(type: string | undefined): string {
  return type !== undefined && KNOWN_EVENT_TYPES.includes(type) ? type : OTHER_EVENT_TYPE;
}

/**
 * The receiver's Prometheus metrics, in a registry of their own, with Node.js's default process
 * metrics (memory, CPU, event-loop lag). Labels take values from fixed sets only: Terra event
 * types, outcomes, reasons and HTTP status codes. Person names, user ids, HRV values and secrets
 * never become labels.
 */
export class ReceiverMetrics implements DeliveryMetrics, WebhookMetrics, WriteObserver {
  readonly registry = new Registry();

  private readonly deliveries = new Counter({
    name: 'hrv_receiver_deliveries_total',
    help: 'Deliveries by Terra event type (unknown types as "other") and outcome: processed (stored, or nothing to store), failed (moved to the spool\'s failed area) or duplicate (acknowledged without processing, because its trace id was pending or processed).',
    labelNames: ['type', 'outcome'] as const,
    registers: [this.registry],
  });

  private readonly webhookResponses = new Counter({
    name: 'hrv_receiver_webhook_responses_total',
    help: 'Responses to requests for /webhooks/terra, by HTTP status code.',
    labelNames: ['status'] as const,
    registers: [this.registry],
  });

  private readonly signatureFailures = new Counter({
    name: 'hrv_receiver_signature_failures_total',
    help: 'Webhooks rejected with 401 because of their signature, by reason: missing, malformed, expired or mismatch.',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });

  private readonly writeDuration = new Histogram({
    name: 'hrv_receiver_influxdb_write_duration_seconds',
    help: 'Duration of one write of lines to InfluxDB (all batches of a delivery, or of one nightly-model step), failed writes included.',
    buckets: WRITE_DURATION_BUCKETS_SECONDS,
    registers: [this.registry],
  });

  private readonly writeFailures = new Counter({
    name: 'hrv_receiver_influxdb_write_failures_total',
    help: 'Failed writes to InfluxDB, by kind: retryable (kept in the spool and tried again) or permanent (the delivery moves to the failed area).',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });

  private readonly samplesStored = new Counter({
    name: 'hrv_receiver_samples_stored_total',
    help: 'HRV samples written to InfluxDB, by measure. A sample delivered again is written and counted again.',
    labelNames: ['measure'] as const,
    registers: [this.registry],
  });

  private readonly samplesSkipped = new Counter({
    name: 'hrv_receiver_samples_skipped_total',
    help: 'Samples and items of processed deliveries that were not stored, by reason.',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });

  private readonly nightsWritten = new Counter({
    name: 'hrv_receiver_nights_written_total',
    help: 'hrv_night rows the nightly model wrote, new or changed.',
    registers: [this.registry],
  });

  private readonly nightsDeleted = new Counter({
    name: 'hrv_receiver_nights_deleted_total',
    help: 'hrv_night rows the nightly model deleted because their night no longer has a value.',
    registers: [this.registry],
  });

  constructor(spool: Spool, logger: Logger) {
    collectDefaultMetrics({ register: this.registry });
    registerSpoolGauges(this.registry, spool, logger);
    this.initializeLabels();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** Returns every metric in the Prometheus text exposition format. */
  async exposition(): Promise<string> {
    return this.registry.metrics();
  }

  deliveryProcessed(outcome: DeliveryOutcome, model: ModelOutcome | undefined): void {
    this.deliveries.inc({ type: eventTypeLabel(outcome.type), outcome: 'processed' });
    this.samplesStored.inc({ measure: 'rmssd' }, outcome.stored.rmssd);
    this.samplesStored.inc({ measure: 'sdnn' }, outcome.stored.sdnn);
    for (const reason of SKIP_REASONS) {
      const count = outcome.skipped[reason] ?? 0;
      if (count > 0) this.samplesSkipped.inc({ reason }, count);
    }
    this.nightsWritten.inc(model?.nights.written ?? 0);
    this.nightsDeleted.inc(model?.nights.deleted ?? 0);
  }

  /** Counts a delivery moved to the failed area; `type` is undefined when its body could not be read. */
  duplicateAcknowledged(type: string): void {
    this.deliveries.inc({ type: eventTypeLabel(type), outcome: 'duplicate' });
  }

  deliveryFailed(type: string | undefined): void {
    this.deliveries.inc({ type: eventTypeLabel(type), outcome: 'failed' });
  }

  signatureRejected(reason: SignatureFailure): void {
    this.signatureFailures.inc({ reason });
  }

  webhookAnswered(statusCode: number): void {
    this.webhookResponses.inc({ status: String(statusCode) });
  }

  writeFinished(durationSeconds: number, error: unknown): void {
    this.writeDuration.observe(durationSeconds);
    if (error === undefined) return;
    const retryable = error instanceof InfluxWriteError && error.retryable;
    this.writeFailures.inc({ kind: retryable ? 'retryable' : 'permanent' });
  }

  /** Exports every known label value from the start, so that a counter's first increase is visible to rate(). */
  private initializeLabels(): void {
    for (const type of [...KNOWN_EVENT_TYPES, OTHER_EVENT_TYPE]) {
      for (const outcome of DELIVERY_OUTCOMES) this.deliveries.inc({ type, outcome }, 0);
    }
    for (const reason of SIGNATURE_FAILURES) this.signatureFailures.inc({ reason }, 0);
    for (const kind of ['retryable', 'permanent']) this.writeFailures.inc({ kind }, 0);
    for (const measure of ['rmssd', 'sdnn']) this.samplesStored.inc({ measure }, 0);
    for (const reason of SKIP_REASONS) this.samplesSkipped.inc({ reason }, 0);
  }
}

/**
 * Registers the spool gauges, which list the spool folders at each scrape. A listing that fails
 * (the spool's disk gone, say) is logged and leaves the previous values.
 */
function registerSpoolGauges(registry: Registry, spool: Spool, logger: Logger): void {
  new Gauge({
    name: 'hrv_receiver_spool_deliveries',
    help: 'Deliveries in the spool, by area: pending (waiting to be stored) or failed (rejected by InfluxDB for good, see hrv-stack requeue-failed).',
    labelNames: ['area'] as const,
    registers: [registry],
    async collect() {
      try {
        const [pending, failed] = await Promise.all([spool.pendingIds(), spool.failedIds()]);
        this.set({ area: 'pending' }, pending.length);
        this.set({ area: 'failed' }, failed.length);
      } catch (error) {
        logger.warn({ err: error }, 'cannot list the spool for the metrics');
      }
    },
  });

  new Gauge({
    name: 'hrv_receiver_spool_oldest_pending_age_seconds',
    help: 'Seconds since the oldest pending delivery was written to the spool; 0 when nothing is pending.',
    registers: [registry],
    async collect() {
      try {
        this.set(((await spool.oldestPendingAgeMs()) ?? 0) / 1000);
      } catch (error) {
        logger.warn({ err: error }, 'cannot read the age of the oldest pending delivery for the metrics');
      }
    },
  });
}
