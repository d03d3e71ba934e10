/**
 * How a static model turns token ids into a vector, shared by the embedder and by tuning (which
 * must train exactly what the embedder computes): the token list is cut at `maxTokens`, tokens
 * without meaning ([UNK], [PAD], ids past the table) are dropped, and the rows of the rest summed.
 */

/** Characters kept per token before tokenising; the token list is then cut at `maxTokens`. */
export const charsPerToken = 32;

/** Marks the ids a text's vector ignores: the model's skip list; ids ≥ rows are ignored too. */
export function skipMask(rows: number, skipTokenIds: readonly number[]): Uint8Array {
  const skip = new Uint8Array(rows);
  for (const id of skipTokenIds) if (id < rows) skip[id] = 1;
  return skip;
}

/** The ids that count: the first `maxTokens` ids (cut before skipping), less the skipped ones. */
export function meaningfulTokenIds(
  ids: readonly number[],
  skip: Uint8Array,
  maxTokens: number,
): Int32Array {
  const limit = Math.min(ids.length, maxTokens);
  const kept = new Int32Array(limit);
  let count = 0;
  for (let index = 0; index < limit; index += 1) {
    const id = ids[index]!;
    if (id < skip.length && skip[id] !== 1) kept[count++] = id;
  }
  return kept.subarray(0, count);
}

/**
 * Sums the table rows of `ids` into `into` (overwritten), each times its token's entry of
 * `weights` when given (a model's query-side weights); returns the sum's L2 norm.
 */
export function sumTokenRows(
  table: Float32Array,
  dimensions: number,
  ids: Int32Array,
  into: Float32Array,
  weights?: Float32Array,
): number {
  into.fill(0);
  for (const id of ids) {
    const offset = id * dimensions;
    if (weights) {
      const weight = weights[id]!;
      for (let column = 0; column < dimensions; column += 1)
        into[column]! += weight * table[offset + column]!;
    } else {
      for (let column = 0; column < dimensions; column += 1)
        into[column]! += table[offset + column]!;
    }
  }
  let squares = 0;
  for (let column = 0; column < dimensions; column += 1) squares += into[column]! * into[column]!;
  return Math.sqrt(squares);
}

/**
 * Breaks camelCase and PascalCase identifiers into words: `parseHTTPHeader2` → `parse HTTP
 * Header2`. snake_case needs nothing: the tokenizer already splits at `_`.
 */
export function splitIdentifiers(text: string): string {
  return text.replace(/([a-z0-9])(?=[A-Z])/g, '$1 ').replace(/([A-Z])(?=[A-Z][a-z])/g, '$1 ');
}
