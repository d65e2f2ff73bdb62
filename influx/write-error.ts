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

/**
 * Tells whether a write that failed with this status may succeed later. 429 and 5xx mean load or an
 * outage. 401, 403 and 404 mean a wrong token, a missing permission or a missing database or
 * bucket, which the operator can fix, so those deliveries wait in the spool too. Other 4xx responses
 * (400 for unparsable points or a field type conflict, 413) depend on the data and will not change.
 */
export function isRetryableStatus(statusCode: number): boolean {
  return statusCode === 429 || statusCode >= 500 || CONFIGURATION_STATUSES.has(statusCode);
}

const CONFIGURATION_STATUSES = new Set([401, 403, 404]);

/** Says what to check for a status caused by the receiver's InfluxDB settings, else ''. */
export function configurationHint(statusCode: number): string {
  if (statusCode === 401 || statusCode === 403) return ' (check INFLUX_TOKEN, or INFLUX_USERNAME and INFLUX_PASSWORD, and their write permission)';
  if (statusCode === 404) return ' (check that the bucket INFLUX_BUCKET, or the database INFLUX_DATABASE, exists)';
  return '';
}

/** Maximum length of a server message in logs, because InfluxDB's partial-write errors can run to kilobytes. */
const MAX_MESSAGE_CHARS = 300;

/** InfluxDB 3 returns rejected lines as JSON: `"original_line":"hrv,person=... rmssd=52.1 ..."`. */
const ORIGINAL_LINE = /"original_line"\s*:\s*"(?:[^"\\]|\\.)*"/g;
/** Any field of ours with its value, whatever the message format around it. */
const HRV_FIELD = /\b(rmssd|sdnn)=[^\s,"']*/g;

/**
 * Shortens a server's error text for logs. InfluxDB quotes the offending line protocol in parse
 * errors, and HRV values must not reach the logs. InfluxDB 1.x and 2.x quote it in apostrophes
 * ("unable to parse 'hrv,person=... rmssd=52.1 ...': invalid tag format"), and a quoted line may
 * contain apostrophes itself, so everything from the first apostrophe to the last is replaced.
 * InfluxDB 3 sends JSON with an `original_line` member. As a last guard, any `rmssd=` or `sdnn=`
 * value left is masked too.
 */
export function redactServerMessage(text: string): string {
  const first = text.indexOf("'");
  const last = text.lastIndexOf("'");
  const unquoted = first >= 0 && last > first ? `${text.slice(0, first)}'<line>'${text.slice(last + 1)}` : text;
  const redacted = unquoted.replace(ORIGINAL_LINE, '"original_line":"<line>"').replace(HRV_FIELD, '$1=<value>').replace(/\s+/g, ' ').trim();
  return redacted.length > MAX_MESSAGE_CHARS ? `${redacted.slice(0, MAX_MESSAGE_CHARS)}...` : redacted;
}
