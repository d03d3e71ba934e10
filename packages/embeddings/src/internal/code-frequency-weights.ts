/**
 * SIF weights that also know code: distillation weights each row by a / (a + p) with p a Zipf
 * estimate from the token's rank in an English vocabulary, so code's own frequent tokens —
 * punctuation, `self`, `return`, `const` — keep the large weights of rare English words and
 * dominate a chunk's mean. Counting the tokens of real code gives their true frequency; taking
 * the larger of the two estimates lowers the weight of what is frequent in either prose or code,
 * and leaves the weight of every other token as it was.
 */
import { zipfSifWeights } from './pca.ts';

/**
 * A copy of a table distilled with Zipf SIF weights (`coefficient` a), each row rescaled from
 * a / (a + p_zipf) to a / (a + max(p_zipf, p_code)), with p_code the token's share of the tokens
 * of `codes`. Rows of tokens no more frequent in code than the Zipf estimate are unchanged.
 */
export function codeFrequencyWeighted(
  table: Float32Array,
  rows: number,
  dimensions: number,
  codes: readonly Int32Array[],
  coefficient: number,
): { table: Float32Array; rescaledRows: number } {
  const counts = new Float64Array(rows);
  let total = 0;
  for (const ids of codes) {
    for (const id of ids) counts[id]! += 1;
    total += ids.length;
  }
  const zipf = zipfSifWeights(rows, coefficient);
  const weighted = Float32Array.from(table);
  let rescaledRows = 0;
  if (total === 0) return { table: weighted, rescaledRows };
  for (let row = 0; row < rows; row += 1) {
    const zipfProbability = coefficient / zipf[row]! - coefficient;
    const codeProbability = counts[row]! / total;
    if (codeProbability <= zipfProbability) continue;
    const scale = (coefficient + zipfProbability) / (coefficient + codeProbability);
    const offset = row * dimensions;
    for (let column = 0; column < dimensions; column += 1) weighted[offset + column]! *= scale;
    rescaledRows += 1;
  }
  return { table: weighted, rescaledRows };
}
