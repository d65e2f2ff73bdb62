// Measures what MAX_PROCESSED_IDS trace ids cost: heap memory, journal size, time to record them
// one by one and time to reopen the journal at start. Run with `npm run bench:trace-ids`, which
// passes --expose-gc so that the heap can be measured after a collection.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import pino from 'pino';
import { MAX_PROCESSED_IDS, TraceIdLedger } from '../receiver/trace-id-ledger.js';

const collectGarbage = (globalThis as { gc?: () => void }).gc;
if (collectGarbage === undefined) throw new Error('run with node --expose-gc (npm run bench:trace-ids does)');

function heapUsedMb(): number {
  collectGarbage!();
  return process.memoryUsage().heapUsed / 1e6;
}

const folder = mkdtempSync(join(tmpdir(), 'bench-trace-ids-'));
const path = join(folder, 'trace-ids.jsonl');
const logger = pino({ level: 'silent' });
try {
  // Terra's ids are UUIDs, with `:chunk:<n>` for the chunks of a large request (45 characters).
  const traceIds = Array.from({ length: MAX_PROCESSED_IDS }, (_, index) => `${randomUUID()}:chunk:${index % 100}`);
  const ledger = await TraceIdLedger.open({ path, pendingTraceIds: [], logger });

  let started = performance.now();
  for (const traceId of traceIds) await ledger.markProcessed(traceId);
  const recordMs = performance.now() - started;
  console.log(`recorded ${ledger.processedCount} ids: ${((recordMs * 1000) / traceIds.length).toFixed(1)} µs each`);
  await ledger.close();
  console.log(`journal: ${(statSync(path).size / 1e6).toFixed(1)} MB`);

  traceIds.length = 0;
  const heapBeforeReopen = heapUsedMb();
  started = performance.now();
  const reopened = await TraceIdLedger.open({ path, pendingTraceIds: [], logger });
  console.log(`reopened ${reopened.processedCount} ids in ${(performance.now() - started).toFixed(0)} ms`);
  console.log(`heap of the reopened ledger: ${(heapUsedMb() - heapBeforeReopen).toFixed(1)} MB`);
  await reopened.close();
} finally {
  rmSync(folder, { recursive: true, force: true });
}
