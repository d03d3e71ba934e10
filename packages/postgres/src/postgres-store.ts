import {
  NellieError,
  noopLogger,
  type EmbeddingModelInfo,
  type FileExcerpt,
  type Logger,
  type IndexJobStore,
  type NellieStore,
  type ReadFileRequest,
  type Repository,
  type RepositorySummary,
  type PrincipalStore,
  type StoreTransfer,
} from '@nellie/core';
import { loadUsearch } from '@nellie/storage/store-kit';
import pg from 'pg';
import { z } from 'zod';
import { PostgresAnchors } from './internal/anchor-store.ts';
import { CheckpointStore } from './internal/checkpoint-store.ts';
import { CodeSearch } from './internal/code-search.ts';
import { CodeRepositoryStore } from './internal/code-store.ts';
import { Database, mapPostgresError } from './internal/database.ts';
import { EmbeddingStore, recordOrCheckEmbeddingModel } from './internal/embedding-store.ts';
import { PostgresIndexJobs } from './internal/index-jobs.ts';
import { LessonStore } from './internal/lesson-store.ts';
import { Leases } from './internal/leases.ts';
import { StoreOperations } from './internal/operations.ts';
import { RepositoryAdmin } from './internal/repository-admin.ts';
import { PostgresPrincipals } from './internal/principal-store.ts';
import { migrate } from './internal/schema.ts';
import { createSearchContext } from './internal/search-context.ts';
import { PostgresTransfer } from './internal/transfer-store.ts';
import {
  MemoryVectorIndex,
  PgvectorIndex,
  type VectorIndex,
  type VectorIndexStatus,
} from './internal/vectors.ts';
import {
  postgresStoreOptionsSchema,
  type ParsedPostgresStoreOptions,
  type PostgresStoreOptions,
} from './postgres-store-options.ts';

export type { VectorIndexStatus } from './internal/vectors.ts';

/** Connections of the store's pool, for metrics. */
export interface PoolStatus {
  /** Open connections, idle or in use. */
  total: number;
  idle: number;
  /** Queries waiting for a connection. */
  waiting: number;
  /** The pool's size limit. */
  max: number;
}

/** A NellieStore on PostgreSQL. */
export interface PostgresStore extends NellieStore {
  /** The schema holding the store's tables. */
  readonly schema: string;
  /** Host, port and database the store connects to (never the password). */
  readonly location: string;
  listRepositorySummaries(): Promise<RepositorySummary[]>;
  renameRepository(nameOrPath: string, newName: string): Promise<Repository>;
  readIndexedFile(request: ReadFileRequest): Promise<FileExcerpt>;
  hasChunkVectors(scope: { repository?: string; language?: string }): Promise<boolean>;
  /** Connections of the pool: in use, idle, and queries waiting for one. */
  poolStatus(): PoolStatus;
  /**
   * Takes the named lease for `holder` for `ttlMs`, or renews it; true when `holder` holds it
   * now. Another holder gets it only once it expired: how several servers share work such as
   * watching a repository.
   */
  acquireLease(name: string, holder: string, ttlMs: number): Promise<boolean>;
  /** Gives a lease up (when `holder` holds it), so another server can take it at once. */
  releaseLease(name: string, holder: string): Promise<void>;
  /**
   * How vector queries are served: `pgvector` (HNSW index in the database), `memory` (vectors
   * loaded into this process and scanned) or `ann` (code vectors in an in-process HNSW index),
   * how many vectors it holds and how many it has still to apply; null without an embedding
   * model.
   */
  vectorIndexStatus(): Promise<VectorIndexStatus | null>;
  /** Applies every vector change not yet in this process's index now (benchmarks, tests). */
  syncVectorIndex(): Promise<VectorIndexStatus | null>;
  probeWrite(): Promise<void>;
  /** API keys, kept in the same schema. */
  readonly principals: PrincipalStore;
  /**
   * Index jobs in the same schema, claimed by one server at a time and taken over when their
   * holder stops: give it to `createIndexer({ jobStore })` on every server of the database.
   */
  readonly jobs: IndexJobStore;
  /** Bulk export and import of every table it keeps (`nellie migrate`). */
  readonly transfer: StoreTransfer;
}

/** Where the store connects, for messages: host, port and database, never the password. */
function describeConnection(connectionString: string | undefined): string {
  if (!connectionString) return 'the given pool';
  try {
    const url = new URL(connectionString);
    return `${url.hostname}:${url.port || '5432'}${url.pathname}`;
  } catch {
    return 'the configured connection string';
  }
}

