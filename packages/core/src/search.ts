/** Filters shared by code searches. Unknown repositories or languages simply match nothing. */
export interface SearchFilters {
  /** Repository name or absolute root path. */
  repository?: string;
  /** Glob over the relative path, e.g. `src/**\/*.ts`. */
  pathGlob?: string;
  /** Language id as stored by the indexer, e.g. `typescript`. */
  language?: string;
}

/** How a hit's fused score came about. Ranks are 1-based. */
export interface ScoreBreakdown {
  fused: number;
  lexical?: { rank: number; score: number };
  vector?: { rank: number; similarity: number };
}

export interface RankedList<T> {
  /** Best first. */
  items: readonly T[];
  weight?: number;
}

/**
 * Reciprocal rank fusion: each list adds `weight / (k + rank)` for every item it holds.
 * Items are keyed by `key`; the result is sorted by fused score, best first.
 */
export function reciprocalRankFusion<T>(
  lists: readonly RankedList<T>[],
  key: (item: T) => string | number,
  options: { k?: number } = {},
): { item: T; score: number; ranks: (number | null)[] }[] {
  const k = options.k ?? 60;
  const fused = new Map<string | number, { item: T; score: number; ranks: (number | null)[] }>();
  lists.forEach((list, listIndex) => {
    const weight = list.weight ?? 1;
    list.items.forEach((item, index) => {
      const id = key(item);
      let entry = fused.get(id);
      if (!entry) {
        entry = { item, score: 0, ranks: lists.map(() => null) };
        fused.set(id, entry);
      }
      if (entry.ranks[listIndex] === null) {
        entry.ranks[listIndex] = index + 1;
        entry.score += weight / (k + index + 1);
      }
    });
  });
  return [...fused.values()].sort((a, b) => b.score - a.score);
}
