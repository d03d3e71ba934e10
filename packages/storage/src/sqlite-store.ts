import {
  NellieError,
  noopLogger,
  type FileExcerpt,
  type NellieStore,
  type PrincipalStore,
  type StoreTransfer,
  type ReadFileRequest,
  type Repository,
  type RepositorySummary,
} from '@nellie/core';
import type * as usearchModule from 'usearch';
import { z } from 'zod';
import { AuditStore } from './internal/audit-store.ts';
import { AnchorStore } from './internal/anchor-store.ts';
import { SqliteCheckpoints } from './internal/checkpoint-store.ts';
import { CodeSearch } from './internal/code-search.ts';
import { CodeRepositoryStore } from './internal/code-store.ts';
import { StoreContext } from './internal/context.ts';
import { openDatabase } from './internal/database.ts';
import { EmbeddingStore, reconcileEmbeddingModel } from './internal/embedding-store.ts';
import { IndexedFileReader } from './internal/file-reader.ts';
import { GlobMatchers } from './internal/glob.ts';
import { SqliteLessons } from './internal/lesson-store.ts';
import { SqliteOperations } from './internal/operations.ts';
import { SqlitePrincipals } from './internal/principal-store.ts';
import { RepositoryAdmin } from './internal/repository-admin.ts';
import { SqliteTransfer } from './internal/transfer-store.ts';
import { VectorIndex, type VectorIndexStatus } from './internal/vector-index.ts';
import { loadUsearch } from './internal/ann-index.ts';
import {
  sqliteStoreOptionsSchema,
  type SqliteStoreOptions,
} from './internal/sqlite-store-options.ts';

export type { VectorIndexStatus } from './internal/vector-index.ts';

/** A NellieStore backed by one SQLite file, with a few SQLite-specific extras. */
export interface SqliteStore extends NellieStore {
  listRepositorySummaries(): Promise<RepositorySummary[]>;
  renameRepository(nameOrPath: string, newName: string): Promise<Repository>;
  readIndexedFile(request: ReadFileRequest): Promise<FileExcerpt>;
  hasChunkVectors(scope: { repository?: string; language?: string }): Promise<boolean>;
  /** Absolute path of the database file, or `:memory:`. */
  readonly path: string;
  /** How vector queries are served: exact scans, or an ANN index and how far behind it is. */
  vectorIndexStatus(): Promise<VectorIndexStatus>;
  /**
   * Adds every stored vector the ANN index does not hold yet, now, instead of in the background.
   * Useful after bulk loads; a no-op while the store is below the exact-search threshold.
   */
  syncVectorIndex(): Promise<VectorIndexStatus>;
  /** Always implemented here: rewrites one meta row in its own transaction. */
  probeWrite(): Promise<void>;
  /** API keys, kept in the same database file. */
  readonly principals: PrincipalStore;
  /** Bulk export and import of every table (`nellie migrate`). */
  readonly transfer: StoreTransfer;
}

const exactStatus: VectorIndexStatus = { mode: 'exact', indexed: 0, backlog: 0 };

/** Runs synchronous work so that every failure, validation included, arrives as a rejection. */
function run<T>(work: () => T): Promise<T> {
  try {
    return Promise.resolve(work());
  } catch (error) {
    return Promise.reject(error instanceof Error ? error : new Error(String(error)));
  }
}

/**
 * Opens (or creates) a Nellie store in a SQLite file: code chunks, lessons, checkpoints, their
 * vectors and the audit log, with hybrid full-text and vector search.
 *
 * Rejects with `INVALID_OPTIONS`, `STORE_UNAVAILABLE` (directory missing or not writable),
 * `STORE_CORRUPT` (damaged or foreign file), `SCHEMA_TOO_NEW` or `DIMENSION_MISMATCH`.
 */
