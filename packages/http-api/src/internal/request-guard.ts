import { isIP } from 'node:net';
import type { MiddlewareHandler } from 'hono';
import { HttpError } from './http-error.ts';
import type { AppContext, HttpAppEnv } from './env.ts';

/**
 * Browser-facing defences of a server that often runs on loopback without a key: the `Host` check
 * stops DNS rebinding, the `Origin` check stops other sites from writing (or opening MCP
 * sessions), and the JSON content type keeps "simple" cross-site form posts out.
 */

/** `name`, `name:port`, `[v6]` or `[v6]:port`; anything else is not a Host we answer to. */
const hostPattern = /^(\[[0-9a-f:.]+\]|[a-z0-9.-]{1,253})(?::(\d{1,5}))?$/;
/** `scheme://host[:port]`, what browsers send in `Origin`. */
export const originPattern =
  /^[a-z][a-z0-9+.-]*:\/\/(\[[0-9a-f:.]+\]|[a-z0-9.-]{1,253})(:\d{1,5})?$/;

const loopbackNames = new Set(['localhost', '127.0.0.1', '[::1]']);

interface ParsedHost {
  name: string;
  /** Empty when the header names no port. */
  port: string;
}

export function parseHost(value: string): ParsedHost | undefined {
  const match = hostPattern.exec(value.trim().toLowerCase());
  if (!match?.[1]) return undefined;
  return { name: match[1], port: match[2] ?? '' };
}

function isIpLiteral(name: string): boolean {
  return isIP(name.replace(/^\[|\]$/g, '')) !== 0;
}

/** The Host the client addressed: the header, or the URL's host when the runtime sets none. */
function requestHost(c: AppContext): string {
  return c.req.header('host') ?? new URL(c.req.url).host;
}

/**
 * Rejects requests whose `Host` is neither a loopback name or IP address, nor one of
 * `allowedHosts` (`name` matches any port, `name:port` only that port).
 */
export function hostGuard(allowedHosts: readonly string[]): MiddlewareHandler<HttpAppEnv> {
  const allowed = allowedHosts.map((entry) => parseHost(entry)).filter((entry) => !!entry);
  return async (c, next) => {
    const raw = requestHost(c);
    const host = parseHost(raw);
    if (!host || !isAllowedHost(host, allowed)) {
      const shown = host ? `"${raw.trim().slice(0, 260)}"` : 'of this request';
      throw new HttpError(
        403,
        'FORBIDDEN',
        `The Host header ${shown} is not a name this server answers to. If a proxy or DNS name forwards to Nellie, add it to the allowed hosts (allowedHosts, --allowed-host).`,
      );
    }
    await next();
  };
}

function isAllowedHost(host: ParsedHost, allowed: readonly ParsedHost[]): boolean {
  // DNS rebinding needs a name the attacker controls: loopback names and address literals are
  // always the server itself. Their port is not compared with the one Nellie listens on, since
  // port forwarding (`docker run -p 9000:8080`, `kubectl port-forward`) legitimately differs and
  // a browser always sends the port it connected to.
  if (loopbackNames.has(host.name) || isIpLiteral(host.name)) return true;
  return allowed.some(
    (entry) => entry.name === host.name && (entry.port === '' || entry.port === host.port),
  );
}

const safeMethods = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Rejects cross-origin requests that change state, and any cross-origin request to the MCP
 * endpoints (`mcpPaths`), unless the origin is in `corsOrigins` (`*` allows every origin).
 * Requests without `Origin` (curl, MCP clients, server-to-server) pass, unless the browser says
 * through `Sec-Fetch-Site` that another site sent them.
 */
export function originGuard(options: {
  corsOrigins: readonly string[];
  mcpPaths: ReadonlySet<string>;
}): MiddlewareHandler<HttpAppEnv> {
  const anyOrigin = options.corsOrigins.includes('*');
  const allowed = new Set(options.corsOrigins.map((origin) => origin.toLowerCase()));
  return async (c, next) => {
    if (anyOrigin || (safeMethods.has(c.req.method) && !options.mcpPaths.has(c.req.path))) {
      await next();
      return;
    }
    const origin = c.req.header('origin');
    if (origin === undefined) {
      const site = c.req.header('sec-fetch-site');
      if (site === 'cross-site' || site === 'same-site') {
        throw new HttpError(403, 'FORBIDDEN', 'Cross-site requests are not allowed here.');
      }
      await next();
      return;
    }
    if (allowed.has(origin.toLowerCase()) || isSameOrigin(origin, requestHost(c))) {
      await next();
      return;
    }
    const shown = originPattern.test(origin.toLowerCase()) ? ` from ${origin}` : '';
    throw new HttpError(
      403,
      'FORBIDDEN',
      `Cross-origin requests${shown} are not allowed; add the origin to the CORS origins (corsOrigins, --cors-origin) to allow it.`,
    );
  };
}

/** Same host and port as the request (the scheme is ignored: a TLS proxy may sit in front). */
function isSameOrigin(origin: string, host: string): boolean {
  if (!originPattern.test(origin.toLowerCase())) return false;
  try {
    const url = new URL(origin);
    const requested = parseHost(host);
    if (!requested) return false;
    const defaultPort = url.protocol === 'https:' ? '443' : '80';
    return (
      url.hostname === requested.name &&
      (url.port || defaultPort) === (requested.port || defaultPort)
    );
  } catch {
    return false;
  }
}

/** True for `application/json`, with or without parameters such as `charset`. */
export function isJsonContentType(value: string | undefined): boolean {
  const mediaType = value?.split(';', 1)[0]?.trim().toLowerCase();
  return mediaType === 'application/json';
}

export const jsonContentTypeMessage =
  'The request body must be JSON sent with "Content-Type: application/json".';

/** Throws `415` unless the request declares a JSON body. */
export function requireJsonContentType(c: AppContext): void {
  if (!isJsonContentType(c.req.header('content-type'))) {
    throw new HttpError(415, 'UNSUPPORTED_MEDIA_TYPE', jsonContentTypeMessage);
  }
}
