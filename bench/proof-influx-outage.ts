// Proves that an InfluxDB outage loses no acknowledged sample: 2,000 signed sleep deliveries at
// 50 per second while influxd is stopped for 60 s and started again. The receiver keeps its
// default backoff (up to 60 s between write attempts). Run with `npm run proof:influx-outage`;
// the proof and its real and stand-in parts are in test/support/reliability-scenarios.ts.
import { runInfluxOutageProof, TERRA_LIKE_RETRY_DELAYS_MS } from '../test/support/reliability-scenarios.js';
import { reportProof } from './proof-report.js';

const options = {
  count: 2000,
  samplesPerMeasure: 20,
  people: 8,
  ratePerSecond: 50,
  retryDelaysMs: TERRA_LIKE_RETRY_DELAYS_MS,
  outageStartSeconds: 10,
  outageSeconds: 60,
  drainTimeoutMs: 600_000,
};

const result = await runInfluxOutageProof(options);
reportProof('InfluxDB outage', options, result);
