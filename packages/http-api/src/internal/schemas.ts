import { isAbsolute } from 'node:path';
import {
  NellieError,
  anchorStates,
  hasLoneSurrogate,
  lessonSeverities,
  limits,
  loneSurrogateMessage,
  searchDefaults,
  searchGroupings,
  searchLimits,
  searchModes,
  searchRequestModes,
} from '@nellie/core';
import { z } from 'zod';

/** Named schemas; the OpenAPI generator turns them into `components.schemas`. */
export const schemaRegistry = z.registry<{ id: string }>();

function named<S extends z.ZodType>(id: string, schema: S): S {
  schemaRegistry.add(schema, { id });
  return schema;
}

// ---- shared pieces ----
// Every maximum comes from `limits` in @nellie/core, so REST accepts exactly what the store and
// the MCP tools accept.

const text = (max: number) => z.string().trim().min(1).max(max);
/** Text that is stored: as `text`, and well-formed Unicode (SQLite would alter a lone surrogate). */
const storedText = (field: string, max: number) =>
  text(max).refine((value) => !hasLoneSurrogate(value), loneSurrogateMessage(field));
/**
 * A JSON object passed through exactly as sent: `z.record` rebuilds objects by assignment, which
 * drops an own `__proto__` key.
 */
const jsonObject = z
  .unknown()
  .refine(
    (value) => typeof value === 'object' && value !== null && !Array.isArray(value),
    'must be a JSON object',
  )
  .meta({ type: 'object', additionalProperties: {} }) as unknown as z.ZodType<
  Record<string, unknown>
>;
const searchLimit = z
  .number()
  .int()
  .min(1)
  .max(searchLimits.limit)
  .default(searchDefaults.limit)
  .describe(`How many results (1-${searchLimits.limit}, default ${searchDefaults.limit}).`);
const repoFilter = z.string().min(1).max(limits.repositoryLength);
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

export const errorBodySchema = named(
  'Error',
  z.object({
    error: z.object({
      code: z.string().describe('Stable machine-readable code, e.g. INVALID_INPUT, NOT_FOUND.'),
      message: z.string().describe('What went wrong and what to do, for a person to read.'),
    }),
  }),
);

export const scoreBreakdownSchema = named(
  'ScoreBreakdown',
  z.object({
    fused: z.number(),
    lexical: z.object({ rank: z.number().int(), score: z.number() }).optional(),
    vector: z.object({ rank: z.number().int(), similarity: z.number() }).optional(),
  }),
);

// ---- search: the request and answer vocabulary shared with MCP and the CLI (see @nellie/core) ----

const requestMode = z
  .enum([...searchRequestModes, 'lexical'])
  .default(searchDefaults.mode)
  .describe(
    '`auto` (default): keyword and semantic ranking when semantic search is on, keyword otherwise; ' +
      '`keyword`: keyword matches only. `lexical` is a deprecated alias of `keyword`.',
  );

/** Fields every search request has. */
const searchRequest = {
  query: text(searchLimits.queryLength).describe('Natural language or identifiers.'),
  limit: searchLimit,
  mode: requestMode,
};

const repositoryFilter = repoFilter.describe('Repository name or absolute root path.');
/** `repo` shipped in 0.1 for lessons and checkpoints; `repository` replaces it. */
const deprecatedRepo = repoFilter
  .optional()
  .meta({ deprecated: true })
  .describe('Deprecated alias of `repository`.');
/** The repository a lesson or checkpoint is about, as written; null clears it. */
const storedRepository = storedText('repository', limits.repositoryLength).nullable().optional();
const deprecatedStoredRepo = storedText('repo', limits.repositoryLength)
  .nullable()
  .optional()
  .meta({ deprecated: true })
  .describe('Deprecated alias of `repository`.');

/**
 * Reads a request's repository given as `repository` or as the deprecated `repo` (both at once
 * must agree), and returns the other fields with the repository under its current name.
 */
