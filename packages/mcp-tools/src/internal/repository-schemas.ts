import type { RepositoryEntry } from '@nellie/core';
import { z } from 'zod';

export const repositoryArgSchema = z
  .string()
  .trim()
  .min(1)
  .max(4096)
  .describe('Repository name (see list_repositories) or absolute root path.');

export const repositoryEntrySchema = z.object({
  name: z.string(),
  rootPath: z.string(),
  files: z.number(),
  chunks: z.number(),
  chunksWithVectors: z.number(),
  lastIndexedAt: z.string().nullable(),
  watched: z.boolean().nullable(),
  state: z.enum(['ok', 'missing']).describe('`missing`: the root directory no longer exists.'),
});

export function repositoryEntryView(entry: RepositoryEntry): z.input<typeof repositoryEntrySchema> {
  return {
    name: entry.name,
    rootPath: entry.rootPath,
    files: entry.files,
    chunks: entry.chunks,
    chunksWithVectors: entry.chunksWithVectors,
    lastIndexedAt: entry.lastIndexedAt,
    watched: entry.watched,
    state: entry.state,
  };
}
