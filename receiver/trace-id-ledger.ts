import type { Logger } from 'pino';
import { JsonLinesJournal } from './json-lines-journal.js';

/**
 * How long the id of a processed delivery is remembered. Terra retries a delivery that got no 2xx
 * for about a day after its first attempt and then disables the destination, so no retry comes
 * more than about 24 h after the receiver accepted one of its attempts. Twice that leaves a margin
 * for Terra's "about".
 */
export const PROCESSED_RETENTION_MS = 48 * 3600 * 1000;

/**
 * Most processed ids remembered; past it the oldest are forgotten first. 100,000 ids in 48 h is
 * about 35 deliveries a minute, far above what a household's wearables send. They take about
 * 11.4 MB of memory and 6.4 MB of journal (`npm run bench:trace-ids`, docs/benchmarks.md).
 */
export const MAX_PROCESSED_IDS = 100_000;

/** The journal is rewritten once it has this many more lines than there are live ids. */
const REWRITE_SLACK_LINES = 10_000;

export type TraceIdState = 'new' | 'pending' | 'processed';

/** A trace id reserved while its delivery is written to the spool. */
export interface TraceIdClaim {
  /** The delivery is in the spool: its retries are duplicates from now on. */
  spooled(): void;
  /** The spool write failed: a retry must be spooled again. */
  failed(): void;
}

export interface TraceIdLedgerOptions {
  /** File of processed ids, one `[processedAtMs, traceId]` JSON line each. */
  path: string;
  /** Trace ids of the deliveries already in the spool's pending area. */
  pendingTraceIds: Iterable<string>;
  logger: Logger;
  retentionMs?: number;
  maxProcessedIds?: number;
  /** Stale journal lines tolerated before a rewrite. */
  rewriteSlackLines?: number;
  nowMs?: () => number;
}

/**
 * The `X-Terra-Trace-Id`s that are pending in the spool or were processed recently. Terra keeps a
 * trace id across the retries of one delivery, so a delivery whose id is here is a retry that
 * needs no processing. Pending ids are rebuilt from the spool at start. Processed ids are kept in
 * a journal under the spool folder, so they survive a restart. The journal is not fsynced per id.
 * An id lost in a power cut only means that a retry is processed again, which writes the same
 * points over themselves.
 */
export class TraceIdLedger {
  /** Processed ids with their time (ms), oldest first: a Map keeps insertion order. */
  private readonly processed = new Map<string, number>();
  /** Pending ids with the number of their copies in the spool. */
  private readonly pending = new Map<string, number>();
  /** Ids whose delivery is being written to the spool, with a promise of whether that worked. */
  private readonly spooling = new Map<string, Promise<boolean>>();
  private readonly retentionMs: number;
  private readonly maxProcessedIds: number;
  private readonly rewriteSlackLines: number;
  private readonly nowMs: () => number;

  private constructor(
    private readonly journal: JsonLinesJournal,
    private readonly logger: Logger,
    options: TraceIdLedgerOptions,
  ) {
    this.retentionMs = options.retentionMs ?? PROCESSED_RETENTION_MS;
    this.maxProcessedIds = options.maxProcessedIds ?? MAX_PROCESSED_IDS;
    this.rewriteSlackLines = options.rewriteSlackLines ?? REWRITE_SLACK_LINES;
    this.nowMs = options.nowMs ?? Date.now;
  }

  /** Reads the journal, drops expired ids and rewrites it without them. */
  static async open(options: TraceIdLedgerOptions): Promise<TraceIdLedger> {
    const { journal, entries, unreadableLines } = await JsonLinesJournal.open(options.path);
    const ledger = new TraceIdLedger(journal, options.logger, options);
    if (unreadableLines > 0) options.logger.warn({ path: options.path, unreadableLines }, 'skipped unreadable lines of the trace id journal');

    for (const entry of entries) {
      if (!isJournalEntry(entry)) continue;
      ledger.processed.delete(entry[1]);
      ledger.processed.set(entry[1], entry[0]);
    }
    for (const traceId of options.pendingTraceIds) ledger.addPending(traceId);
    ledger.forgetOldIds();
    await journal.rewrite(ledger.journalEntries());
    return ledger;
  }

  get processedCount(): number {
    return this.processed.size;
  }

  get pendingCount(): number {
    return this.pending.size;
  }

  stateOf(traceId: string): TraceIdState {
    if (this.pending.has(traceId) || this.spooling.has(traceId)) return 'pending';
    const processedAtMs = this.processed.get(traceId);
    return processedAtMs !== undefined && processedAtMs > this.nowMs() - this.retentionMs ? 'processed' : 'new';
  }

  /**
   * Reserves a trace id for a delivery about to be spooled, or returns 'duplicate'. A request
   * whose id another request is spooling waits for that write: it is a duplicate only once the
   * other copy is safely on disk, so that no retry is acknowledged while nothing is stored.
   */
  async claim(traceId: string): Promise<TraceIdClaim | 'duplicate'> {
    for (let inFlight = this.spooling.get(traceId); inFlight !== undefined; inFlight = this.spooling.get(traceId)) await inFlight;
    if (this.stateOf(traceId) !== 'new') return 'duplicate';

    let settle: (spooled: boolean) => void = () => undefined;
    this.spooling.set(traceId, new Promise<boolean>((resolve) => (settle = resolve)));
    const finish = (spooled: boolean) => {
      if (this.spooling.get(traceId) === undefined) return;
      this.spooling.delete(traceId);
      if (spooled) this.addPending(traceId);
      settle(spooled);
    };
    return { spooled: () => finish(true), failed: () => finish(false) };
  }

  /**
   * Records that the worker finished a delivery: it left the spool, stored or moved to the failed
   * area. It does not throw for a journal that cannot be written: the error is logged, and a retry
   * of the delivery is then processed again.
   */
  async markProcessed(traceId: string | undefined): Promise<void> {
    if (traceId === undefined) return;
    const copies = this.pending.get(traceId) ?? 0;
    if (copies > 1) this.pending.set(traceId, copies - 1);
    else this.pending.delete(traceId);
    const processedAtMs = this.nowMs();
    this.processed.delete(traceId);
    this.processed.set(traceId, processedAtMs);
    this.forgetOldIds();

    try {
      await this.journal.append([[processedAtMs, traceId]]);
      if (this.journal.lineCount > this.processed.size + this.rewriteSlackLines) await this.journal.rewrite(this.journalEntries());
    } catch (error) {
      this.logger.error({ err: error, traceId }, 'cannot record a processed trace id; a retry of this delivery would be processed again');
    }
  }

  /** Writes what is pending to disk and closes the journal. */
  async close(): Promise<void> {
    await this.journal.close();
  }

  private addPending(traceId: string): void {
    this.pending.set(traceId, (this.pending.get(traceId) ?? 0) + 1);
  }

  /** Drops the oldest processed ids while they are expired or there are too many. */
  private forgetOldIds(): void {
    const oldestKeptMs = this.nowMs() - this.retentionMs;
    for (const [traceId, processedAtMs] of this.processed) {
      if (processedAtMs > oldestKeptMs && this.processed.size <= this.maxProcessedIds) break;
      this.processed.delete(traceId);
    }
  }

  private journalEntries(): Array<[number, string]> {
    return [...this.processed].map(([traceId, processedAtMs]) => [processedAtMs, traceId]);
  }
}

function isJournalEntry(value: unknown): value is [number, string] {
  return Array.isArray(value) && value.length === 2 && Number.isSafeInteger(value[0]) && typeof value[1] === 'string' && value[1] !== '';
}
