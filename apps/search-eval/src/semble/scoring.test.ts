import { describe, expect, it } from 'vitest';
import { hitCoversTarget, ndcgAtK, pathMatches, scoreQuery, targetRank } from './scoring.ts';

const log2 = Math.log2;

describe('pathMatches (semble: equal, or either path ends with / + the other)', () => {
  it('matches equal paths and suffixes at a path separator only', () => {
    expect(pathMatches('src/a.ts', 'src/a.ts')).toBe(true);
    expect(pathMatches('src/a.ts', 'packages/x/src/a.ts')).toBe(true);
    expect(pathMatches('packages/x/src/a.ts', 'src/a.ts')).toBe(true);
    expect(pathMatches('xsrc/a.ts', 'src/a.ts')).toBe(false);
    expect(pathMatches('src/a.ts', 'src/a.tsx')).toBe(false);
    expect(pathMatches('src\\a.ts', 'src/a.ts')).toBe(true);
  });
});

describe('hitCoversTarget', () => {
  const hit = { path: 'lib/router.js', startLine: 10, endLine: 20 };
  it('needs any overlap with a target line span, bounds inclusive', () => {
    expect(hitCoversTarget(hit, { path: 'lib/router.js', startLine: 20, endLine: 30 })).toBe(true);
    expect(hitCoversTarget(hit, { path: 'lib/router.js', startLine: 1, endLine: 10 })).toBe(true);
    expect(hitCoversTarget(hit, { path: 'lib/router.js', startLine: 21, endLine: 30 })).toBe(false);
    expect(hitCoversTarget(hit, { path: 'lib/router.js', startLine: 1, endLine: 9 })).toBe(false);
  });
  it('takes the whole file when the target has no span', () => {
    expect(hitCoversTarget(hit, { path: 'router.js' })).toBe(true);
    expect(hitCoversTarget(hit, { path: 'lib/route.js' })).toBe(false);
  });
});

describe('targetRank', () => {
  it('is the 1-based rank of the first covering hit', () => {
    const hits = [
      { path: 'a.py', startLine: 1, endLine: 5 },
      { path: 'b.py', startLine: 1, endLine: 5 },
      { path: 'b.py', startLine: 6, endLine: 9 },
    ];
    expect(targetRank(hits, { path: 'b.py' })).toBe(2);
    expect(targetRank(hits, { path: 'b.py', startLine: 7, endLine: 7 })).toBe(3);
    expect(targetRank(hits, { path: 'c.py' })).toBeNull();
  });
});

describe('ndcgAtK (binary gains, ideal = min(k, targets))', () => {
  it('scores single targets by the log discount of their rank', () => {
    expect(ndcgAtK([1], 1, 10)).toBe(1);
    expect(ndcgAtK([3], 1, 10)).toBeCloseTo(0.5, 12);
    expect(ndcgAtK([2], 1, 10)).toBeCloseTo(1 / log2(3), 12);
  });
  it('divides by the ideal of all targets, found or not', () => {
    // ranks 1 and 3 of two targets: (1 + 1/2) / (1 + 1/log2 3)
    expect(ndcgAtK([1, 3], 2, 10)).toBeCloseTo(1.5 / (1 + 1 / log2(3)), 12);
    // one of three targets found at rank 1
    expect(ndcgAtK([1], 3, 10)).toBeCloseTo(1 / (1 + 1 / log2(3) + 0.5), 12);
  });
  it('counts a rank once even when several targets share it', () => {
    expect(ndcgAtK([2, 2], 2, 10)).toBeCloseTo(1 / log2(3) / (1 + 1 / log2(3)), 12);
  });
  it('caps the ideal at k and ignores ranks beyond k', () => {
    expect(ndcgAtK([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 12, 10)).toBeCloseTo(1, 12);
    expect(ndcgAtK([7], 1, 5)).toBe(0);
    expect(ndcgAtK([1, 7], 2, 5)).toBeCloseTo(1 / (1 + 1 / log2(3)), 12);
  });
  it('is zero without targets', () => {
    expect(ndcgAtK([], 0, 10)).toBe(0);
  });
});

describe('scoreQuery', () => {
  it('keeps duplicate targets in the ideal and looks at the first 10 hits only', () => {
    const hits = Array.from({ length: 12 }, (_, index) => ({
      path: `f${index + 1}.go`,
      startLine: 1,
      endLine: 50,
    }));
    const score = scoreQuery(hits, [{ path: 'f2.go' }, { path: 'f2.go' }, { path: 'f11.go' }]);
    expect(score.ranks).toEqual([2, 2]);
    const ideal = 1 + 1 / log2(3) + 0.5;
    expect(score.ndcgAt10).toBeCloseTo(1 / log2(3) / ideal, 12);
    expect(score.ndcgAt5).toBeCloseTo(1 / log2(3) / ideal, 12);
  });
});
