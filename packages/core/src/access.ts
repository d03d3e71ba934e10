import { NellieError } from './errors.ts';

/** What a caller may do, each scope including the ones before it: `read` < `write` < `admin`. */
export const accessScopes = ['read', 'write', 'admin'] as const;
export type AccessScope = (typeof accessScopes)[number];

/**
 * Who is calling and what they may do. Every REST route and MCP tool needs one scope (see
 * `requireScope`); `repositories` limits what the caller sees to those repositories.
 */
export interface Access {
  /** The audit actor: a principal's name, a configured key's id, `anonymous` or `local`. */
  principal: string;
  scope: AccessScope;
  /** Repository names the caller may see and write; null for every repository. */
  repositories: readonly string[] | null;
}

/** Everything, over every repository: configured keys, the CLI, stdio MCP, no authentication. */
export function fullAccess(principal: string): Access {
  return { principal, scope: 'admin', repositories: null };
}

/** Whether `granted` includes `needed`. */
export function scopeIncludes(granted: AccessScope, needed: AccessScope): boolean {
  return accessScopes.indexOf(granted) >= accessScopes.indexOf(needed);
}

/** True for admin access over every repository, which no view needs to narrow. */
export function isFullAccess(access: Access): boolean {
  return access.scope === 'admin' && access.repositories === null;
}

/** `FORBIDDEN` unless `access` includes `needed`; `action` says what was refused. */
export function requireScope(access: Access, needed: AccessScope, action: string): void {
  if (!scopeIncludes(access.scope, needed)) {
    throw new NellieError(
      'FORBIDDEN',
      `${action} needs the "${needed}" scope; the key of ${access.principal} has "${access.scope}".`,
    );
  }
}

/** `FORBIDDEN` for a key limited to some repositories, with what it may do instead. */
export function requireAllRepositories(access: Access, action: string): void {
  if (access.repositories !== null) {
    throw new NellieError(
      'FORBIDDEN',
      `${action} needs a key over every repository; the key of ${access.principal} is limited to ${describeRepositories(access.repositories)}.`,
    );
  }
}

/** `"a", "b"` for messages. */
export function describeRepositories(repositories: readonly string[]): string {
  return repositories.map((name) => `"${name}"`).join(', ');
}