async function chooseVectorIndex(
  database: Database,
  parsed: ParsedPostgresStoreOptions,
  logger: Logger,
): Promise<VectorIndex | null> {
  const model = parsed.embedding ?? null;
  if (!model) return null;
  if (parsed.vectorIndex === 'memory') return memoryIndex(database, model, parsed, logger);
  try {
    await database.write(async (db) => {
      await db.query(`CREATE EXTENSION IF NOT EXISTS vector`);
      await PgvectorIndex.prepare(db, database.schema, model);
    });
    return new PgvectorIndex(database.schema, model);
  } catch (error) {
    if (parsed.vectorIndex === 'pgvector') {
      throw new NellieError(
        'INVALID_OPTIONS',
        `vectorIndex "pgvector" was asked for, but the vector extension cannot be used at ${database.location}: ${error instanceof Error ? error.message : String(error)}. Install pgvector (CREATE EXTENSION vector, as a role allowed to) or use vectorIndex "auto".`,
        { cause: error },
      );
    }
    logger.warn(
      { error: String(error) },
      'pgvector is not available; vectors are searched in memory, loaded from PostgreSQL',
    );
    return memoryIndex(database, model, parsed, logger);
  }
}

async function memoryIndex(
  database: Database,
  model: EmbeddingModelInfo,
  parsed: ParsedPostgresStoreOptions,
  logger: Logger,
): Promise<MemoryVectorIndex> {
  const usearch = await loadUsearch();
  if (usearch instanceof Error) {
    logger.warn(
      { error: String(usearch) },
      'The usearch ANN library could not be loaded; every vector is held in memory and scanned exactly, which is slow on large stores',
    );
  }
  const index = new MemoryVectorIndex({
    database,
    model,
    options: { ...parsed.memoryIndex, persist: parsed.vectorIndexDir !== undefined },
    usearch: usearch instanceof Error ? null : usearch,
    logger,
    directory: parsed.vectorIndexDir ?? null,
  });
  index.start();
  return index;
}

/**
 * Opens a Nellie store in a PostgreSQL schema (created and migrated when needed): code chunks,
 * lessons, checkpoints, their vectors and the audit log, with hybrid full-text and vector search
 * ranked like the SQLite store.
 *
 * Rejects with `INVALID_OPTIONS`, `STORE_UNAVAILABLE` (server unreachable), `SCHEMA_TOO_NEW` or
 * `DIMENSION_MISMATCH`.
 */
