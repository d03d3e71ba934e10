import { isAbsolute } from 'node:path';
import {
  NellieError,
  anchorStates,
  hasLoneSurrogate,
  lessonSeverities,
  limits,
  loneSurrogateMessage,
  searchDefaults,
  searchLimits,
  searchModes,
  searchRequestModes,
  type AnchorInput,
} from '@nellie/core';
import { z } from 'zod';

// ---- Input pieces -------------------------------------------------------------------------
// Every maximum comes from `limits` in @nellie/core, so these tools accept exactly what the
// store and the REST API accept.

/** Text that is stored: trimmed, non-empty, bounded, and well-formed Unicode. */
export function storedTextSchema(field: string, max: number): z.ZodString {
  return z
    .string()
    .trim()
    .min(1, `${field} must not be empty`)
    .max(max, `${field} must be at most ${max} characters`)
    .refine((text) => !hasLoneSurrogate(text), loneSurrogateMessage(field));
}

/**
 * A JSON object passed through exactly as given (`z.record` would rebuild it by assignment and
 * lose an own `__proto__` key). Shown to clients as `{"type": "object"}`.
 */
export const jsonObjectSchema = z
  .unknown()
  .refine(
    (value) => typeof value === 'object' && value !== null && !Array.isArray(value),
    'must be a JSON object',
  )
  .meta({ type: 'object', additionalProperties: {} }) as unknown as z.ZodType<
  Record<string, unknown>
>;

export const offsetSchema = z
  .number()
  .int()
  .min(0)
  .max(limits.offset)
  .default(0)
  .describe('Items to skip (paging).');

export function limitSchema(defaultValue: number, max: number): z.ZodDefault<z.ZodNumber> {
  return z.number().int().min(1).max(max).default(defaultValue);
}

export const querySchema = z
  .string()
  .trim()
  .min(1, 'query must not be empty')
  .max(searchLimits.queryLength);

// ---- Search requests: the vocabulary shared with REST and the CLI (see @nellie/core) --------

export const searchLimitSchema = limitSchema(searchDefaults.limit, searchLimits.limit);

export const searchRequestModeSchema = z
  .enum([...searchRequestModes, 'lexical'])
  .default(searchDefaults.mode)
  .describe('keyword: skip semantic ranking.');

/** The request mode with the deprecated `lexical` spelling read as `keyword`. */
export function requestedMode(mode: 'auto' | 'keyword' | 'lexical'): 'auto' | 'keyword' {
  return mode === 'lexical' ? 'keyword' : mode;
}

/**
 * A tool's arguments, also accepting deprecated 0.1 spellings (`{ repo: 'repository' }`). The
 * deprecated names stay out of the listed schema (it is read by every agent, on every session)
 * but are validated like their current names; any other unknown argument is refused.
 */
export function withDeprecatedAliases<Shape extends z.ZodRawShape>(
  shape: Shape,
  aliases: Record<string, { current: keyof Shape & string; schema: z.ZodType }>,
): z.ZodObject<Shape, z.core.$loose> {
  const deprecated = Object.fromEntries(
    Object.entries(aliases).map(([name, alias]) => [name, alias.schema.optional()]),
  );
  return z.looseObject(shape).superRefine((value, context) => {
    for (const [key, item] of Object.entries(value)) {
      if (key in shape) continue;
      const schema = deprecated[key];
      if (schema === undefined) {
        context.addIssue({ code: 'custom', path: [key], message: `Unknown argument "${key}".` });
        continue;
      }
      for (const issue of schema.safeParse(item).error?.issues ?? []) {
        context.addIssue({ ...issue, path: [key, ...issue.path] });
      }
    }
  });
}

/** A deprecated argument's value, already validated by {@link withDeprecatedAliases}. */
export function deprecatedArgument(
  args: Record<string, unknown>,
  name: string,
): string | undefined {
  const value = args[name];
  return typeof value === 'string' ? value.trim() : undefined;
}

/** Reads a field given under its current name or its deprecated one; both at once must agree. */
export function aliased(
  current: string | undefined,
  deprecated: string | undefined,
  names: string,
): string | undefined {
  if (current !== undefined && deprecated !== undefined && current !== deprecated) {
    throw new NellieError('INVALID_INPUT', `Give ${names} once (they are the same field).`);
  }
  return current ?? deprecated;
}

