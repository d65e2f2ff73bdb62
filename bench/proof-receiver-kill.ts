// Proves that a crashing receiver loses no acknowledged sample: 2,000 signed sleep deliveries at
// 50 per second while the receiver gets SIGKILL twice. The first kill lands with a request in
// flight, the second with an acknowledged delivery waiting in the spool. Each time the receiver is
// started again on the same spool after 2 s, and deliveries that failed meanwhile are sent again,
// as Terra does. Run with `npm run proof:receiver-kill`; the proof is in
// test/support/reliability-scenarios.ts.
import { runReceiverKillProof, TERRA_LIKE_RETRY_DELAYS_MS } from '../test/support/reliability-scenarios.js';
import { reportProof } from './proof-report.js';

const options = {
  count: 2000,
  samplesPerMeasure: 20,
  people: 8,
  ratePerSecond: 50,
  retryDelaysMs: TERRA_LIKE_RETRY_DELAYS_MS,
  kills: [
    { afterSeconds: 12, moment: 'request in flight' as const },
    { afterSeconds: 28, moment: 'delivery pending' as const },
  ],
  downSeconds: 2,
  drainTimeoutMs: 600_000,
};

const result = await runReceiverKillProof(options);
reportProof('receiver SIGKILL', options, result);
