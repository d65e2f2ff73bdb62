import type { ProofResult } from '../test/support/reliability-scenarios.js';

/**
 * Prints a proof's options and result as JSON, then PASS or FAIL, and sets exit code 1 on FAIL:
 * a sample missing, unexpected, with a wrong value or duplicated, or a delivery moved to `failed/`.
 */
export function reportProof(name: string, options: object, result: ProofResult): void {
  const { stored } = result;
  const problems = stored.missing + stored.unexpected + stored.wrongValue + stored.duplicates + result.failedDeliveries;

  console.log(JSON.stringify({ proof: name, date: new Date().toISOString(), node: process.version, options, result }, null, 2));
  console.log(
    `${problems === 0 ? 'PASS' : 'FAIL'} ${name}: ${result.load.acknowledged} of ${result.load.sent} deliveries acknowledged, ` +
      `${stored.storedSamples} samples stored of ${stored.expectedSamples} expected, ${stored.missing} missing, ${stored.unexpected} unexpected, ` +
      `${stored.wrongValue} with a wrong value, ${stored.duplicates} duplicated, ${result.failedDeliveries} deliveries in failed/`,
  );
  if (problems > 0) process.exitCode = 1;
}