export const idSchema = z.string().trim().min(1).max(limits.idLength);

export const repoFilterSchema = z
  .string()
  .trim()
  .min(1)
  .max(limits.repositoryLength)
  .describe('Repository name or root path.');

export const tagSchema = storedTextSchema('tag', limits.tagLength);

export const severitySchema = z.enum(lessonSeverities);

export const agentSchema = storedTextSchema('agent', limits.agentLength).describe(
  'Your agent name, the same every time.',
);

/**
 * A repository argument: an absolute directory path, or the name of an indexed repository (names
 * contain no slashes). Relative paths are rejected: the server's working directory means nothing to
 * the caller.
 */
export function repositoryArgumentSchema(description: string): z.ZodString {
  return z
    .string()
    .trim()
    .min(1)
    .max(limits.repositoryLength)
    .refine((value) => isAbsolute(value) || !/[\\/]/.test(value), {
      message:
        'must be an absolute directory path (e.g. /home/me/project) or the name of an indexed repository',
    })
    .describe(description);
}

// ---- Output views -------------------------------------------------------------------------

export const scoreBreakdownSchema = z.object({
  fused: z.number(),
  lexical: z.object({ rank: z.number(), score: z.number() }).optional(),
  vector: z.object({ rank: z.number(), similarity: z.number() }).optional(),
});

export const searchModeSchema = z.enum(searchModes);

export const anchorStateSchema = z.enum(anchorStates);

export const anchorViewSchema = z.object({
  repository: z.string(),
  path: z.string(),
  symbol: z.string().nullable(),
  startLine: z.number(),
  endLine: z.number(),
  contentHash: z.string(),
  state: anchorStateSchema,
  change: z
    .object({ linesAdded: z.number(), linesRemoved: z.number(), signatureChanged: z.boolean() })
    .nullable(),
  movedFrom: z.string().nullable(),
  origin: z.enum(['explicit', 'automatic']),
  checkedAt: z.string(),
});

export const codeMemoriesViewSchema = z
  .object({
    count: z.number(),
    severities: z.object({ critical: z.number(), warning: z.number(), info: z.number() }),
    lessons: z.array(
      z.object({
        id: z.string(),
        title: z.string(),
        severity: severitySchema,
        staleness: anchorStateSchema,
      }),
    ),
  })
  .describe('Lessons anchored to this code (get_lesson reads one).');

export const lessonViewSchema = z.object({
  id: z.string(),
  title: z.string(),
  content: z.string(),
  tags: z.array(z.string()),
  severity: severitySchema,
  repository: z.string().nullable(),
  agent: z.string().nullable(),
  anchors: z.array(anchorViewSchema),
  staleness: anchorStateSchema.nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});

export const checkpointViewSchema = z.object({
  id: z.string(),
  agent: z.string(),
  workingOn: z.string(),
  state: jsonObjectSchema,
  repository: z.string().nullable(),
  sessionId: z.string().nullable(),
  status: z.enum(['in_progress', 'done']),
  createdAt: z.string(),
});

export const agentStatusViewSchema = z.object({
  agent: z.string(),
  status: z.enum(['idle', 'in_progress']),
  currentTask: z.string().nullable(),
  lastCheckpointId: z.string().nullable(),
  updatedAt: z.string().nullable(),
});

export const indexProgressViewSchema = z.object({
  filesSeen: z.number(),
  filesIndexed: z.number(),
  filesUnchanged: z.number(),
  filesSkipped: z.number(),
  filesSkippedSecret: z
    .number()
    .describe(
      'Of filesSkipped, files never read because their names suggest secrets (.env, keys).',
    ),
  filesSkippedExcluded: z
    .number()
    .describe(
      'Paths passed over by the built-in default excludes (node_modules/, top-level dist/, lock files…); a directory counts once and is not entered.',
    ),
  excludedBy: z
    .record(z.string(), z.number())
    .describe('filesSkippedExcluded by the default exclude pattern that matched.'),
  filesFailed: z.number(),
  filesDeleted: z.number(),
  chunksWritten: z.number(),
  chunksPendingEmbedding: z.number(),
});

