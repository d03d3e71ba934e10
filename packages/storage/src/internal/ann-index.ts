import type * as usearchModule from 'usearch';
import type { VectorIndexOptions } from './sqlite-store-options.ts';

export type UsearchModule = typeof usearchModule;
type UsearchIndex = InstanceType<UsearchModule['Index']>;

export interface VectorCandidate {
  /** The vector's key (the engine's embedding row id). */
  id: number;
  /** Cosine distance (approximate for ANN hits). */
  distance: number;
}

/** Most ANN candidates a filtered search asks for before filtering them by scope. */
export const maxAnnCandidates = 4096;

/** Time budget of one background catch-up step, so queries keep being served in between. */
const stepBudgetMs = 40;

/**
 * How many ANN candidates a search scoped to `scope` of `total` vectors asks for, so that about
 * `k` of them fall inside the scope once filtered.
 */
export function scopedCandidateCount(k: number, total: number, scope: number): number {
  return Math.min(maxAnnCandidates, Math.ceil((k * Math.max(total, scope) * 1.5) / scope) + k);
}

/**
 * An in-process HNSW index (usearch, cosine) keyed by embedding row id, shared by the stores that
 * keep one: vectors are added in batches (keys already held are skipped), removed by key, and
 * searched; it learns how long an add takes so background catch-up steps keep to a time budget.
 */
export class AnnIndex {
  readonly #index: UsearchIndex;
  readonly #dimensions: number;
  readonly #threads: number;
  readonly #catchUpBatch: number;
  #msPerVector = 0.5;

  constructor(usearch: UsearchModule, dimensions: number, options: VectorIndexOptions) {
    this.#dimensions = dimensions;
    this.#threads = options.threads;
    this.#catchUpBatch = options.catchUpBatch;
    this.#index = new usearch.Index({
      dimensions,
      metric: 'cos' as never,
      quantization: options.quantization as never,
      connectivity: options.connectivity,
      expansion_add: options.expansionAdd,
      expansion_search: options.expansionSearch,
      multi: false,
    });
  }

  get dimensions(): number {
    return this.#dimensions;
  }

  size(): number {
    return this.#index.size();
  }

  /** Vectors to add in one background step to stay within its time budget. */
  stepSize(): number {
    return Math.max(16, Math.min(this.#catchUpBatch, Math.round(stepBudgetMs / this.#msPerVector)));
  }

  /**
   * Adds `vectors` (`dimensions` floats each, row after row) under `ids`, skipping ids the index
   * already holds. Returns how many were added.
   */
  add(ids: readonly number[], vectors: Float32Array): number {
    const d = this.#dimensions;
    const keys = new BigUint64Array(ids.length);
    const fresh = new Float32Array(ids.length * d);
    let count = 0;
    for (let row = 0; row < ids.length; row += 1) {
      const key = BigInt(ids[row]!);
      if (this.#index.contains(key)) continue;
      keys[count] = key;
      fresh.set(vectors.subarray(row * d, (row + 1) * d), count * d);
      count += 1;
    }
    if (count === 0) return 0;
    const started = performance.now();
    this.#index.add(keys.subarray(0, count), fresh.subarray(0, count * d), this.#threads);
    const elapsed = performance.now() - started;
    this.#msPerVector = 0.8 * this.#msPerVector + (0.2 * elapsed) / count;
    return count;
  }

  remove(ids: readonly number[]): void {
    if (ids.length > 0) this.#index.remove(BigUint64Array.from(ids, (id) => BigInt(id)));
  }

  /** The `k` nearest vectors, nearest first. */
  search(query: Float32Array, k: number): VectorCandidate[] {
    const size = this.#index.size();
    if (size === 0 || k <= 0) return [];
    const matches = this.#index.search(query, Math.min(k, size), 0);
    const result: VectorCandidate[] = [];
    for (let position = 0; position < matches.keys.length; position += 1) {
      const key = matches.keys[position]!;
      const distance = matches.distances[position]!;
      // usearch pads missing results with the max key value.
      if (key >= 0xffffffffffffffffn || !Number.isFinite(distance)) continue;
      result.push({ id: Number(key), distance });
    }
    return result;
  }

  save(path: string): void {
    this.#index.save(path);
  }

  load(path: string): void {
    this.#index.load(path);
  }
}

/** Loads usearch, or returns the error that prevented it (a missing native build). */
export async function loadUsearch(): Promise<UsearchModule | Error> {
  try {
    return await import('usearch');
  } catch (error) {
    return error instanceof Error ? error : new Error(String(error));
  }
}
