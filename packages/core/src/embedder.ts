/**
 * `query` work (embedding a search query) always runs before queued `bulk` work (indexing), so a
 * search never waits behind an indexing backlog.
 */
export type EmbeddingPriority = 'query' | 'bulk';

export interface EmbedOptions {
  signal?: AbortSignal;
  /** Defaults to `bulk`. */
  priority?: EmbeddingPriority;
}

/** Turns texts into L2-normalised vectors of `dimensions` floats. */
export interface Embedder {
  /** Identifies the model, e.g. `Xenova/all-MiniLM-L6-v2@q8`; vectors of different ids never mix. */
  readonly modelId: string;
  readonly dimensions: number;
  /** Longest input in model tokens; longer inputs are truncated. */
  readonly maxTokens?: number;
  /**
   * One vector per text, in order. Empty strings are rejected with `INVALID_INPUT`.
   * Rejects with `ABORTED` when the signal fires and `QUEUE_FULL` when the bulk queue is full.
   */
  embed(texts: readonly string[], options?: EmbedOptions): Promise<Float32Array[]>;
  /** Number of texts waiting to be embedded (for backpressure and metrics). */
  queueDepth?(): number;
  close(): Promise<void>;
}

/** Where the embedding model stands, as reported by status endpoints. */
export interface ModelStatus {
  /** `disabled`: semantic search is off (no model found or not configured). */
  state: 'loading' | 'ready' | 'disabled' | 'failed';
  modelId: string;
  dimensions?: number;
  /** Where the model was loaded from (a directory or the Hub). */
  source?: string;
  /** Why semantic search is off, and how to turn it on. */
  message?: string;
}
