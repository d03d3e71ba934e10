import type { MiddlewareHandler } from 'hono';
import { HttpError } from './http-error.ts';
import type { AppContext, HttpAppEnv } from './env.ts';

interface Bucket {
  tokens: number;
  updatedAt: number;
}

export interface TokenBucketLimiter {
  /** Takes one token; returns 0 when allowed, otherwise the seconds until a token is available. */
  take(key: string, now?: number): number;
  /** Like `take`, without taking a token. */
  peek(key: string, now?: number): number;
  readonly size: number;
}

/** Token buckets refilled continuously at `requestsPerMinute / 60` tokens per second. */
export function createTokenBucketLimiter(options: {
  requestsPerMinute: number;
  burst: number;
  /** Buckets kept before full (idle) ones are dropped. */
  maxBuckets?: number;
}): TokenBucketLimiter {
  const ratePerMs = options.requestsPerMinute / 60_000;
  const capacity = options.burst;
  const maxBuckets = options.maxBuckets ?? 10_000;
  const buckets = new Map<string, Bucket>();

  const refill = (bucket: Bucket, now: number): void => {
    const elapsed = Math.max(0, now - bucket.updatedAt);
    bucket.tokens = Math.min(capacity, bucket.tokens + elapsed * ratePerMs);
    bucket.updatedAt = now;
  };

  const prune = (now: number): void => {
    for (const [key, bucket] of buckets) {
      refill(bucket, now);
      if (bucket.tokens >= capacity) buckets.delete(key);
    }
  };

  return {
    take(key, now = Date.now()) {
      let bucket = buckets.get(key);
      if (!bucket) {
        if (buckets.size >= maxBuckets) prune(now);
        bucket = { tokens: capacity, updatedAt: now };
        buckets.set(key, bucket);
      } else {
        refill(bucket, now);
      }
      if (bucket.tokens >= 1) {
        bucket.tokens -= 1;
        return 0;
      }
      return (1 - bucket.tokens) / ratePerMs / 1000;
    },
    peek(key, now = Date.now()) {
      const bucket = buckets.get(key);
      if (!bucket) return 0;
      refill(bucket, now);
      return bucket.tokens >= 1 ? 0 : (1 - bucket.tokens) / ratePerMs / 1000;
    },
    get size() {
      return buckets.size;
    },
  };
}

/** Answers `429` with `Retry-After` once a client's bucket is empty (CORS preflights are free). */
export function rateLimitMiddleware(options: {
  limiter: TokenBucketLimiter;
  clientKey: (c: AppContext) => string;
  onLimited: () => void;
}): MiddlewareHandler<HttpAppEnv> {
  return async (c, next) => {
    if (c.req.method === 'OPTIONS') {
      await next();
      return;
    }
    const waitSeconds = options.limiter.take(options.clientKey(c));
    if (waitSeconds > 0) {
      options.onLimited();
      const retryAfter = Math.max(1, Math.ceil(waitSeconds));
      throw new HttpError(429, 'RATE_LIMITED', `Too many requests; retry after ${retryAfter} s.`, {
        headers: { 'Retry-After': String(retryAfter) },
      });
    }
    await next();
  };
}
