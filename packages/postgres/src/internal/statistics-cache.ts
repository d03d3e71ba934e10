/** How long counts are reused when no chunk was added (deletions alone do not show). */
const ttlMs = 5 * 60 * 1000;
/** Cached values at most; the cache is cleared when full. */
const maxValues = 10_000;

/**
 * Document counts for BM25, kept between searches as the SQLite store keeps them: until a chunk
 * is added (the largest chunk id changes) or five minutes pass.
 */
export class StatisticsCache {
  readonly #values = new Map<string, number>();
  #generation = -1;
  #at = 0;

  /** Call with the largest chunk id before reading; clears the cache when it moved. */
  refresh(generation: number, now = Date.now()): void {
    if (generation !== this.#generation || now - this.#at >= ttlMs) {
      this.#values.clear();
      this.#generation = generation;
      this.#at = now;
    }
  }

  get(key: string): number | undefined {
    return this.#values.get(key);
  }

  set(key: string, value: number): void {
    if (this.#values.size >= maxValues) this.#values.clear();
    this.#values.set(key, value);
  }
}
