/**
 * Late interaction over a static table's token rows (ColBERT's MaxSim): each query token's best
 * cosine against the text's tokens (or windows of tokens), averaged over the query with the
 * tokens' weights (a tuned row's length is its token's weight). A text's mean vector blurs the
 * few tokens that match the query; this score keeps them.
 */

export interface LateInteractionOptions {
  /** 0: single tokens; n > 1: the mean of n consecutive tokens (stride n / 2) instead. */
  window: number;
  /** Also score text → query (each text token's best cosine against the query), and average. */
  symmetric: boolean;
  /** Leave out WordPiece continuations (`##er`) on both sides: whole-word tokens only. */
  wordsOnly: boolean;
}

export interface TokenTable {
  table: Float32Array;
  dimensions: number;
  /** Each row's L2 length. */
  norms: Float32Array;
}

/** The row lengths of a table, computed once per model. */
export function rowNorms(table: Float32Array, dimensions: number): Float32Array {
  const rows = Math.floor(table.length / dimensions);
  const norms = new Float32Array(rows);
  for (let row = 0; row < rows; row += 1) {
    let squares = 0;
    const offset = row * dimensions;
    for (let column = 0; column < dimensions; column += 1) {
      const value = table[offset + column]!;
      squares += value * value;
    }
    norms[row] = Math.sqrt(squares);
  }
  return norms;
}

/** A query's tokens, unit length, with their weights; bound once, scored against many texts. */
export class LateInteractionQuery {
  readonly #tokens: TokenTable;
  readonly #units: Float32Array;
  readonly #weights: Float64Array;
  readonly #weightSum: number;
  /** Cosines of each text token id against every query token, shared by the texts scored. */
  readonly #cosines = new Map<number, Float32Array>();

  /**
   * `ids`: the query's meaningful token ids; `queryWeights`: the model's query-side weights,
   * when it has them (multiplied with the row length).
   */
  constructor(tokens: TokenTable, ids: Int32Array, queryWeights?: Float32Array) {
    this.#tokens = tokens;
    const { table, dimensions, norms } = tokens;
    const weightById = new Map<number, number>();
    for (const id of ids) {
      const weight = norms[id]! * (queryWeights?.[id] ?? 1);
      if (norms[id]! > 0) weightById.set(id, (weightById.get(id) ?? 0) + weight);
    }
    const unique = [...weightById.keys()];
    this.#units = new Float32Array(unique.length * dimensions);
    this.#weights = new Float64Array(unique.length);
    let weightSum = 0;
    unique.forEach((id, index) => {
      const norm = norms[id]!;
      for (let column = 0; column < dimensions; column += 1) {
        this.#units[index * dimensions + column] = table[id * dimensions + column]! / norm;
      }
      this.#weights[index] = weightById.get(id)!;
      weightSum += this.#weights[index];
    });
    this.#weightSum = weightSum;
  }

  get size(): number {
    return this.#weights.length;
  }

  /** The score of a text's meaningful token ids; NaN when either side has no token. */
  score(ids: Int32Array, options: LateInteractionOptions): number {
    const count = this.size;
    if (count === 0 || ids.length === 0 || this.#weightSum <= 0) return Number.NaN;
    const best = new Float64Array(count).fill(-1);
    let backward = 0;
    let backwardWeight = 0;
    const take = (cosines: Float32Array, weight: number): void => {
      let bestQuery = -1;
      for (let index = 0; index < count; index += 1) {
        const cosine = cosines[index]!;
        if (cosine > best[index]!) best[index] = cosine;
        if (cosine > bestQuery) bestQuery = cosine;
      }
      backward += weight * bestQuery;
      backwardWeight += weight;
    };
    if (options.window > 1) {
      for (const window of this.#windows(ids, options.window)) take(window.cosines, window.weight);
    } else {
      const { norms } = this.#tokens;
      for (const id of ids) take(this.#tokenCosines(id), norms[id]!);
    }
    let forward = 0;
    for (let index = 0; index < count; index += 1) forward += this.#weights[index]! * best[index]!;
    forward /= this.#weightSum;
    if (!options.symmetric || backwardWeight <= 0) return forward;
    return (forward + backward / backwardWeight) / 2;
  }

  #tokenCosines(id: number): Float32Array {
    const cached = this.#cosines.get(id);
    if (cached) return cached;
    const { table, dimensions, norms } = this.#tokens;
    const norm = norms[id]!;
    const cosines = this.#cosinesOf(table, id * dimensions, norm);
    this.#cosines.set(id, cosines);
    return cosines;
  }

  *#windows(ids: Int32Array, size: number): Generator<{ cosines: Float32Array; weight: number }> {
    const { table, dimensions } = this.#tokens;
    const sum = new Float32Array(dimensions);
    const stride = Math.max(1, Math.floor(size / 2));
    for (let start = 0; ; start += stride) {
      const end = Math.min(ids.length, start + size);
      sum.fill(0);
      for (let index = start; index < end; index += 1) {
        const offset = ids[index]! * dimensions;
        for (let column = 0; column < dimensions; column += 1) {
          sum[column]! += table[offset + column]!;
        }
      }
      let squares = 0;
      for (let column = 0; column < dimensions; column += 1) squares += sum[column]! * sum[column]!;
      const norm = Math.sqrt(squares);
      if (norm > 0) yield { cosines: this.#cosinesOf(sum, 0, norm), weight: norm };
      if (end >= ids.length) break;
    }
  }

  #cosinesOf(source: Float32Array, offset: number, norm: number): Float32Array {
    const { dimensions } = this.#tokens;
    const count = this.size;
    const cosines = new Float32Array(count);
    if (norm <= 0) return cosines.fill(-1);
    for (let index = 0; index < count; index += 1) {
      let dot = 0;
      const unitOffset = index * dimensions;
      for (let column = 0; column < dimensions; column += 1) {
        dot += this.#units[unitOffset + column]! * source[offset + column]!;
      }
      cosines[index] = dot / norm;
    }
    return cosines;
  }
}
