import { MAX_ID_CHARS, type TerraUser } from './envelope.js';
import { isObject } from './hrv-samples.js';
import { resolvePerson } from './person.js';

/**
 * Event types that carry data, so that a delivery of one of them with a `terra-reference` header is
 * a chunk of a large request. The others (`large_request_processing`, `large_request_sending`,
 * account events, `healthcheck`) are not chunks.
 */
export const DATA_EVENT_TYPES: readonly string[] = ['sleep', 'daily', 'body', 'activity', 'nutrition', 'menstruation', 'hormone', 'athlete'];

/**
 * Largest `expected_payloads` accepted. Terra sends one chunk per payload, and the tracker keeps
 * one entry per chunk, so a larger number is not a plausible announcement.
 */
export const MAX_EXPECTED_PAYLOADS = 100_000;

/** Announcement of a large request: how many chunks will carry `terra-reference`, and for whom. */
export interface LargeRequestAnnouncement {
  reference: string;
  expectedPayloads: number;
  person?: string;
  provider?: string;
}

function idText(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' && value.length <= MAX_ID_CHARS ? value : undefined;
}

/** Returns the person and provider of the event's `user`, or nothing when it is unusable. */
function personOf(user: unknown, labels: ReadonlyMap<string, string>): { person?: string; provider?: string } {
  if (!isObject(user)) return {};
  const userId = idText(user.user_id);
  const provider = idText(user.provider);
  if (userId === undefined || provider === undefined) return {};

  const terraUser: TerraUser = { ...user, user_id: userId, provider, reference_id: idText(user.reference_id) ?? null };
  return { person: resolvePerson(terraUser, labels), provider };
}

/**
 * Reads a `large_request_sending` body: `reference` (the `terra-reference` header of every chunk)
 * and `expected_payloads`. Returns undefined when either is missing or unusable.
 */
export function parseLargeRequestAnnouncement(body: unknown, labels: ReadonlyMap<string, string>): LargeRequestAnnouncement | undefined {
  if (!isObject(body)) return undefined;
  const reference = idText(body.reference);
  const expected = body.expected_payloads;
  if (reference === undefined || !Number.isSafeInteger(expected) || (expected as number) < 0 || (expected as number) > MAX_EXPECTED_PAYLOADS) return undefined;

  return { reference, expectedPayloads: expected as number, ...personOf(body.user, labels) };
}
