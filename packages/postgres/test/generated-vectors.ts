import { inject } from 'vitest';
import type { PostgresStoreOptions } from '../src/index.ts';

/** The Debian PostgreSQL server without pgvector, where vectors are served in the process. */
export const serverWithoutPgvector = inject('postgresWithoutPgvector');

/** Deterministic pseudo-random numbers (mulberry32). */
export function generator(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `count` reproducible random vectors of `dimensions` components in [-1, 1). */
export function randomVectors(count: number, seed: number, dimensions: number): Float32Array[] {
  const next = generator(seed);
  return Array.from({ length: count }, () =>
    Float32Array.from({ length: dimensions }, () => next() * 2 - 1),
  );
}

/**
 * Options of a store on `schema` of the server without pgvector, holding generated vectors of
 * `dimensions` in memory, with the in-process HNSW index above `exactThreshold` vectors.
 */
export function inMemoryVectorStore(
  schema: string,
  dimensions: number,
  memoryIndex: NonNullable<PostgresStoreOptions['memoryIndex']>,
) {
  return {
    connectionString: serverWithoutPgvector,
    schema,
    embedding: { modelId: 'generated-vectors', dimensions },
    vectorIndex: 'memory' as const,
    memoryIndex,
  };
}
