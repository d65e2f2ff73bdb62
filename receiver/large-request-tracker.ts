import type { Logger } from 'pino';
import { DATA_EVENT_TYPES, type LargeRequestAnnouncement } from '../terra/large-request.js';
import { JsonLinesJournal } from './json-lines-journal.js';
import type { DeliveryMetadata } from './spool.js';

/** Default wait for the chunks of a large request before a warning; Terra retries for about a day. */
export const DEFAULT_WARN_AFTER_MS = 24 * 3600 * 1000;

/** Large requests tracked at once; past it the oldest are forgotten first. */
const MAX_TRACKED_REQUESTS = 1_000;
/** Chunk keys kept over all tracked requests; as many trace ids take about 12 MB in the ledger. */
const MAX_TRACKED_CHUNKS = 100_000;
/** The journal is rewritten once it has this many more lines than the state it describes. */
const REWRITE_SLACK_LINES = 10_000;

/** Progress of one large request, keyed by its `reference`. */
interface TrackedRequest {
  reference: string;
  /** When the announcement or the first chunk was processed (ms). */
  firstSeenMs: number;
  /** From `large_request_sending`; unknown until that event is processed. */
  expectedPayloads?: number;
  person?: string;
  provider?: string;
  /** Keys of the processed chunks: the trace id, or the spool id of a chunk without one. */
  chunks: Set<string>;
  /** Set once the warning (or, without an announcement, the notice) was logged. */
  reported: boolean;
  completed: boolean;
}

/** One change to a request, appended to the journal as it happens. */
type ChangeEntry =
  | { event: 'announced'; reference: string; atMs: number; expectedPayloads: number; person?: string; provider?: string }
  | { event: 'chunk'; reference: string; atMs: number; chunk: string; person?: string; provider?: string }
  | { event: 'reported'; reference: string };

/** One journal line: a change, or the full state of a request written by a rewrite. */
type JournalEntry =
  | ChangeEntry
  | { event: 'snapshot'; reference: string; firstSeenMs: number; expectedPayloads?: number; person?: string; provider?: string; chunks: string[]; reported: boolean };

export interface LargeRequestTrackerOptions {
  /** Journal file of the tracked requests. */
  path: string;
  /** How long after the first sign of a request a missing chunk is reported. */
  warnAfterMs: number;
  logger: Logger;
  nowMs?: () => number;
}

/** The part of a processed delivery the tracker reads. */
export interface ProcessedDelivery {
  outcome: { type: string; person?: string; provider?: string };
  largeRequest?: LargeRequestAnnouncement;
}

/**
 * Follows Terra's large requests: a `large_request_sending` event announces `expected_payloads`
 * chunks, each a data delivery with the same `terra-reference` header. Logs at info when every
 * expected chunk has been processed, and at warn when some are still missing `warnAfterMs` after
 * the request was first seen. The state is kept in a journal under the spool folder, so a restart
 * keeps it, and a request is forgotten `2 × warnAfterMs` after it was first seen.
 */
export class LargeRequestTracker {
  private readonly requests = new Map<string, TrackedRequest>();
  private readonly nowMs: () => number;
  private timer: NodeJS.Timeout | undefined;

  private constructor(
    private readonly journal: JsonLinesJournal,
    private readonly options: LargeRequestTrackerOptions,
  ) {
    this.nowMs = options.nowMs ?? Date.now;
  }

  /** Reads the journal, drops expired requests and rewrites it. */
  static async open(options: LargeRequestTrackerOptions): Promise<LargeRequestTracker> {
    const { journal, entries, unreadableLines } = await JsonLinesJournal.open(options.path);
    const tracker = new LargeRequestTracker(journal, options);
    if (unreadableLines > 0) options.logger.warn({ path: options.path, unreadableLines }, 'skipped unreadable lines of the large request journal');

    for (const entry of entries) tracker.replay(entry);
    tracker.forgetOldRequests();
    await journal.rewrite(tracker.snapshots());
    return tracker;
  }

  get trackedCount(): number {
    return this.requests.size;
  }

