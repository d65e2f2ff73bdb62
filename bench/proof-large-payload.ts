// Proves that a 50 MiB signed sleep payload is acknowledged within Terra's 8 s timeout and then
// stored, and measures the receiver's peak resident memory (VmHWM in /proc/<pid>/status), the
// acknowledgement time and the processing time. Real parts: influxd, the built receiver as a
// child process with default settings (MAX_BODY_BYTES 64 MiB), its spool on the local disk.
// Run with `npm run proof:large-payload`.
import { readFile } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';
import { signTerraBody } from '../terra/signature.js';
import { PROOF_SECRET, processedDeliveries, startProofStack } from '../test/support/reliability-proof.js';
import { TERRA_TIMEOUT_MS } from '../test/support/reliability-scenarios.js';
import { buildLargeSleepPayload, samplesPerMeasureForSize } from './large-sleep-payload.js';

const PAYLOAD_BYTES = 50 * 2 ** 20;
const MEMORY_AIM_MIB = 300;
const SAMPLE_EVERY_MS = 10;

/** Reads a `kB` line of /proc/<pid>/status, such as VmRSS or VmHWM, in MiB. */
async function statusMiB(pid: number, field: 'VmRSS' | 'VmHWM'): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const match = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(status);
  if (match === null) throw new Error(`/proc/${pid}/status has no ${field} line`);
  return Number(match[1]) / 1024;
}

interface RssSample {
  atMs: number;
  rssMiB: number;
}

/** Samples VmRSS every 10 ms until stop() is called, and returns the samples. */
function sampleResidentMemory(pid: number): { stop(): Promise<RssSample[]> } {
  const samples: RssSample[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      samples.push({ atMs: performance.now(), rssMiB: await statusMiB(pid, 'VmRSS') });
      await delay(SAMPLE_EVERY_MS);
    }
  })();

  return {
    async stop() {
      running = false;
      await loop;
      return samples;
    },
  };
}

function peakBetween(samples: readonly RssSample[], fromMs: number, toMs: number): number {
  return Math.max(0, ...samples.filter((sample) => sample.atMs >= fromMs && sample.atMs <= toMs).map((sample) => sample.rssMiB));
}

async function postSigned(url: string, body: Buffer): Promise<number> {
  const headers = { 'content-type': 'application/json', 'x-terra-signature': signTerraBody(body, PROOF_SECRET, Math.floor(Date.now() / 1000)) };
  const response = await fetch(url, { method: 'POST', body, headers, signal: AbortSignal.timeout(TERRA_TIMEOUT_MS) });
  await response.arrayBuffer();
  return response.status;
}

async function main(): Promise<void> {
  const samplesPerMeasure = samplesPerMeasureForSize(PAYLOAD_BYTES);
  const body = buildLargeSleepPayload(samplesPerMeasure);
  const stack = await startProofStack();

  try {
    const { influx, receiver } = stack;
    const pid = receiver.pid();
    if (pid === undefined) throw new Error('the receiver is not running');
    const idleHwmMiB = await statusMiB(pid, 'VmHWM');
    const sampler = sampleResidentMemory(pid);

    const sentAtMs = performance.now();
    const status = await postSigned(receiver.webhookUrl, body);
    const acknowledgedAtMs = performance.now();
    const hwmAtAckMiB = await statusMiB(pid, 'VmHWM');
    await receiver.waitForLog(() => processedDeliveries(receiver) === 1, 120_000);
    const processedAtMs = performance.now();
    const hwmMiB = await statusMiB(pid, 'VmHWM');
    const samples = await sampler.stop();

    const counts = await influx.query('SELECT count(rmssd) AS rmssd, count(sdnn) AS sdnn FROM hrv');
    const result = {
      date: new Date().toISOString(),
      node: process.version,
      payloadBytes: body.length,
      samplesPerMeasure,
      status,
      acknowledgementMs: Math.round(acknowledgedAtMs - sentAtMs),
      processingMsAfterAcknowledgement: Math.round(processedAtMs - acknowledgedAtMs),
      storedRmssd: counts[0]?.rmssd,
      storedSdnn: counts[0]?.sdnn,
      vmHwmMiB: { idle: Math.round(idleHwmMiB), atAcknowledgement: Math.round(hwmAtAckMiB), afterProcessing: Math.round(hwmMiB) },
      sampledRssPeakMiB: {
        untilAcknowledgement: Math.round(peakBetween(samples, sentAtMs, acknowledgedAtMs)),
        whileProcessing: Math.round(peakBetween(samples, acknowledgedAtMs, processedAtMs)),
      },
    };
    console.log(JSON.stringify(result, null, 2));

    const stored = result.storedRmssd === samplesPerMeasure && result.storedSdnn === samplesPerMeasure;
    // The proof is the acknowledgement within Terra's timeout and every sample stored. The memory
    // peak is measured and compared with its aim on a line of its own.
    const passed = status === 200 && result.acknowledgementMs < TERRA_TIMEOUT_MS && stored;
    console.log(`${passed ? 'PASS' : 'FAIL'} large payload: HTTP ${status} after ${result.acknowledgementMs} ms (Terra waits ${TERRA_TIMEOUT_MS} ms), ${stored ? 'all' : 'NOT all'} samples stored`);
    const aimMet = hwmMiB < MEMORY_AIM_MIB;
    console.log(`${aimMet ? 'MET' : 'MISSED'} memory aim: peak resident memory ${Math.round(hwmMiB)} MiB (aim: under ${MEMORY_AIM_MIB} MiB)`);
    if (!passed) process.exitCode = 1;
  } finally {
    await stack.dispose();
  }
}

await main();
