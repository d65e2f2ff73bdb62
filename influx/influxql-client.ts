import type { InfluxConfig } from './create-line-writer.js';
import { networkErrorMessage } from './line-writer.js';
import { configurationHint, InfluxWriteError, isRetryableStatus, redactServerMessage } from './write-error.js';

/** One series of an InfluxQL result: rows as objects keyed by column, `time` as RFC 3339 text. */
export interface InfluxQlSeries {
  name: string;
  tags: Record<string, string>;
  rows: Record<string, unknown>[];
}

/**
 * A failed InfluxQL request. It extends InfluxWriteError because the worker treats it the same way:
 * the delivery stays in the spool when `retryable`, and moves to the failed area otherwise.
 */
export class InfluxQueryError extends InfluxWriteError {
  constructor(message: string, retryable: boolean, statusCode?: number) {
    super(message, retryable, statusCode);
    this.name = 'InfluxQueryError';
  }
}

interface RawSeries {
  name?: string;
  tags?: Record<string, string>;
  columns?: string[];
  values?: unknown[][];
}

interface RawResponse {
  error?: string;
  results?: Array<{ error?: string; series?: RawSeries[] }>;
}

/** Quotes a string literal for InfluxQL: backslashes and apostrophes are escaped. */
export function influxQlString(text: string): string {
  return `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** Quotes an identifier (measurement, tag or field key) for InfluxQL. */
export function influxQlIdentifier(name: string): string {
  return `"${name.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/**
 * Runs InfluxQL through the `/query` endpoint, which InfluxDB 1.x serves natively and 2.x and 3.x
 * serve through their 1.x compatibility API. With API version 2 the bucket is the database (2.x
 * maps a bucket named `db` or `db/rp` to it automatically) and the token goes in a Token header.
 */
export class InfluxQlClient {
  private readonly queryUrl: string;
  private readonly headers: Record<string, string> = {};
  private readonly database: string;
  private readonly retentionPolicy: string | undefined;

  constructor(private readonly config: InfluxConfig) {
    this.queryUrl = `${config.url}/query`;
    const [database, retentionPolicy] = config.apiVersion === 2 ? config.bucket.split('/', 2) : [config.database, undefined];
    this.database = database!;
    this.retentionPolicy = retentionPolicy;
    if (config.apiVersion === 2) this.headers.authorization = `Token ${config.token}`;
    else if (config.username !== undefined) {
      this.headers.authorization = `Basic ${Buffer.from(`${config.username}:${config.password ?? ''}`).toString('base64')}`;
    }
  }

  /** Runs one read-only statement (SELECT, SHOW) and returns its series. */
  async select(statement: string): Promise<InfluxQlSeries[]> {
    const results = await this.send('GET', statement);
    return (results[0]?.series ?? []).map(toSeries);
  }

  /** Runs statements that change data (DELETE), separated by semicolons, over POST. */
  async execute(statements: string): Promise<void> {
    await this.send('POST', statements);
  }

  private async send(method: 'GET' | 'POST', statement: string): Promise<NonNullable<RawResponse['results']>> {
    const parameters = new URLSearchParams({ db: this.database, q: statement });
    if (this.retentionPolicy !== undefined) parameters.set('rp', this.retentionPolicy);
    const response = await this.fetchQuery(method, parameters);
    const text = await response.text();

    if (response.status !== 200) {
      const message = `InfluxDB query responded with HTTP ${response.status}${configurationHint(response.status)}: ${redactServerMessage(text)}`;
      throw new InfluxQueryError(message, isRetryableStatus(response.status), response.status);
    }
    const body = JSON.parse(text) as RawResponse;
    const failed = body.error ?? body.results?.find((result) => result.error !== undefined)?.error;
    if (failed !== undefined) throw statementError(failed);
    return body.results ?? [];
  }

  private async fetchQuery(method: 'GET' | 'POST', parameters: URLSearchParams): Promise<Response> {
    const signal = AbortSignal.timeout(this.config.timeoutMs);
    try {
      if (method === 'GET') return await fetch(`${this.queryUrl}?${parameters.toString()}`, { headers: this.headers, signal });
      const headers = { ...this.headers, 'content-type': 'application/x-www-form-urlencoded' };
      return await fetch(this.queryUrl, { method, headers, body: parameters.toString(), signal });
    } catch (error) {
      throw new InfluxQueryError(`InfluxDB did not respond to a query: ${redactServerMessage(networkErrorMessage(error))}`, true);
    }
  }
}

/**
 * Statement errors of a server that is stopping, starting or overloaded, for example "engine is
 * closed" from influxd 1.x while it shuts down. They pass once InfluxDB is back.
 */
const TRANSIENT_STATEMENT_ERROR = /\b(closed|closing|shutting down|timeout|timed out|unavailable)\b/i;

/**
 * Builds the error of a statement that failed, which InfluxDB reports with HTTP 200. A missing
 * database is a setting the operator can fix, and a stopping server comes back, so in both cases
 * the delivery waits. Any other statement error will not go away by itself.
 */
export function statementError(message: string): InfluxQueryError {
  const missingDatabase = /database not found/i.test(message);
  const hint = missingDatabase ? ' (check INFLUX_DATABASE, or INFLUX_BUCKET)' : '';
  const retryable = missingDatabase || TRANSIENT_STATEMENT_ERROR.test(message);
  return new InfluxQueryError(`InfluxDB rejected a query${hint}: ${redactServerMessage(message)}`, retryable);
}

function toSeries(raw: RawSeries): InfluxQlSeries {
  const columns = raw.columns ?? [];
  const rows = (raw.values ?? []).map((values) => Object.fromEntries(columns.map((column, index) => [column, values[index]])));
  return { name: raw.name ?? '', tags: raw.tags ?? {}, rows };
}

const RFC3339 = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?Z$/;

/** Parses InfluxDB's RFC 3339 `time` column (UTC, up to 9 fraction digits) into nanoseconds. */
export function parseRfc3339Nanoseconds(text: unknown): bigint {
  const match = typeof text === 'string' ? RFC3339.exec(text) : null;
  if (match === null) throw new InfluxQueryError(`InfluxDB returned an unreadable time: ${String(text)}`, false);
  const seconds = BigInt(Date.parse(`${match[1]}Z`) / 1000);
  return seconds * 1_000_000_000n + BigInt((match[2] ?? '').padEnd(9, '0'));
}
