import { limits, reciprocalRankFusion, type ScoreBreakdown } from '@nellie/core';
import { cosine, rankLexically } from './ranking.ts';
import type { MemoryState } from './state.ts';
import { invalid } from './validation.ts';

/** Checks a search query and its optional vector against the store's model. */
export function checkQuery(
  state: MemoryState,
  query: unknown,
  vector: unknown,
): Float32Array | undefined {
  const { embeddingModel } = state;
  if (typeof query !== 'string') throw invalid('query must be a string.');
  if (query.length > limits.queryLength) {
    throw invalid(`The query is ${query.length} characters long; at most ${limits.queryLength}.`);
  }
  if (vector === undefined) {
    if (query.trim() === '') throw invalid('The query is empty.');
    return undefined;
  }
  if (!(vector instanceof Float32Array)) throw invalid('queryVector must be a Float32Array.');
  if (!embeddingModel) throw invalid('This store has no embedding model; omit queryVector.');
  if (vector.length !== embeddingModel.dimensions) {
    throw invalid(
      `queryVector has ${vector.length} dimensions; the store holds ${embeddingModel.dimensions}.`,
    );
  }
  if (vector.some((value) => !Number.isFinite(value))) {
    throw invalid('queryVector holds a non-finite value.');
  }
  if (vector.every((value) => value === 0)) throw invalid('queryVector is all zeros.');
  return vector;
}

/** Lexical and vector rankings fused; an item without a stored vector ranks lexically only. */
export function fuse<T>(
  state: MemoryState,
  query: string,
  queryVector: Float32Array | undefined,
  candidates: readonly T[],
  key: (item: T) => string | number,
  textOf: (item: T) => string,
  hashOf: (item: T) => string,
  limit: number,
  exactName?: (item: T) => string | null,
): { item: T; score: number; scores: ScoreBreakdown }[] {
  const { vectors } = state;
  const lexical = query.trim() === '' ? [] : rankLexically(query, candidates, textOf, exactName);
  const byVector = queryVector
    ? candidates
        .filter((item) => vectors.has(hashOf(item)))
        .map((item) => ({ item, similarity: cosine(queryVector, vectors.get(hashOf(item))!) }))
        .sort((a, b) => b.similarity - a.similarity)
    : [];
  const lexicalRank = new Map(lexical.map((entry, index) => [key(entry.item), { index, entry }]));
  const vectorRank = new Map(byVector.map((entry, index) => [key(entry.item), { index, entry }]));
  return reciprocalRankFusion(
    [{ items: lexical.map((entry) => entry.item) }, { items: byVector.map((entry) => entry.item) }],
    key,
  )
    .slice(0, limit)
    .map(({ item, score }) => {
      const scores: ScoreBreakdown = { fused: score };
      const lexicalEntry = lexicalRank.get(key(item));
      if (lexicalEntry) {
        scores.lexical = { rank: lexicalEntry.index + 1, score: lexicalEntry.entry.score };
      }
      const vectorEntry = vectorRank.get(key(item));
      if (vectorEntry) {
        scores.vector = { rank: vectorEntry.index + 1, similarity: vectorEntry.entry.similarity };
      }
      return { item, score, scores };
    });
}
