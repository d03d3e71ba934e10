import { describe, expect, it } from 'vitest';
import { reciprocalRankFusion } from './search.ts';

describe('reciprocalRankFusion', () => {
  it('ranks items found by both lists above items found by one', () => {
    const fused = reciprocalRankFusion(
      [{ items: ['a', 'b', 'c'] }, { items: ['c', 'd', 'a'] }],
      (item) => item,
    );
    expect(fused.map((entry) => entry.item)).toEqual(['a', 'c', 'b', 'd']);
    expect(fused[0]?.ranks).toEqual([1, 3]);
    expect(fused[2]?.ranks).toEqual([2, null]);
  });

  it('applies list weights and the k constant', () => {
    const fused = reciprocalRankFusion(
      [{ items: ['x'], weight: 2 }, { items: ['y'] }],
      (item) => item,
      { k: 0 },
    );
    expect(fused).toEqual([
      { item: 'x', score: 2, ranks: [1, null] },
      { item: 'y', score: 1, ranks: [null, 1] },
    ]);
  });

  it('counts an item once per list even when a list repeats it', () => {
    const [only] = reciprocalRankFusion([{ items: ['a', 'a'] }], (item) => item, { k: 0 });
    expect(only?.score).toBe(1);
  });
});
