import { isAbsolute } from 'node:path';
import { hasLoneSurrogate, lessonSeverities, limits, loneSurrogateMessage } from '@nellie/core';
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
  .describe(`How many items to skip (for paging), at most ${limits.offset}.`);

export function limitSchema(defaultValue: number, max: number): z.ZodDefault<z.ZodNumber> {
  return z
    .number()
    .int()
    .min(1)
    .max(max)
    .default(defaultValue)
    .describe(`How many results to return, 1 to ${max} (default ${defaultValue}).`);
}

export const querySchema = z
  .string()
  .trim()
  .min(1, 'query must not be empty')
  .max(limits.queryLength)
  .describe('What to look for: natural language, identifiers or keywords.');

export const idSchema = z.string().trim().min(1).max(limits.idLength);

export const repoFilterSchema = z
  .string()
  .trim()
  .min(1)
  .max(limits.repositoryLength)
  .describe('Repository name or absolute root path to restrict to.');

export const tagSchema = storedTextSchema('tag', limits.tagLength);

export const severitySchema = z.enum(lessonSeverities);

export const agentSchema = storedTextSchema('agent', limits.agentLength).describe(
  'Agent name, e.g. `claude-code` or `reviewer-2`; use the same name every time.',
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

export const searchModeSchema = z
  .enum(['hybrid', 'keyword'])
  .describe('`hybrid`: keyword and semantic ranking fused; `keyword`: keyword matches only.');

export const lessonViewSchema = z.object({
  id: z.string(),
  title: z.string(),
  content: z.string(),
  tags: z.array(z.string()),
  severity: severitySchema,
  repo: z.string().nullable(),
  agent: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});

export const checkpointViewSchema = z.object({
  id: z.string(),
  agent: z.string(),
  workingOn: z.string(),
  state: jsonObjectSchema,
  repo: z.string().nullable(),
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
  'One line stating the lesson, e.g. "Run migrations before seeding the test DB".',
);

export const lessonContentSchema = storedTextSchema('content', limits.lessonContentLength).describe(
  'The lesson itself: what happened, why, and what to do instead. Markdown is fine.',
);

export const lessonTagsSchema = z
  .array(tagSchema)
  .max(limits.lessonTags)
  .describe('Short keywords for filtering, e.g. ["testing", "postgres"].');

export const lessonRepoSchema = storedTextSchema('repo', limits.repositoryLength).describe(
  'Repository the lesson is about (name or path); omit for general lessons.',
);

export const checkpointStatusSchema = z.enum(['in_progress', 'done']);
