import type { Embedder, EmbeddingSink, Logger, StoreStats } from '@nellie/core';
import { z } from 'zod';

export const embeddingPumpOptionsSchema = z.object({
  /** Texts per embedding call. Defaults to 32. */
  batchSize: z.number().int().min(1).max(1024).default(32),
  /** Embedding calls in flight at once. Defaults to 2. */
  parallelBatches: z.number().int().min(1).max(16).default(2),
  /** How often to look for new pending embeddings when idle. Defaults to 1000 ms. */
  pollMs: z.number().int().min(10).max(60_000).default(1000),
  /** First retry delay after the embedder fails; doubles up to a minute. Defaults to 1000 ms. */
  retryMs: z.number().int().min(10).max(60_000).default(1000),
});

/**
 * The parts of a store the pump uses: the items waiting for vectors and where vectors go.
 * `createSqliteStore()` from `@nellie/storage` provides all of it.
 */
export type EmbeddingPumpStore = Pick<
  EmbeddingSink,
  'embeddingModel' | 'pendingEmbeddings' | 'putEmbeddings'
> & {
  /** Used to estimate the backlog when it is long. */
  stats?(): Promise<Pick<StoreStats, 'chunksPendingEmbedding'>>;
};

export type EmbeddingPumpOptions = z.input<typeof embeddingPumpOptionsSchema> & {
  store: EmbeddingPumpStore;
  embedder: Embedder;
  logger?: Logger;
};

/** Told about the pump's progress; both calls are optional. */
export interface EmbeddingPumpListener {
  /** Content hashes that just got their vectors. */
  embedded?(hashes: readonly string[]): void;
  /** A poll found nothing left to embed. */
  drained?(): void;
}

/**
 * Fills in vectors for everything the store reports as pending — code chunks, lessons and
 * checkpoints alike — in the background, until closed.
 */
export interface EmbeddingPump {
  /**
   * False when no vectors can be written: the store has vectors disabled, or holds another
   * model's vectors than the embedder's (logged once as an error).
   */
  readonly enabled: boolean;
  /** Items known to be waiting for vectors (a lower bound when the queue is long). */
  readonly backlog: number;
  /** Looks for pending items now instead of at the next poll (call it after writing some). */
  wake(): void;
  /**
   * Resolves once a poll finds nothing left to embed (at once when disabled). Rejects with
   * `EMBEDDING_FAILED` when the embedder keeps failing, `ABORTED` when the signal fires and
   * `STORE_CLOSED` once the pump is closed.
   */
  waitForIdle(options?: { signal?: AbortSignal }): Promise<void>;
  /** Registers a listener; returns the function that removes it. */
  subscribe(listener: EmbeddingPumpListener): () => void;
  /** Stops polling and waits for the batches in flight. Does not close the store or embedder. */
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}
