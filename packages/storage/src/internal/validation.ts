import { NellieError, type EmbeddingModelInfo } from '@nellie/core';
import {
  agentFilterSchema,
  languageFilterSchema,
  pathGlobFilterSchema,
  repositoryFilterSchema,
  searchLimitSchema,
  severitySchema,
  stalenessFilterSchema,
  tagsFilterSchema,
} from '@nellie/schemas';
import { z } from 'zod';

// The store's search requests: the fields every interface accepts (@nellie/schemas), plus what
// only a programmatic caller passes (a query vector, an abort signal). The query text itself is
// checked by checkQuery(): it may be empty when a vector is given.

const signalSchema = z.custom<AbortSignal>(
  (value) => value === undefined || value instanceof AbortSignal,
  'signal must be an AbortSignal',
);

const vectorSchema = z.custom<Float32Array>(
  (value) => value instanceof Float32Array,
  'queryVector must be a Float32Array',
);

const queryTextSchema = z.string({ error: 'query must be a string' });

export const codeSearchRequestSchema = z.strictObject({
  query: queryTextSchema,
  queryVector: vectorSchema.optional(),
  limit: searchLimitSchema,
  signal: signalSchema.optional(),
  repository: repositoryFilterSchema.optional(),
  pathGlob: pathGlobFilterSchema.optional(),
  language: languageFilterSchema.optional(),
});

export const lessonSearchRequestSchema = z.strictObject({
  query: queryTextSchema,
  queryVector: vectorSchema.optional(),
  limit: searchLimitSchema,
  tags: tagsFilterSchema.optional(),
  severity: severitySchema.optional(),
  repository: repositoryFilterSchema.optional(),
  agent: agentFilterSchema.optional(),
  staleness: stalenessFilterSchema.optional(),
});

export const checkpointSearchRequestSchema = z.strictObject({
  query: queryTextSchema,
  queryVector: vectorSchema.optional(),
  limit: searchLimitSchema,
  agent: agentFilterSchema.optional(),
  repository: repositoryFilterSchema.optional(),
});

/**
 * Checks a query: non-empty text or a vector, and a vector that fits the store's model.
 * Throws INVALID_INPUT with what to do.
 */
export function checkQuery(
  query: string,
  vector: Float32Array | undefined,
  model: EmbeddingModelInfo | null,
  maxQueryLength: number,
): void {
  if (query.length > maxQueryLength) {
    throw new NellieError(
      'INVALID_INPUT',
      `The query is ${query.length} characters long; at most ${maxQueryLength} are accepted. Search for the distinctive words or identifiers instead of pasting large text.`,
    );
  }
  if (vector === undefined) {
    if (query.trim() === '') {
      throw new NellieError(
        'INVALID_INPUT',
        'The query is empty: give words or identifiers to search for (an empty query is only allowed together with queryVector).',
      );
    }
    return;
  }
  if (!model) {
    throw new NellieError(
      'INVALID_INPUT',
      'This store was opened without an embedding model, so it cannot search by vector: omit queryVector, or open the store with the embedding option.',
    );
  }
  if (vector.length !== model.dimensions) {
    throw new NellieError(
      'INVALID_INPUT',
      `queryVector has ${vector.length} dimensions but the store holds ${model.dimensions}-dimensional vectors of ${model.modelId}: embed the query with the same model.`,
    );
  }
  let norm = 0;
  for (let index = 0; index < vector.length; index += 1) {
    const value = vector[index]!;
    if (!Number.isFinite(value)) {
      throw new NellieError(
        'INVALID_INPUT',
        `queryVector holds a non-finite value (${value}) at index ${index}; the embedder produced an invalid vector.`,
      );
    }
    norm += value * value;
  }
  if (norm === 0) {
    throw new NellieError(
      'INVALID_INPUT',
      'queryVector is all zeros, so it has no direction to compare.',
    );
  }
}

/** Checks that a vector to store fits the model and holds only finite, not-all-zero values. */
export function checkStoredVector(
  vector: unknown,
  model: EmbeddingModelInfo,
  position: number,
  contentHash: string,
): Float32Array {
  if (!(vector instanceof Float32Array)) {
    throw new NellieError(
      'INVALID_INPUT',
      `Item ${position} (${contentHash}): vector must be a Float32Array.`,
    );
  }
  if (vector.length !== model.dimensions) {
    throw new NellieError(
      'DIMENSION_MISMATCH',
      `Item ${position} (${contentHash}): the vector has ${vector.length} dimensions but the store holds ${model.dimensions}-dimensional vectors of ${model.modelId}. Nothing of this batch was written.`,
    );
  }
  let norm = 0;
  for (let index = 0; index < vector.length; index += 1) {
    const value = vector[index]!;
    if (!Number.isFinite(value)) {
      throw new NellieError(
        'INVALID_INPUT',
        `Item ${position} (${contentHash}): the vector holds a non-finite value (${value}) at index ${index}. Nothing of this batch was written.`,
      );
    }
    norm += value * value;
  }
  if (norm === 0) {
    throw new NellieError(
      'INVALID_INPUT',
      `Item ${position} (${contentHash}): the vector is all zeros. Nothing of this batch was written.`,
    );
  }
  return vector;
}

export const contentHashPattern = /^[0-9a-f]{64}$/;
