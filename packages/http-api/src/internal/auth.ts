import { createHash, timingSafeEqual } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import { HttpError } from '../error-handler.ts';
import type { HttpAppEnv } from './env.ts';

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

/**
 * Requires a configured API key on every route registered after it. Sets `keyId`. With no keys
 * configured it does nothing and requests stay anonymous.
 */
export function authMiddleware(
  apiKeys: readonly { id: string; key: string }[],
): MiddlewareHandler<HttpAppEnv> {
  if (apiKeys.length === 0) {
    return async (_c, next) => {
      await next();
    };
  }
  const verify = createKeyVerifier(apiKeys);
  return async (c, next) => {
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
      throw new HttpError(401, 'UNAUTHORIZED', 'The API key is not valid.', { headers: challenge });
    }
    c.set('keyId', keyId);
    await next();
  };
}
