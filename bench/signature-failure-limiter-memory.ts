// Measures the heap that the signature failure limiter holds when it tracks its maximum number of
// addresses, each limited. Run with `npm run bench:limiter`, which starts Node with --expose-gc so
// that the garbage collector can run before each reading. Nothing is sent anywhere.
import { clientAddressKey } from '../receiver/client-address-key.js';
import { MAX_TRACKED_ADDRESSES } from '../receiver/signature-failure-gate.js';
import { FailureLimiter } from '../receiver/failure-limiter.js';

const collectGarbage = (globalThis as { gc?: () => void }).gc;
if (collectGarbage === undefined) throw new Error('run with node --expose-gc (npm run bench:limiter does)');

function heapUsed(): number {
  collectGarbage?.();
  return process.memoryUsage().heapUsed;
}

/** IPv6 addresses in distinct /64 networks: the longest keys the limiter stores. */
function addressOf(index: number): string {
  return clientAddressKey(`2001:db8:${(index >> 16).toString(16)}:${(index & 0xffff).toString(16)}::1`);
}

const limiter = new FailureLimiter({ burst: 20, refillPerMinute: 10, maxAddresses: MAX_TRACKED_ADDRESSES, nowMs: Date.now });
const before = heapUsed();

// Twice as many addresses as the cap, each failing past the burst, so that eviction runs as well.
// The keys are built here, as the webhook builds them, so that their strings count.
for (let index = 0; index < 2 * MAX_TRACKED_ADDRESSES; index += 1) {
  const address = addressOf(index);
  for (let failure = 0; failure < 21; failure += 1) limiter.recordFailure(address);
}
const after = heapUsed();

const perAddress = (after - before) / limiter.trackedAddresses;
console.log(`tracked addresses: ${limiter.trackedAddresses} (cap ${MAX_TRACKED_ADDRESSES})`);
console.log(`heap held by the limiter: ${((after - before) / 1024 / 1024).toFixed(2)} MiB, about ${perAddress.toFixed(0)} bytes per address`);
