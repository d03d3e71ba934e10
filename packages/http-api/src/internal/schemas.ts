import { isAbsolute } from 'node:path';
import { limits, readFileLimits } from '@nellie/core';
import {
  anchorInputsSchema,
  anchorStateSchema,
  anchorViewSchema,
  checkpointChangesSchema,
  checkpointFileSchema,
  checkpointGitSchema,
  codeFileHitSchema,
  codeMemoriesSchema,
  codeSearchHitSchema,
  deprecatedRepositoryFilterSchema,
  errorBodySchema as sharedErrorBodySchema,
  fileExcerptSchema,
  jsonObjectSchema,
  repositoryEntrySchema,
  repositoryFilePathSchema,
  repositoryFilterSchema,
  repositoryNameSchema,
  scoreBreakdownSchema as sharedScoreBreakdownSchema,
  searchResponseSchema,
  severitySchema,
  storedTextSchema,
} from '@nellie/schemas';
import { z } from 'zod';

/** Named schemas; the OpenAPI generator turns them into `components.schemas`. */
export const schemaRegistry = z.registry<{ id: string }>();

function named<S extends z.ZodType>(id: string, schema: S): S {
  schemaRegistry.add(schema, { id });
  return schema;
}

// ---- shared pieces ----
// Search requests and answers, and the fields every interface shares, come from @nellie/schemas;
// what is here is REST's own: query-string parameters, path parameters and record views.

const agentFilter = z.string().min(1).max(limits.agentLength);
const limit = (fallback: number, max: number) =>
  z.coerce
    .number()
    .int()
    .min(1)
    .max(max)
    .default(fallback)
    .describe(`How many items to return (1-${max}, default ${fallback}).`);
const idParam = z.strictObject({ id: z.string().min(1).max(limits.idLength) });
/** Comma-separated list in a query string (`tags=a,b`, or the parameter repeated). */
const commaList = z
  .string()
  .transform((value) =>
    value
      .split(',')
      .map((item) => item.trim())
      .filter((item) => item.length > 0),
  )
  .describe('Comma-separated; the parameter may also be repeated.');

/** The repository a lesson or checkpoint is about, as written; null clears it. */
const storedRepository = storedTextSchema('repository', limits.repositoryLength)
  .nullable()
  .optional();
const deprecatedStoredRepo = storedTextSchema('repo', limits.repositoryLength)
  .nullable()
  .optional()
  .meta({ deprecated: true })
  .describe('Deprecated alias of `repository`.');

export const errorBodySchema = named('Error', sharedErrorBodySchema);

const scoreBreakdownSchema = named('ScoreBreakdown', sharedScoreBreakdownSchema);

// ---- anchors ----

const anchorState = anchorStateSchema;

export const anchorSchema = named(
  'Anchor',
  anchorViewSchema.extend({
    startLine: z.number().int(),
    endLine: z.number().int(),
    contentHash: z.string().describe('sha256 of the anchored code when anchored or confirmed.'),
    change: anchorViewSchema.shape.change.describe(
      'How the code differs from when it was anchored (state changed).',
    ),
    movedFrom: z.string().nullable().describe('The path it was anchored at, once moved.'),
  }),
);

const anchorInputs = anchorInputsSchema.describe(
  'Code the lesson is about. Files and identifiers named in the title and content are anchored too when they resolve to exactly one place.',
);

named('CodeMemories', codeMemoriesSchema);

// ---- code ----

named('CodeSearchHit', codeSearchHitSchema);
named('CodeFileHit', codeFileHitSchema);

// ---- lessons ----

const severity = severitySchema;
const tags = z.array(storedTextSchema('tag', limits.tagLength)).max(limits.lessonTags);

export const lessonSchema = named(
  'Lesson',
  z.object({
    id: z.string(),
    title: z.string(),
    content: z.string(),
    tags: z.array(z.string()),
    severity,
    repository: z.string().nullable(),
    agent: z.string().nullable(),
    anchors: z.array(anchorSchema),
    staleness: anchorState
      .nullable()
      .describe('The worst state of its anchored code; null without anchors.'),
    createdAt: z.string(),
    updatedAt: z.string(),
  }),
);

export const lessonCreateSchema = z.strictObject({
  title: storedTextSchema('title', limits.lessonTitleLength),
  content: storedTextSchema('content', limits.lessonContentLength),
  tags: tags.optional(),
  severity: severity.optional().describe('Defaults to info.'),
  repository: storedRepository.describe('Repository the lesson is about; null for none.'),
  repo: deprecatedStoredRepo,
  agent: storedTextSchema('agent', limits.agentLength).nullable().optional(),
  anchors: anchorInputs.optional(),
  autoAnchor: z.boolean().optional().describe('false: no automatic anchors (default true).'),
});

export const lessonPatchSchema = lessonCreateSchema
  .partial()
  .refine((patch) => Object.keys(patch).length > 0, {
    message:
      'Send at least one field to change (title, content, tags, severity, repository, agent).',
  });

