import { z } from 'zod';

/** Event types whose items carry HRV samples. */
export const HRV_EVENT_TYPES = ['sleep', 'daily', 'body', 'activity'] as const;
export type HrvEventType = (typeof HRV_EVENT_TYPES)[number];

/** Account events stored as `terra_event` points, so dashboards can show connection status. */
export const ACCOUNT_EVENT_TYPES = [
  'auth',
  'deauth',
  'user_reauth',
  'access_revoked',
  'connection_error',
  'permission_change',
] as const;
export type AccountEventType = (typeof ACCOUNT_EVENT_TYPES)[number];

/**
 * Maximum length of an id, in characters. Terra's ids are UUIDs and short provider names, and InfluxDB
 * rejects a series key over 64 KiB, so a longer id is a broken or hostile payload.
 */
export const MAX_ID_CHARS = 256;

/** Counts characters as code points, so that an emoji counts once. */
const withinIdLength = (text: string) => [...text].length <= MAX_ID_CHARS;
const tooLong = `expected at most ${MAX_ID_CHARS} characters`;

/** Ids are kept as sent, surrounding spaces included, because they become tag values. */
const idText = z
  .string()
  .refine((text) => text.trim() !== '', 'expected a non-empty string')
  .refine(withinIdLength, tooLong);

const userSchema = z.looseObject({
  user_id: idText,
  provider: idText,
  reference_id: z.string().refine(withinIdLength, tooLong).nullish(),
});
export type TerraUser = z.infer<typeof userSchema>;

const hrvEventSchema = z.looseObject({
  type: z.enum(HRV_EVENT_TYPES),
  user: userSchema,
  // Items are checked one by one later, so that one bad item skips only itself. Terra may send
  // null for any array, which means no items.
  data: z.array(z.unknown()).nullable().transform((items) => items ?? []),
});

const accountEventSchema = z.looseObject({
  type: z.enum(ACCOUNT_EVENT_TYPES).exclude(['user_reauth']),
  user: userSchema,
  // A message or status of another type is dropped rather than rejected: it is not worth a 400.
  message: z.string().nullish().catch(undefined),
  status: z.string().nullish().catch(undefined),
});

const reauthEventSchema = z.looseObject({
  type: z.literal('user_reauth'),
  new_user: userSchema,
  // Terra sends the replaced connection here; some deliveries omit it, which loses nothing we store.
  old_user: userSchema.nullish().catch(undefined),
  message: z.string().nullish().catch(undefined),
});

/** Lifetime in seconds of a ping-mode link whose `expires_in` is missing or not a positive number. */
export const DEFAULT_PING_EXPIRES_IN_SECONDS = 300;
/**
 * A longer `expires_in` is cut to this many seconds. The worker retries a failed download until
 * the link expires and handles no other delivery meanwhile, so the wait needs a bound.
 */
export const MAX_PING_EXPIRES_IN_SECONDS = 3600;

/**
 * Ping mode: Terra sends a signed, short-lived download link in place of the event. The link is
 * checked here only for its form; the worker decides which links it downloads.
 */
const pingSchema = z.looseObject({
  type: z.literal('s3_payload'),
  url: z.string().refine(isHttpUrl, 'expected an absolute http:// or https:// URL'),
  // Terra's example ping payload carries 300. Another value type is read as 300 rather than rejected,
  // because a 400 makes Terra retry the delivery for a day and then disable the destination.
  expires_in: z
    .number()
    .positive()
    .nullish()
    .catch(undefined)
    .transform((seconds) => Math.min(seconds ?? DEFAULT_PING_EXPIRES_IN_SECONDS, MAX_PING_EXPIRES_IN_SECONDS)),
});

function isHttpUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return url.protocol === 'https:' || url.protocol === 'http:';
  } catch {
    return false;
  }
}

/** The download link of an `s3_payload` event. */
export interface PingLink {
  /** Pre-signed URL; its query string contains the signature, so treat it as a secret. */
  url: string;
  expiresInSeconds: number;
}

