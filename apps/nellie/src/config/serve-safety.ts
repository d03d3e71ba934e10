import { isIP } from 'node:net';
import { configError, originText } from './errors.ts';
import type { ResolvedConfig } from './resolve-config.ts';
import type { Settings } from './setting-table.ts';

/** True for addresses only this machine can reach. */
export function isLoopbackHost(host: string): boolean {
  const normalized = host.replace(/^\[|\]$/g, '').toLowerCase();
  return (
    normalized === 'localhost' ||
    normalized === '::1' ||
    /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(normalized) ||
    normalized === '::ffff:127.0.0.1'
  );
}

/**
 * Host names the HTTP server answers to besides loopback names and IP addresses: the configured
 * ones, plus the bind address when it is a DNS name (`--host nellie.lan`).
 */
export function allowedHostsFor(settings: Pick<Settings, 'host' | 'allowedHosts'>): string[] {
  const bindName = settings.host.replace(/^\[|\]$/g, '');
  const extra = isIP(bindName) === 0 && !isLoopbackHost(bindName) ? [settings.host] : [];
  return [...new Set([...settings.allowedHosts, ...extra])];
}

/**
 * Refuses to serve without authentication on an address other machines can reach, unless the
 * operator opted in. `storedKeys`: the database holds API keys (`nellie keys create`), which
 * turn authentication on as configured keys do.
 */
export function checkServeSafety(
  config: ResolvedConfig,
  options: { storedKeys?: boolean } = {},
): void {
  const { settings, origins } = config;
  if (
    settings.apiKeys.length === 0 &&
    !options.storedKeys &&
    !settings.allowUnauthenticated &&
    !isLoopbackHost(settings.host)
  ) {
    throw configError(
      `The server would listen on ${settings.host} (from ${originText(origins.host)}) with no API key, so anyone who can reach it could read and change your data. ` +
        'Create a key with `nellie keys create <principal> --scope admin`, set an API key (--api-key or NELLIE_API_KEY), bind to 127.0.0.1, or pass --allow-unauthenticated (NELLIE_ALLOW_UNAUTHENTICATED=true) if something in front of Nellie handles authentication.',
    );
  }
}
