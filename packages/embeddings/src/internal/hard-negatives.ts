/**
 * Keyword-mined hard negatives for contrastive tuning: for each pair, the other pairs whose code
 * a BM25 search for the pair's query ranks highest. Batches built from a pair and its keyword
 * neighbours make the table learn what keyword search gets wrong — code that shares the query's
 * words but is not the answer — instead of telling apart random functions, which BM25 already
 * does. Token ids stand in for words (the static model's tokenizer, identifiers split).
 */
import type { TokenizedPair } from './contrastive.ts';

/** BM25's usual constants. */
const k1 = 1.2;
const b = 0.75;

/**
 * BM25 over the pairs' codes: calls `visit` once per pair, in order, with the scores of every code
 * for that pair's query and the codes that scored (the scores of the others are 0). The arrays
 * are reused: `visit` must not keep them.
 */
function forEachQueryScores(
  pairs: readonly TokenizedPair[],
  visit: (self: number, scores: Float64Array, touched: readonly number[]) => void,
): void {
  const size = pairs.length;
  const postings = new Map<number, { docs: number[]; frequencies: number[] }>();
  let totalLength = 0;
  pairs.forEach((pair, doc) => {
    totalLength += pair.code.length;
    const frequencies = new Map<number, number>();
    for (const id of pair.code) frequencies.set(id, (frequencies.get(id) ?? 0) + 1);
    for (const [id, frequency] of frequencies) {
      let list = postings.get(id);
      if (!list) {
        list = { docs: [], frequencies: [] };
        postings.set(id, list);
      }
      list.docs.push(doc);
      list.frequencies.push(frequency);
    }
  });
  const averageLength = totalLength / size;
  const lengthNorm = Float64Array.from(
    pairs,
    (pair) => k1 * (1 - b + (b * pair.code.length) / averageLength),
  );

  const scores = new Float64Array(size);
  const touched: number[] = [];
  pairs.forEach((pair, self) => {
    for (const id of new Set(pair.query)) {
      const list = postings.get(id);
      if (!list) continue;
      const df = list.docs.length;
      const idf = Math.log(1 + (size - df + 0.5) / (df + 0.5));
      for (let at = 0; at < df; at += 1) {
        const doc = list.docs[at]!;
        const frequency = list.frequencies[at]!;
        if (scores[doc] === 0) touched.push(doc);
        scores[doc]! += (idf * frequency * (k1 + 1)) / (frequency + lengthNorm[doc]!);
      }
    }
    visit(self, scores, touched);
    for (const doc of touched) scores[doc] = 0;
    touched.length = 0;
  });
}

/**
 * For each pair, up to `count` indices of other pairs in BM25 order of their code for the
 * pair's query. Pairs with the same code as the pair (a function's doc and name pairs) are never
 * its neighbours: they are not negatives.
 */
export function keywordNeighbours(pairs: readonly TokenizedPair[], count: number): Int32Array[] {
  if (count <= 0 || pairs.length < 2) return pairs.map(() => new Int32Array(0));
  const codeGroup = sameCodeGroups(pairs);
  const result: Int32Array[] = [];
  forEachQueryScores(pairs, (self, scores, touched) => {
    // The best codes, one per distinct code (a doc and a name pair of one function count once).
    const best: number[] = [];
    for (const doc of touched) {
      if (codeGroup[doc] === codeGroup[self]) continue;
      const twin = best.findIndex((other) => codeGroup[other] === codeGroup[doc]);
      if (twin >= 0) {
        if (!ranksBefore(scores, doc, best[twin]!)) continue;
        best.splice(twin, 1);
      }
      let at = best.length;
      while (at > 0 && ranksBefore(scores, doc, best[at - 1]!)) at -= 1;
      if (at < count) best.splice(at, 0, doc);
      if (best.length > count) best.pop();
    }
    result.push(Int32Array.from(best));
  });
  return result;
}

/**
 * For each pair, where a BM25 search for its query ranks its own code among the pairs' distinct
 * codes: 1 + the number of other codes that score higher (ties count for the pair); a code that
 * shares no token with its query ranks last, as keyword search cannot find it at all.
 */
export function keywordRanks(pairs: readonly TokenizedPair[]): Int32Array {
  const ranks = new Int32Array(pairs.length);
  if (pairs.length === 0) return ranks;
  const codeGroup = sameCodeGroups(pairs);
  const groups = new Set(codeGroup).size;
  const groupBest = new Map<number, number>();
  forEachQueryScores(pairs, (self, scores, touched) => {
    const own = scores[self]!;
    groupBest.clear();
    for (const doc of touched) {
      const group = codeGroup[doc]!;
      if (group === codeGroup[self]) continue;
      groupBest.set(group, Math.max(groupBest.get(group) ?? 0, scores[doc]!));
    }
    if (own === 0) {
      ranks[self] = groups;
      return;
    }
    let above = 0;
    for (const score of groupBest.values()) if (score > own) above += 1;
    ranks[self] = 1 + above;
  });
  return ranks;
}

/**
 * The weight of each pair in the loss when misses of keyword search count more: 1 + `strength` ×
 * (1 − 1 / rank), with `rank` from `keywordRanks()` — 1 for a pair BM25 already answers first,
 * nearly 1 + `strength` for one it ranks far down. 0 turns it off (every weight 1).
 */
export function keywordMissWeights(
  pairs: readonly TokenizedPair[],
  strength: number,
): Float64Array {
  if (strength <= 0) return new Float64Array(pairs.length).fill(1);
  return Float64Array.from(keywordRanks(pairs), (rank) => 1 + strength * (1 - 1 / rank));
}

/** Higher score first; the lower index breaks ties, so the result does not depend on the visit order. */
function ranksBefore(scores: Float64Array, doc: number, other: number): boolean {
  return scores[doc]! > scores[other]! || (scores[doc] === scores[other] && doc < other);
}

/** The same number for pairs whose code tokens are identical. */
function sameCodeGroups(pairs: readonly TokenizedPair[]): Int32Array {
  const groups = new Map<string, number>();
  return Int32Array.from(pairs, (pair) => {
    const key = pair.code.join(',');
    let group = groups.get(key);
    if (group === undefined) {
      group = groups.size;
      groups.set(key, group);
    }
    return group;
  });
}

/**
 * An epoch's order with each pair followed by its keyword neighbours: walks `order` and, for
 * each pair not placed yet, places it and then up to `groupSize - 1` of its neighbours not placed
 * yet. The result is a permutation of `order`, so every pair is still trained once per epoch.
 */
export function withNeighbours(
  order: Uint32Array,
  neighbours: readonly Int32Array[],
  groupSize: number,
): Uint32Array {
  if (groupSize <= 1) return order;
  const placed = new Uint8Array(order.length);
  const result = new Uint32Array(order.length);
  let next = 0;
  for (const seed of order) {
    if (placed[seed]) continue;
    placed[seed] = 1;
    result[next++] = seed;
    let added = 1;
    for (const neighbour of neighbours[seed] ?? []) {
      if (added >= groupSize) break;
      if (placed[neighbour]) continue;
      placed[neighbour] = 1;
      result[next++] = neighbour;
      added += 1;
    }
  }
  return result;
}
