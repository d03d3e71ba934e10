import { createHash, timingSafeEqual } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import { HttpError } from './http-error.ts';
import type { AppContext, HttpAppEnv } from './env.ts';
import type { TokenBucketLimiter } from './rate-limit.ts';

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

/** Finds the key id for a presented secret, comparing against every key in constant time. */
export function createKeyVerifier(
  apiKeys: readonly { id: string; key: string }[],
): (presented: string) => string | undefined {
  // Only digests are kept: equal-length buffers for timingSafeEqual, and no secret in memory dumps
  // of this closure beyond what the caller already holds.
  const entries = apiKeys.map((entry) => ({ id: entry.id, digest: digest(entry.key) }));
  return (presented) => {
    const presentedDigest = digest(presented);
    let match: string | undefined;
    for (const entry of entries) {
      // No early exit: the time taken does not depend on which key (if any) matched.
      if (timingSafeEqual(presentedDigest, entry.digest) && match === undefined) match = entry.id;
    }
    return match;
  };
}

/** Reads the key from `Authorization: Bearer <key>` or `X-API-Key: <key>`. */
export function presentedKey(headers: {
  authorization: string | undefined;
  apiKey: string | undefined;
}): string | undefined {
  const bearer = /^Bearer[ \t]+(\S.*)$/i.exec(headers.authorization?.trim() ?? '');
  if (bearer?.[1]) return bearer[1].trim();
  const apiKey = headers.apiKey?.trim();
  return apiKey ? apiKey : undefined;
}

const challenge = { 'WWW-Authenticate': 'Bearer realm="nellie"' };

export interface AuthFailureLimit {
  /** One token per wrong key, per client address. */
  limiter: TokenBucketLimiter;
  clientAddress: (c: AppContext) => string | undefined;
  onBlocked: () => void;
  onFailure: () => void;
}

/**
 * Requires a configured API key on every route registered after it. Sets `keyId`. With no keys
 * configured it does nothing and requests stay anonymous.
 *
 * With `failures`, an address that sent too many wrong keys gets `429` for every request until
 * its bucket refills, before any key is checked, so guessing cannot go faster than the limit.
 * Other addresses, and so every other client's keys, are unaffected.
 */
export function authMiddleware(
  apiKeys: readonly { id: string; key: string }[],
  failures?: AuthFailureLimit,
): MiddlewareHandler<HttpAppEnv> {
  if (apiKeys.length === 0) {
    return async (_c, next) => {
      await next();
    };
  }
  const verify = createKeyVerifier(apiKeys);
  const blocked = (waitSeconds: number): HttpError => {
    failures?.onBlocked();
    const retryAfter = Math.max(1, Math.ceil(waitSeconds));
    return new HttpError(
      429,
      'RATE_LIMITED',
      `Too many requests with a wrong API key from this address; retry after ${retryAfter} s.`,
      { headers: { 'Retry-After': String(retryAfter) } },
    );
  };
  return async (c, next) => {
    const address = failures ? `address:${failures.clientAddress(c) ?? 'unknown'}` : '';
    if (failures) {
      const waitSeconds = failures.limiter.peek(address);
      if (waitSeconds > 0) throw blocked(waitSeconds);
    }
    const key = presentedKey({
      authorization: c.req.header('authorization'),
      apiKey: c.req.header('x-api-key'),
    });
    if (key === undefined) {
      throw new HttpError(
        401,
        'UNAUTHORIZED',
        'An API key is required: send "Authorization: Bearer <key>" or "X-API-Key: <key>".',
        { headers: challenge },
      );
    }
    const keyId = verify(key);
    if (keyId === undefined) {
      if (failures) {
        failures.onFailure();
        const waitSeconds = failures.limiter.take(address);
        if (waitSeconds > 0) throw blocked(waitSeconds);
      }
      throw new HttpError(401, 'UNAUTHORIZED', 'The API key is not valid.', { headers: challenge });
    }
    c.set('keyId', keyId);
    await next();
  };
}
