import type { InfluxConfig } from './create-line-writer.js';
import { influxQlIdentifier, influxQlString, InfluxQueryError, type InfluxQlClient } from './influxql-client.js';
import { networkErrorMessage } from './line-writer.js';
import { lineProtocolTagValue } from './points.js';
import { configurationHint, isRetryableStatus, redactServerMessage } from './write-error.js';

/** Deletes points chosen by measurement and tags: at exact times, or all of them. */
export interface PointDeleter {
  deletePoints(measurement: string, tags: Readonly<Record<string, string>>, timesNs: readonly bigint[]): Promise<void>;
  deleteAll(measurement: string, tags: Readonly<Record<string, string>>): Promise<void>;
}

/**
 * Time range of a delete of all points. Every point the receiver writes lies inside it: samples
 * are rejected outside the years 2000 to 2099, and event times fall back to the arrival time.
 */
const EARLIEST_TIME = '1970-01-01T00:00:00Z';
const LATEST_TIME = '2100-01-01T00:00:00Z';

/** DELETE statements sent in one request. */
const DELETES_PER_REQUEST = 200;

/**
 * Deletes through InfluxQL `DELETE`, which InfluxDB 1.x runs for a user with WRITE permission on
 * the database. Tag values are sanitised exactly as the writer sanitises them.
 */
export class InfluxQlPointDeleter implements PointDeleter {
  constructor(private readonly influxQl: InfluxQlClient) {}

  async deleteAll(measurement: string, tags: Readonly<Record<string, string>>): Promise<void> {
    await this.influxQl.execute(`DELETE FROM ${influxQlIdentifier(measurement)} WHERE ${influxQlTagCondition(tags)}`);
  }

  async deletePoints(measurement: string, tags: Readonly<Record<string, string>>, timesNs: readonly bigint[]): Promise<void> {
    const tagCondition = influxQlTagCondition(tags);
    const statements = timesNs.map((timeNs) => `DELETE FROM ${influxQlIdentifier(measurement)} WHERE ${tagCondition} AND time >= ${timeNs} AND time <= ${timeNs}`);
    for (let start = 0; start < statements.length; start += DELETES_PER_REQUEST) {
      await this.influxQl.execute(statements.slice(start, start + DELETES_PER_REQUEST).join('; '));
    }
  }
}

function influxQlTagCondition(tags: Readonly<Record<string, string>>): string {
  return Object.entries(tags)
    .map(([key, value]) => `${influxQlIdentifier(key)} = ${influxQlString(lineProtocolTagValue(value))}`)
    .join(' AND ');
}

/** Quotes a delete-predicate string: InfluxDB 2.x parses it like an InfluxQL double-quoted string. */
function predicateString(text: string): string {
  return `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

function deletePredicate(measurement: string, tags: Readonly<Record<string, string>>): string {
  const conditions = [`_measurement=${predicateString(measurement)}`];
  for (const [key, value] of Object.entries(tags)) conditions.push(`${predicateString(key)}=${predicateString(lineProtocolTagValue(value))}`);
  return conditions.join(' AND ');
}

function rfc3339Nanoseconds(epochNs: bigint): string {
  const seconds = new Date(Number(epochNs / 1_000_000_000n) * 1000).toISOString().slice(0, 19);
  return `${seconds}.${(epochNs % 1_000_000_000n).toString().padStart(9, '0')}Z`;
}

/**
 * Deletes through `/api/v2/delete`, which InfluxDB 2.x (and Enterprise 1.8 or later) serve for a token with write
 * permission on the bucket. It is used instead of InfluxQL DELETE on API version 2 because DELETE
 * through 2.x's `/query` has been reported to fail on buckets mapped to a database automatically.
 */
export class V2ApiPointDeleter implements PointDeleter {
  constructor(private readonly config: Extract<InfluxConfig, { apiVersion: 2 }>) {}

  async deleteAll(measurement: string, tags: Readonly<Record<string, string>>): Promise<void> {
    await this.post({ start: EARLIEST_TIME, stop: LATEST_TIME, predicate: deletePredicate(measurement, tags) });
  }

  async deletePoints(measurement: string, tags: Readonly<Record<string, string>>, timesNs: readonly bigint[]): Promise<void> {
    const predicate = deletePredicate(measurement, tags);
    // stop is one nanosecond later so that the single point is deleted whether stop is inclusive or not.
    for (const timeNs of timesNs) await this.post({ start: rfc3339Nanoseconds(timeNs), stop: rfc3339Nanoseconds(timeNs + 1n), predicate });
  }

  private async post(body: { start: string; stop: string; predicate: string }): Promise<void> {
    const parameters = new URLSearchParams({ org: this.config.org, bucket: this.config.bucket });
    const headers = { authorization: `Token ${this.config.token}`, 'content-type': 'application/json' };
    let response: Response;
    try {
      const init = { method: 'POST', headers, body: JSON.stringify(body), signal: AbortSignal.timeout(this.config.timeoutMs) };
      response = await fetch(`${this.config.url}/api/v2/delete?${parameters.toString()}`, init);
    } catch (error) {
      throw new InfluxQueryError(`InfluxDB did not respond to a delete: ${redactServerMessage(networkErrorMessage(error))}`, true);
    }

    const text = await response.text();
    if (response.status === 204 || response.status === 200) return;
    const message = `InfluxDB delete responded with HTTP ${response.status}${configurationHint(response.status)}: ${redactServerMessage(text)}`;
    throw new InfluxQueryError(message, isRetryableStatus(response.status), response.status);
  }
}

export function createPointDeleter(config: InfluxConfig, influxQl: InfluxQlClient): PointDeleter {
  return config.apiVersion === 2 ? new V2ApiPointDeleter(config) : new InfluxQlPointDeleter(influxQl);
}
