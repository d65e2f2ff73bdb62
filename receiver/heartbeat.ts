import type { Logger } from 'pino';
import type { LineWriter } from '../influx/line-writer.js';

/** Measurement of the receiver's heartbeat points, which Grafana's silence rule reads. */
export const HEARTBEAT_MEASUREMENT = 'hrv_stack_heartbeat';

/** One point a minute: Grafana's rules look back 10 minutes, so a few lost points do not matter. */
export const DEFAULT_HEARTBEAT_INTERVAL_SECONDS = 60;

/**
 * Maximum interval in seconds. Grafana's receiver and silence rules count heartbeats over the last
 * 600 s, so at 300 s each window still contains two points, and one lost write fires no alert.
 */
export const MAX_HEARTBEAT_INTERVAL_SECONDS = 300;

/** Shortest interval other than 0; shorter only adds points to InfluxDB. */
export const MIN_HEARTBEAT_INTERVAL_SECONDS = 10;

export interface HeartbeatOptions {
  writer: LineWriter;
  /** Time between two points; 0 writes none. */
  intervalMs: number;
  logger: Logger;
  now?: () => number;
}

/**
 * Writes `hrv_stack_heartbeat,component=receiver up=1i` at a fixed interval while the receiver
 * runs, so that Grafana can tell a stopped receiver from people who stopped sending. A failed
 * write is dropped, not retried: the next beat replaces it. Only the first failure of a run of
 * failures is logged, at warn, and the recovery at info.
 */
export class Heartbeat {
  private timer: NodeJS.Timeout | undefined;
  private failing = false;
  private readonly now: () => number;

  constructor(private readonly options: HeartbeatOptions) {
    this.now = options.now ?? Date.now;
  }

  start(): void {
    if (this.options.intervalMs === 0) return;

    void this.beat();
    this.timer = setInterval(() => void this.beat(), this.options.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Writes one heartbeat point. It catches every write error, so the interval timer never receives a rejection. */
  async beat(): Promise<void> {
    const line = `${HEARTBEAT_MEASUREMENT},component=receiver up=1i ${BigInt(this.now()) * 1_000_000n}`;
    try {
      await this.options.writer.write([line]);
    } catch (error) {
      if (!this.failing) this.options.logger.warn({ err: error }, 'heartbeat write failed; later failures are not logged until one succeeds');
      this.failing = true;
      return;
    }

    if (this.failing) this.options.logger.info('heartbeat write succeeded again');
    this.failing = false;
  }
}
