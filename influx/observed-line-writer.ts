import type { LineWriter } from './line-writer.js';

/** Receives the duration and result of every write; see ObservedLineWriter. */
export interface WriteObserver {
  /** `error` is what the write threw, or undefined when InfluxDB accepted every line. */
  writeFinished(durationSeconds: number, error: unknown): void;
}

/**
 * A LineWriter that reports each write's duration and failure to an observer, for the receiver's
 * metrics, and otherwise passes everything through. A write of no lines sends no request and is
 * not reported.
 */
export class ObservedLineWriter implements LineWriter {
  constructor(
    private readonly inner: LineWriter,
    private readonly observer: WriteObserver,
  ) {}

  async write(lines: readonly string[]): Promise<void> {
    if (lines.length === 0) return this.inner.write(lines);

    const startNs = process.hrtime.bigint();
    const durationSeconds = () => Number(process.hrtime.bigint() - startNs) / 1e9;
    try {
      await this.inner.write(lines);
    } catch (error) {
      this.observer.writeFinished(durationSeconds(), error);
      throw error;
    }
    this.observer.writeFinished(durationSeconds(), undefined);
  }

  ping(): Promise<void> {
    return this.inner.ping();
  }
}
