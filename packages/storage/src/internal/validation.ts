import {
  NellieError,
  hasLoneSurrogate,
  anchorStates,
  lessonSeverities,
  limits,
  loneSurrogateMessage,
  type EmbeddingModelInfo,
} from '@nellie/core';
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

/**
 * A text field that is stored: trimmed, non-empty, at most `max` long and well-formed Unicode (a
 * lone surrogate would come back altered from SQLite's UTF-8 storage, so it is refused).
 */
export function storedText(field: string, max: number): z.ZodString {
  return z
    .string({ error: `${field} must be a string` })
    .trim()
    .min(1, `${field} must not be empty`)
    .max(max, `${field} must be at most ${max} characters`)
    .refine((text) => !hasLoneSurrogate(text), loneSurrogateMessage(field));
}

/**
 * A JSON object kept exactly as given. `z.record` would rebuild it by assignment, which turns an
 * own `__proto__` key into a prototype and drops it.
 */
export const jsonObjectSchema = z
  .unknown()
  .refine(
    (value) => typeof value === 'object' && value !== null && !Array.isArray(value),
    'must be a JSON object',
  ) as unknown as z.ZodType<Record<string, unknown>>;

export const idSchema = z
  .string({ error: 'id must be a string' })
  .min(1, 'id must not be empty')
  .max(limits.idLength, `id must be at most ${limits.idLength} characters`);

export const offsetSchema = z
  .number({ error: 'offset must be a number' })
  .int('offset must be a whole number')
  .min(0, 'offset must not be negative')
  .max(limits.offset, `offset must be at most ${limits.offset}`)
  .default(0);

const filterText = (name: string, max: number) =>
  z
    .string({ error: `${name} must be a string` })
    .min(1, `${name} must not be empty (omit it to search everything)`)
    .max(max, `${name} must be at most ${max} characters`);

const queryTextSchema = z.string({ error: 'query must be a string' });

export const codeSearchRequestSchema = z.strictObject({
  query: queryTextSchema,
  queryVector: vectorSchema.optional(),
  limit: limitSchema(limits.searchResults),
  signal: signalSchema.optional(),
  repository: filterText('repository', limits.repositoryLength).optional(),
  pathGlob: filterText('pathGlob', limits.globLength).optional(),
  language: filterText('language', limits.languageLength).optional(),
});

export const lessonSearchRequestSchema = z.strictObject({
  query: queryTextSchema,
  queryVector: vectorSchema.optional(),
  limit: limitSchema(limits.searchResults),
  tags: z
    .array(filterText('tag', limits.tagLength))
    .max(limits.lessonTags, `at most ${limits.lessonTags} tags`)
    .optional(),
  severity: z.enum(lessonSeverities).optional(),
  repository: filterText('repository', limits.repositoryLength).optional(),
  agent: filterText('agent', limits.agentLength).optional(),
  staleness: z.array(z.enum(anchorStates)).max(anchorStates.length).optional(),
});

export const checkpointSearchRequestSchema = z.strictObject({
  query: queryTextSchema,
  queryVector: vectorSchema.optional(),
  limit: limitSchema(limits.searchResults),
  agent: filterText('agent', limits.agentLength).optional(),
  repository: filterText('repository', limits.repositoryLength).optional(),
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