export const indexJobViewSchema = z.object({
  id: z.string(),
  repository: z.string(),
  rootPath: z.string(),
  mode: z.enum(['incremental', 'full']),
  state: z.enum(['queued', 'running', 'succeeded', 'failed', 'cancelled']),
  progress: indexProgressViewSchema,
  createdAt: z.string(),
  startedAt: z.string().nullable(),
  finishedAt: z.string().nullable(),
  error: z.string().nullable(),
});

export const indexerStatusViewSchema = z.object({
  jobsRunning: z.number(),
  jobsQueued: z.number(),
  watchedRoots: z.array(z.string()),
  embeddingBacklog: z.number(),
  indexLagSeconds: z.number(),
});

export const repositoryViewSchema = z.object({
  name: z.string(),
  rootPath: z.string(),
  lastIndexedAt: z.string().nullable(),
  state: z.enum(['ok', 'missing']).optional(),
});

export type LessonView = z.input<typeof lessonViewSchema>;
export type CheckpointView = z.input<typeof checkpointViewSchema>;
export type IndexJobView = z.input<typeof indexJobViewSchema>;

// ---- Lesson and checkpoint inputs ----------------------------------------------------------

export const lessonTitleSchema = storedTextSchema('title', limits.lessonTitleLength).describe(
  'The advice, in one line.',
);

export const lessonContentSchema = storedTextSchema('content', limits.lessonContentLength).describe(
  'What happened, why, what to do instead (Markdown).',
);

export const lessonTagsSchema = z
  .array(tagSchema)
  .max(limits.lessonTags)
  .describe('Keywords for filtering.');

export const lessonRepoSchema = storedTextSchema('repository', limits.repositoryLength).describe(
  'Repository it is about, if any.',
);

/** The deprecated `repo` spelling of a `repository` argument (see `deprecatedSearchFields`). */
export function repoAlias(schema: z.ZodType = repoFilterSchema): {
  repo: { current: 'repository'; schema: z.ZodType };
} {
  return { repo: { current: 'repository', schema } };
}

/** A `repository` argument, also given as the deprecated `repo`; both at once must agree. */
export function repositoryArgument(args: {
  repository?: string | undefined;
  [key: string]: unknown;
}): string | undefined {
  return aliased(args.repository, deprecatedArgument(args, 'repo'), 'repository and repo');
}

/**
 * A `repository` argument that may be null (to clear it), also given as the deprecated `repo`;
 * both at once must agree.
 */
export function nullableRepositoryArgument(args: {
  repository?: string | null | undefined;
  [key: string]: unknown;
}): string | null | undefined {
  const deprecated = args.repo === null ? null : deprecatedArgument(args, 'repo');
  if (args.repository === undefined) return deprecated;
  if (deprecated !== undefined && deprecated !== args.repository) {
    throw new NellieError(
      'INVALID_INPUT',
      'Give repository and repo once (they are the same field).',
    );
  }
  return args.repository;
}

/** `repository:path[#symbol][:start[-end]]`, e.g. `shop:src/upload.ts#retryUpload`. */
const anchorPattern = /^([^:]+):([^#:]+)(?:#([^:]+))?(?::(\d+)(?:-(\d+))?)?$/;

export const lessonAnchorsSchema = z
  .array(z.string().regex(anchorPattern, 'write repository:path[#symbol][:start-end]'))
  .max(20)
  .describe('Code it is about: repository:path[#symbol][:start-end].');

/** Reads `repository:path[#symbol][:start[-end]]` anchors (already checked by the schema). */
export function parseAnchors(anchors: readonly string[]): AnchorInput[] {
  return anchors.map((anchor) => {
    const [, repository, path, symbol, start, end] = anchorPattern.exec(anchor)!;
    return {
      repository: repository!,
      path: path!,
      ...(symbol === undefined ? {} : { symbol }),
      ...(start === undefined ? {} : { startLine: Number(start) }),
      ...(end === undefined ? {} : { endLine: Number(end) }),
    };
  });
}

export const stalenessFilterSchema = z.array(anchorStateSchema).max(anchorStates.length);

export const checkpointStatusSchema = z.enum(['in_progress', 'done']);
