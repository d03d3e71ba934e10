import { semanticSearchState } from '@nellie/core';
import { z } from 'zod';
import {
  describeIndexer,
  describeRepositories,
  repositoryView,
} from '../internal/describe-index.ts';
import { plural } from '../internal/format.ts';
import { indexerStatusViewSchema, repositoryViewSchema } from '../internal/schemas.ts';
import { defineTool, readOnly } from '../internal/tool.ts';

const outputSchema = z.object({
  version: z.string(),
  counts: z.object({
    repositories: z.number(),
    files: z.number(),
    chunks: z.number(),
    chunksWithVectors: z.number(),
    chunksPendingEmbedding: z.number(),
    lessons: z.number(),
    checkpoints: z.number(),
  }),
  database: z.object({
    schemaVersion: z.number(),
    bytes: z.number(),
    embeddingModel: z.object({ modelId: z.string(), dimensions: z.number() }).nullable(),
  }),
  model: z.object({
    state: z.enum(['loading', 'ready', 'disabled', 'failed']),
    modelId: z.string(),
    dimensions: z.number().optional(),
    source: z.string().optional(),
    message: z.string().optional(),
  }),
  semanticSearch: z.object({
    enabled: z.boolean(),
    message: z
      .string()
      .describe('Why semantic search is off and how to enable it, or which model serves it.'),
  }),
  repositories: z.array(repositoryViewSchema),
  indexer: indexerStatusViewSchema.nullable().describe('Null when this process runs no indexer.'),
});

export const getStatusTool = defineTool({
  name: 'get_status',
  config: {
    title: 'Nellie status',
    description:
      'Counts, indexer state, and whether semantic search is on (and how to enable it). Call it when results look stale or empty.',
    inputSchema: z.strictObject({}),
    outputSchema,
    annotations: readOnly,
  },
  createHandler: (deps) => async () => {
    const [stats, repositories] = await Promise.all([
      deps.store.stats(),
      deps.store.listRepositorySummaries?.() ?? deps.store.listRepositories(),
    ]);
    const model = deps.modelStatus();
    const semantic = semanticSearchState({ ...deps, modelStatus: () => model });
    const indexer = deps.indexer?.status() ?? null;

    const modelLine =
      `Model: ${model.state}, ${model.modelId}` +
      (model.dimensions === undefined ? '' : ` (${model.dimensions} dimensions)`) +
      (model.source === undefined ? '' : ` from ${model.source}`);
    const vectors =
      stats.embeddingModel === null
        ? 'vectors disabled'
        : `${stats.chunksWithVectors} with vectors, ${stats.chunksPendingEmbedding} awaiting embeddings`;
    const lines = [
      `Nellie ${deps.version}`,
      modelLine,
      semantic.message,
      `Index: ${plural(stats.repositories, 'repository', 'repositories')}, ` +
        `${plural(stats.files, 'file')}, ${plural(stats.chunks, 'chunk')} (${vectors}).`,
      `Memory: ${plural(stats.lessons, 'lesson')}, ${plural(stats.checkpoints, 'checkpoint')}.`,
      describeRepositories(repositories),
      indexer === null
        ? 'Indexer: not running in this process (indexing tools are unavailable here).'
        : describeIndexer(indexer),
    ];
    return {
      text: lines.join('\n'),
      data: {
        version: deps.version,
        counts: {
          repositories: stats.repositories,
          files: stats.files,
          chunks: stats.chunks,
          chunksWithVectors: stats.chunksWithVectors,
          chunksPendingEmbedding: stats.chunksPendingEmbedding,
          lessons: stats.lessons,
          checkpoints: stats.checkpoints,
        },
        database: {
          schemaVersion: stats.schemaVersion,
          bytes: stats.databaseBytes,
          embeddingModel: stats.embeddingModel,
        },
        model,
        semanticSearch: { enabled: semantic.enabled, message: semantic.message },
        repositories: repositories.map(repositoryView),
        indexer,
      },
    };
  },
});
