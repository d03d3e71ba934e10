import { z } from 'zod';
import { codeLocationFields } from './fields.ts';

// The repository operations (list, remove, rename, read an indexed file): the fields their
// requests share and the shapes of their answers, so REST and MCP answer alike.

/** A repository named by its name or its absolute root path. */
export const repositoryReferenceSchema = z.string().trim().min(1).max(4096);

/** A name given to a repository (rename); names are unique. */
export const repositoryNameSchema = z.string().trim().min(1).max(200);

/** A file of a repository, as indexed: relative to the repository root. */
export const repositoryFilePathSchema = z
  .string()
  .min(1)
  .max(4096)
  .describe('Path relative to the repository root.');

/** A line number of a file, 1-based. */
export const lineNumberSchema = z.number().int().min(1).max(100_000_000);

/** An indexed repository with its counts, root state and whether this server watches it. */
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

/** Every indexed repository, by name. */
export const repositoryListSchema = z.object({ repositories: z.array(repositoryEntrySchema) });

/** The answer to a rename: the new name, the root and the name it replaced. */
export const renamedRepositorySchema = z.object({
  name: z.string(),
  rootPath: z.string(),
  previousName: z.string(),
});

/** Lines of an indexed file, with where they are and whether the file changed since indexing. */
export const fileExcerptSchema = z.object({
  ...codeLocationFields,
  totalLines: z.number().int(),
  truncated: z.boolean(),
  changedSinceIndexed: z.boolean(),
  content: z.string(),
});