export type HrvEvent = z.infer<typeof hrvEventSchema>;
export type AccountEvent = z.infer<typeof accountEventSchema> | z.infer<typeof reauthEventSchema>;

export type TerraEvent =
  | { kind: 'hrv'; event: HrvEvent }
  | { kind: 'account'; event: AccountEvent; user: TerraUser }
  | { kind: 'ping'; link: PingLink }
  | { kind: 'other'; type: string };

/** Problem of a payload that cannot be a Terra event, returned in the webhook's 400 body. */
export interface EnvelopeProblem {
  field: string;
  message: string;
}

function firstProblem(error: z.ZodError): EnvelopeProblem {
  const issue = error.issues[0];
  const field = issue === undefined || issue.path.length === 0 ? '(body)' : issue.path.join('.');
  return { field, message: issue?.message ?? 'invalid' };
}

/**
 * Classifies a parsed JSON body as an HRV event, an account event, a ping-mode link, or another
 * event type that is acknowledged and logged only (healthcheck, nutrition, types Terra adds
 * later). The envelope of the first three kinds is validated; items are checked later, one by one.
 */
export function classifyTerraEvent(body: unknown): TerraEvent | EnvelopeProblem {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return { field: '(body)', message: 'expected a JSON object' };
  }
  const type = (body as { type?: unknown }).type;
  if (typeof type !== 'string' || type === '') return { field: 'type', message: 'expected a non-empty string' };

  if ((HRV_EVENT_TYPES as readonly string[]).includes(type)) {
    const parsed = hrvEventSchema.safeParse(body);
    return parsed.success ? { kind: 'hrv', event: parsed.data } : firstProblem(parsed.error);
  }
  if (type === 'user_reauth') {
    const parsed = reauthEventSchema.safeParse(body);
    return parsed.success ? { kind: 'account', event: parsed.data, user: parsed.data.new_user } : firstProblem(parsed.error);
  }
  if ((ACCOUNT_EVENT_TYPES as readonly string[]).includes(type)) {
    const parsed = accountEventSchema.safeParse(body);
    return parsed.success ? { kind: 'account', event: parsed.data, user: parsed.data.user } : firstProblem(parsed.error);
  }
  if (type === 's3_payload') {
    const parsed = pingSchema.safeParse(body);
    return parsed.success ? { kind: 'ping', link: { url: parsed.data.url, expiresInSeconds: parsed.data.expires_in } } : firstProblem(parsed.error);
  }

  return { kind: 'other', type: shortenedType(type) };
}

/** Maximum length of an unknown event type kept, in code points. Terra's longest documented type has 24. */
const MAX_LOGGED_TYPE_CHARS = 64;

/**
 * Cuts an unknown event type to MAX_LOGGED_TYPE_CHARS, marked with an ellipsis. The type is logged
 * with each delivery, and a body of up to MAX_BODY_BYTES could otherwise write that much into one
 * log line. Unknown types are acknowledged rather than rejected, because Terra may add types.
 */
function shortenedType(type: string): string {
  // A code point takes one or two UTF-16 units, so the first 2 x MAX + 2 units decide, and a type of
  // megabytes is never split into an array whole.
  const characters = [...type.slice(0, 2 * MAX_LOGGED_TYPE_CHARS + 2)];
  return characters.length <= MAX_LOGGED_TYPE_CHARS ? type : `${characters.slice(0, MAX_LOGGED_TYPE_CHARS).join('')}\u2026`;
}

export function isEnvelopeProblem(value: TerraEvent | EnvelopeProblem): value is EnvelopeProblem {
  return 'field' in value;
}

/** Returns the Terra `type` of a classified event. */
export function eventTypeOf(event: TerraEvent): string {
  if (event.kind === 'hrv' || event.kind === 'account') return event.event.type;
  if (event.kind === 'ping') return 's3_payload';
  return event.type;
}
