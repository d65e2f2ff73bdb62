import { batchesOf, LINES_PER_BATCH, networkErrorMessage, pingInfluxDb, type LineWriter } from './line-writer.js';
import { configurationHint, InfluxWriteError, isRetryableStatus, redactServerMessage } from './write-error.js';

export interface V1WriterOptions {
  url: string;
  database: string;
  username?: string;
  password?: string;
  timeoutMs: number;
}

/**
 * Writes through InfluxDB 1.x's `/write` endpoint (Debian's package, Home Assistant's add-on),
 * with the same line protocol as the v2 writer. Credentials go in a basic-auth header, never in the
 * query string, so they stay out of proxy logs.
 */
export class V1LineWriter implements LineWriter {
  private readonly writeUrl: string;
  private readonly headers: Record<string, string>;

  constructor(private readonly options: V1WriterOptions) {
    const query = new URLSearchParams({ db: options.database, precision: 'n' });
    this.writeUrl = `${options.url}/write?${query.toString()}`;
    this.headers = { 'content-type': 'text/plain; charset=utf-8' };
    if (options.username !== undefined) {
      const credentials = Buffer.from(`${options.username}:${options.password ?? ''}`).toString('base64');
      this.headers.authorization = `Basic ${credentials}`;
    }
  }

  async write(lines: readonly string[]): Promise<void> {
    for (const batch of batchesOf(lines, LINES_PER_BATCH)) await this.writeBatch(batch);
  }

  async ping(): Promise<void> {
    await pingInfluxDb(this.options.url, this.headers, this.options.timeoutMs);
  }

  private async writeBatch(batch: readonly string[]): Promise<void> {
    let response: Response;
    try {
      const init = { method: 'POST', headers: this.headers, body: batch.join('\n') };
      response = await fetch(this.writeUrl, { ...init, signal: AbortSignal.timeout(this.options.timeoutMs) });
    } catch (error) {
      throw new InfluxWriteError(`InfluxDB did not respond: ${redactServerMessage(networkErrorMessage(error))}`, true);
    }

    const text = await response.text();
    if (response.status === 204 || response.status === 200) return;
    const message = `InfluxDB responded with HTTP ${response.status}${configurationHint(response.status)}: ${redactServerMessage(text)}`;
    throw new InfluxWriteError(message, isRetryableStatus(response.status), response.status);
  }
}
