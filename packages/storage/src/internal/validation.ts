import { NellieError, lessonSeverities, limits, type EmbeddingModelInfo } from '@nellie/core';
import { z } from 'zod';

/** Parses `value` or throws INVALID_INPUT naming what was wrong. */
export function parseInput<T extends z.ZodType>(
  schema: T,
  value: unknown,
  what: string,
): z.output<T> {
  const result = schema.safeParse(value);
  if (!result.success) {
    throw new NellieError('INVALID_INPUT', `Invalid ${what}: ${z.prettifyError(result.error)}`, {
      cause: result.error,
    });
  }
  return result.data;
}

const signalSchema = z.custom<AbortSignal>(
  (value) => value === undefined || value instanceof AbortSignal,
  'signal must be an AbortSignal',
);

const vectorSchema = z.custom<Float32Array>(
  (value) => value instanceof Float32Array,
  'queryVector must be a Float32Array',
);

/** Search limit: 1..max, default 10. */
export function limitSchema(max: number, fallback = 10): z.ZodDefault<z.ZodNumber> {
  return z
    .number({ error: 'limit must be a number' })
    .int('limit must be a whole number')
    .min(1, `limit must be between 1 and ${max}`)
    .max(max, `limit must be between 1 and ${max}`)
    .default(fallback);
}

const filterText = (name: string, max: number) =>
  z
    .string({ error: `${name} must be a string` })
    .min(1, `${name} must not be empty (omit it to search everything)`)
    .max(max, `${name} must be at most ${max} characters`);

const queryTextSchema = z.string({ error: 'query must be a string' });

export const codeSearchRequestSchema = z.strictObject({
  query: queryTextSchema,
  queryVector: vectorSchema.optional(),
  limit: limitSchema(100),
  signal: signalSchema.optional(),
  repository: filterText('repository', 4096).optional(),
  pathGlob: filterText('pathGlob', limits.globLength).optional(),
  language: filterText('language', 100).optional(),
});

export const lessonSearchRequestSchema = z.strictObject({
  query: queryTextSchema,
  queryVector: vectorSchema.optional(),
  limit: limitSchema(100),
  tags: z.array(filterText('tag', 200)).max(50).optional(),
  severity: z.enum(lessonSeverities).optional(),
  repo: filterText('repo', 4096).optional(),
  agent: filterText('agent', 200).optional(),
});

export const checkpointSearchRequestSchema = z.strictObject({
  query: queryTextSchema,
  queryVector: vectorSchema.optional(),
  limit: limitSchema(100),
  agent: filterText('agent', 200).optional(),
  repo: filterText('repo', 4096).optional(),
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