export function withRepository<Body extends { repository?: unknown; repo?: unknown }>(
  body: Body,
): Omit<Body, 'repo' | 'repository'> & { repository?: Exclude<Body['repository'], undefined> } {
  const { repository, repo, ...rest } = body;
  if (repository !== undefined && repo !== undefined && repository !== repo) {
    throw new NellieError(
      'INVALID_INPUT',
      'Give repository and repo once (they are the same field).',
    );
  }
  const value = (repository !== undefined ? repository : repo) as
    Exclude<Body['repository'], undefined> | undefined;
  return value === undefined ? rest : { ...rest, repository: value };
}

/** Fields every search answer has. */
const searchAnswer = {
  query: z.string(),
  mode: z
    .enum(searchModes)
    .describe('`hybrid` when keyword and semantic ranking were fused; `keyword` otherwise.'),
  notice: z.string().optional().describe('Why the search was keyword-only, when it was.'),
};

/** The request mode with the deprecated `lexical` spelling read as `keyword`. */
export function requestedMode(mode: 'auto' | 'keyword' | 'lexical'): 'auto' | 'keyword' {
  return mode === 'lexical' ? 'keyword' : mode;
}

// ---- anchors ----

const anchorState = z.enum(anchorStates);

export const anchorSchema = named(
  'Anchor',
  z.object({
    repository: z.string(),
    path: z.string(),
    symbol: z.string().nullable(),
    startLine: z.number().int(),
    endLine: z.number().int(),
    contentHash: z.string().describe('sha256 of the anchored code when anchored or confirmed.'),
    state: anchorState,
    change: z
      .object({
        linesAdded: z.number().int(),
        linesRemoved: z.number().int(),
        signatureChanged: z.boolean(),
      })
      .nullable()
      .describe('How the code differs from when it was anchored (state changed).'),
    movedFrom: z.string().nullable().describe('The path it was anchored at, once moved.'),
    origin: z.enum(['explicit', 'automatic']),
    checkedAt: z.string(),
  }),
);

const anchorInput = z.strictObject({
  repository: repoFilter.describe('Name or root path of an indexed repository.'),
  path: z.string().min(1).max(limits.globLength).describe('Indexed file, relative to the root.'),
  symbol: z.string().min(1).max(512).optional().describe('A symbol defined in that file.'),
  startLine: z.number().int().min(1).optional(),
  endLine: z.number().int().min(1).optional(),
});

const anchorInputs = z
  .array(anchorInput)
  .max(20)
  .describe(
    'Code the lesson is about. Files and identifiers named in the title and content are anchored too when they resolve to exactly one place.',
  );

export const codeMemoriesSchema = named(
  'CodeMemories',
  z.object({
    count: z.number().int(),
    severities: z.object({
      critical: z.number().int(),
      warning: z.number().int(),
      info: z.number().int(),
    }),
    lessons: z.array(
      z.object({
        id: z.string(),
        title: z.string(),
        severity: z.enum(lessonSeverities),
        staleness: anchorState,
      }),
    ),
  }),
);

// ---- code ----

export const codeSearchBodySchema = z.strictObject({
  ...searchRequest,
  repository: repositoryFilter.optional(),
  pathGlob: z
    .string()
    .min(1)
    .max(limits.globLength)
    .optional()
    .describe('Glob over the relative path, e.g. src/**/*.ts.'),
  language: z
    .string()
    .min(1)
    .max(limits.languageLength)
    .optional()
    .describe('Language id, e.g. typescript.'),
  groupBy: z
    .enum(searchGroupings)
    .default('chunk')
    .describe(
      '`chunk` (default): one hit per chunk; `file`: one hit per file with its best chunks.',
    ),
});

export const codeSearchHitSchema = named(
  'CodeSearchHit',
  z.object({
    chunkId: z.number().int(),
    repository: z.string(),
    rootPath: z.string(),
    path: z.string(),
    absolutePath: z.string(),
    startLine: z.number().int(),
    endLine: z.number().int(),
    symbolName: z.string().nullable(),
    symbolKind: z.string().nullable(),
    enclosingSymbol: z.string().nullable(),
    language: z.string().nullable(),
    content: z.string(),
    score: z.number(),
    scores: scoreBreakdownSchema,
    freshness: z.object({
      indexedAt: z.string(),
      changedSinceIndexed: z.boolean().nullable(),
    }),
    memories: codeMemoriesSchema.optional().describe('Lessons anchored to this code.'),
  }),
);