  /**
   * Records what a processed delivery means for large requests: an announcement, or a chunk when
   * it carries data and a `terra-reference`. It does not throw for a journal that cannot be
   * written: persist() logs the error, and only the tracking after a restart is lost.
   */
  async recordDelivery(deliveryId: string, metadata: DeliveryMetadata, delivery: ProcessedDelivery): Promise<void> {
    const entries: ChangeEntry[] = [];
    const { person, provider } = delivery.outcome;
    if (delivery.largeRequest !== undefined) entries.push({ event: 'announced', atMs: this.nowMs(), ...delivery.largeRequest });
    if (metadata.terraReference !== undefined && DATA_EVENT_TYPES.includes(delivery.outcome.type)) {
      const chunk = metadata.traceId ?? `delivery:${deliveryId}`;
      entries.push({ event: 'chunk', reference: metadata.terraReference, atMs: this.nowMs(), chunk, person, provider });
    }
    if (entries.length === 0) return;

    for (const entry of entries) this.apply(entry, true);
    const forgotten = this.forgetOldRequests();
    await this.persist(entries, forgotten > 0);
  }

  /** Reports overdue requests and drops expired ones. It runs on a timer after start(). */
  async checkOverdue(): Promise<void> {
    const reported: ChangeEntry[] = [];
    for (const request of this.requests.values()) {
      if (request.completed || request.reported || this.nowMs() - request.firstSeenMs < this.options.warnAfterMs) continue;
      this.reportOverdue(request);
      request.reported = true;
      reported.push({ event: 'reported', reference: request.reference });
    }

    const forgotten = this.forgetOldRequests();
    await this.persist(reported, forgotten > 0);
  }

  /** Checks for overdue requests now and then every tenth of `warnAfterMs`, between 1 s and 10 min. */
  start(): void {
    const intervalMs = Math.min(Math.max(this.options.warnAfterMs / 10, 1000), 600_000);
    void this.checkOverdue();
    this.timer = setInterval(() => void this.checkOverdue(), intervalMs);
    this.timer.unref();
  }

