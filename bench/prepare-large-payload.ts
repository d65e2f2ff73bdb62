// Times how long the worker's preparation of one very large sleep payload blocks the event loop:
// JSON parsing, sample extraction and line protocol. Nothing is written anywhere; run with
// `npm run bench:large`. The payload is Terra's Garmin sample with its series stretched to
// 250,000 RMSSD and 250,000 SDNN samples (about 32 MB).
import { performance } from 'node:perf_hooks';
import { hrvSampleLines } from '../influx/points.js';
import { classifyTerraEvent, isEnvelopeProblem } from '../terra/envelope.js';
import { extractHrvSamples } from '../terra/hrv-samples.js';
import { parseJsonBody } from '../terra/json-body.js';
import { buildLargeSleepPayload } from './large-sleep-payload.js';

const SAMPLES_PER_MEASURE = 250_000;

function timed<T>(label: string, work: () => T): T {
  const started = performance.now();
  const result = work();
  console.log(`${label}: ${(performance.now() - started).toFixed(0)} ms`);
  return result;
}

const body = buildLargeSleepPayload(SAMPLES_PER_MEASURE);
console.log(`payload: ${(body.length / 1e6).toFixed(1)} MB, ${2 * SAMPLES_PER_MEASURE} samples`);
const rssBefore = process.memoryUsage().rss;
const parsed = timed('JSON parse', () => parseJsonBody(body));
const event = classifyTerraEvent(parsed);
if (isEnvelopeProblem(event) || event.kind !== 'hrv') throw new Error('the payload is not an HRV event');
const extracted = timed('extract samples', () => extractHrvSamples(event.event, 'UTC'));
const lines = timed('build line protocol', () => hrvSampleLines(extracted, { person: 'alice', provider: 'GARMIN', userId: 'user-1' }));
console.log(`lines: ${lines.length}; resident memory grew by ${((process.memoryUsage().rss - rssBefore) / 2 ** 20).toFixed(0)} MiB`);