export async function createSqliteStore(options: SqliteStoreOptions): Promise<SqliteStore> {
  const result = sqliteStoreOptionsSchema.safeParse(options);
  if (!result.success) {
    throw new NellieError('INVALID_OPTIONS', z.prettifyError(result.error), {
      cause: result.error,
    });
  }
  const parsed = result.data;
  const logger = options.logger ?? noopLogger;
  const embedding = parsed.embedding ?? null;
  // Loaded only when vectors are enabled: a lexical-only store never loads the native ANN library.
  let usearch: typeof usearchModule | null = null;
  if (embedding) {
    const loaded = await loadUsearch();
    if (loaded instanceof Error) {
      logger.warn(
        { error: String(loaded) },
        'The usearch ANN library could not be loaded; vector search falls back to exact scans, which are slow on large stores',
      );
    } else usearch = loaded;
  }

  const opened = openDatabase({
    path: parsed.path,
    readonly: parsed.readonly,
    busyTimeoutMs: parsed.busyTimeoutMs,
    mmapSizeBytes: parsed.mmapSizeBytes,
    cacheSizeKiB: parsed.cacheSizeKiB,
    logger,
  });
  const { db } = opened;
  try {
    if (embedding) reconcileEmbeddingModel(db, embedding, opened.location, parsed.readonly);
  } catch (error) {
    db.close();
    throw error;
  }

  const globs = new GlobMatchers();
  globs.register(db);
  const ctx = new StoreContext({
    db,
    file: opened.file,
    location: opened.location,
    options: parsed,
    logger,
    embeddingModel: embedding,
  });
  if (embedding && usearch) {
    ctx.vectorIndex = new VectorIndex({
      db,
      file: opened.file,
      dimensions: embedding.dimensions,
      options: parsed.vectorIndex,
      logger,
      readonly: parsed.readonly,
      usearch,
    });
  }

  const code = new CodeRepositoryStore(ctx);
  const codeSearch = new CodeSearch(ctx, code, globs);
  const repositories = new RepositoryAdmin(ctx, code);
  const fileReader = new IndexedFileReader(ctx, repositories);
  const anchors = new AnchorStore(ctx, code);
  const lessons = new SqliteLessons(ctx, code, anchors);
  const checkpoints = new SqliteCheckpoints(ctx, code, anchors);
  const embeddings = new EmbeddingStore(ctx);
  const audit = new AuditStore(ctx);
  const operations = new SqliteOperations(ctx);
  const principals = new SqlitePrincipals(ctx);

  const close = (): Promise<void> => {
    if (ctx.closed) return Promise.resolve();
    ctx.closed = true;
    try {
      ctx.vectorIndex?.close();
    } finally {
      db.close();
    }
    return Promise.resolve();
  };

  const store: SqliteStore = {
    path: opened.file ?? ':memory:',
    embeddingModel: embedding,

    upsertRepository: (input) => run(() => code.upsertRepository(input)),
    getRepository: (nameOrPath) => run(() => code.getRepository(nameOrPath)),
    listRepositories: () => run(() => code.listRepositories()),
    deleteRepository: (id) => run(() => code.deleteRepository(id)),
    markRepositoryIndexed: (id, at) => run(() => code.markRepositoryIndexed(id, at)),
    listRepositorySummaries: () => repositories.summaries(),
    renameRepository: (nameOrPath, newName) => run(() => repositories.rename(nameOrPath, newName)),
    readIndexedFile: (request) => fileReader.read(request),
    listFiles: (repositoryId) => run(() => code.listFiles(repositoryId)),
    writeFile: (repositoryId, file, chunks) =>
      run(() => code.writeFile(repositoryId, file, chunks)),
    touchFile: (repositoryId, path, stat) => run(() => code.touchFile(repositoryId, path, stat)),
    deleteFiles: (repositoryId, paths) => run(() => code.deleteFiles(repositoryId, paths)),
    getChunk: (id) => run(() => code.getChunk(id)),
    searchCode: (request) => codeSearch.search(request),
    hasChunkVectors: (scope) => run(() => codeSearch.hasChunkVectors(scope)),

    addLesson: (input) => run(() => lessons.add(input)),
    updateLesson: (id, patch) => run(() => lessons.update(id, patch)),
    getLesson: (id) => run(() => lessons.get(id)),
    listLessons: (request) => run(() => lessons.list(request)),
    deleteLesson: (id) => run(() => lessons.delete(id)),
    searchLessons: (request) => run(() => lessons.search(request)),
    confirmLesson: (id) => run(() => lessons.confirm(id)),
    lessonsAnchoredAt: (locations) => run(() => lessons.anchoredAt(locations)),
    countLessonsByStaleness: () => run(() => lessons.countByStaleness()),
    refreshAnchors: (repositoryId, paths) => run(() => anchors.refresh(repositoryId, paths)),

    addCheckpoint: (input) => run(() => checkpoints.add(input)),
    getCheckpoint: (id) => run(() => checkpoints.get(id)),
    countCheckpoints: (request) => run(() => checkpoints.count(request)),
    getRecentCheckpoints: (request) => checkpoints.recent(request),
    searchCheckpoints: (request) => run(() => checkpoints.search(request)),
    deleteCheckpoint: (id) => run(() => checkpoints.delete(id)),
    confirmCheckpoint: (id) => run(() => checkpoints.confirm(id)),
    getAgentStatus: (agent) => run(() => checkpoints.agentStatus(agent)),
    listAgents: () => run(() => checkpoints.listAgents()),

    pendingEmbeddings: (limit) => run(() => embeddings.pending(limit)),
    putEmbeddings: (items) => run(() => embeddings.put(items)),

    recordAudit: (entry) => run(() => audit.record(entry)),
    listAudit: (query) => run(() => audit.list(query)),

    stats: () => run(() => operations.stats()),
    backup: (destinationPath, backupOptions) => operations.backup(destinationPath, backupOptions),
    integrityCheck: () => run(() => operations.integrityCheck()),
    probeWrite: () => run(() => operations.probeWrite()),
    maintenance: (maintenanceOptions) => run(() => operations.maintenance(maintenanceOptions)),

    principals: {
      createApiKey: (input) => run(() => principals.create(input)),
      listApiKeys: (listOptions) => run(() => principals.list(listOptions)),
      revokeApiKey: (id) => run(() => principals.revoke(id)),
      verifyApiKey: (secret) => run(() => principals.verify(secret)),
      hasApiKeys: () => run(() => principals.hasKeys()),
    },

    transfer: new SqliteTransfer(ctx),

    vectorIndexStatus: () => run(() => ctx.read(() => ctx.vectorIndex?.status() ?? exactStatus)),
    syncVectorIndex: () => run(() => ctx.read(() => ctx.vectorIndex?.syncAll() ?? exactStatus)),

    close,
    [Symbol.asyncDispose]: close,
  };
  return store;
}
