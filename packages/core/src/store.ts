import type { AuditLog } from './audit.ts';
import type { CheckpointStore } from './checkpoints.ts';
import type { CodeStore } from './code.ts';
import type { AnchorRefresher, LessonStore } from './lessons.ts';
import type { PrincipalStore } from './principals.ts';
import type { StoreTransfer } from './transfer.ts';

/** Something that needs an embedding: a chunk, a lesson or a checkpoint, keyed by content hash. */
export interface PendingEmbedding {
  contentHash: string;
  /** The text to embed (for chunks: a short header plus the code). */
  text: string;
}

export interface EmbeddingModelInfo {
  modelId: string;
  dimensions: number;
  /**
   * Ids sharing this prefix up to a `+` (e.g. `Xenova/all-MiniLM-L6-v2@q8` for
   * `Xenova/all-MiniLM-L6-v2@q8+split-identifiers`) are the same model read with other input
   * settings: a store holding their vectors drops them and queues everything for embedding again
   * (keyword search keeps working meanwhile) instead of refusing with `DIMENSION_MISMATCH`.
   */
  family?: string;
}

/**
 * Whether a store's vectors of `stored` are to be replaced by those of `requested`: another id of
 * the requested model's family, of the same width.
 */
export function isSupersededModel(
  stored: EmbeddingModelInfo,
  requested: EmbeddingModelInfo,
): boolean {
  const family = requested.family;
  return (
    family !== undefined &&
    stored.modelId !== requested.modelId &&
    stored.dimensions === requested.dimensions &&
    (stored.modelId === family || stored.modelId.startsWith(`${family}+`))
  );
}

/** The vector side of a store, filled in by whoever runs the embedder. */
export interface EmbeddingSink {
  /** The model whose vectors this store holds, or null when vectors are disabled. */
  readonly embeddingModel: EmbeddingModelInfo | null;
  /** Items that have no vector for the store's model yet, oldest first. */
  pendingEmbeddings(limit: number): Promise<PendingEmbedding[]>;
  /**
   * Stores vectors by content hash. Rejects with `DIMENSION_MISMATCH` for a wrong width and
   * `INVALID_INPUT` for non-finite values; nothing of a rejected batch is written.
   */
  putEmbeddings(items: readonly { contentHash: string; vector: Float32Array }[]): Promise<void>;
}

export interface StoreStats {
  repositories: number;
  files: number;
  chunks: number;
  chunksWithVectors: number;
  /** Chunks whose content has no vector yet (0 when vectors are disabled). */
  chunksPendingEmbedding: number;
  lessons: number;
  checkpoints: number;
  embeddingModel: EmbeddingModelInfo | null;
  schemaVersion: number;
  databaseBytes: number;
}

export interface IntegrityReport {
  ok: boolean;
  /** Lines reported by SQLite's integrity check (empty when ok). */
  problems: string[];
}

export interface MaintenanceReport {
  integrity: IntegrityReport;
  analyzed: boolean;
  ftsOptimized: boolean;
  vacuumed: boolean;
  bytesBefore: number;
  bytesAfter: number;
}

/** Operations on the whole store. */
export interface StoreOperations {
  stats(): Promise<StoreStats>;
  /**
   * Online backup while the store stays in use. The copy is written beside the destination,
   * integrity-checked and renamed into place, so the destination never holds a partial backup.
   * An existing destination is refused (`CONFLICT`) unless `replace` is true, and is then replaced
   * only once the new copy is complete.
   */
  backup(
    destinationPath: string,
    options?: { signal?: AbortSignal; replace?: boolean },
  ): Promise<{ bytes: number }>;
  integrityCheck(): Promise<IntegrityReport>;
  /** Integrity check, ANALYZE, FTS optimise and VACUUM when worthwhile. */
  maintenance(options?: { vacuum?: 'auto' | 'always' | 'never' }): Promise<MaintenanceReport>;
  /**
   * Commits one tiny write to prove the store accepts writes right now. Rejects like any write
   * (`STORE_UNAVAILABLE` when the disk is full, the file is read-only or locked; `STORE_CLOSED`).
   */
  probeWrite?(): Promise<void>;
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/** Everything Nellie keeps: code, lessons, checkpoints, their vectors and the audit log. */
export interface NellieStore
  extends
    CodeStore,
    LessonStore,
    AnchorRefresher,
    CheckpointStore,
    EmbeddingSink,
    AuditLog,
    StoreOperations {
  /** API keys of people and services, when the store keeps them (optional capability). */
  readonly principals?: PrincipalStore;
  /** Bulk export and import of every table, for moving to another engine (optional capability). */
  readonly transfer?: StoreTransfer;
}
