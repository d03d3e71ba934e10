import { describe, expect, it } from 'vitest';
import { createTokenBucketLimiter } from './rate-limit.ts';

describe('createTokenBucketLimiter', () => {
  it('allows a burst, then refills at the configured rate', () => {
    const limiter = createTokenBucketLimiter({ requestsPerMinute: 60, burst: 3 });
    const start = 1_000_000;
    expect([0, 1, 2].map(() => limiter.take('a', start))).toEqual([0, 0, 0]);
    expect(limiter.take('a', start)).toBeCloseTo(1, 5);
    expect(limiter.take('a', start + 500)).toBeCloseTo(0.5, 5);
    expect(limiter.take('a', start + 1000)).toBe(0);
    expect(limiter.take('a', start + 1000)).toBeCloseTo(1, 5);
    // Other keys are independent.
    expect(limiter.take('b', start)).toBe(0);
  });

  it('never holds more than the burst', () => {
    const limiter = createTokenBucketLimiter({ requestsPerMinute: 600, burst: 2 });
    limiter.take('a', 0);
    const later = 3_600_000;
    expect([0, 1].map(() => limiter.take('a', later))).toEqual([0, 0]);
    expect(limiter.take('a', later)).toBeGreaterThan(0);
  });

  it('drops idle buckets instead of growing without bound', () => {
    const limiter = createTokenBucketLimiter({ requestsPerMinute: 60, burst: 1, maxBuckets: 10 });
    for (let index = 0; index < 10; index += 1) limiter.take(`client-${index}`, 0);
    expect(limiter.size).toBe(10);
    limiter.take('newcomer', 60_000);
    expect(limiter.size).toBe(1);
  });
});
