import type { ScoreBreakdown } from '@nellie/core';

/** The score breakdown of one fused entry: lists are [lexical, vector]. */
export function breakdown(
  entry: { item: number; score: number; ranks: (number | null)[] },
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
