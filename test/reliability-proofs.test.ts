// The reliability proofs of bench/proof-influx-outage.ts and bench/proof-receiver-kill.ts, scaled
// down for CI with the same code (test/support/reliability-scenarios.ts). Real parts: influxd, the
// built receiver as a child process, its spool on disk, HTTP on 127.0.0.1, SIGKILL. Stand-in: the
// sender in place of Terra, which signs each delivery and retries the ones that got no 2xx.
import { describe, expect, it } from 'vitest';
import { runInfluxOutageProof, runReceiverKillProof, TERRA_LIKE_RETRY_DELAYS_MS } from './support/reliability-scenarios.js';

const SCALED_LOAD = {
  count: 200,
  samplesPerMeasure: 20,
  people: 8,
  ratePerSecond: 50,
  retryDelaysMs: TERRA_LIKE_RETRY_DELAYS_MS,
  // The worker retries every second, so the test does not wait through a long backoff.
  influxRetryMaxDelaySeconds: 1,
  drainTimeoutMs: 60_000,
};

describe('reliability proofs, scaled down', () => {
  it('InfluxDB outage loses no sample', { timeout: 120_000 }, async () => {
    const result = await runInfluxOutageProof({ ...SCALED_LOAD, outageStartSeconds: 1, outageSeconds: 10 });
    console.info(`[reliability] InfluxDB outage: ${JSON.stringify(result)}`);

    expect(result.load.firstAttemptOutcomes).toEqual({ 200: 200 });
    expect(result.load.acknowledged).toBe(200);
    expect(result.stored.expectedSamples).toBe(200 * 20 * 2);
    expect(result.stored.storedSamples).toBe(200 * 20 * 2);
    expect(result.stored.missing).toBe(0);
    expect(result.stored.unexpected).toBe(0);
    expect(result.stored.wrongValue).toBe(0);
    expect(result.stored.duplicates).toBe(0);
    expect(result.stored.examples).toEqual([]);
    expect(result.deliveriesProcessed).toBe(200);
    expect(result.failedDeliveries).toBe(0);
  });

  it('receiver SIGKILL loses no sample', { timeout: 120_000 }, async () => {
    const result = await runReceiverKillProof({ ...SCALED_LOAD, kills: [{ afterSeconds: 1.5, moment: 'delivery pending' }], downSeconds: 1 });
    console.info(`[reliability] receiver SIGKILL: ${JSON.stringify(result)}`);

    expect(result.kills).toHaveLength(1);
    expect(result.load.acknowledged).toBe(200);
    expect(result.load.acknowledgedAfterRetries).toBeGreaterThan(0);
    expect(result.stored.expectedSamples).toBe(200 * 20 * 2);
    expect(result.stored.storedSamples).toBe(200 * 20 * 2);
    expect(result.stored.missing).toBe(0);
    expect(result.stored.unexpected).toBe(0);
    expect(result.stored.wrongValue).toBe(0);
    expect(result.stored.duplicates).toBe(0);
    expect(result.stored.examples).toEqual([]);
    expect(result.failedDeliveries).toBe(0);
  });
});
