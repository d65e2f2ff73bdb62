import { HttpError, InfluxDB, setLogger, type WriteApi } from '@influxdata/influxdb-client';
import { batchesOf, LINES_PER_BATCH, pingInfluxDb, type LineWriter } from './line-writer.js';
import { configurationHint, InfluxWriteError, isRetryableStatus, redactServerMessage } from './write-error.js';

export interface V2WriterOptions {
  url: string;
  token: string;
  org: string;
  bucket: string;
  timeoutMs: number;
}

// The client logs failed writes to the console itself, with the server's message, which can quote
// line protocol. The worker logs every failure with its own redacted message instead.
setLogger({ error: () => undefined, warn: () => undefined });

function toWriteError(error: unknown): InfluxWriteError {
  if (error instanceof HttpError) {
    const hint = configurationHint(error.statusCode);
    const message = `InfluxDB responded with HTTP ${error.statusCode}${hint}: ${redactServerMessage(error.body ?? error.message)}`;
    return new InfluxWriteError(message, isRetryableStatus(error.statusCode), error.statusCode);
  }
  const message = `InfluxDB did not respond: ${redactServerMessage(error instanceof Error ? error.message : String(error))}`;
  return new InfluxWriteError(message, true);
}

/**
 * Writes through `/api/v2/write` with @influxdata/influxdb-client, which serves InfluxDB 2.x, 3.x,
 * and 1.8 or later (there the bucket is `database/retention-policy` and the token `user:password`).
 * The client's own retry buffer is off: a failed delivery stays in the spool instead, which survives
 * a restart.
 */
export class V2LineWriter implements LineWriter {
  private readonly client: InfluxDB;

  constructor(private readonly options: V2WriterOptions) {
    this.client = new InfluxDB({ url: options.url, token: options.token, timeout: options.timeoutMs });
  }

  async write(lines: readonly string[]): Promise<void> {
    for (const batch of batchesOf(lines, LINES_PER_BATCH)) {
      const writeApi = this.openWriteApi(batch.length);
      try {
        writeApi.writeRecords([...batch]);
        await writeApi.flush();
      } catch (error) {
        throw toWriteError(error);
      } finally {
        await writeApi.close().catch(() => undefined);
      }
    }
  }

  async ping(): Promise<void> {
    await pingInfluxDb(this.options.url, { authorization: `Token ${this.options.token}` }, this.options.timeoutMs);
  }

  private openWriteApi(batchLength: number): WriteApi {
    return this.client.getWriteApi(this.options.org, this.options.bucket, 'ns', {
      // One request per batch, sent by flush(): no timer and no background retries.
      batchSize: batchLength + 1,
      maxBatchBytes: Number.MAX_SAFE_INTEGER,
      flushInterval: 0,
      maxRetries: 0,
      gzipThreshold: 64 * 1024,
    });
  }
}
