// Real parts: the tracker and its journal on a temporary folder, and the parser of Terra's
// large_request_sending sample. Stand-ins: an injected clock, and a pino logger that collects its lines.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LargeRequestTracker, type ProcessedDelivery } from '../receiver/large-request-tracker.js';
import type { DeliveryMetadata } from '../receiver/spool.js';
import { parseLargeRequestAnnouncement } from '../terra/large-request.js';
import { collectingLogger, type CollectedLine } from './support/log-collector.js';
import { readTerraSampleJson } from './support/terra-samples.js';

const HOUR_MS = 3600 * 1000;
const WARN_AFTER_MS = 24 * HOUR_MS;
const REFERENCE = 'b7c0a2f4-2c1e-4e8e-9d43-0f2d7c1a6e55';
const COMPLETE = 'large request complete: every expected payload was processed';
const INCOMPLETE = 'large request incomplete: payloads are still missing; request that date range from Terra again';

const announcement: ProcessedDelivery = {
  outcome: { type: 'large_request_sending', person: 'alice', provider: 'GARMIN' },
  largeRequest: { reference: REFERENCE, expectedPayloads: 3, person: 'alice', provider: 'GARMIN' },
};
const sleepChunk: ProcessedDelivery = { outcome: { type: 'sleep', person: 'alice', provider: 'GARMIN' } };

function chunkMetadata(chunk: number | undefined, reference = REFERENCE): DeliveryMetadata {
  const traceId = chunk === undefined ? undefined : `5e1f0c2a-7d3b-4f8e-a9c1-2b3d4e5f6a7b:chunk:${chunk}`;
  return { receivedAtMs: 0, traceId, terraReference: reference };
}

