/**
 * Scoring of semble's code-search benchmark, rule for rule as its authors score it
 * (`benchmarks/metrics.py` and `benchmarks/data.py` of MinishLab/semble):
 *
 * - every entry of `relevant + secondary` is a target; duplicates are kept and weigh the same;
 * - a target's rank is the first hit whose path matches (equal, or either path ends with `/` and
 *   the other) and, when the target has a line span, whose lines overlap it;
 * - NDCG@k with binary gains: each rank counts once however many targets it satisfies, and the
 *   ideal is `min(k, number of targets)`.
 */

/** A file (and optionally a line span) that answers a query. */
export interface Target {
  path: string;
  startLine?: number;
  endLine?: number;
}

/** A ranked search hit as the scoring sees it: a chunk of a file. */
export interface ScoredHit {
  path: string;
  startLine: number;
  endLine: number;
}

export function pathMatches(filePath: string, targetPath: string): boolean {
  const file = filePath.replaceAll('\\', '/');
  const target = targetPath.replaceAll('\\', '/');
  return file === target || file.endsWith(`/${target}`) || target.endsWith(`/${file}`);
}

export function hitCoversTarget(hit: ScoredHit, target: Target): boolean {
  if (!pathMatches(hit.path, target.path)) return false;
  if (target.startLine === undefined || target.endLine === undefined) return true;
  return !(hit.endLine < target.startLine || hit.startLine > target.endLine);
}

/** 1-based rank of the first hit covering the target, or null. */
export function targetRank(hits: readonly ScoredHit[], target: Target): number | null {
  const index = hits.findIndex((hit) => hitCoversTarget(hit, target));
  return index === -1 ? null : index + 1;
}

function discountedGain(relevances: readonly number[]): number {
  return relevances.reduce((sum, relevance, index) => sum + relevance / Math.log2(index + 2), 0);
}

/** NDCG@k from the 1-based ranks of relevant results (repeats allowed) and the target count. */
export function ndcgAtK(relevantRanks: readonly number[], targetCount: number, k: number): number {
  if (targetCount === 0) return 0;
  const relevances = new Array<number>(k).fill(0);
  for (const rank of relevantRanks) {
    if (rank >= 1 && rank <= k) relevances[rank - 1] = 1;
  }
  const ideal = discountedGain(new Array<number>(Math.min(k, targetCount)).fill(1));
  return ideal > 0 ? discountedGain(relevances) / ideal : 0;
}

export interface QueryScore {
  ndcgAt5: number;
  ndcgAt10: number;
  /** Rank of each target that was found, in target order (repeats kept). */
  ranks: number[];
}

/** Scores one query's top hits (only the first 10 are looked at) against its targets. */
export function scoreQuery(hits: readonly ScoredHit[], targets: readonly Target[]): QueryScore {
  const top = hits.slice(0, 10);
  const ranks = targets
    .map((target) => targetRank(top, target))
    .filter((rank): rank is number => rank !== null);
  return {
    ndcgAt5: ndcgAtK(ranks, targets.length, 5),
    ndcgAt10: ndcgAtK(ranks, targets.length, 10),
    ranks,
  };
}
