/**
 * A failed write to InfluxDB. `retryable` deliveries stay in the spool and are tried again later;
 * the others (a 4xx other than 429) are moved to the spool's failed area.
 */
export class InfluxWriteError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
    readonly statusCode?: number,
  ) {
    super(message);
    this.name = 'InfluxWriteError';
  }
}

/** Unreachable, overloaded (429) or failing (5xx) servers may recover, but other responses will not change. */
export function isRetryableStatus(statusCode: number): boolean {
  return statusCode === 429 || statusCode >= 500;
}

/** Maximum length of a server message in logs, because InfluxDB's partial-write errors can run to kilobytes. */
const MAX_MESSAGE_CHARS = 300;

/**
 * Shortens a server's error text for logs. InfluxDB quotes the offending line protocol in parse
 * errors ("unable to parse 'hrv,person=... rmssd=52.1 ...'"), and HRV values must not reach the
 * logs, so every quoted part is replaced.
 */
export function redactServerMessage(text: string): string {
  const redacted = text.replace(/'[^']*'/g, "'<line>'").replace(/\s+/g, ' ').trim();
  return redacted.length > MAX_MESSAGE_CHARS ? `${redacted.slice(0, MAX_MESSAGE_CHARS)}...` : redacted;
}
