import { createHash, timingSafeEqual } from 'node:crypto';
import { fullAccess, type PrincipalStore } from '@nellie/core';
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
 * Requires an API key on every route registered after it when keys are configured, or when the
 * principal store holds any key (a revoked one included). Sets `keyId` and `access`: configured
 * keys have full access; a principal's key has its scope and repositories, looked up in the store
 * on every request, so a revoked key is refused at once by every server on the database. Without
 * keys requests are anonymous with full access.
 *
 * With `failures`, an address that sent too many wrong keys gets `429` for every request until
 * its bucket refills, before any key is checked, so guessing cannot go faster than the limit.
 * Other addresses, and so every other client's keys, are unaffected.
 */
export function authMiddleware(
  apiKeys: readonly { id: string; key: string }[],
  failures?: AuthFailureLimit,
  principals?: PrincipalStore,
): MiddlewareHandler<HttpAppEnv> {
  if (apiKeys.length === 0 && principals === undefined) {
    return async (c, next) => {
      c.set('access', fullAccess('anonymous'));
      await next();
    };
  }
  const verify = createKeyVerifier(apiKeys);
  const required = async (): Promise<boolean> =>
    apiKeys.length > 0 || (principals !== undefined && (await principals.hasApiKeys()));
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
      if (!(await required())) {
        c.set('access', fullAccess('anonymous'));
        await next();
        return;
      }
      throw new HttpError(
        401,
        'UNAUTHORIZED',
        'An API key is required: send "Authorization: Bearer <key>" or "X-API-Key: <key>".',
        { headers: challenge },
      );
    }
    const keyId = verify(key);
    if (keyId !== undefined) {
      c.set('keyId', keyId);
      c.set('access', fullAccess(keyId));
      await next();
      return;
    }
    const principalKey = principals ? await principals.verifyApiKey(key) : null;
    if (principalKey === null) {
      if (failures) {
        failures.onFailure();
        const waitSeconds = failures.limiter.take(address);
        if (waitSeconds > 0) throw blocked(waitSeconds);
      }
      throw new HttpError(401, 'UNAUTHORIZED', 'The API key is not valid.', { headers: challenge });
    }
    c.set('keyId', principalKey.id);
    c.set('access', {
      principal: principalKey.principal,
      scope: principalKey.scope,
      repositories: principalKey.repositories,
    });
    await next();
  };
}