export const lessonListQuerySchema = z.object({
  tags: commaList.optional().describe('Lessons having every one of these tags (comma-separated).'),
  severity: severity.optional(),
  repository: repositoryFilterSchema.optional(),
  repo: deprecatedRepositoryFilterSchema,
  agent: agentFilter.optional(),
  staleness: commaList
    .optional()
    .describe('Only lessons in these states (comma-separated: current,changed,moved,gone).'),
  limit: limit(20, limits.pageSize),
  offset: z.coerce
    .number()
    .int()
    .min(0)
    .max(limits.offset)
    .default(0)
    .describe(`How many lessons to skip (0-${limits.offset}).`),
});

export const lessonPageSchema = z.object({ items: z.array(lessonSchema), total: z.number().int() });

export const lessonSearchResultSchema = searchResponseSchema(
  named(
    'LessonHit',
    z.object({ lesson: lessonSchema, score: z.number(), scores: scoreBreakdownSchema }),
  ),
);

export const lessonIdParams = idParam;

// ---- checkpoints and agents ----

const checkpointStatus = z.enum(['in_progress', 'done']);

export const checkpointSchema = named(
  'Checkpoint',
  z.object({
    id: z.string(),
    agent: z.string(),
    workingOn: z.string(),
    state: z.record(z.string(), z.unknown()),
    repository: z.string().nullable(),
    sessionId: z.string().nullable(),
    status: checkpointStatus,
    createdAt: z.string(),
    git: checkpointGitSchema
      .optional()
      .describe(
        "The repository's git branch (null on a detached HEAD) and commit when the checkpoint was saved; absent without git.",
      ),
    files: z
      .array(checkpointFileSchema)
      .optional()
      .describe(
        'Indexed files of the repository named in workingOn or state, with their sha256 when the checkpoint was saved.',
      ),
    changesSince: checkpointChangesSchema
      .optional()
      .describe(
        'In recent checkpoints: files changed or gone since, how many are unchanged, the git branch and commit now and the commits since.',
      ),
    anchors: z.array(anchorSchema).optional().describe('Code it was anchored to; absent without.'),
    staleness: anchorState
      .optional()
      .describe('The worst state of its anchored code; absent without anchors.'),
  }),
);

export const checkpointCreateSchema = z.strictObject({
  agent: storedTextSchema('agent', limits.agentLength),
  workingOn: storedTextSchema('workingOn', limits.checkpointWorkingOnLength).describe(
    'What the agent is working on, in a sentence.',
  ),
  state: jsonObjectSchema
    .optional()
    .describe(
      `Any JSON object the agent wants back when it resumes (at most ${limits.checkpointStateBytes} bytes as JSON).`,
    ),
  repository: storedRepository.describe('Repository the agent works in; null for none.'),
  repo: deprecatedStoredRepo,
  sessionId: storedTextSchema('sessionId', limits.sessionIdLength).nullable().optional(),
  status: checkpointStatus
    .optional()
    .describe('Defaults to in_progress; done marks the agent idle.'),
  anchors: anchorInputsSchema
    .optional()
    .describe('Code the task is about; reads show whether it changed since (SQLite store only).'),
});

export const checkpointRecentQuerySchema = z.object({
  agent: agentFilter.optional(),
  repository: repositoryFilterSchema.optional(),
  repo: deprecatedRepositoryFilterSchema,
  limit: limit(10, limits.pageSize),
});

export const checkpointSearchResultSchema = searchResponseSchema(
  named(
    'CheckpointHit',
    z.object({ checkpoint: checkpointSchema, score: z.number(), scores: scoreBreakdownSchema }),
  ),
);

export const checkpointIdParams = idParam;

export const agentStatusSchema = named(
  'AgentStatus',
  z.object({
    agent: z.string(),
    status: z.enum(['idle', 'in_progress']),
    currentTask: z.string().nullable(),
    lastCheckpointId: z.string().nullable(),
    updatedAt: z.string().nullable(),
  }),
);

export const agentParams = z.strictObject({ agent: z.string().min(1).max(limits.agentLength) });

// ---- index jobs ----

export const indexJobCreateSchema = z.strictObject({
  path: z
    .string()
    .min(1)
    .refine(isAbsolute, 'Must be an absolute path of a directory on the server.')
    .describe('Absolute path of the repository root on the server.'),
  mode: z
    .enum(['incremental', 'full'])
    .default('incremental')
    .describe('incremental skips unchanged files; full re-reads every file.'),
});

