import * as http from 'node:http';
import path from 'node:path';
import { parseArgs } from 'node:util';
// Types only: the hook runs as one small bundled file that loads no package at run time.
import type { Checkpoint, CheckpointChanges, Lesson } from '@nellie/core';
import { exitCodes } from './internal/exit-codes.ts';

/** Longest query the server accepts (`limits.queryLength`; a test keeps them equal). */
export const hookQueryLength = 4096;

/**
 * The hook itself, run by the client with its JSON on stdin: `hook.js <event>` (its own small
 * entry point, so each prompt pays for little more than starting Node) or `nellie hook <event>`.
 */

/** What the client sends on stdin (Claude Code's hook input). */
interface HookInput {
  cwd?: string;
  prompt?: string;
  session_id?: string;
}

export interface HookOptions {
  url: string;
  agent: string;
  /** Longest context added to one prompt, in tokens (about four characters each). */
  tokenBudget: number;
  /** Gives up (adding nothing) after this long. */
  timeoutMs: number;
}

async function readStdin(maxBytes = 1024 * 1024): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of process.stdin as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) break;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * Asks the server over `node:http` rather than `fetch`: Node 20 loads its fetch implementation
 * on first use, which costs more than the hook's own requests.
 */
class HookClient {
  readonly #options: HookOptions;
  readonly #deadline: number;
  #transport: Promise<{ request: typeof http.request; agent: http.Agent }> | undefined;

  constructor(options: HookOptions) {
    this.#options = options;
    this.#deadline = Date.now() + options.timeoutMs;
  }

