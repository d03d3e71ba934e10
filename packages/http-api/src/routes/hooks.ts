import path from 'node:path';
import {
  NellieError,
  answerLessonSearch,
  limits,
  type Checkpoint,
  type CheckpointChanges,
  type Lesson,
} from '@nellie/core';
import { lessonSearchQuerySchema, requestedMode } from '@nellie/schemas';
import { z } from 'zod';
import { signalOf } from '../internal/env.ts';
import type { RouteDeps } from '../internal/route-deps.ts';
import { defineRoute, type RouteDefinition } from '../internal/route-table.ts';
import { errorBodySchema } from '../internal/schemas.ts';

/**
 * What a coding client's hooks receive: the client posts its hook JSON as it is (a one-line
 * `curl` or `hook.js`) and prints the answer, so each prompt starts no interpreter of Nellie's.
 */

/** Clients whose hook input and output this route speaks (the same shape for both). */
export const hookClients = ['claude-code', 'codex'] as const;

/** URL event → the client's event name. */
const hookEventNames = {
  'session-start': 'SessionStart',
  'user-prompt-submit': 'UserPromptSubmit',
} as const;

/** Longest prompt accepted; only its first `limits.queryLength` characters are searched. */
export const hookPromptMaxChars = 256 * 1024;

const hookParamsSchema = z.strictObject({
  client: z.enum(hookClients),
  event: z.enum(Object.keys(hookEventNames) as [keyof typeof hookEventNames]),
});

const hookQuerySchema = z.strictObject({
  /** Whose latest checkpoint starts a session; the client's name by default. */
  agent: z.string().trim().min(1).max(200).optional(),
  /** Longest context added to one prompt, in tokens (about four characters each). */
  tokenBudget: z.coerce.number().int().min(50).max(4000).default(400),
});

/** The client's own hook input; fields Nellie does not read are kept unchecked. */
const hookInputSchema = z.looseObject({
  cwd: z
    .string()
    .min(1)
    .max(4096)
    .refine((cwd) => path.isAbsolute(cwd), 'must be an absolute path'),
  hook_event_name: z.string().max(100).optional(),
  prompt: z.string().max(hookPromptMaxChars).optional(),
});

const hookOutputSchema = z.object({
  hookSpecificOutput: z.object({
    hookEventName: z.enum(['SessionStart', 'UserPromptSubmit']),
    additionalContext: z.string(),
  }),
});

const stateNote: Record<string, string> = {
  changed: ' — its code changed since; check it still holds',
  moved: ' — its code moved',
  gone: ' — its code is gone; check it still holds',
};
const stalenessOrder: Record<string, number> = { current: 0, moved: 1, changed: 2, gone: 3 };

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
    const commits = changes.commitsSince === 1 ? 'commit' : 'commits';
    parts.push(`${changes.commitsSince} ${commits}${branch}`);
  }
  if (changes.files.length > 0) {
    parts.push(changes.files.map((file) => `${file.path} ${file.change}`).join(', '));
  }
  return parts.length === 0 ? null : parts.join('; ');
}

function checkpointLines(repository: string, latest: Checkpoint): string[] {
  const lines = [
    `Your latest checkpoint for ${repository} (${latest.createdAt}, ${latest.status}): ${latest.workingOn}`,
  ];
  if (Object.keys(latest.state).length > 0) {
    lines.push(`State: ${JSON.stringify(latest.state).slice(0, 1500)}`);
  }
  const changes = latest.changesSince && describeChanges(latest.changesSince);
  if (changes) lines.push(`Since that checkpoint: ${changes}`);
  const stale = staleAnchorsLine(latest);
  if (stale) lines.push(stale);
  return lines;
}

/** How many stale anchors the session-start context names; the rest are counted. */
const staleAnchorsShown = 5;
/** Longest path (or symbol) named, in characters; longer ones keep their end. */
const anchorNameChars = 120;

function shortName(name: string): string {
  return name.length > anchorNameChars ? `…${name.slice(-(anchorNameChars - 1))}` : name;
}

/**
 * `Its anchored code is stale (gone): src/old.ts gone, src/upload.ts#retryUpload changed. …`, so
 * the agent checks before resuming; null when every anchor is current or it has none.
 */
function staleAnchorsLine(checkpoint: Checkpoint): string | null {
  const stale = (checkpoint.anchors ?? [])
    .filter((anchor) => anchor.state !== 'current')
    .sort((a, b) => (stalenessOrder[b.state] ?? 0) - (stalenessOrder[a.state] ?? 0));
  if (stale.length === 0) return null;
  const named = stale.slice(0, staleAnchorsShown).map((anchor) => {
    const symbol = anchor.symbol === null ? '' : `#${shortName(anchor.symbol)}`;
    const from = anchor.movedFrom === null ? '' : ` from ${shortName(anchor.movedFrom)}`;
    return `${shortName(anchor.path)}${symbol} ${anchor.state}${from}`;
  });
  const more = stale.length - named.length;
  if (more > 0) named.push(`${more} more`);
  return (
    `Its anchored code is stale (${checkpoint.staleness ?? stale[0]!.state}): ${named.join(', ')}. ` +
    `Check that the checkpoint still holds before resuming; confirm it (confirm_checkpoint ${checkpoint.id}) once it does.`
  );
}

