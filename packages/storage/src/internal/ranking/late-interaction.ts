import { lateInteraction } from './settings.ts';

/**
 * Scores candidate texts against the query at the token level (late interaction over a static
 * table's token vectors, `@nellie/embeddings`' `StaticTokenScorer`); NaN for a text it cannot
 * score. Bound to the query by the caller.
 */
export type TokenScores = (texts: readonly string[]) => ArrayLike<number>;

interface Candidate {
  row: { content: string };
  score: number;
  /** What the vector list added to `score` (before the share: weight × normalised similarity). */
  vectorContribution?: number;
}

/**
 * Re-scores the best `lateInteraction.candidates` fused candidates with token-level scores,
 * min-max normalised over them: either added with `lateInteraction.share` of the fused scale
 * (2), or, with `replaceVector`, in place of the vector list's contribution (`vectorWeight`
 * times the normalised score). Candidates further down and those the scorer cannot score keep
 * their fused score. Changes `fused` in place.
 */
export function addTokenScores(
  fused: Candidate[],
  tokenScores: TokenScores,
  vectorWeight: number,
): void {
  const { candidates, share, replaceVector } = lateInteraction;
  if (candidates <= 0 || (!replaceVector && share <= 0)) return;
  const best = [...fused].sort((a, b) => b.score - a.score).slice(0, candidates);
  const scores = tokenScores(best.map((candidate) => candidate.row.content));
  let high = -Infinity;
  let low = Infinity;
  for (let index = 0; index < best.length; index += 1) {
    const score = scores[index]!;
    if (Number.isNaN(score)) continue;
    high = Math.max(high, score);
    low = Math.min(low, score);
  }
  if (high === -Infinity) return;
  const range = high - low;
  best.forEach((candidate, index) => {
    const score = scores[index]!;
    if (Number.isNaN(score)) return;
    const scaled = range > 0 ? (score - low) / range : 1;
    if (replaceVector) {
      candidate.score += vectorWeight * scaled - (candidate.vectorContribution ?? 0);
    } else {
      candidate.score += 2 * share * scaled;
    }
  });
}
