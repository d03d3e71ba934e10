import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { shellQuote, type HookClient } from './client-hooks.ts';

/** How the installed hook reaches the server: `curl` (no interpreter starts) or Node and `hook.js`. */
export const hookRunners = ['curl', 'node'] as const;
export type HookRunner = (typeof hookRunners)[number];

/** What every installed hook command needs. */
export interface HookCommandOptions {
  client: HookClient;
  /** `session-start` or `user-prompt-submit`. */
  event: string;
  /** The server, e.g. `http://127.0.0.1:8080`. */
  url: string;
  agent: string;
  /** Gives up, adding nothing, after this long. */
  timeoutMs: number;
}

/**
 * `curl` where it runs, except on Windows, where the clients' shell is not the POSIX one the
 * `curl` command is written for.
 */
export function defaultHookRunner(): HookRunner {
  if (process.platform === 'win32') return 'node';
  const probe = spawnSync('curl', ['--version'], { stdio: 'ignore' });
  return probe.status === 0 ? 'curl' : 'node';
}

/**
 * One `curl` line that posts the client's JSON (stdin) to the server's hook route and prints the
 * answer. The key is read from `NELLIE_API_KEY` when the hook runs and reaches curl through a pipe
 * from the shell's own `printf` (fd 3, `-H @/dev/fd/3`), so it is neither written into settings
 * nor visible in the process list; the hook input stays curl's stdin (saved on fd 4 meanwhile:
 * clients that are Node programs hand it over as a socket, which `/dev/fd` cannot open on Linux).
 * `-f` prints nothing for an error answer,
 * `|| true` keeps the exit code 0 (Claude Code blocks the prompt on exit code 2), and
 * `--noproxy` connects directly as `hook.js` does.
 */
export function curlHookCommand(options: HookCommandOptions): string {
  const query = new URLSearchParams({ agent: options.agent });
  const route = `${options.url}/api/v1/hooks/${options.client}/${options.event}?${query.toString()}`;
  const header = `"\${NELLIE_API_KEY:+Authorization: Bearer $NELLIE_API_KEY}"`;
  const curl = [
    'curl',
    '-sf',
    '--noproxy',
    '*',
    '--max-time',
    String(options.timeoutMs / 1000),
    '-H',
    '@/dev/fd/3',
    '-H',
    'content-type: application/json',
    '--data-binary',
    '@-',
    route,
  ]
    .map(shellQuote)
    .join(' ');
  return `{ printf %s ${header} | ${curl} 3<&0 <&4; } 4<&0 2>/dev/null || true`;
}

/**
 * `node --no-warnings hook.js <event> …`: the runner for machines without curl (and Windows).
 * `hookScript` is the `hook.js` beside the CLI; --no-warnings: nothing of Node's but the answer
 * reaches the client.
 */
export function nodeHookCommand(options: HookCommandOptions, hookScript: string): string {
  return [
    process.execPath,
    '--no-warnings',
    path.resolve(hookScript),
    options.event,
    '--client',
    options.client,
    '--url',
    options.url,
    '--agent',
    options.agent,
    '--timeout-ms',
    String(options.timeoutMs),
  ]
    .map(shellQuote)
    .join(' ');
}
