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
 * For each pair, up to `count` indices of other pairs in BM25 order of their code for the
 * pair's query. Pairs with the same code as the pair (a function's doc and name pairs) are never
 * its neighbours: they are not negatives.
 */
export function keywordNeighbours(pairs: readonly TokenizedPair[], count: number): Int32Array[] {
  const size = pairs.length;
  if (count <= 0 || size < 2) return pairs.map(() => new Int32Array(0));
  const codeGroup = sameCodeGroups(pairs);
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
  return pairs.map((pair, self) => {
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
    for (const doc of touched) scores[doc] = 0;
    touched.length = 0;
    return Int32Array.from(best);
  });
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
