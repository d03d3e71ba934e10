import type { Logger, ModelStatus } from '@nellie/core';
import { z } from 'zod';

export const staticEmbedderOptionsSchema = z.object({
  /** A directory written by `distillStaticModel()` (`nellie model distill`). */
  modelDir: z.string().min(1),
  /**
   * Longest input in tokens; longer texts are truncated. A static model has no position limit,
   * but the first 256 tokens of a chunk (its signature and opening) make the better vector:
   * embedding the indexer's chunks whole (up to 1,500 characters) scored lower on repositories
   * not trained on (see the package README's tuning log), so the default stays at 256.
   */
  maxTokens: z.number().int().min(8).max(1_000_000).default(256),
  /** Prepended to texts embedded with `priority: 'query'`. */
  queryPrefix: z.string().max(200).default(''),
  /** Prepended to texts embedded with `priority: 'bulk'`. */
  documentPrefix: z.string().max(200).default(''),
  /** Expected vector width; loading fails with `DIMENSION_MISMATCH` when the model differs. */
  dimensions: z.number().int().min(1).max(16_384).optional(),
  /** Most bulk texts that may wait or be embedded; beyond it `embed()` rejects with `QUEUE_FULL`. */
  maxQueue: z.number().int().min(1).max(10_000_000).default(10_000),
  /**
   * Longest stretch of embedding on the event loop, in milliseconds, before yielding to other
   * work (a query, an HTTP request).
   */
  sliceMs: z.number().min(1).max(1000).default(5),
});

export type StaticEmbedderOptions = z.input<typeof staticEmbedderOptionsSchema> & {
  logger?: Logger;
  /** Told of every status change, starting with `loading`. */
  onStatusChange?: (status: ModelStatus) => void;
};
