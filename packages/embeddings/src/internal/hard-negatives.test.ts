import { describe, expect, it } from 'vitest';
import { epochOrder, type TokenizedPair } from './contrastive.ts';
import {
  keywordMissWeights,
  keywordNeighbours,
  keywordRanks,
  withNeighbours,
} from './hard-negatives.ts';

const pair = (query: number[], code: number[]): TokenizedPair => ({
  query: Int32Array.from(query),
  code: Int32Array.from(code),
});

// Token ids stand for words: 1 parse, 2 header, 3 line, 4 join, 5 path, 6 split, 7 read, 8 file,
// 9 write, 10 return; 20+ are filler tokens that make the codes long enough to rank apart.
const pairs = [
  pair([1, 2], [1, 2, 3, 6, 10, 20]), // 0: parse header
  pair([1, 2], [1, 3, 6, 10, 21, 22]), // 1: parse line (shares "parse")
  pair([4, 5], [4, 5, 10, 23, 24, 25]), // 2: join path
  pair([7, 8], [7, 8, 10, 26, 27, 28]), // 3: read file
  pair([9, 8], [9, 8, 2, 10, 29, 30]), // 4: write file (shares "file" and "header")
  pair([2, 1], [1, 2, 3, 6, 10, 20]), // 5: the name pair of 0 (same code)
];

describe('keywordNeighbours', () => {
  it('ranks the other codes by BM25 for the query, never a pair with the same code', () => {
    const neighbours = keywordNeighbours(pairs, 3);
    // "parse header": code 1 has "parse", code 4 has "header"; code 5 is 0's own code.
    expect(Array.from(neighbours[0]!)).toEqual([1, 4]);
    expect(Array.from(neighbours[5]!)).toEqual([1, 4]);
    // "read file": only code 4 shares a word.
    expect(Array.from(neighbours[3]!)).toEqual([4]);
    // "join path" matches no other code.
    expect(Array.from(neighbours[2]!)).toEqual([]);
  });

  it('keeps at most `count` neighbours, one per distinct code', () => {
    const withCopy = [...pairs, pair([6], [1, 3, 6, 10, 21, 22])];
    const neighbours = keywordNeighbours(withCopy, 1);
    expect(neighbours.every((list) => list.length <= 1)).toBe(true);
    // Pairs 1 and 6 share a code: pair 0's neighbour list names that code once.
    expect(
      Array.from(keywordNeighbours(withCopy, 5)[0]!).filter((i) => i === 1 || i === 6),
    ).toEqual([1]);
  });

  it('returns no neighbours when turned off', () => {
    expect(keywordNeighbours(pairs, 0).every((list) => list.length === 0)).toBe(true);
  });
});

describe('withNeighbours', () => {
  it('places each pair before its neighbours not placed yet, and keeps every pair once', () => {
    const neighbours = keywordNeighbours(pairs, 3);
    const order = Uint32Array.from([3, 0, 2, 1, 4, 5]);
    const grouped = withNeighbours(order, neighbours, 2);
    // 3 brings 4; 0 brings 1 (its best neighbour); 2 has none; 5's neighbours are placed.
    expect(Array.from(grouped)).toEqual([3, 4, 0, 1, 2, 5]);
    expect(Array.from(withNeighbours(order, neighbours, 4)).sort()).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('is a seeded permutation: the same seed and epoch give the same order', () => {
    const neighbours = keywordNeighbours(pairs, 2);
    const first = withNeighbours(epochOrder(pairs.length, 7, 1), neighbours, 3);
    const again = withNeighbours(epochOrder(pairs.length, 7, 1), neighbours, 3);
    expect(Array.from(first)).toEqual(Array.from(again));
    expect(new Set(first).size).toBe(pairs.length);
  });

  it('leaves the order alone with groups of one', () => {
    const order = epochOrder(pairs.length, 1, 0);
    expect(withNeighbours(order, keywordNeighbours(pairs, 2), 1)).toBe(order);
  });
});

describe('keywordRanks', () => {
  it("gives each pair its own code's BM25 rank among the distinct codes", () => {
    const ranks = Array.from(keywordRanks(pairs));
    // "parse header" (0, 5): its code holds both words, first. "parse header" of pair 1 is
    // answered better by code 0 (both words) than by its own (only "parse"): second.
    expect(ranks[0]).toBe(1);
    expect(ranks[5]).toBe(1);
    expect(ranks[1]).toBe(2);
    expect(ranks[2]).toBe(1);
    expect(ranks[3]).toBe(1);
  });

  it('ranks last a code that shares no token with its query', () => {
    const lost = [...pairs, pair([40, 41], [42, 43, 10, 44])];
    // Six distinct codes (pairs 0 and 5 share one): the lost code comes last.
    expect(keywordRanks(lost)[6]).toBe(6);
  });
});

describe('keywordMissWeights', () => {
  it('weighs pairs by 1 + strength × (1 − 1 / rank), all 1 when turned off', () => {
    expect(Array.from(keywordMissWeights(pairs, 2))).toEqual([1, 2, 1, 1, 1, 1]);
    expect(Array.from(keywordMissWeights(pairs, 0))).toEqual([1, 1, 1, 1, 1, 1]);
  });
});
