import type { EmbeddingModelInfo } from '@nellie/core';
import { checkQuery } from '@nellie/storage/store-kit';
import type { CodeRepositoryStore } from './code-store.ts';
import type { Database } from './database.ts';
import { textConfig } from './schema.ts';
import type { VectorIndex } from './vectors.ts';

/** What every search checks a request against. */
export interface SearchOptions {
  embeddingModel: EmbeddingModelInfo | null;
  maxQueryLength: number;
}

/** What the searching parts of the store share. */
export interface SearchContext {
  database: Database;
  /** The quoted schema. */
  s: string;
  /** The text search configuration, as a SQL expression. */
  config: string;
  code: CodeRepositoryStore;
  vectors: VectorIndex | null;
  options: SearchOptions;
}

export function createSearchContext(
  database: Database,
  code: CodeRepositoryStore,
  vectors: VectorIndex | null,
  options: SearchOptions,
): SearchContext {
  return {
    database,
    s: database.schema,
    config: textConfig(database.schemaName),
    code,
    vectors,
    options,
  };
}

/** Checks a search's text and vector against the store's model and query length limit. */
export function checkSearchQuery(
  context: SearchContext,
  request: { query: string; queryVector?: Float32Array | undefined },
): void {
  checkQuery(
    request.query,
    request.queryVector,
    context.options.embeddingModel,
    context.options.maxQueryLength,
  );
}
