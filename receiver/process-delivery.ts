import type { LineWriter } from '../influx/line-writer.js';
import { hrvSampleLines, terraEventLine, type ConnectionTags } from '../influx/points.js';
import { classifyTerraEvent, isEnvelopeProblem, type AccountEvent, type TerraUser } from '../terra/envelope.js';
import { extractHrvSamples, type SkipCounts } from '../terra/hrv-samples.js';
import { resolvePerson } from '../terra/person.js';
import type { SpooledDelivery } from './spool.js';

export interface ProcessingOptions {
  writer: LineWriter;
  personLabels: ReadonlyMap<string, string>;
  defaultTimeZone: string;
}

/** Counts of one processed delivery, logged by the worker as one line without any HRV value. */
export interface DeliveryOutcome {
  type: string;
  person?: string;
  provider?: string;
  stored: { rmssd: number; sdnn: number; events: number };
  skipped: SkipCounts;
  /** Set when the delivery needs the user's attention; the worker logs it at warn. */
  warning?: string;
}

/**
 * Ping mode sends only a short-lived download link instead of the data. The receiver does not
 * download it, so the data of such a delivery is not stored.
 */
const PING_MODE_WARNING =
  'Terra sent an s3_payload (ping mode), which this receiver does not download yet; turn ping mode off for this destination in Terra, or its data is not stored';

/** A spooled body that can never be processed; the worker moves it to the failed area. */
export class UnprocessableDeliveryError extends Error {
  override name = 'UnprocessableDeliveryError';
}

function connectionTags(user: TerraUser, labels: ReadonlyMap<string, string>): ConnectionTags {
  return { person: resolvePerson(user, labels), provider: user.provider, userId: user.user_id };
}

function accountEventLine(event: AccountEvent, tags: ConnectionTags, emittedAtMs: number): string {
  const oldUserId = event.type === 'user_reauth' ? event.old_user?.user_id : undefined;
  const status = 'status' in event && typeof event.status === 'string' ? event.status : undefined;
  return terraEventLine({ type: event.type, message: event.message ?? '', status, oldUserId }, tags, emittedAtMs);
}

/**
 * Turns one spooled delivery into points and writes them. Throws InfluxWriteError when InfluxDB
 * refuses or cannot be reached, and UnprocessableDeliveryError when the body is not a Terra event
 * (the webhook checks that before spooling, so this means a damaged spool file).
 */
export async function processDelivery(delivery: SpooledDelivery, options: ProcessingOptions): Promise<DeliveryOutcome> {
  let body: unknown;
  try {
    body = JSON.parse(delivery.body.toString('utf8'));
  } catch {
    throw new UnprocessableDeliveryError('the spooled body is not valid JSON');
  }
  const event = classifyTerraEvent(body);
  if (isEnvelopeProblem(event)) throw new UnprocessableDeliveryError(`invalid ${event.field}: ${event.message}`);

  if (event.kind === 'other') {
    const outcome: DeliveryOutcome = { type: event.type, stored: { rmssd: 0, sdnn: 0, events: 0 }, skipped: {} };
    return event.type === 's3_payload' ? { ...outcome, warning: PING_MODE_WARNING } : outcome;
  }

  if (event.kind === 'account') {
    const tags = connectionTags(event.user, options.personLabels);
    const emittedAtMs = delivery.metadata.orderingTimestampMs ?? delivery.metadata.receivedAtMs;
    await options.writer.write([accountEventLine(event.event, tags, emittedAtMs)]);
    return { type: event.event.type, ...describeTags(tags), stored: { rmssd: 0, sdnn: 0, events: 1 }, skipped: {} };
  }

  const tags = connectionTags(event.event.user, options.personLabels);
  const extracted = extractHrvSamples(event.event, options.defaultTimeZone);
  await options.writer.write(hrvSampleLines(extracted, tags));

  const rmssd = extracted.samples.filter((sample) => sample.measure === 'rmssd').length;
  const stored = { rmssd, sdnn: extracted.samples.length - rmssd, events: 0 };
  return { type: event.event.type, ...describeTags(tags), stored, skipped: extracted.skipped };
}

function describeTags(tags: ConnectionTags): { person: string; provider: string } {
  return { person: tags.person, provider: tags.provider };
}
