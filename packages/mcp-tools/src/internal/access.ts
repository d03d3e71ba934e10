import { accessScopes, fullAccess, type Access, type AccessScope } from '@nellie/core';
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';

const isScope = (value: string): value is AccessScope =>
  (accessScopes as readonly string[]).includes(value);

/**
 * The caller's access from the request's auth info: the highest Nellie scope in `scopes` and the
 * repositories in `extra.repositories`. Auth info naming no Nellie scope (a host that
 * authenticates without scopes), or none at all (stdio), gives full access, as before scopes.
 */
export function accessFromAuthInfo(authInfo: AuthInfo | undefined, actor: string): Access {
  const scopes = (authInfo?.scopes ?? []).filter(isScope);
  if (scopes.length === 0) return fullAccess(actor);
  const scope = accessScopes.findLast((candidate) => scopes.includes(candidate))!;
  const repositories = authInfo?.extra?.repositories;
  return {
    principal: actor,
    scope,
    repositories:
      Array.isArray(repositories) && repositories.every((name) => typeof name === 'string')
        ? repositories
        : null,
  };
}
