// Measures how much heap each step of the worker's preparation keeps for the 50 MiB payload of
// bench/proof-large-payload.ts: decoding, JSON parsing, envelope check, sample extraction, line
// protocol, and joining one batch at a time. It runs the same functions in this process, with a
// forced garbage collection before each reading, so each number is what that step's result
// retains. Run with `npm run proof:large-payload-steps` (node --expose-gc).
import { batchesOf, LINES_PER_BATCH } from '../influx/line-writer.js';
import { hrvSampleLines } from '../influx/points.js';
import { classifyTerraEvent, isEnvelopeProblem } from '../terra/envelope.js';
import { extractHrvSamples } from '../terra/hrv-samples.js';
import { buildLargeSleepPayload, samplesPerMeasureForSize } from './large-sleep-payload.js';

const PAYLOAD_BYTES = 50 * 2 ** 20;
const collectGarbage = (globalThis as { gc?: () => void }).gc;
if (collectGarbage === undefined) throw new Error('run with node --expose-gc (npm run proof:large-payload-steps)');

const toMiB = (bytes: number) => Math.round(bytes / 2 ** 20);
let previousHeap = 0;

/** Prints the heap in use after a full collection and its change since the previous step. */
function report(step: string): void {
  collectGarbage!();
  const { rss, heapUsed, external } = process.memoryUsage();
  const change = heapUsed - previousHeap;
  console.log(`${step.padEnd(44)} heap ${String(toMiB(heapUsed)).padStart(4)} MiB (${change >= 0 ? '+' : ''}${toMiB(change)}), buffers ${toMiB(external)} MiB, resident ${toMiB(rss)} MiB`);
  previousHeap = heapUsed;
}

const samplesPerMeasure = samplesPerMeasureForSize(PAYLOAD_BYTES);
const body = buildLargeSleepPayload(samplesPerMeasure);
console.log(`payload: ${body.length} bytes, ${2 * samplesPerMeasure} samples`);
report('body read (a Buffer, outside the heap)');

let text: string | undefined = new TextDecoder('utf-8', { fatal: true }).decode(body);
report('body decoded to a string');
let parsed: unknown = JSON.parse(text);
report('JSON parsed (string still referenced)');
text = undefined;
report('string released');

const event = classifyTerraEvent(parsed);
if (isEnvelopeProblem(event) || event.kind !== 'hrv') throw new Error('the payload is not an HRV event');
report('envelope checked');
const extracted = extractHrvSamples(event.event, 'UTC');
report('samples extracted');
const lines = hrvSampleLines(extracted, { person: 'alice', provider: 'GARMIN', userId: 'user-1' });
report('line protocol built');
parsed = undefined;
event.event.data = [];
report('parsed payload released');

let longestBatch = 0;
for (const batch of batchesOf(lines, LINES_PER_BATCH)) longestBatch = Math.max(longestBatch, batch.join('\n').length);
report(`batches joined (longest ${longestBatch} bytes)`);
console.log(`lines: ${lines.length}, samples: ${extracted.samples.length}`);