export async function createPostgresStore(options: PostgresStoreOptions): Promise<PostgresStore> {
  const { pool: givenPool, logger: givenLogger, ...settings } = options;
  const result = postgresStoreOptionsSchema.safeParse(settings);
  if (!result.success) {
    throw new NellieError('INVALID_OPTIONS', z.prettifyError(result.error), {
      cause: result.error,
    });
  }
  const parsed = result.data;
  if ((parsed.connectionString === undefined) === (givenPool === undefined)) {
    throw new NellieError('INVALID_OPTIONS', 'Give exactly one of connectionString and pool.');
  }
  const logger = givenLogger ?? noopLogger;
  const ownsPool = givenPool === undefined;
  const pool =
    givenPool ??
    new pg.Pool({
      connectionString: parsed.connectionString,
      max: parsed.maxConnections,
      idleTimeoutMillis: parsed.idleConnectionSeconds * 1000,
    });
  if (ownsPool) {
    // An idle connection that breaks must not crash the process; the next query reconnects.
    pool.on('error', (error) =>
      logger.warn({ error: String(error) }, 'PostgreSQL connection lost'),
    );
  }
  const database = new Database({
    pool,
    schema: parsed.schema,
    location: describeConnection(parsed.connectionString),
    logger,
  });
  const model = parsed.embedding ?? null;
  let vectors: VectorIndex | null;
  try {
    await migrate((run) => database.write(run), database.schema, parsed.schema);
    if (model) {
      await database.write((db) =>
        recordOrCheckEmbeddingModel(db, database.schema, model, database.location),
      );
    }
    vectors = await chooseVectorIndex(database, parsed, logger);
  } catch (error) {
    if (ownsPool) await pool.end().catch(() => undefined);
    throw mapPostgresError(error, database.location);
  }

  const code = new CodeRepositoryStore(database);
  const context = createSearchContext(database, code, vectors, {
    embeddingModel: model,
    maxQueryLength: parsed.maxQueryLength,
  });
  const codeSearch = new CodeSearch(context);
  const anchors = new PostgresAnchors(database, code);
  const lessons = new LessonStore(context, anchors);
  const checkpoints = new CheckpointStore(context, anchors);
  const embeddings = new EmbeddingStore(database, model);
  const leases = new Leases(database);
  const repositories = new RepositoryAdmin(database, code, { vectors: vectors !== null });
  const operations = new StoreOperations(database, model);
  const principals = new PostgresPrincipals(database);
  const jobs = new PostgresIndexJobs(database);

  /** Validation failures are thrown synchronously by the parts; callers always get a promise. */
  const run = <T>(work: () => Promise<T>): Promise<T> => {
    try {
      return work();
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  };

  const close = async (): Promise<void> => {
    if (database.closed) return;
    database.closed = true;
    await vectors?.close();
    if (ownsPool) await pool.end();
  };

  return {
    schema: parsed.schema,
    location: database.location,
    embeddingModel: model,

    upsertRepository: (input) => run(() => code.upsertRepository(input)),
    getRepository: (nameOrPath) => run(() => code.getRepository(nameOrPath)),
    listRepositories: () => run(() => code.listRepositories()),
    listRepositorySummaries: () => run(() => repositories.summaries()),
    renameRepository: (nameOrPath, newName) => run(() => repositories.rename(nameOrPath, newName)),
    readIndexedFile: (request) => run(() => repositories.readIndexedFile(request)),
    hasChunkVectors: (scope) => run(() => repositories.hasChunkVectors(scope)),
    deleteRepository: (id) => run(() => code.deleteRepository(id)),
    markRepositoryIndexed: (id, at) => run(() => code.markRepositoryIndexed(id, at)),
    listFiles: (repositoryId) => run(() => code.listFiles(repositoryId)),
    writeFile: (repositoryId, file, chunks) =>
      run(() => code.writeFile(repositoryId, file, chunks)),
    touchFile: (repositoryId, path, stat) => run(() => code.touchFile(repositoryId, path, stat)),
    deleteFiles: (repositoryId, paths) => run(() => code.deleteFiles(repositoryId, paths)),
    getChunk: (id) => run(() => code.getChunk(id)),
    searchCode: (request) => run(() => codeSearch.search(request)),

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
    getRecentCheckpoints: (request) => run(() => checkpoints.recent(request)),
    searchCheckpoints: (request) => run(() => checkpoints.search(request)),
    deleteCheckpoint: (id) => run(() => checkpoints.delete(id)),
    confirmCheckpoint: (id) => run(() => checkpoints.confirm(id)),
    getAgentStatus: (agent) => run(() => checkpoints.agentStatus(agent)),
    listAgents: () => run(() => checkpoints.listAgents()),

    pendingEmbeddings: (limit) => run(() => embeddings.pending(limit)),
    putEmbeddings: (items) => run(() => embeddings.put(items)),

    recordAudit: (entry) => run(() => operations.recordAudit(entry)),
    listAudit: (query) => run(() => operations.listAudit(query)),

    stats: () => run(() => operations.stats()),
    backup: () => run(() => operations.backup()),
    integrityCheck: () => run(() => operations.integrityCheck()),
    probeWrite: () => run(() => operations.probeWrite()),
    maintenance: (maintenanceOptions) => run(() => operations.maintenance(maintenanceOptions)),
    acquireLease: (name, holder, ttlMs) => run(() => leases.acquire(name, holder, ttlMs)),
    releaseLease: (name, holder) => run(() => leases.release(name, holder)),
    poolStatus: () => ({
      total: pool.totalCount,
      idle: pool.idleCount,
      waiting: pool.waitingCount,
      max: pool.options.max ?? parsed.maxConnections,
    }),
    transfer: new PostgresTransfer(database, model),

    principals: {
      createApiKey: (input) => run(() => principals.create(input)),
      listApiKeys: (listOptions) => run(() => principals.list(listOptions)),
      revokeApiKey: (id) => run(() => principals.revoke(id)),
      verifyApiKey: (secret) => run(() => principals.verify(secret)),
      hasApiKeys: () => run(() => principals.hasKeys()),
    },
    jobs: {
      enqueue: (job) => run(() => jobs.enqueue(job)),
      claim: (holder, claimOptions) => run(() => jobs.claim(holder, claimOptions)),
      heartbeat: (id, holder, beat) => run(() => jobs.heartbeat(id, holder, beat)),
      finish: (id, holder, outcome) => run(() => jobs.finish(id, holder, outcome)),
      release: (id, holder, progress) => run(() => jobs.release(id, holder, progress)),
      cancel: (id) => run(() => jobs.cancel(id)),
      get: (id) => run(() => jobs.get(id)),
      list: (limit) => run(() => jobs.list(limit)),
    },
    vectorIndexStatus: () =>
      run(() => database.read(async (db) => (vectors ? vectors.status(db) : null))),
    syncVectorIndex: () =>
      run(async () => {
        if (vectors instanceof MemoryVectorIndex) await vectors.syncAll();
        return database.read(async (db) => (vectors ? vectors.status(db) : null));
      }),

    close,
    [Symbol.asyncDispose]: close,
  };
}
