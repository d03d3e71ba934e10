import { describe, expect, it } from 'vitest';
import { firstRelevantRank, reciprocalRanksAt10, summarise } from './rank-metrics.ts';

describe('search quality metrics', () => {
  const hits = [
    { path: 'a.js', startLine: 1, endLine: 10 },
    { path: 'b.js', startLine: 20, endLine: 30 },
  ];

  it('matches by path and, when given, by a covered line', () => {
    expect(firstRelevantRank(hits, [{ path: 'b.js' }])).toBe(2);
    expect(firstRelevantRank(hits, [{ path: 'b.js', line: 25 }])).toBe(2);
    expect(firstRelevantRank(hits, [{ path: 'b.js', line: 31 }])).toBeNull();
    expect(firstRelevantRank(hits, [{ path: 'c.js' }, { path: 'a.js', line: 10 }])).toBe(1);
  });

  it('computes MRR@10 and hit rates', () => {
    expect(summarise([1, 2, null, 11])).toEqual({
      queries: 4,
      mrrAt10: (1 + 0.5) / 4,
      hitAt1: 0.25,
      hitAt5: 0.5,
      hitAt10: 0.5,
    });
  });

  it('gives each query its reciprocal rank, nothing past rank 10', () => {
    expect(reciprocalRanksAt10([1, 4, null, 10, 11])).toEqual([1, 0.25, 0, 0.1, 0]);
  });
});
