import { limits, type Logger } from '@nellie/core';
import type { Pool } from 'pg';
import { vectorIndexOptionsSchema } from '@nellie/storage/store-kit';
import { z } from 'zod';

export const postgresStoreOptionsSchema = z.strictObject({
  /** `postgres://user:password@host:5432/database`; omit it when passing `pool`. */
  connectionString: z.string().min(1).optional(),
  /**
   * The PostgreSQL schema that holds Nellie's tables (created when missing). Several Nellie
   * stores can share one database under different schemas.
   */
  schema: z
    .string()
    .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'schema must be a lowercase SQL identifier, e.g. nellie')
    .default('nellie'),
  /**
   * Model whose vectors the store holds; null or omitted: lexical search only. Vectors of another
   * id of the model's `family` are dropped and everything is queued to embed again.
   */
  embedding: z
    .strictObject({
      modelId: z.string().min(1).max(200),
      dimensions: z.number().int().min(1).max(16_000),
      family: z.string().min(1).max(200).optional(),
    })
    .nullable()
    .optional(),
  /**
   * How vector candidates are found: `auto` uses pgvector (a `vector` column with an HNSW index)
   * when the extension can be created, else an in-memory index loaded from the stored vectors;
   * `pgvector` requires the extension; `memory` never uses it.
   */
  vectorIndex: z.enum(['auto', 'pgvector', 'memory']).default('auto'),
  /**
   * The in-process index of the `memory` mode: below `exactThreshold` code vectors they are held
   * and scanned exactly; above it they go into an HNSW index (usearch) built from PostgreSQL in
   * background steps when the store opens, kept in memory only.
   */
  memoryIndex: vectorIndexOptionsSchema.omit({ persist: true }).prefault({}),
  /**
   * A directory where the `memory` mode's HNSW index is saved (when the store closes, and after
   * background catch-up applied many changes) with the change-feed position it covers, and
   * loaded from when the store opens, so a restart catches up instead of rebuilding it. The
   * saved index is checked against this cluster, database, schema, store, model and HNSW
   * parameters, and by checksum; any other is discarded (with a log line) and rebuilt. Omitted:
   * the index is kept in memory only (a pod without a disk).
   */
  vectorIndexDir: z.string().min(1).max(4096).optional(),
  /** Connections in the pool the store creates from `connectionString`. */
  maxConnections: z.number().int().min(1).max(100).default(10),
  /**
   * Seconds a connection of the pool made from `connectionString` stays open unused before it
   * is closed; 0 keeps it until the store closes. A search on new connections takes about twice
   * as long as on used ones (each is a new server process: empty catalog caches and, without
   * huge pages, a first touch of every shared-buffer page it reads), so searches minutes apart
   * should find them open.
   */
  idleConnectionSeconds: z.number().int().min(0).max(86_400).default(600),
  /** Longest accepted query text. */
  maxQueryLength: z.number().int().min(16).max(1_000_000).default(limits.queryLength),
});

export type ParsedPostgresStoreOptions = z.output<typeof postgresStoreOptionsSchema>;

export type PostgresStoreOptions = z.input<typeof postgresStoreOptionsSchema> & {
  /**
   * A `pg` pool to use instead of `connectionString`; the store does not end it on close. Each
   * write transaction holds one connection; reads use any.
   */
  pool?: Pool;
  logger?: Logger;
};
