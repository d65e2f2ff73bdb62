import { createHmac, timingSafeEqual } from 'node:crypto';

/** Reason of a failed signature check, named in the 401 body. */
export type SignatureFailure = 'missing' | 'malformed' | 'expired' | 'mismatch';

export type SignatureCheck = { ok: true; timestampSeconds: number } | { ok: false; reason: SignatureFailure };

export interface VerifyOptions {
  /** Every secret currently accepted; more than one while a rotation is in progress. */
  secrets: readonly string[];
  /** Maximum distance between `t` and now, in seconds; 0 turns the time check off. */
  toleranceSeconds: number;
  nowSeconds: number;
}

export interface ParsedSignatureHeader {
  timestampSeconds: number;
  v1Signatures: Buffer[];
}

const HEX_SHA256 = /^[0-9a-f]{64}$/;
const UNIX_SECONDS = /^[0-9]{1,12}$/;

/**
 * Parses `t=<unix seconds>,v1=<hex>[,v1=<hex>][,v0=...]`. Entries of other schemes are ignored, and
 * spaces after commas are allowed. Returns undefined when `t` is missing or not whole seconds, or
 * when no `v1` entry is a lowercase 64-digit hex string.
 */
function parseSignatureHeader(header: string): ParsedSignatureHeader | undefined {
  let timestampSeconds: number | undefined;
  const v1Signatures: Buffer[] = [];

  for (const entry of header.split(',')) {
    const separator = entry.indexOf('=');
    if (separator < 0) continue;
    const scheme = entry.slice(0, separator).trim();
    const value = entry.slice(separator + 1).trim();
    if (scheme === 't' && UNIX_SECONDS.test(value)) timestampSeconds = Number(value);
    if (scheme === 'v1' && HEX_SHA256.test(value)) v1Signatures.push(Buffer.from(value, 'hex'));
  }

  if (timestampSeconds === undefined || v1Signatures.length === 0) return undefined;
  return { timestampSeconds, v1Signatures };
}

/** Computes the `v1` value Terra sends: HMAC-SHA256 of `<t>.<raw body>`, as 32 raw bytes. */
function computeV1(secret: string, timestampSeconds: number, body: Buffer): Buffer {
  return createHmac('sha256', secret).update(`${timestampSeconds}.`).update(body).digest();
}

export type HeaderCheck = { ok: true; header: ParsedSignatureHeader } | { ok: false; reason: SignatureFailure };

/**
 * Checks everything about a signature header that does not need the body: present, well formed,
 * and with `t` within the tolerance. The webhook runs this before reading the body, so requests
 * without a usable signature are rejected before they cost memory.
 */
export function checkSignatureHeader(header: string | undefined, options: Omit<VerifyOptions, 'secrets'>): HeaderCheck {
  if (header === undefined || header.trim() === '') return { ok: false, reason: 'missing' };

  const parsed = parseSignatureHeader(header);
  if (parsed === undefined) return { ok: false, reason: 'malformed' };

  const tooOld = Math.abs(options.nowSeconds - parsed.timestampSeconds) > options.toleranceSeconds;
  if (options.toleranceSeconds > 0 && tooOld) return { ok: false, reason: 'expired' };

  return { ok: true, header: parsed };
}

/** Compares every `v1` entry with the HMAC of the body under every accepted secret, in constant time. */
export function matchesSignedBody(header: ParsedSignatureHeader, body: Buffer, secrets: readonly string[]): boolean {
  let matched = false;
  for (const secret of secrets) {
    const expected = computeV1(secret, header.timestampSeconds, body);
    for (const candidate of header.v1Signatures) {
      // Keep looping after a match so the time taken does not depend on which entry matched.
      if (timingSafeEqual(expected, candidate)) matched = true;
    }
  }
  return matched;
}

/** Verifies a Terra signature header against the raw body bytes, before anything parses them. */
export function verifyTerraSignature(header: string | undefined, body: Buffer, options: VerifyOptions): SignatureCheck {
  const check = checkSignatureHeader(header, options);
  if (!check.ok) return check;

  if (!matchesSignedBody(check.header, body, options.secrets)) return { ok: false, reason: 'mismatch' };
  return { ok: true, timestampSeconds: check.header.timestampSeconds };
}

/** Builds the header value Terra would send for `body`, for the simulator and for tests. */
export function signTerraBody(body: Buffer | string, secret: string, timestampSeconds: number): string {
  const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  return `t=${timestampSeconds},v1=${computeV1(secret, timestampSeconds, bytes).toString('hex')}`;
}
