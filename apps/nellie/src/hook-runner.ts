import * as http from 'node:http';
import { parseArgs } from 'node:util';
import { exitCodes } from './internal/exit-codes.ts';

/**
 * The Node runner of the client's hooks, for machines without `curl`: `hook.js <event>` (its own
 * small entry point) or `nellie hook <event>`. Like the `curl` command it posts the client's JSON
 * as it is to the server's hook route (`POST /api/v1/hooks/<client>/<event>`), where the context is
 * built, and prints the answer.
 */

const hookEvents = ['session-start', 'user-prompt-submit'] as const;
const hookClients = ['claude-code', 'codex'] as const;

export interface HookOptions {
  url: string;
  client: string;
  agent: string | undefined;
  /** Longest context added to one prompt, in tokens (about four characters each). */
  tokenBudget: number;
  /** Gives up (adding nothing) after this long. */
  timeoutMs: number;
}

/** The hook input, up to `maxBytes`: a longer one is not sent (the server would refuse it). */
async function readStdin(maxBytes = 1024 * 1024): Promise<Buffer | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of process.stdin as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) return null;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/**
 * Posts over `node:http` rather than `fetch` (Node 20 loads its fetch implementation on first
 * use, which costs more than the request); `node:https` is loaded only for an https server.
 * Resolves to the body of a 200 answer, or null for anything else.
 */
async function post(url: URL, body: Buffer, timeoutMs: number): Promise<Buffer | null> {
  const send = url.protocol === 'https:' ? (await import('node:https')).request : http.request;
  const key = process.env.NELLIE_API_KEY;
  return new Promise((resolve) => {
    const request = send(
      url,
      {
        method: 'POST',
        timeout: timeoutMs,
        headers: {
          accept: 'application/json',
          'content-type': 'application/json',
          'content-length': body.length,
          ...(key ? { authorization: `Bearer ${key}` } : {}),
        },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', () => resolve(null));
        response.on('end', () =>
          resolve(response.statusCode === 200 ? Buffer.concat(chunks) : null),
        );
      },
    );
    request.on('timeout', () => request.destroy(new Error('timed out')));
    request.on('error', () => resolve(null));
    request.end(body);
  });
}

/**
 * Reads the client's JSON on stdin and prints the context the server answers. Prints nothing, and
 * exits 0, when there is nothing to add or the server does not answer in time: a hook never
 * blocks the user's prompt.
 */
export async function runHook(event: string, options: HookOptions): Promise<number> {
  if (!(hookEvents as readonly string[]).includes(event)) {
    process.stderr.write(`nellie: hook event must be ${hookEvents.join(' or ')}.\n`);
    return exitCodes.usage;
  }
  if (!(hookClients as readonly string[]).includes(options.client)) {
    process.stderr.write(`nellie: hook --client must be ${hookClients.join(' or ')}.\n`);
    return exitCodes.usage;
  }
  const deadline = setTimeout(() => process.exit(exitCodes.ok), options.timeoutMs);
  try {
    const input = await readStdin();
    if (input === null) return exitCodes.ok;
    const query = new URLSearchParams({ tokenBudget: String(options.tokenBudget) });
    if (options.agent !== undefined) query.set('agent', options.agent);
    const url = new URL(
      `${options.url}/api/v1/hooks/${options.client}/${event}?${query.toString()}`,
    );
    const answer = await post(
      url,
      input.length === 0 ? Buffer.from('{}') : input,
      options.timeoutMs,
    );
    if (answer !== null && answer.length > 0) process.stdout.write(`${answer.toString('utf8')}\n`);
  } catch {
    // A bad URL or input: add nothing rather than disturb the session.
  } finally {
    clearTimeout(deadline);
  }
  return exitCodes.ok;
}

/** `hook.js <event> [--client C] [--url U] [--agent A] [--token-budget N] [--timeout-ms N]` */
export async function runHookFromArgs(args: readonly string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...args],
      allowPositionals: true,
      options: {
        client: { type: 'string', default: 'claude-code' },
        url: { type: 'string', default: 'http://127.0.0.1:8080' },
        agent: { type: 'string' },
        'token-budget': { type: 'string', default: '400' },
        'timeout-ms': { type: 'string', default: '1500' },
      },
    });
  } catch (error) {
    process.stderr.write(`nellie hook: ${(error as Error).message}\n`);
    return exitCodes.usage;
  }
  const { values, positionals } = parsed;
  return runHook(positionals[0] ?? '', {
    url: values.url.replace(/\/+$/, ''),
    client: values.client,
    agent: values.agent,
    tokenBudget: Number(values['token-budget']) || 400,
    timeoutMs: Number(values['timeout-ms']) || 1500,
  });
}