const progress = z.object({
  filesSeen: z.number().int(),
  filesIndexed: z.number().int(),
  filesUnchanged: z.number().int(),
  filesSkipped: z.number().int(),
  filesSkippedSecret: z
    .number()
    .int()
    .describe('Of filesSkipped, files never read because their names suggest secrets.'),
  filesSkippedExcluded: z
    .number()
    .int()
    .describe(
      'Paths passed over by the built-in default excludes (node_modules/, top-level dist/, lock files…); a directory counts once and is not entered.',
    ),
  excludedBy: z
    .record(z.string(), z.number().int())
    .describe('filesSkippedExcluded by the default exclude pattern that matched.'),
  filesFailed: z.number().int(),
  filesDeleted: z.number().int(),
  chunksWritten: z.number().int(),
  chunksPendingEmbedding: z.number().int(),
});

export const indexJobSchema = named(
  'IndexJob',
  z.object({
    id: z.string(),
    repository: z.string(),
    rootPath: z.string(),
    mode: z.enum(['incremental', 'full']),
    state: z.enum(['queued', 'running', 'succeeded', 'failed', 'cancelled']),
    progress,
    createdAt: z.string(),
    startedAt: z.string().nullable(),
    finishedAt: z.string().nullable(),
    error: z.string().nullable(),
  }),
);

export const indexJobIdParams = idParam;

// ---- repositories ----

named('RepositoryEntry', repositoryEntrySchema);
named('FileExcerpt', fileExcerptSchema);

export const repositoryNameParams = z.strictObject({ name: z.string().min(1).max(200) });

export const repositoryRenameSchema = z.strictObject({
  name: repositoryNameSchema.describe('The new, unique name.'),
});

const line = z.coerce.number().int().min(1).max(100_000_000);

export const fileReadQuerySchema = z.strictObject({
  path: repositoryFilePathSchema,
  start: line.optional().describe('First line, 1-based (default 1).'),
  end: line
    .optional()
    .describe(
      `Last line, inclusive; at most ${readFileLimits.maxLines} lines and 64 KB come back per call.`,
    ),
});

// ---- status and audit ----

const modelStatusSchema = named(
  'ModelStatus',
  z.object({
    state: z.enum(['loading', 'ready', 'disabled', 'failed']),
    modelId: z.string(),
    dimensions: z.number().int().optional(),
    source: z.string().optional(),
    message: z.string().optional(),
  }),
);

export const statusSchema = z.object({
  version: z.string(),
  semanticSearch: z.enum(['on', 'off']),
  message: z.string().optional(),
  model: modelStatusSchema,
  store: z.object({
    repositories: z.number().int(),
    files: z.number().int(),
    chunks: z.number().int(),
    chunksWithVectors: z.number().int(),
    chunksPendingEmbedding: z.number().int(),
    lessons: z.number().int(),
    checkpoints: z.number().int(),
    embeddingModel: z.object({ modelId: z.string(), dimensions: z.number().int() }).nullable(),
    schemaVersion: z.number().int(),
    databaseBytes: z.number().int(),
  }),
  missingRepositories: z
    .array(z.object({ name: z.string(), rootPath: z.string() }))
    .describe(
      'Registered repositories whose root directory is gone; DELETE /api/v1/repositories/:name removes one.',
    ),
  indexer: z
    .object({
      jobsRunning: z.number().int(),
      jobsQueued: z.number().int(),
      watchedRoots: z.array(z.string()),
      embeddingBacklog: z.number().int(),
      indexLagSeconds: z.number(),
    })
    .nullable(),
  embeddingQueueDepth: z.number().int(),
  mcpSessions: z.object({ streamableHttp: z.number().int(), sse: z.number().int() }),
});

export const auditQuerySchema = z.object({
  since: z.iso
    .datetime({ offset: true })
    .optional()
    .describe('ISO timestamp; entries at or after it.'),
  actor: z.string().min(1).optional(),
  action: z.string().min(1).optional().describe('e.g. lesson.create, index.start.'),
  limit: limit(100, limits.auditPageSize),
});

export const auditEntrySchema = named(
  'AuditEntry',
  z.object({
    id: z.number().int(),
    at: z.string(),
    actor: z.string(),
    channel: z.enum(['http', 'mcp', 'cli']),
    action: z.string(),
    target: z.string().nullable(),
    details: z.record(z.string(), z.unknown()).nullable(),
  }),
);

export const healthSchema = z.object({
  status: z.enum(['healthy', 'unhealthy']),
  version: z.string(),
  database: z.enum(['ok', 'error']),
});

export const readySchema = z.object({
  status: z.enum(['ready', 'not_ready']),
  version: z.string(),
  database: z.object({
    status: z.enum(['ok', 'error']),
    schemaVersion: z.number().int().optional(),
    message: z.string().optional(),
  }),
  model: modelStatusSchema,
  semanticSearch: z.enum(['on', 'off']),
  message: z.string().optional(),
  missingRepositoryCount: z
    .number()
    .int()
    .optional()
    .describe('How many of the repositories the key sees have lost their root directory.'),
  missingRepositories: z
    .array(z.object({ name: z.string(), rootPath: z.string() }))
    .optional()
    .describe('Those repositories by name and root; given to admin keys only.'),
});
