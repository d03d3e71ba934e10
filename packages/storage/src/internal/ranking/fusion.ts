import { reciprocalRankFusion, type ScoreBreakdown } from '@nellie/core';
import { isSymbolQuery } from './hit-ranking.ts';
import { memoryFusion } from './settings.ts';

export interface FusedEntry {
  item: number;
  score: number;
  ranks: (number | null)[];
}

/**
 * Fuses the full-text and vector rankings of a lesson or checkpoint search (ids, best first) by
 * weighted reciprocal rank fusion; the weights depend on whether `query` looks like an identifier.
 */
export function fuseLexicalAndVector(
  lexicalIds: readonly number[],
  vectorIds: readonly number[],
  query: string,
): FusedEntry[] {
  const vectorShare = isSymbolQuery(query)
    ? memoryFusion.vectorShareForSymbols
    : memoryFusion.vectorShare;
  return reciprocalRankFusion<number>(
    [
      { items: lexicalIds, weight: 2 * (1 - vectorShare) },
      { items: vectorIds, weight: 2 * vectorShare },
    ],
    (id) => id,
    { k: memoryFusion.k },
  );
}

/** The score breakdown of one fused entry: ranks are [lexical, vector]. */
export function breakdown(
  entry: FusedEntry,
  lexicalScores: ReadonlyMap<number, number>,
  similarities: ReadonlyMap<number, number>,
): ScoreBreakdown {
  const scores: ScoreBreakdown = { fused: entry.score };
  const [lexicalRank, vectorRank] = entry.ranks;
  if (lexicalRank !== null && lexicalRank !== undefined) {
    scores.lexical = { rank: lexicalRank, score: lexicalScores.get(entry.item) ?? 0 };
  }
  if (vectorRank !== null && vectorRank !== undefined) {
    scores.vector = { rank: vectorRank, similarity: similarities.get(entry.item) ?? 0 };
  }
  return scores;
}