interface HookRequest {
  repository: string;
  agent: string;
  tokenBudget: number;
  prompt: string;
  signal: AbortSignal;
}

/** The indexed repository holding `cwd` (the deepest root that contains it), among those seen. */
async function repositoryOf(deps: RouteDeps, cwd: string): Promise<string | null> {
  const directory = path.resolve(cwd);
  const containing = (await deps.store.listRepositories())
    .filter(
      (entry) =>
        directory === entry.rootPath || directory.startsWith(`${entry.rootPath}${path.sep}`),
    )
    .sort((a, b) => b.rootPath.length - a.rootPath.length);
  return containing[0]?.name ?? null;
}

/** At session start: the critical and warning lessons (current ones first), the latest checkpoint. */
async function sessionContext(deps: RouteDeps, request: HookRequest): Promise<string[]> {
  const { repository } = request;
  const [critical, warning, checkpoints] = await Promise.all([
    deps.store.listLessons({ repository, severity: 'critical', limit: 20 }),
    deps.store.listLessons({ repository, severity: 'warning', limit: 20 }),
    deps.store.getRecentCheckpoints({ repository, agent: request.agent, limit: 1 }),
  ]);
  const lessons = [...critical.items, ...warning.items].sort(
    (a, b) =>
      (stalenessOrder[a.staleness ?? 'current'] ?? 0) -
      (stalenessOrder[b.staleness ?? 'current'] ?? 0),
  );
  const lines: string[] = [];
  if (lessons.length > 0) {
    lines.push(`Nellie: critical and warning lessons for ${repository}:`);
    const lessonLines = lessons.map((lesson) => lessonLine(lesson, 300));
    lines.push(...withinBudget(lessonLines, request.tokenBudget * 3));
  }
  const [latest] = checkpoints;
  if (latest) lines.push(...checkpointLines(repository, latest));
  return lines;
}

/** With each prompt: the lessons of the repository most relevant to it. */
async function promptContext(deps: RouteDeps, request: HookRequest): Promise<string[]> {
  const query = request.prompt.trim().slice(0, limits.queryLength);
  if (query === '') return [];
  const { mode, ...filters } = lessonSearchQuerySchema.parse({
    query,
    repository: request.repository,
    limit: 5,
  });
  const answer = await answerLessonSearch(deps, {
    ...filters,
    mode: requestedMode(mode),
    signal: request.signal,
  });
  const lines = withinBudget(
    answer.hits.map((hit) => lessonLine(hit.lesson, 200)),
    request.tokenBudget,
  );
  return lines.length === 0 ? [] : ['Nellie: lessons that may apply here:', ...lines];
}

export function hookRoutes(deps: RouteDeps): RouteDefinition[] {
  return [
    defineRoute({
      method: 'post',
      path: '/hooks/:client/:event',
      operationId: 'runClientHook',
      summary: "Answer a coding client's hook",
      description:
        "Takes the client's hook JSON as it is (Claude Code, Codex CLI) and answers the JSON the client expects: at session-start the critical and warning lessons of the repository holding `cwd` and the agent's latest checkpoint there, at user-prompt-submit the lessons relevant to the prompt. 204 when there is nothing to add.",
      tag: 'hooks',
      params: hookParamsSchema,
      query: hookQuerySchema,
      body: hookInputSchema,
      responses: {
        200: { description: 'Context for the client to add.', schema: hookOutputSchema },
        204: { description: 'Nothing to add.' },
        400: { description: 'Invalid request.', schema: errorBodySchema },
      },
      async handler({ params, query, body, c }) {
        const hookEventName = hookEventNames[params.event];
        if (body.hook_event_name !== undefined && body.hook_event_name !== hookEventName) {
          throw new NellieError(
            'INVALID_INPUT',
            `hook_event_name is ${body.hook_event_name}, but this route answers ${hookEventName}.`,
          );
        }
        const repository = await repositoryOf(deps, body.cwd);
        if (repository === null) return { status: 204 };
        const request: HookRequest = {
          repository,
          agent: query.agent ?? params.client,
          tokenBudget: query.tokenBudget,
          prompt: body.prompt ?? '',
          signal: signalOf(c),
        };
        const lines =
          hookEventName === 'SessionStart'
            ? await sessionContext(deps, request)
            : await promptContext(deps, request);
        if (lines.length === 0) return { status: 204 };
        return {
          status: 200,
          body: { hookSpecificOutput: { hookEventName, additionalContext: lines.join('\n') } },
        };
      },
    }),
  ];
}
