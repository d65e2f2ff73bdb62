// Measures how fast the receiver acknowledges signed webhooks and how fast its worker stores them.
// Real parts: the built receiver as a child process, influxd started by the test harness, the spool
// on the local disk (every acknowledgement waits for two fsyncs). Run with `npm run bench:ack`.
import { performance } from 'node:perf_hooks';
import { signTerraBody } from '../terra/signature.js';
import { startInfluxDb } from '../test/support/influxdb.js';
import { startReceiverProcess, type ReceiverProcess } from '../test/support/receiver-process.js';
import { readTerraSample } from '../test/support/terra-samples.js';

const SECRET = 'whsec-benchmark';
const SEQUENTIAL_DELIVERIES = 300;
const CONCURRENT_DELIVERIES = 1000;
const CONCURRENCY = 16;

function percentile(sortedMs: number[], fraction: number): number {
  return sortedMs[Math.min(sortedMs.length - 1, Math.floor(fraction * sortedMs.length))] ?? Number.NaN;
}

function summarize(label: string, latenciesMs: number[]): void {
  const sorted = [...latenciesMs].sort((a, b) => a - b);
  const format = (value: number) => value.toFixed(1);
  console.log(
    `${label}: n=${sorted.length} p50=${format(percentile(sorted, 0.5))} ms p95=${format(percentile(sorted, 0.95))} ms ` +
      `p99=${format(percentile(sorted, 0.99))} ms max=${format(sorted.at(-1) ?? Number.NaN)} ms`,
  );
}

async function deliverTimed(receiver: ReceiverProcess, body: Buffer): Promise<number> {
  const started = performance.now();
  const headers = { 'content-type': 'application/json', 'x-terra-signature': signTerraBody(body, SECRET, Math.floor(Date.now() / 1000)) };
  const response = await fetch(receiver.webhookUrl, { method: 'POST', body, headers });
  await response.arrayBuffer();
  if (response.status !== 200) throw new Error(`delivery was rejected with HTTP ${response.status}`);
  return performance.now() - started;
}

function processedCount(receiver: ReceiverProcess): number {
  return receiver.logs.filter((line) => line.msg === 'delivery processed').length;
}

async function main(): Promise<void> {
  const influx = await startInfluxDb();
  const env = { INFLUX_API_VERSION: '1', INFLUX_URL: influx.url, INFLUX_DATABASE: influx.database, TERRA_SIGNING_SECRET: SECRET };
  const receiver = await startReceiverProcess({ env });
  const body = readTerraSample('sleep-garmin.json');

  try {
    const sequential: number[] = [];
    for (let i = 0; i < SEQUENTIAL_DELIVERIES; i += 1) sequential.push(await deliverTimed(receiver, body));
    summarize(`acknowledgement, one at a time, ${body.length}-byte sleep payload with 190 samples`, sequential);
    await receiver.waitForLog(() => processedCount(receiver) === SEQUENTIAL_DELIVERIES, 300_000);

    const concurrent: number[] = [];
    let next = 0;
    const started = performance.now();
    const workers = Array.from({ length: CONCURRENCY }, async () => {
      while (next < CONCURRENT_DELIVERIES) {
        next += 1;
        concurrent.push(await deliverTimed(receiver, body));
      }
    });
    await Promise.all(workers);
    const acknowledgedMs = performance.now() - started;
    summarize(`acknowledgement, ${CONCURRENCY} in flight`, concurrent);
    console.log(`acknowledged ${CONCURRENT_DELIVERIES} deliveries in ${(acknowledgedMs / 1000).toFixed(2)} s (${((CONCURRENT_DELIVERIES / acknowledgedMs) * 1000).toFixed(0)} per second)`);

    await receiver.waitForLog(() => processedCount(receiver) === SEQUENTIAL_DELIVERIES + CONCURRENT_DELIVERIES, 600_000);
    const storedMs = performance.now() - started;
    const samples = CONCURRENT_DELIVERIES * 190;
    console.log(`stored all of them ${(storedMs / 1000).toFixed(2)} s after the first was sent (${((samples / storedMs) * 1000).toFixed(0)} samples per second)`);
  } finally {
    await receiver.kill('SIGTERM');
    await influx.dispose();
  }
}

await main();