describe('LargeRequestTracker', () => {
  let folder: string;
  let path: string;
  let nowMs: number;
  let lines: CollectedLine[];
  let tracker: LargeRequestTracker;

  const open = async () => {
    const collected = collectingLogger();
    lines = collected.lines;
    tracker = await LargeRequestTracker.open({ path, warnAfterMs: WARN_AFTER_MS, logger: collected.logger, nowMs: () => nowMs });
    return tracker;
  };
  const reopen = async () => {
    await tracker.close();
    return open();
  };
  const messages = () => lines.map((line) => line.msg);

  beforeEach(async () => {
    folder = mkdtempSync(join(tmpdir(), 'large-requests-'));
    path = join(folder, 'state', 'large-requests.jsonl');
    nowMs = Date.UTC(2026, 10, 2, 8);
    await open();
  });

  afterEach(async () => {
    await tracker.close().catch(() => undefined);
    rmSync(folder, { recursive: true, force: true });
  });

  it('logs completion once every chunk is processed', async () => {
    await tracker.recordDelivery('d0', { receivedAtMs: 0, traceId: 'announcement-1' }, announcement);
    await tracker.recordDelivery('d1', chunkMetadata(0), sleepChunk);
    await tracker.recordDelivery('d2', chunkMetadata(1), sleepChunk);
    expect(messages()).toEqual([]);

    await tracker.recordDelivery('d3', chunkMetadata(2), sleepChunk);
    await tracker.recordDelivery('d4', chunkMetadata(3), sleepChunk);

    expect(lines).toEqual([
      expect.objectContaining({ level: 30, msg: COMPLETE, reference: REFERENCE, expectedPayloads: 3, processedPayloads: 3, person: 'alice', provider: 'GARMIN' }),
    ]);
  });

  it('completes when the announcement comes last', async () => {
    for (const chunk of [0, 1, 2]) await tracker.recordDelivery(`d${chunk}`, chunkMetadata(chunk), sleepChunk);
    expect(messages()).toEqual([]);

    await tracker.recordDelivery('d3', { receivedAtMs: 0 }, announcement);

    expect(messages()).toEqual([COMPLETE]);
  });

  it('counts a reprocessed chunk once', async () => {
    await tracker.recordDelivery('d0', { receivedAtMs: 0 }, announcement);
    await tracker.recordDelivery('d1', chunkMetadata(0), sleepChunk);
    await tracker.recordDelivery('d1', chunkMetadata(0), sleepChunk);
    await tracker.recordDelivery('d2', chunkMetadata(1), sleepChunk);
    expect(messages()).toEqual([]);

    await tracker.recordDelivery('d3', chunkMetadata(undefined), sleepChunk);

    expect(messages()).toEqual([COMPLETE]);
  });

  it('warns once about missing chunks after the wait', async () => {
    await tracker.recordDelivery('d0', { receivedAtMs: 0 }, announcement);
    await tracker.recordDelivery('d1', chunkMetadata(0), sleepChunk);
    await tracker.recordDelivery('d2', chunkMetadata(1), sleepChunk);

    nowMs += WARN_AFTER_MS - 1;
    await tracker.checkOverdue();
    expect(messages()).toEqual([]);
    nowMs += 1;
    await tracker.checkOverdue();
    await tracker.checkOverdue();

    expect(lines).toEqual([
      expect.objectContaining({ level: 40, msg: INCOMPLETE, reference: REFERENCE, expectedPayloads: 3, processedPayloads: 2, missingPayloads: 1, receivedChunks: [0, 1], person: 'alice', provider: 'GARMIN', waitedHours: 24 }),
    ]);
  });

  it('keeps progress across a reopen', async () => {
    await tracker.recordDelivery('d0', { receivedAtMs: 0 }, announcement);
    await tracker.recordDelivery('d1', chunkMetadata(0), sleepChunk);
    await tracker.recordDelivery('d2', chunkMetadata(1), sleepChunk);
    await reopen();
    expect(tracker.trackedCount).toBe(1);

    await tracker.recordDelivery('d1', chunkMetadata(0), sleepChunk);
    expect(messages()).toEqual([]);
    await tracker.recordDelivery('d3', chunkMetadata(2), sleepChunk);

    expect(messages()).toEqual([COMPLETE]);
  });

  it('warns only once across a reopen', async () => {
    await tracker.recordDelivery('d0', { receivedAtMs: 0 }, announcement);
    nowMs += WARN_AFTER_MS;
    await tracker.checkOverdue();
    expect(messages()).toEqual([INCOMPLETE]);

    await reopen();
    await tracker.checkOverdue();

    expect(messages()).toEqual([]);
  });

  it('forgets a request after twice the wait', async () => {
    await tracker.recordDelivery('d0', { receivedAtMs: 0 }, announcement);
    nowMs += 2 * WARN_AFTER_MS;
    await tracker.checkOverdue();
    expect(tracker.trackedCount).toBe(0);

    await reopen();

    expect(tracker.trackedCount).toBe(0);
  });

  it('reports chunks whose announcement never came', async () => {
    await tracker.recordDelivery('d1', chunkMetadata(0), sleepChunk);
    nowMs += WARN_AFTER_MS;

    await tracker.checkOverdue();

    expect(lines).toEqual([
      expect.objectContaining({
        level: 30,
        msg: 'large request chunks were processed, but its large_request_sending event was not, so missing chunks cannot be counted',
        reference: REFERENCE,
        processedPayloads: 1,
        person: 'alice',
      }),
    ]);
  });

  it('ignores deliveries that are not chunks', async () => {
    await tracker.recordDelivery('d1', { receivedAtMs: 0, traceId: 'trace-1' }, sleepChunk);
    await tracker.recordDelivery('d2', chunkMetadata(0), { outcome: { type: 'deauth', person: 'alice', provider: 'GARMIN' } });
    await tracker.recordDelivery('d3', chunkMetadata(1), { outcome: { type: 'large_request_processing' } });

    expect(tracker.trackedCount).toBe(0);
  });

  it('logs a journal write failure without throwing', async () => {
    await tracker.close();

    await tracker.recordDelivery('d1', chunkMetadata(0), sleepChunk);

    expect(tracker.trackedCount).toBe(1);
    expect(messages()).toEqual(['cannot write the large request journal; the progress of large requests may be lost at the next restart']);
  });
});

describe('parseLargeRequestAnnouncement', () => {
  const sample = readTerraSampleJson('large_request_sending.json');

  it("reads Terra's sample", () => {
    expect(parseLargeRequestAnnouncement(sample, new Map())).toEqual({ reference: REFERENCE, expectedPayloads: 3, person: 'alice', provider: 'GARMIN' });
  });

  it('applies a person label', () => {
    expect(parseLargeRequestAnnouncement(sample, new Map([['alice', 'Alice']]))?.person).toBe('Alice');
  });

  it.each([
    ['a missing reference', { reference: undefined }],
    ['an empty reference', { reference: ' ' }],
    ['a fractional count', { expected_payloads: 2.5 }],
    ['a negative count', { expected_payloads: -1 }],
    ['a count as text', { expected_payloads: '3' }],
    ['a count above 100,000', { expected_payloads: 100_001 }],
  ])('rejects %s', (_name, change) => {
    expect(parseLargeRequestAnnouncement({ ...sample, ...change }, new Map())).toBeUndefined();
  });

  it('keeps an announcement without a usable user', () => {
    expect(parseLargeRequestAnnouncement({ ...sample, user: null }, new Map())).toEqual({ reference: REFERENCE, expectedPayloads: 3 });
  });
});
