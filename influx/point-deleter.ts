import type { InfluxConfig } from './create-line-writer.js';
import { influxQlIdentifier, influxQlString, InfluxQueryError, type InfluxQlClient } from './influxql-client.js';
import { networkErrorMessage } from './line-writer.js';
import { lineProtocolTagValue } from './points.js';
import { configurationHint, isRetryableStatus, redactServerMessage } from './write-error.js';

/** Deletes single points, chosen by measurement, tags and exact time. */
export interface PointDeleter {
  deletePoints(measurement: string, tags: Readonly<Record<string, string>>, timesNs: readonly bigint[]): Promise<void>;
}

/** DELETE statements sent in one request. */
const DELETES_PER_REQUEST = 200;

/**
 * Deletes through InfluxQL `DELETE`, which InfluxDB 1.x runs for a user with WRITE permission on
 * the database. Tag values are sanitised exactly as the writer sanitises them.
 */
export class InfluxQlPointDeleter implements PointDeleter {
  constructor(private readonly influxQl: InfluxQlClient) {}

  async deletePoints(measurement: string, tags: Readonly<Record<string, string>>, timesNs: readonly bigint[]): Promise<void> {
    const tagCondition = Object.entries(tags)
      .map(([key, value]) => `${influxQlIdentifier(key)} = ${influxQlString(lineProtocolTagValue(value))}`)
      .join(' AND ');
    const statements = timesNs.map((timeNs) => `DELETE FROM ${influxQlIdentifier(measurement)} WHERE ${tagCondition} AND time >= ${timeNs} AND time <= ${timeNs}`);
    for (let start = 0; start < statements.length; start += DELETES_PER_REQUEST) {
      await this.influxQl.execute(statements.slice(start, start + DELETES_PER_REQUEST).join('; '));
    }
  }
}

/** Quotes a delete-predicate string: InfluxDB 2.x parses it like an InfluxQL double-quoted string. */
function predicateString(text: string): string {
  return `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
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

  async deletePoints(measurement: string, tags: Readonly<Record<string, string>>, timesNs: readonly bigint[]): Promise<void> {
    const conditions = [`_measurement=${predicateString(measurement)}`];
    for (const [key, value] of Object.entries(tags)) conditions.push(`${predicateString(key)}=${predicateString(lineProtocolTagValue(value))}`);
    const predicate = conditions.join(' AND ');
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