export const codeFileHitSchema = named(
  'CodeFileHit',
  z.object({
    repository: z.string(),
    rootPath: z.string(),
    path: z.string(),
    absolutePath: z.string(),
    language: z.string().nullable(),
    score: z.number().describe("The score of the file's best chunk."),
    chunks: z.array(codeSearchHitSchema).describe("The file's best chunks, best first."),
  }),
);

export const codeSearchResultSchema = z.object({
  ...searchAnswer,
  groupBy: z.enum(searchGroupings),
  hits: z
    .union([z.array(codeSearchHitSchema), z.array(codeFileHitSchema)])
    .describe('Chunks (`groupBy: chunk`) or files (`groupBy: file`), best first.'),
});

// ---- lessons ----

const severity = z.enum(lessonSeverities);
const tags = z.array(storedText('tag', limits.tagLength)).max(limits.lessonTags);

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
  title: storedText('title', limits.lessonTitleLength),
  content: storedText('content', limits.lessonContentLength),
  tags: tags.optional(),
  severity: severity.optional().describe('Defaults to info.'),
  repository: storedRepository.describe('Repository the lesson is about; null for none.'),
  repo: deprecatedStoredRepo,
  agent: storedText('agent', limits.agentLength).nullable().optional(),
  anchors: anchorInputs.optional(),
  autoAnchor: z.boolean().optional().describe('false: no automatic anchors (default true).'),
});

export const lessonPatchSchema = lessonCreateSchema
  .partial()
  .refine((patch) => Object.keys(patch).length > 0, {
    message:
      'Send at least one field to change (title, content, tags, severity, repository, agent).',
  });

export const lessonSearchSchema = z.strictObject({
  ...searchRequest,
  tags: tags.optional().describe('A lesson matches when it has every one of these tags.'),
  severity: severity.optional(),
  repository: repositoryFilter
    .optional()
    .describe('Lessons recorded for this repository (as named when recorded).'),
  repo: deprecatedRepo,
  agent: agentFilter.optional(),
  staleness: z
    .array(anchorState)
    .max(anchorStates.length)
    .optional()
    .describe('Only lessons whose anchored code is in one of these states.'),
});

export const lessonListQuerySchema = z.object({
  tags: commaList.optional().describe('Lessons having every one of these tags (comma-separated).'),
  severity: severity.optional(),
  repository: repositoryFilter.optional(),
  repo: deprecatedRepo,
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

export const lessonSearchResultSchema = z.object({
  ...searchAnswer,
  hits: z.array(
    named(
      'LessonHit',
      z.object({ lesson: lessonSchema, score: z.number(), scores: scoreBreakdownSchema }),
    ),
  ),
});

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
  }),
);

export const checkpointCreateSchema = z.strictObject({
  agent: storedText('agent', limits.agentLength),
  workingOn: storedText('workingOn', limits.checkpointWorkingOnLength).describe(
    'What the agent is working on, in a sentence.',
  ),
  state: jsonObject
    .optional()
    .describe(
      `Any JSON object the agent wants back when it resumes (at most ${limits.checkpointStateBytes} bytes as JSON).`,
    ),
  repository: storedRepository.describe('Repository the agent works in; null for none.'),
  repo: deprecatedStoredRepo,
  sessionId: storedText('sessionId', limits.sessionIdLength).nullable().optional(),
  status: checkpointStatus
    .optional()
    .describe('Defaults to in_progress; done marks the agent idle.'),
});

export const checkpointRecentQuerySchema = z.object({
  agent: agentFilter.optional(),
  repository: repositoryFilter.optional(),
  repo: deprecatedRepo,
  limit: limit(10, limits.pageSize),
});

export const checkpointSearchSchema = z.strictObject({
  ...searchRequest,
  agent: agentFilter.optional(),
  repository: repositoryFilter
    .optional()
    .describe('Checkpoints saved for this repository (as named when saved).'),
  repo: deprecatedRepo,
});

export const checkpointSearchResultSchema = z.object({
  ...searchAnswer,
  hits: z.array(
    named(
      'CheckpointHit',
      z.object({ checkpoint: checkpointSchema, score: z.number(), scores: scoreBreakdownSchema }),
    ),
  ),
});

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
});