  /** node:http, or node:https (loaded only for an https server: TLS is slow to load). */
  #connect() {
    this.#transport ??= (async () => {
      // One kept-alive connection serves the hook's requests in turn.
      if (!this.#options.url.startsWith('https:')) {
        return { request: http.request, agent: new http.Agent({ keepAlive: true }) };
      }
      const https = await import('node:https');
      return { request: https.request, agent: new https.Agent({ keepAlive: true }) };
    })();
    return this.#transport;
  }

  async json<T>(route: string, body?: unknown): Promise<T> {
    const key = process.env.NELLIE_API_KEY;
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const url = new URL(`${this.#options.url}/api/v1${route}`);
    const { request: send, agent } = await this.#connect();
    return new Promise<T>((resolve, reject) => {
      const request = send(
        url,
        {
          method: payload === undefined ? 'GET' : 'POST',
          agent,
          timeout: Math.max(1, this.#deadline - Date.now()),
          headers: {
            accept: 'application/json',
            ...(payload === undefined
              ? {}
              : {
                  'content-type': 'application/json',
                  'content-length': Buffer.byteLength(payload),
                }),
            ...(key ? { authorization: `Bearer ${key}` } : {}),
          },
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('error', reject);
          response.on('end', () => {
            const status = response.statusCode ?? 0;
            if (status < 200 || status >= 300) {
              reject(new Error(`${route}: ${status}`));
              return;
            }
            try {
              resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')) as T);
            } catch (error) {
              reject(error instanceof Error ? error : new Error(String(error)));
            }
          });
        },
      );
      request.on('timeout', () => request.destroy(new Error(`${route}: timed out`)));
      request.on('error', reject);
      request.end(payload);
    });
  }

  async close(): Promise<void> {
    if (this.#transport) (await this.#transport).agent.destroy();
  }
}

/** The indexed repository holding `cwd` (the deepest root that contains it), if any. */
async function repositoryOf(client: HookClient, cwd: string): Promise<string | null> {
  const { repositories } = await client.json<{
    repositories: { name: string; rootPath: string }[];
  }>('/repositories');
  const containing = repositories
    .filter((entry) => cwd === entry.rootPath || cwd.startsWith(`${entry.rootPath}${path.sep}`))
    .sort((a, b) => b.rootPath.length - a.rootPath.length);
  return containing[0]?.name ?? null;
}

const stateNote: Record<string, string> = {
  changed: ' — its code changed since; check it still holds',
  moved: ' — its code moved',
  gone: ' — its code is gone; check it still holds',
};

function lessonLine(lesson: Lesson, contentChars: number): string {
  const note = lesson.staleness === null ? '' : (stateNote[lesson.staleness] ?? '');
  const content = lesson.content.replace(/\s+/g, ' ').trim();
  const body = content.length > contentChars ? `${content.slice(0, contentChars)}…` : content;
  return `- [${lesson.severity}] ${lesson.title} (lesson ${lesson.id}${note}): ${body}`;
}

/** Keeps lines while they fit the budget (about four characters a token). */
function withinBudget(lines: readonly string[], tokenBudget: number): string[] {
  const kept: string[] = [];
  let chars = 0;
  for (const line of lines) {
    if (chars + line.length > tokenBudget * 4) break;
    kept.push(line);
    chars += line.length + 1;
  }
  return kept;
}

/** `2 commits on main; src/upload.ts changed, src/old.ts gone` */
function describeChanges(changes: CheckpointChanges): string | null {
  const parts: string[] = [];
  if (changes.commitsSince !== undefined && changes.commitsSince > 0) {
    const branch = changes.git?.branch ? ` on ${changes.git.branch}` : '';
    parts.push(
      `${changes.commitsSince} ${changes.commitsSince === 1 ? 'commit' : 'commits'}${branch}`,
    );
  }
  if (changes.files.length > 0) {
    parts.push(changes.files.map((file) => `${file.path} ${file.change}`).join(', '));
  }
  return parts.length === 0 ? null : parts.join('; ');
}

const stalenessOrder: Record<string, number> = { current: 0, moved: 1, changed: 2, gone: 3 };

async function sessionContext(client: HookClient, options: HookOptions, repository: string) {
  const query = (severity: string) =>
    `/lessons?repository=${encodeURIComponent(repository)}&severity=${severity}&limit=20`;
  const [critical, warning, checkpoints] = await Promise.all([
    client.json<{ items: Lesson[] }>(query('critical')),
    client.json<{ items: Lesson[] }>(query('warning')),
    client.json<Checkpoint[]>(
      `/checkpoints/recent?repository=${encodeURIComponent(repository)}&agent=${encodeURIComponent(options.agent)}&limit=1`,
    ),
  ]);
  const lessons = [...critical.items, ...warning.items].sort(
    (a, b) =>
      (stalenessOrder[a.staleness ?? 'current'] ?? 0) -
      (stalenessOrder[b.staleness ?? 'current'] ?? 0),
  );
  const lines: string[] = [];
  if (lessons.length > 0) {
    lines.push(`Nellie: critical and warning lessons for ${repository}:`);
    lines.push(
      ...withinBudget(
        lessons.map((lesson) => lessonLine(lesson, 300)),
        options.tokenBudget * 3,
      ),
    );
  }
  const [latest] = checkpoints;
  if (latest) {
    lines.push(
      `Your latest checkpoint for ${repository} (${latest.createdAt}, ${latest.status}): ${latest.workingOn}`,
    );
    if (Object.keys(latest.state).length > 0) {
      lines.push(`State: ${JSON.stringify(latest.state).slice(0, 1500)}`);
    }
    const changes = latest.changesSince && describeChanges(latest.changesSince);
    if (changes) lines.push(`Since that checkpoint: ${changes}`);
  }
  return lines;
}

async function promptContext(
  client: HookClient,
  options: HookOptions,
  repository: string,
  prompt: string,
) {
  const query = prompt.trim().slice(0, hookQueryLength);
  if (query === '') return [];
  const answer = await client.json<{ hits: { lesson: Lesson }[] }>('/lessons/search', {
    query,
    repository,
    limit: 5,
  });
  if (answer.hits.length === 0) return [];
  const lines = withinBudget(
    answer.hits.map((hit) => lessonLine(hit.lesson, 200)),
    options.tokenBudget,
  );
  return lines.length === 0 ? [] : [`Nellie: lessons that may apply here:`, ...lines];
}

/**
 * `nellie hook session-start|user-prompt-submit`: reads the client's JSON on stdin and prints the
 * context to add (Claude Code's `hookSpecificOutput.additionalContext`). Prints nothing, and exits
 * 0, when there is nothing to add or the server does not answer in time: a hook never blocks the
 * user's prompt.
 */
export async function runHook(event: string, options: HookOptions): Promise<number> {
  const hookEventName =
    event === 'session-start'
      ? 'SessionStart'
      : event === 'user-prompt-submit'
        ? 'UserPromptSubmit'
        : null;
  if (hookEventName === null) {
    process.stderr.write('nellie: hook event must be session-start or user-prompt-submit.\n');
    return exitCodes.usage;
  }
  let client: HookClient | undefined;
  try {
    const input = JSON.parse((await readStdin()) || '{}') as HookInput;
    client = new HookClient(options);
    const repository = await repositoryOf(client, path.resolve(input.cwd ?? process.cwd()));
    if (repository === null) return exitCodes.ok;
    const lines =
      hookEventName === 'SessionStart'
        ? await sessionContext(client, options, repository)
        : await promptContext(client, options, repository, input.prompt ?? '');
    if (lines.length === 0) return exitCodes.ok;
    process.stdout.write(
      `${JSON.stringify({ hookSpecificOutput: { hookEventName, additionalContext: lines.join('\n') } })}\n`,
    );
  } catch {
    // Server down, slow or answering errors: add nothing rather than disturb the session.
  } finally {
    await client?.close();
  }
  return exitCodes.ok;
}

/** `hook.js <event> [--url U] [--agent A] [--token-budget N] [--timeout-ms N]` */
export async function runHookFromArgs(args: readonly string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...args],
      allowPositionals: true,
      options: {
        url: { type: 'string', default: 'http://127.0.0.1:8080' },
        agent: { type: 'string', default: 'claude-code' },
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
    agent: values.agent,
    tokenBudget: Number(values['token-budget']) || 400,
    timeoutMs: Number(values['timeout-ms']) || 1500,
  });
}
