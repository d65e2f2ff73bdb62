// Real parts: the limiter and the address key. Fake: the clock, a counter the tests move by hand.
import { describe, expect, it } from 'vitest';
import { clientAddressKey } from '../receiver/client-address-key.js';
import { FailureLimiter } from '../receiver/failure-limiter.js';

function limiterAt(options: { burst?: number; refillPerMinute?: number; maxAddresses?: number } = {}) {
  const clock = { nowMs: 1_000_000 };
  const limiter = new FailureLimiter({ burst: 3, refillPerMinute: 10, maxAddresses: 100, ...options, nowMs: () => clock.nowMs });
  return { clock, limiter };
}

function fail(limiter: FailureLimiter, address: string, times: number): void {
  for (let index = 0; index < times; index += 1) limiter.recordFailure(address);
}

describe('FailureLimiter', () => {
  it('lets a new address through', () => {
    const { limiter } = limiterAt();
    expect(limiter.check('203.0.113.7')).toEqual({ limited: false });
    expect(limiter.trackedAddresses).toBe(0);
  });

  it('limits after the burst of failures', () => {
    const { limiter } = limiterAt();
    expect(limiter.recordFailure('203.0.113.7')).toEqual({ becameLimited: false, retryAfterSeconds: 0 });
    expect(limiter.recordFailure('203.0.113.7')).toEqual({ becameLimited: false, retryAfterSeconds: 0 });
    expect(limiter.check('203.0.113.7')).toEqual({ limited: false });

    // 10 per minute credits one failure back every 6 s.
    expect(limiter.recordFailure('203.0.113.7')).toEqual({ becameLimited: true, retryAfterSeconds: 6 });
    expect(limiter.check('203.0.113.7')).toEqual({ limited: true, retryAfterSeconds: 6 });
  });

  it('reports becoming limited once per period', () => {
    const { limiter } = limiterAt();
    fail(limiter, '203.0.113.7', 3);
    expect(limiter.recordFailure('203.0.113.7')).toEqual({ becameLimited: false, retryAfterSeconds: 6 });
  });

  it('never limits other addresses', () => {
    const { limiter } = limiterAt();
    fail(limiter, '203.0.113.7', 50);
    expect(limiter.check('198.51.100.20')).toEqual({ limited: false });
  });

  it('lifts the limit once one failure is credited back', () => {
    const { clock, limiter } = limiterAt();
    fail(limiter, '203.0.113.7', 3);

    clock.nowMs += 4_000;
    expect(limiter.check('203.0.113.7')).toEqual({ limited: true, retryAfterSeconds: 2 });
    clock.nowMs += 2_000;
    expect(limiter.check('203.0.113.7')).toEqual({ limited: false });
    // The bucket has one token now, so the next failure limits the address again.
    expect(limiter.recordFailure('203.0.113.7')).toEqual({ becameLimited: false, retryAfterSeconds: 6 });
  });

  it('rounds Retry-After up to whole seconds', () => {
    const { clock, limiter } = limiterAt({ refillPerMinute: 7 });
    fail(limiter, '203.0.113.7', 3);
    // One failure takes 60/7 = 8.57 s to come back.
    expect(limiter.check('203.0.113.7')).toEqual({ limited: true, retryAfterSeconds: 9 });
    clock.nowMs += 8_500;
    expect(limiter.check('203.0.113.7')).toEqual({ limited: true, retryAfterSeconds: 1 });
  });

  it('reports the counts when a limited period ends', () => {
    const { clock, limiter } = limiterAt();
    fail(limiter, '203.0.113.7', 4);
    limiter.check('203.0.113.7');
    limiter.check('203.0.113.7');

    // Three tokens at 10 per minute take 18 s to come back.
    clock.nowMs += 18_000;
    expect(limiter.check('203.0.113.7')).toEqual({ limited: false, endedEpisode: { failures: 4, rejectedRequests: 2 } });
    expect(limiter.trackedAddresses).toBe(0);
  });

  it('forgets a full bucket without a period to report', () => {
    const { clock, limiter } = limiterAt();
    fail(limiter, '203.0.113.7', 1);
    clock.nowMs += 6_000;
    expect(limiter.check('203.0.113.7')).toEqual({ limited: false });
    expect(limiter.trackedAddresses).toBe(0);
  });

  it('starts a new period after a full refill', () => {
    const { clock, limiter } = limiterAt();
    fail(limiter, '203.0.113.7', 3);
    clock.nowMs += 60_000;
    fail(limiter, '203.0.113.7', 2);
    expect(limiter.recordFailure('203.0.113.7')).toEqual({ becameLimited: true, retryAfterSeconds: 6 });
  });

  it('keeps tokens when the clock steps back', () => {
    const { clock, limiter } = limiterAt();
    fail(limiter, '203.0.113.7', 2);
    clock.nowMs -= 3_600_000;
    expect(limiter.check('203.0.113.7')).toEqual({ limited: false });
    expect(limiter.recordFailure('203.0.113.7')).toEqual({ becameLimited: true, retryAfterSeconds: 6 });
  });

  it('evicts the address whose last failure is oldest', () => {
    const { limiter } = limiterAt({ maxAddresses: 2 });
    fail(limiter, '203.0.113.1', 3);
    fail(limiter, '203.0.113.2', 3);
    fail(limiter, '203.0.113.1', 1);
    fail(limiter, '203.0.113.3', 3);

    expect(limiter.trackedAddresses).toBe(2);
    expect(limiter.check('203.0.113.2')).toEqual({ limited: false });
    expect(limiter.check('203.0.113.1')).toMatchObject({ limited: true });
    expect(limiter.check('203.0.113.3')).toMatchObject({ limited: true });
  });

  it('bounds memory under many addresses', () => {
    const { limiter } = limiterAt({ maxAddresses: 100 });
    for (let index = 0; index < 10_000; index += 1) limiter.recordFailure(`10.0.${index >> 8}.${index & 255}`);
    expect(limiter.trackedAddresses).toBe(100);
  });

  it.each([
    { burst: 0, refillPerMinute: 10, maxAddresses: 10 },
    { burst: 1, refillPerMinute: 0, maxAddresses: 10 },
    { burst: 1, refillPerMinute: 10, maxAddresses: 0 },
  ])('rejects the options %j', (options) => {
    expect(() => new FailureLimiter({ ...options, nowMs: () => 0 })).toThrow(RangeError);
  });
});

describe('clientAddressKey', () => {
  it.each([
    ['203.0.113.7', '203.0.113.7'],
    ['::ffff:203.0.113.7', '203.0.113.7'],
    ['::FFFF:203.0.113.7', '203.0.113.7'],
    ['2001:db8::1', '2001:db8:0:0::/64'],
    ['2001:0DB8:0000:0000:abcd::1', '2001:db8:0:0::/64'],
    ['2001:db8:1:2:3:4:5:6', '2001:db8:1:2::/64'],
    ['64:ff9b::192.0.2.1', '64:ff9b:0:0::/64'],
    ['fe80::1%eth0', 'fe80:0:0:0::/64'],
    ['::1', '0:0:0:0::/64'],
    ['not an address', 'other:not an address'],
    ['', 'unknown'],
    [undefined, 'unknown'],
  ])('keys %j as %j', (ip, key) => {
    expect(clientAddressKey(ip)).toBe(key);
  });

  it('cuts a long unparsable value', () => {
    expect(clientAddressKey('x'.repeat(1000))).toBe(`other:${'x'.repeat(64)}`);
  });
});
