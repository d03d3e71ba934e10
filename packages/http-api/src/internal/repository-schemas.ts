import { readFileLimits } from '@nellie/core';
import { z } from 'zod';
import { schemaRegistry } from './schemas.ts';

export const repositoryEntrySchema = z.object({
  name: z.string(),
  rootPath: z.string(),
  files: z.number().int(),
  chunks: z.number().int(),
  chunksWithVectors: z.number().int(),
  createdAt: z.string(),
  lastIndexedAt: z.string().nullable(),
  watched: z.boolean().nullable().describe('Null when this server runs no indexer.'),
  state: z.enum(['ok', 'missing']).describe('`missing`: the root directory no longer exists.'),
});
schemaRegistry.add(repositoryEntrySchema, { id: 'RepositoryEntry' });

export const repositoryListSchema = z.object({ repositories: z.array(repositoryEntrySchema) });

export const repositoryNameParams = z.strictObject({ name: z.string().min(1).max(200) });

export const repositoryRenameSchema = z.strictObject({
  name: z.string().trim().min(1).max(200).describe('The new, unique name.'),
});

export const renamedRepositorySchema = z.object({
  name: z.string(),
  rootPath: z.string(),
  previousName: z.string(),
});

const line = z.coerce.number().int().min(1).max(100_000_000);

export const fileReadQuerySchema = z.strictObject({
  path: z.string().min(1).max(4096).describe('Path relative to the repository root.'),
  start: line.optional().describe('First line, 1-based (default 1).'),
  end: line
    .optional()
    .describe(
      `Last line, inclusive; at most ${readFileLimits.maxLines} lines and 64 KB come back per call.`,
    ),
});

export const fileExcerptSchema = z.object({
  repository: z.string(),
  rootPath: z.string(),
  path: z.string(),
  absolutePath: z.string(),
  startLine: z.number().int(),
  endLine: z.number().int(),
  totalLines: z.number().int(),
  truncated: z.boolean(),
  changedSinceIndexed: z.boolean(),
  content: z.string(),
});
schemaRegistry.add(fileExcerptSchema, { id: 'FileExcerpt' });
