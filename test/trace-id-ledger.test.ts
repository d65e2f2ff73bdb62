// Real parts: the ledger and its journal on a temporary folder. Stand-ins: an injected clock, and a
// pino logger that collects its lines.
import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PROCESSED_RETENTION_MS, TraceIdLedger, type TraceIdLedgerOptions } from '../receiver/trace-id-ledger.js';
import { collectingLogger } from './support/log-collector.js';

const HOUR_MS = 3600 * 1000;

describe('TraceIdLedger', () => {
  let folder: string;
  let path: string;
  let nowMs: number;
  const opened: TraceIdLedger[] = [];

  const openLedger = async (options: Partial<TraceIdLedgerOptions> = {}) => {
    const ledger = await TraceIdLedger.open({ path, pendingTraceIds: [], logger: collectingLogger().logger, nowMs: () => nowMs, ...options });
    opened.push(ledger);
    return ledger;
  };
  const journalLines = () => readFileSync(path, 'utf8').split('\n').filter((line) => line !== '');

  beforeEach(() => {
    folder = mkdtempSync(join(tmpdir(), 'trace-id-ledger-'));
    path = join(folder, 'state', 'trace-ids.jsonl');
    nowMs = Date.UTC(2026, 10, 2, 8);
  });

  afterEach(async () => {
    for (const ledger of opened.splice(0)) await ledger.close().catch(() => undefined);
    rmSync(folder, { recursive: true, force: true });
  });

  it('moves an id from new to pending to processed', async () => {
    const ledger = await openLedger();
    expect(ledger.stateOf('trace-1')).toBe('new');

    const claim = await ledger.claim('trace-1');
    expect(claim).not.toBe('duplicate');
    expect(ledger.stateOf('trace-1')).toBe('pending');
    (claim as Exclude<typeof claim, 'duplicate'>).spooled();
    expect(ledger.stateOf('trace-1')).toBe('pending');
    expect(await ledger.claim('trace-1')).toBe('duplicate');

    await ledger.markProcessed('trace-1');
    expect(ledger.stateOf('trace-1')).toBe('processed');
    expect(await ledger.claim('trace-1')).toBe('duplicate');
    expect(ledger.stateOf('trace-2')).toBe('new');
  });

  it('forgets an id whose spool write failed', async () => {
    const ledger = await openLedger();
    const claim = await ledger.claim('trace-1');

    (claim as Exclude<typeof claim, 'duplicate'>).failed();

    expect(ledger.stateOf('trace-1')).toBe('new');
    expect(await ledger.claim('trace-1')).not.toBe('duplicate');
  });

  it('answers a concurrent copy after the first is spooled', async () => {
    const ledger = await openLedger();
    const first = (await ledger.claim('trace-1')) as Exclude<Awaited<ReturnType<TraceIdLedger['claim']>>, 'duplicate'>;
    let secondAnswer: unknown;
    const second = ledger.claim('trace-1').then((answer) => (secondAnswer = answer));
    await new Promise((resolve) => setImmediate(resolve));
    expect(secondAnswer).toBeUndefined();

    first.spooled();
    await second;

    expect(secondAnswer).toBe('duplicate');
  });

  it('lets a concurrent copy spool when the first failed', async () => {
    const ledger = await openLedger();
    const first = (await ledger.claim('trace-1')) as Exclude<Awaited<ReturnType<TraceIdLedger['claim']>>, 'duplicate'>;
    const second = ledger.claim('trace-1');

    first.failed();
    const answer = await second;

    expect(answer).not.toBe('duplicate');
    expect(ledger.stateOf('trace-1')).toBe('pending');
  });

  it('keeps processed ids across a reopen', async () => {
    const ledger = await openLedger();
    await ledger.markProcessed('trace-1');
    await ledger.markProcessed('trace-2:chunk:0');
    await ledger.close();
    opened.length = 0;

    const reopened = await openLedger();

    expect(reopened.stateOf('trace-1')).toBe('processed');
    expect(reopened.stateOf('trace-2:chunk:0')).toBe('processed');
    expect(reopened.processedCount).toBe(2);
    expect(journalLines()).toEqual([`[${nowMs},"trace-1"]`, `[${nowMs},"trace-2:chunk:0"]`]);
  });

  it('takes pending ids from the spool at open', async () => {
    const ledger = await openLedger({ pendingTraceIds: ['trace-1', 'trace-1', 'trace-2'] });
    expect(ledger.pendingCount).toBe(2);

    await ledger.markProcessed('trace-1');
    expect(ledger.stateOf('trace-1')).toBe('pending');
    await ledger.markProcessed('trace-1');
    expect(ledger.stateOf('trace-1')).toBe('processed');
    expect(ledger.stateOf('trace-2')).toBe('pending');
  });

  it('forgets processed ids after the retention', async () => {
    const ledger = await openLedger();
    await ledger.markProcessed('old');
    nowMs += 24 * HOUR_MS;
    await ledger.markProcessed('recent');

    nowMs += PROCESSED_RETENTION_MS - 24 * HOUR_MS + 1;
    expect(ledger.stateOf('old')).toBe('new');
    expect(ledger.stateOf('recent')).toBe('processed');
    await ledger.close();
    opened.length = 0;

    const reopened = await openLedger();
    expect(reopened.processedCount).toBe(1);
    expect(journalLines()).toEqual([`[${nowMs - PROCESSED_RETENTION_MS + 24 * HOUR_MS - 1},"recent"]`]);
  });

  it('keeps at most maxProcessedIds, dropping the oldest', async () => {
    const ledger = await openLedger({ maxProcessedIds: 3 });
    for (const traceId of ['a', 'b', 'c', 'd', 'e']) await ledger.markProcessed(traceId);

    expect(['a', 'b', 'c', 'd', 'e'].map((traceId) => ledger.stateOf(traceId))).toEqual(['new', 'new', 'processed', 'processed', 'processed']);
    expect(ledger.processedCount).toBe(3);
  });

  it('rewrites the journal once stale lines pile up', async () => {
    const ledger = await openLedger({ maxProcessedIds: 2, rewriteSlackLines: 3 });
    for (const traceId of ['a', 'b', 'c', 'd', 'e']) await ledger.markProcessed(traceId);

    expect(journalLines().length).toBeLessThanOrEqual(2 + 3);
    await ledger.markProcessed('f');
    expect(journalLines()).toEqual([`[${nowMs},"e"]`, `[${nowMs},"f"]`]);
  });

  it('skips a line cut short by a crash', async () => {
    const ledger = await openLedger();
    await ledger.markProcessed('trace-1');
    await ledger.close();
    opened.length = 0;
    appendFileSync(path, '[1793606400000,"trace-');
    const { logger, lines } = collectingLogger();

    const reopened = await openLedger({ logger });

    expect(reopened.stateOf('trace-1')).toBe('processed');
    expect(reopened.processedCount).toBe(1);
    expect(lines).toEqual([expect.objectContaining({ level: 40, msg: 'skipped unreadable lines of the trace id journal', unreadableLines: 1 })]);
    expect(journalLines()).toEqual([`[${nowMs},"trace-1"]`]);
  });

  it('logs a journal write failure without throwing', async () => {
    const { logger, lines } = collectingLogger();
    const ledger = await openLedger({ logger });
    await ledger.close();
    opened.length = 0;

    await ledger.markProcessed('trace-1');

    expect(ledger.stateOf('trace-1')).toBe('processed');
    expect(lines).toEqual([expect.objectContaining({ level: 50, traceId: 'trace-1', msg: 'cannot record a processed trace id; a retry of this delivery would be processed again' })]);
  });

  it('ignores a delivery without a trace id', async () => {
    const ledger = await openLedger();
    await ledger.markProcessed(undefined);

    expect(ledger.processedCount).toBe(0);
    expect(journalLines()).toEqual([]);
  });
});