  /** Stops the timer, writes what is pending and closes the journal. */
  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.journal.close();
  }

  private replay(entry: unknown): void {
    if (!isJournalEntry(entry)) return;
    if (entry.event === 'snapshot') {
      const { event: _event, chunks, ...rest } = entry;
      this.requests.set(entry.reference, { ...rest, chunks: new Set(chunks), completed: false });
      this.updateCompleted(this.requests.get(entry.reference)!, false);
      return;
    }
    this.apply(entry, false);
  }

  /** Applies one change to the state. A `live` change may log completion, a replayed one never does. */
  private apply(entry: ChangeEntry, live: boolean): void {
    if (entry.event === 'reported') {
      const reported = this.requests.get(entry.reference);
      if (reported !== undefined) reported.reported = true;
      return;
    }

    const request = this.requestFor(entry.reference, entry.atMs);
    if (entry.event === 'announced') {
      request.expectedPayloads = entry.expectedPayloads;
      request.person = entry.person ?? request.person;
      request.provider = entry.provider ?? request.provider;
    } else {
      // A chunk names the person only until the announcement does.
      request.chunks.add(entry.chunk);
      request.person ??= entry.person;
      request.provider ??= entry.provider;
    }
    this.updateCompleted(request, live);
  }

  private requestFor(reference: string, atMs: number): TrackedRequest {
    const known = this.requests.get(reference);
    if (known !== undefined) {
      known.firstSeenMs = Math.min(known.firstSeenMs, atMs);
      return known;
    }
    const created: TrackedRequest = { reference, firstSeenMs: atMs, chunks: new Set(), reported: false, completed: false };
    this.requests.set(reference, created);
    return created;
  }

  private updateCompleted(request: TrackedRequest, live: boolean): void {
    if (request.completed || request.expectedPayloads === undefined || request.chunks.size < request.expectedPayloads) return;
    request.completed = true;
    if (!live) return;

    const { reference, expectedPayloads, person, provider } = request;
    this.options.logger.info({ reference, expectedPayloads, processedPayloads: request.chunks.size, person, provider }, 'large request complete: every expected payload was processed');
  }

  private reportOverdue(request: TrackedRequest): void {
    const { reference, expectedPayloads, person, provider } = request;
    const processedPayloads = request.chunks.size;
    const waitedHours = Math.round(((this.nowMs() - request.firstSeenMs) / 3_600_000) * 10) / 10;
    if (expectedPayloads === undefined) {
      const message = 'large request chunks were processed, but its large_request_sending event was not, so missing chunks cannot be counted';
      this.options.logger.info({ reference, processedPayloads, person, provider, waitedHours }, message);
      return;
    }
    const receivedChunks = receivedChunkNumbers(request.chunks);
    const fields = { reference, expectedPayloads, processedPayloads, missingPayloads: expectedPayloads - processedPayloads, receivedChunks, person, provider, waitedHours };
    this.options.logger.warn(fields, 'large request incomplete: payloads are still missing; request that date range from Terra again');
  }

  /** Forgets requests first seen more than 2 × warnAfterMs ago, then the oldest beyond the caps. */
  private forgetOldRequests(): number {
    const before = this.requests.size;
    const oldestKeptMs = this.nowMs() - 2 * this.options.warnAfterMs;
    const byAge = [...this.requests.values()].sort((a, b) => a.firstSeenMs - b.firstSeenMs);
    let chunks = this.chunkCount();

    for (const request of byAge) {
      const expired = request.firstSeenMs <= oldestKeptMs;
      if (!expired && this.requests.size <= MAX_TRACKED_REQUESTS && chunks <= MAX_TRACKED_CHUNKS) break;
      this.requests.delete(request.reference);
      chunks -= request.chunks.size;
      if (!expired && !request.completed) {
        const { reference, person, provider } = request;
        this.options.logger.warn({ reference, person, provider, maxRequests: MAX_TRACKED_REQUESTS, maxChunks: MAX_TRACKED_CHUNKS }, 'stopped tracking a large request: too many large requests or chunks are tracked');
      }
    }
    return before - this.requests.size;
  }

  private chunkCount(): number {
    let count = 0;
    for (const request of this.requests.values()) count += request.chunks.size;
    return count;
  }

  /** Appends the changes, or rewrites the journal when requests were forgotten or stale lines pile up. */
  private async persist(entries: readonly ChangeEntry[], forgotten = false): Promise<void> {
    try {
      const liveLines = this.requests.size + this.chunkCount();
      if (forgotten || this.journal.lineCount + entries.length > liveLines + REWRITE_SLACK_LINES) await this.journal.rewrite(this.snapshots());
      else await this.journal.append(entries);
    } catch (error) {
      this.options.logger.error({ err: error }, 'cannot write the large request journal; the progress of large requests may be lost at the next restart');
    }
  }

  private snapshots(): JournalEntry[] {
    return [...this.requests.values()].map(({ completed: _completed, chunks, ...rest }) => ({ event: 'snapshot', ...rest, chunks: [...chunks] }));
  }
}

function isJournalEntry(value: unknown): value is JournalEntry {
  if (typeof value !== 'object' || value === null) return false;
  const entry = value as Record<string, unknown>;
  if (typeof entry.reference !== 'string') return false;
  if (entry.event === 'snapshot') return Number.isSafeInteger(entry.firstSeenMs) && Array.isArray(entry.chunks) && entry.chunks.every((chunk) => typeof chunk === 'string');
  if (entry.event === 'announced') return Number.isSafeInteger(entry.atMs) && Number.isSafeInteger(entry.expectedPayloads);
  if (entry.event === 'chunk') return Number.isSafeInteger(entry.atMs) && typeof entry.chunk === 'string';
  return entry.event === 'reported';
}

/** Chunk numbers listed in a warning at most; a larger request lists the first ones. */
const MAX_LISTED_CHUNKS = 100;

/**
 * Returns the numbers of the processed chunks, read from trace ids of the form `<id>:chunk:<n>`, so
 * that the warning shows which ones arrived. Terra does not document whether numbers start at 0
 * or 1, so the missing ones are left for the reader to see rather than computed.
 */
function receivedChunkNumbers(chunks: ReadonlySet<string>): number[] {
  const numbers: number[] = [];
  for (const chunk of chunks) {
    const match = /:chunk:(\d{1,9})$/.exec(chunk);
    if (match !== null) numbers.push(Number(match[1]));
  }
  return numbers.sort((a, b) => a - b).slice(0, MAX_LISTED_CHUNKS);
}
