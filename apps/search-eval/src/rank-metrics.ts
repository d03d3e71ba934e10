export interface Expectation {
  /** Path relative to the corpus root. */
  path: string;
  /** A line the hit must cover; without it any hit in the file counts. */
  line?: number;
}

export interface EvalQuery {
  query: string;
  kind: 'natural' | 'identifier';
  expect: Expectation[];
}

export interface RankedHit {
  path: string;
  startLine: number;
  endLine: number;
}

export function isRelevant(hit: RankedHit, expectations: readonly Expectation[]): boolean {
  return expectations.some(
    (expectation) =>
      hit.path === expectation.path &&
      (expectation.line === undefined ||
        (hit.startLine <= expectation.line && expectation.line <= hit.endLine)),
  );
}

/** 1-based rank of the first relevant hit, or null. */
export function firstRelevantRank(
  hits: readonly RankedHit[],
  expectations: readonly Expectation[],
): number | null {
  const index = hits.findIndex((hit) => isRelevant(hit, expectations));
  return index === -1 ? null : index + 1;
}

export interface QualitySummary {
  queries: number;
  mrrAt10: number;
  hitAt1: number;
  hitAt5: number;
  hitAt10: number;
}

/** Each query's reciprocal rank, 0 beyond rank 10: the scores MRR@10 is the mean of. */
export function reciprocalRanksAt10(ranks: readonly (number | null)[]): number[] {
  return ranks.map((rank) => (rank !== null && rank <= 10 ? 1 / rank : 0));
}

export function summarise(ranks: readonly (number | null)[]): QualitySummary {
  const count = ranks.length || 1;
  const within = (k: number): number =>
    ranks.filter((rank) => rank !== null && rank <= k).length / count;
  return {
    queries: ranks.length,
    mrrAt10: reciprocalRanksAt10(ranks).reduce((sum, value) => sum + value, 0) / count,
    hitAt1: within(1),
    hitAt5: within(5),
    hitAt10: within(10),
  };
}
