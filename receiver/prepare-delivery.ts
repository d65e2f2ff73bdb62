import { hrvSampleLines, terraEventLine, type ConnectionTags } from '../influx/points.js';
import { classifyTerraEvent, isEnvelopeProblem, type AccountEvent, type TerraUser } from '../terra/envelope.js';
import { parseJsonBody } from '../terra/json-body.js';
import { extractHrvSamples, type SkipCounts } from '../terra/hrv-samples.js';
import { parseLargeRequestAnnouncement, type LargeRequestAnnouncement } from '../terra/large-request.js';
import { extractModelRecords } from '../terra/model-records.js';
import { resolvePerson } from '../terra/person.js';
import type { ModelTags } from '../influx/model-points.js';
import type { DailyAverageRecord, SleepSessionRecord } from '../hrv-model/stored-records.js';
import { sessionSampleLines, type SessionSampleLines } from './older-copy-samples.js';
import type { ExpiringLink } from './ping-download.js';
import type { SpooledDelivery } from './spool.js';

export interface PreparationOptions {
  personLabels: ReadonlyMap<string, string>;
  defaultTimeZone: string;
}

/** Counts of one delivery, logged by the worker as one line without any HRV value. */
export interface DeliveryOutcome {
  type: string;
  person?: string;
  provider?: string;
  stored: { rmssd: number; sdnn: number; events: number };
  skipped: SkipCounts;
  /** Set when the delivery needs the user's attention; the worker logs it at warn. */
  warning?: string;
  /** Size of the event downloaded for a ping-mode delivery, in bytes; the event itself is never logged. */
  downloadedBytes?: number;
}

const UNUSABLE_ANNOUNCEMENT_WARNING =
  'large_request_sending has no usable reference or expected_payloads, so the chunks of this large request are not counted';

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

/** The sessions and daily averages a delivery gives the nightly model. */
export interface ModelInput {
  tags: ModelTags;
  sessions: SleepSessionRecord[];
  dailies: DailyAverageRecord[];
  /** Position of each session's samples in `lines`, so that an older copy's can be left out. */
  sessionLines: SessionSampleLines[];
}

/** The lines a delivery writes, what it gives the nightly model, and the counts its log line reports. */
export interface PreparedDelivery {
  lines: string[];
  model?: ModelInput;
  /** Announcement of a `large_request_sending` event. */
  largeRequest?: LargeRequestAnnouncement;
  outcome: DeliveryOutcome;
  /**
   * Set for an `s3_payload` (ping mode), which carries only a link to the event: the worker
   * downloads it and prepares the downloaded event in place of this delivery.
   */
  pingLink?: ExpiringLink;
}

function parseSpooledBody(delivery: SpooledDelivery): unknown {
  try {
    return parseJsonBody(delivery.body);
  } catch {
    throw new UnprocessableDeliveryError('the body is not valid UTF-8 JSON');
  }
}

/**
 * Turns one spooled delivery into line protocol, without writing anything. Throws
 * UnprocessableDeliveryError when the body is not a Terra event; the webhook checks that before
 * spooling, so this means a damaged spool file.
 */
export function prepareDelivery(delivery: SpooledDelivery, options: PreparationOptions): PreparedDelivery {
  const body = parseSpooledBody(delivery);
  const event = classifyTerraEvent(body);
  if (isEnvelopeProblem(event)) throw new UnprocessableDeliveryError(`invalid ${event.field}: ${event.message}`);

  if (event.kind === 'other') {
    const outcome: DeliveryOutcome = { type: event.type, stored: { rmssd: 0, sdnn: 0, events: 0 }, skipped: {} };
    if (event.type === 'large_request_sending') return prepareAnnouncement(body, outcome, options);
    return { lines: [], outcome };
  }

  if (event.kind === 'ping') {
    // The link was made shortly before Terra sent it, so it expires no later than this.
    const expiresAtMs = delivery.metadata.receivedAtMs + event.link.expiresInSeconds * 1000;
    const outcome = { type: 's3_payload', stored: { rmssd: 0, sdnn: 0, events: 0 }, skipped: {} };
    return { lines: [], outcome, pingLink: { url: event.link.url, expiresAtMs } };
  }

  if (event.kind === 'account') {
    const tags = connectionTags(event.user, options.personLabels);
    const emittedAtMs = delivery.metadata.orderingTimestampMs ?? delivery.metadata.receivedAtMs;
    const outcome = { type: event.event.type, ...describeTags(tags), stored: { rmssd: 0, sdnn: 0, events: 1 }, skipped: {} };
    return { lines: [accountEventLine(event.event, tags, emittedAtMs)], outcome };
  }

  const tags = connectionTags(event.event.user, options.personLabels);
  const extracted = extractHrvSamples(event.event, options.defaultTimeZone);
  const rmssd = extracted.samples.filter((sample) => sample.measure === 'rmssd').length;
  const stored = { rmssd, sdnn: extracted.samples.length - rmssd, events: 0 };
  // Copies of one session are ordered by when Terra emitted them, which is the same on every retry.
  const orderingMs = delivery.metadata.orderingTimestampMs ?? delivery.metadata.receivedAtMs;
  const records = extractModelRecords(event.event, extracted, options.defaultTimeZone, orderingMs);
  const skipped = records.unusableItems === 0 ? extracted.skipped : { ...extracted.skipped, invalid_item_time: records.unusableItems };
  const outcome = { type: event.event.type, ...describeTags(tags), stored, skipped };
  const model = { tags: describeTags(tags), sessions: records.sessions, dailies: records.dailies, sessionLines: sessionSampleLines(extracted, records) };
  return { lines: hrvSampleLines(extracted, tags), model, outcome };
}

function prepareAnnouncement(body: unknown, outcome: DeliveryOutcome, options: PreparationOptions): PreparedDelivery {
  const largeRequest = parseLargeRequestAnnouncement(body, options.personLabels);
  if (largeRequest === undefined) return { lines: [], outcome: { ...outcome, warning: UNUSABLE_ANNOUNCEMENT_WARNING } };

  const { person, provider } = largeRequest;
  return { lines: [], largeRequest, outcome: { ...outcome, person, provider } };
}

function describeTags(tags: ConnectionTags): { person: string; provider: string } {
  return { person: tags.person, provider: tags.provider };
}
