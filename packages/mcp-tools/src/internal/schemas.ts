import { isAbsolute } from 'node:path';
import { limits, type RepositoryEntry } from '@nellie/core';
import {
  anchorReferencesSchema,
  anchorStateSchema,
  anchorViewSchema,
  jsonObjectSchema,
  repositoryReferenceSchema,
  severitySchema,
  storedTextSchema,
  type repositoryEntrySchema,
} from '@nellie/schemas';
import { z } from 'zod';

// The tools' own argument pieces and answer views. Search arguments and the fields every
// interface shares come from @nellie/schemas.

export const tagSchema = storedTextSchema('tag', limits.tagLength);

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

/** The repository argument of the repository tools and read_file: its name or its root. */
export const repositoryArgSchema = repositoryReferenceSchema.describe(
  'Repository name (see list_repositories) or absolute root path.',
);

// ---- Output views -------------------------------------------------------------------------

/** A repository entry as the tools answer it: the store's id stays inside. */
export function repositoryEntryView({
  id: _id,
  ...entry
}: RepositoryEntry): z.input<typeof repositoryEntrySchema> {
  return entry;
}

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
  anchors: z.array(anchorViewSchema).optional(),
  staleness: anchorStateSchema.optional(),
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

export const lessonAnchorsSchema = anchorReferencesSchema.describe(
  'Code it is about: repository:path[#symbol][:start-end].',
);

export const checkpointStatusSchema = z.enum(['in_progress', 'done']);
