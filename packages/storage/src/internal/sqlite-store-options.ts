import { limits, type Logger } from '@nellie/core';
import { z } from 'zod';

export const vectorIndexOptionsSchema = z.object({
  /** Below this many code vectors, kNN is an exact scan in SQLite and no ANN index is built. */
  exactThreshold: z.number().int().min(0).max(10_000_000).default(10_000),
  /**
   * Filtered vector searches (repository, language, path glob) whose scope has at most this many
   * chunks are scanned exactly; larger scopes oversample the ANN index and filter its hits.
   */
  exactScopeLimit: z.number().int().min(0).max(10_000_000).default(5_000),
  /** HNSW graph degree (usearch `connectivity`, "M"). */
  connectivity: z.number().int().min(4).max(128).default(16),
  /** HNSW candidate list size while building ("efConstruction"). */
  expansionAdd: z.number().int().min(8).max(4096).default(128),
  /** HNSW candidate list size while searching ("ef"); 128 keeps recall@10 above 0.95 at 1M. */
  expansionSearch: z.number().int().min(8).max(4096).default(128),
  /** Scalar type of the in-memory index; SQLite always keeps float32. */
  quantization: z.enum(['f16', 'f32', 'bf16']).default('f16'),
  /** Threads used when adding vectors to the ANN index (0: all cores). */
  threads: z.number().int().min(0).max(256).default(1),
  /** Save the ANN index next to the database on close so the next open skips the rebuild. */
  persist: z.boolean().default(true),
  /** Vectors added per step while the ANN index catches up in the background. */
  catchUpBatch: z.number().int().min(1).max(100_000).default(512),
});

export const sqliteStoreOptionsSchema = z.object({
  /** Path to the database file, or `:memory:`. Its directory must exist. */
  path: z.string().min(1),
  /**
   * The embedding model whose vectors this store holds. Null or omitted: lexical search only,
   * vectors disabled. A database that holds vectors of another model refuses to open with
   * `DIMENSION_MISMATCH` (see `resetEmbeddings()`), unless they are of another id of the model's
   * `family`: those are dropped and everything is queued to embed again.
   */
  embedding: z
    .object({
      modelId: z.string().min(1).max(500),
      dimensions: z.number().int().min(1).max(16_384),
      family: z.string().min(1).max(500).optional(),
    })
    .nullable()
    .optional(),
  /** Open without writing anything; every write rejects with `STORE_UNAVAILABLE`. */
  readonly: z.boolean().default(false),
  /** How long a write waits for another process's lock before failing. */
  busyTimeoutMs: z.number().int().min(0).max(600_000).default(5_000),
  /**
   * `PRAGMA mmap_size` in bytes (0 disables memory-mapped reads). Pages read through the map
   * count in the process RSS (as clean, reclaimable file pages), so this also bounds that share.
   */
  mmapSizeBytes: z
    .number()
    .int()
    .min(0)
    .default(256 * 1024 * 1024),
  /** SQLite page cache per connection, in KiB; a larger cache speeds up bulk indexing. */
  cacheSizeKiB: z
    .number()
    .int()
    .min(1024)
    .max(16 * 1024 * 1024)
    .default(32 * 1024),
  /** Longest accepted search query, in characters; longer queries reject with `INVALID_INPUT`. */
  maxQueryLength: z.number().int().min(16).max(1_000_000).default(limits.queryLength),
  /** Approximate nearest-neighbour index for code vectors (usearch HNSW). */
  vectorIndex: vectorIndexOptionsSchema.prefault({}),
});

export type SqliteStoreOptions = z.input<typeof sqliteStoreOptionsSchema> & {
  /** Receives warnings (e.g. an ANN index file that could not be loaded); silent by default. */
  logger?: Logger;
};

export type ParsedSqliteStoreOptions = z.output<typeof sqliteStoreOptionsSchema>;
export type VectorIndexOptions = z.output<typeof vectorIndexOptionsSchema>;
