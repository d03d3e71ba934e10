import { fullAccess, type Access } from '@nellie/core';
import type { Context } from 'hono';

/**
 * The bindings a Node adapter such as `@hono/node-server` puts on `c.env`. Typed here so the
 * package never depends on an adapter; every field is optional because `app.request()` and other
 * runtimes provide none of them.
 */
export interface NodeBindings {
  incoming?: { socket?: { remoteAddress?: string } };
}

export interface HttpAppVariables {
  /** The request id (from `X-Request-Id` when valid, generated otherwise). */
  requestId: string;
  /** The id of the API key the request authenticated with; unset when authentication is off. */
  keyId: string | undefined;
  /**
   * What the caller may do: full access for configured keys and without authentication, the
   * key's scope and repositories for a principal's key. Set by the authentication middleware.
   */
  access: Access | undefined;
  /** Aborts when the request times out or the client goes away. */
  signal: AbortSignal;
}

export interface HttpAppEnv {
  Bindings: NodeBindings | undefined;
  Variables: HttpAppVariables;
}

export type AppContext = Context<HttpAppEnv>;

/** Who did it, for the audit log. */
export function actorOf(c: AppContext): string {
  return c.get('access')?.principal ?? c.get('keyId') ?? 'anonymous';
}

/** The caller's access; full access when no authentication middleware ran. */
export function accessOf(c: AppContext): Access {
  return c.get('access') ?? fullAccess(actorOf(c));
}

/** The request's abort signal, or the raw request's one when the timeout middleware did not run. */
export function signalOf(c: AppContext): AbortSignal {
  return c.get('signal') ?? c.req.raw.signal;
}
