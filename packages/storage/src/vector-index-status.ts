/** How vector queries are served. */
export interface VectorIndexStatus {
  /** `exact`: the store is small enough to scan; `ann`: an HNSW index serves queries. */
  mode: 'exact' | 'ann';
  /** Vectors in the ANN index. */
  indexed: number;
  /** Code vectors in SQLite not yet in the ANN index (an upper bound while catching up). */
  backlog: number;
}
