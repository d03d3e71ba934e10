import { existsSync } from 'node:fs';
import { NellieError, noopLogger, type Logger } from '@nellie/core';
import { z } from 'zod';
import { openDatabase } from './internal/database.ts';
import { dropEmbeddings } from './internal/embedding-store.ts';
import { removeIndexFiles } from './internal/vector-index.ts';

export const resetEmbeddingsOptionsSchema = z.object({
  /** How long to wait for another process's write lock. */
  busyTimeoutMs: z.number().int().min(0).max(600_000).default(5_000),
});

export type ResetEmbeddingsOptions = z.input<typeof resetEmbeddingsOptionsSchema> & {
  logger?: Logger;
};

/**
 * Drops every vector a store holds and forgets its embedding model, so it can be opened with
 * another model. Chunks, lessons and checkpoints stay; all of them are queued for embedding
 * again, and lexical search keeps working meanwhile. Stop other processes using the store first.
 */
export function resetEmbeddings(
  path: string,
  options: ResetEmbeddingsOptions = {},
): Promise<{ removedVectors: number }> {
  try {
    return Promise.resolve(resetNow(path, options));
  } catch (error) {
    return Promise.reject(error instanceof Error ? error : new Error(String(error)));
  }
}

function resetNow(path: string, options: ResetEmbeddingsOptions): { removedVectors: number } {
  const result = resetEmbeddingsOptionsSchema.safeParse(options);
  if (!result.success) {
    throw new NellieError('INVALID_OPTIONS', z.prettifyError(result.error), {
      cause: result.error,
    });
  }
  if (typeof path !== 'string' || path === '' || path === ':memory:') {
    throw new NellieError('INVALID_INPUT', 'Give the path of an existing database file.');
  }
  if (!existsSync(path)) {
    throw new NellieError('NOT_FOUND', `No database at ${path}; nothing to reset.`);
  }
  const opened = openDatabase({
    path,
    readonly: false,
    busyTimeoutMs: result.data.busyTimeoutMs,
    mmapSizeBytes: 0,
    logger: options.logger ?? noopLogger,
  });
  try {
    const removedVectors = dropEmbeddings(opened.db);
    if (opened.file) removeIndexFiles(opened.file);
    return { removedVectors };
  } finally {
    opened.db.close();
  }
}
