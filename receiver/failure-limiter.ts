export interface FailureLimiterOptions {
  /** Failures (failed signature checks, failed logins) an address may make in a row before it is limited (at least 1). */
  burst: number;
  /** Failures credited back to each address per minute (at least 1). */
  refillPerMinute: number;
  /**
   * Addresses tracked at once. When a new address fails past this, the address whose last failure
   * is oldest is forgotten, and so gets a full burst again if it returns.
   */
  maxAddresses: number;
  /** Clock in milliseconds, injected so that tests control time. */
  nowMs: () => number;
}

export type LimitDecision =
  | { limited: false; endedEpisode?: LimitEpisode }
  | { limited: true; retryAfterSeconds: number };

/** Counts of one period during which an address was limited, reported once it has ended. */
export interface LimitEpisode {
  /** Failures of the address since it was first tracked. */
  failures: number;
  /** Requests rejected with 429 while the address was limited. */
  rejectedRequests: number;
}

export interface FailureOutcome {
  /** True only for the failure that limits an address not already limited since its bucket was full. */
  becameLimited: boolean;
  /** Seconds until the address may send again, or 0 while it is not limited. */
  retryAfterSeconds: number;
}

/**
 * Tokens are counted in 1/60,000ths, so that refilling `refillPerMinute` per minute adds a whole
 * number of units per millisecond and no rounding error can move a Retry-After by a second.
 */
const UNITS_PER_TOKEN = 60_000;

interface Bucket {
  /** Tokens left, in units of 1/60,000 token. */
  units: number;
  updatedAtMs: number;
  failures: number;
  rejectedRequests: number;
  /** Set from the failure that emptied the bucket until the bucket is full again. */
  limited: boolean;
}

/**
 * Limits failures per client address with a token bucket. The receiver counts failed Terra
 * signature checks, and dashboard-lite counts failed logins. Each address starts with `burst`
 * tokens, each failure takes one, and tokens come back at `refillPerMinute`. An address with less
 * than one token is limited until one has refilled. Successful requests take no token, so one
 * address's failures never limit another address.
 *
 * Memory is bounded by `maxAddresses`. An address whose bucket is full again is forgotten, because
 * a full bucket is what a new address gets anyway.
 */
export class FailureLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly capacityUnits: number;

  constructor(private readonly options: FailureLimiterOptions) {
    const wholeNumbers = [options.burst, options.refillPerMinute, options.maxAddresses].every(Number.isSafeInteger);
    if (!wholeNumbers || options.burst < 1 || options.refillPerMinute < 1 || options.maxAddresses < 1) {
      throw new RangeError('burst, refillPerMinute and maxAddresses must be whole numbers of at least 1');
    }
    this.capacityUnits = options.burst * UNITS_PER_TOKEN;
  }

  /** Number of addresses currently tracked. */
  get trackedAddresses(): number {
    return this.buckets.size;
  }

  /**
   * Decides whether a request from `address` is rejected before anything else is done with it, and
   * counts it when it is. Reports the counts of a limited period once the bucket is full again.
   */
  check(address: string): LimitDecision {
    const bucket = this.refilled(address);
    if (bucket === undefined) return { limited: false };

    if (bucket.units >= this.capacityUnits) {
      this.buckets.delete(address);
      const { failures, rejectedRequests } = bucket;
      return bucket.limited ? { limited: false, endedEpisode: { failures, rejectedRequests } } : { limited: false };
    }
    if (bucket.units >= UNITS_PER_TOKEN) return { limited: false };

    bucket.rejectedRequests += 1;
    return { limited: true, retryAfterSeconds: this.retryAfterSeconds(bucket) };
  }

  /** Takes one token from `address` for one failure. */
  recordFailure(address: string): FailureOutcome {
    const known = this.refilled(address);
    // A full bucket starts a new period, as a new address would.
    const bucket = known !== undefined && known.units < this.capacityUnits ? known : this.track(address);
    // Re-inserting keeps the Map ordered by last failure, oldest first, for eviction.
    this.buckets.delete(address);
    this.buckets.set(address, bucket);

    bucket.failures += 1;
    bucket.units = Math.max(0, bucket.units - UNITS_PER_TOKEN);
    if (bucket.units >= UNITS_PER_TOKEN) return { becameLimited: false, retryAfterSeconds: 0 };

    const becameLimited = !bucket.limited;
    bucket.limited = true;
    return { becameLimited, retryAfterSeconds: this.retryAfterSeconds(bucket) };
  }

  private refilled(address: string): Bucket | undefined {
    const bucket = this.buckets.get(address);
    if (bucket === undefined) return undefined;

    const nowMs = Math.floor(this.options.nowMs());
    // A clock that steps backwards must not take tokens away.
    const elapsedMs = Math.max(0, nowMs - bucket.updatedAtMs);
    bucket.units = Math.min(this.capacityUnits, bucket.units + elapsedMs * this.options.refillPerMinute);
    bucket.updatedAtMs = nowMs;
    return bucket;
  }

  private track(address: string): Bucket {
    this.buckets.delete(address);
    if (this.buckets.size >= this.options.maxAddresses) {
      const oldest = this.buckets.keys().next().value;
      if (oldest !== undefined) this.buckets.delete(oldest);
    }
    const nowMs = Math.floor(this.options.nowMs());
    const bucket: Bucket = { units: this.capacityUnits, updatedAtMs: nowMs, failures: 0, rejectedRequests: 0, limited: false };
    this.buckets.set(address, bucket);
    return bucket;
  }

  /** Returns the whole seconds until the bucket has one token again (at least 1), for Retry-After. */
  private retryAfterSeconds(bucket: Bucket): number {
    const missingUnits = UNITS_PER_TOKEN - bucket.units;
    return Math.max(1, Math.ceil(missingUnits / (this.options.refillPerMinute * 1000)));
  }
}
