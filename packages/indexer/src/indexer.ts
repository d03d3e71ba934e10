import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { basename, resolve } from 'node:path';
import {
  NellieError,
  noopLogger,
  type CodeIndexer,
  type IndexDiff,
  type IndexerStatus,
  type IndexJob,
  type IndexJobMode,
  type Logger,
} from '@nellie/core';
import { z } from 'zod';
import { defaultMaxTokens } from './chunk.ts';
import type { EmbeddingPump } from './embedding-pump-options.ts';
import { indexerOptionsSchema, type IndexerOptions, type IndexerStore } from './indexer-options.ts';
import { JobQueue, type IndexJobQueue, type JobRecord } from './indexer/job-queue.ts';
import { IndexingPipeline } from './indexer/pipeline.ts';
import { RepositoryStates } from './indexer/repository-state.ts';
import { RepositoryWatcher } from './indexer/repository-watcher.ts';
import { canonical, RootGate } from './indexer/root-gate.ts';
import { SharedJobQueue } from './indexer/shared-job-queue.ts';
import { SecretFileMatcher } from './internal/secret-files.ts';

/**
 * Creates the background indexer: jobs over repositories (one at a time per repository) and
 * live watching. Vectors are filled in by the embedding pump given as `embeddingPump`
 * (`createEmbeddingPump()`), which the indexer wakes after writing chunks but does not own.
 */
export function createIndexer(options: IndexerOptions): CodeIndexer {
  if (options && 'embedder' in options) {
    throw new NellieError(
      'INVALID_OPTIONS',
      'createIndexer no longer takes an embedder: create the pump with ' +
        'createEmbeddingPump({ store, embedder }) and pass it as embeddingPump.',
    );
  }
  const parsed = indexerOptionsSchema.safeParse(options);
  if (!parsed.success) {
    throw new NellieError('INVALID_OPTIONS', z.prettifyError(parsed.error), {
      cause: parsed.error,
    });
  }
  if (!options || typeof options.store !== 'object' || options.store === null) {
    throw new NellieError('INVALID_OPTIONS', 'createIndexer needs a store.');
  }
  const pump = options.embeddingPump;
  const jobStore = options.jobStore;
  if (jobStore !== undefined && typeof jobStore?.claim !== 'function') {
    throw new NellieError('INVALID_OPTIONS', 'jobStore must be an IndexJobStore (store.jobs).');
  }
  if (pump !== undefined && (typeof pump !== 'object' || typeof pump?.wake !== 'function')) {
    throw new NellieError(
      'INVALID_OPTIONS',
      'embeddingPump must be an embedding pump from createEmbeddingPump().',
    );
  }
  return new Indexer(parsed.data, options);
}

/** Wires the parts: root gate → job queue / watcher → pipeline, and the embedding pump. */
class Indexer implements CodeIndexer {
  private readonly store: IndexerStore;
  private readonly pump: EmbeddingPump | undefined;
  private readonly gate: RootGate;
  private readonly states = new RepositoryStates();
  private readonly pipeline: IndexingPipeline;
  private readonly jobs: IndexJobQueue;
  private readonly watcher: RepositoryWatcher;
  private readonly unsubscribe: () => void;
  private closed = false;

  constructor(settings: z.output<typeof indexerOptionsSchema>, options: IndexerOptions) {
    const logger: Logger = options.logger ?? noopLogger;
    this.store = options.store;
    this.pump = options.embeddingPump;
    this.gate = new RootGate({
      allowedRoots: settings.allowedRoots,
      protectedPaths: settings.protectedPaths,
      homeDirectories: settings.homeDirectories,
      hint: settings.allowedRootsHint,
      store: this.store,
    });
    // Without vectors in the store, nothing a job writes waits for an embedding.
    const vectorsEnabled =
      this.store.embeddingModel !== null && this.store.embeddingModel !== undefined;
    this.pipeline = new IndexingPipeline({
      settings: {
        maxFileBytes: settings.maxFileBytes,
        maxTokens: settings.maxTokens ?? defaultMaxTokens,
        followSymlinks: settings.followSymlinks,
        fileConcurrency: settings.fileConcurrency,
        defaultExcludes: settings.defaultExcludes,
        include: settings.include,
        exclude: settings.exclude,
        repositories: settings.repositories,
      },
      store: this.store,
      logger,
      secrets: settings.excludeSecretFiles ? new SecretFileMatcher() : null,
      isProtected: (path) => this.gate.isProtected(path),
      onChunksWritten: () => this.pump?.wake(),
    });
    const queueOptions = {
      maxConcurrent: settings.maxConcurrentJobs,
      history: settings.jobHistory,
      logger,
      onProgress: options.onProgress,
      withLock: (root: string, task: () => Promise<void>) =>
        this.states.withLock(this.states.for(root), task),
      execute: (record: JobRecord) => this.execute(record, vectorsEnabled),
    };
    this.jobs = options.jobStore
      ? new SharedJobQueue({
          ...queueOptions,
          store: options.jobStore,
          holder: settings.jobHolder ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`,
          leaseMs: settings.jobLeaseMs,
          pollMs: settings.jobPollMs,
          maxAttempts: settings.jobMaxAttempts,
          ...(settings.jobClaimOwnAfterMs === undefined
            ? {}
            : { claimOwnAfterMs: settings.jobClaimOwnAfterMs }),
        })
      : new JobQueue(queueOptions);
    this.watcher = new RepositoryWatcher({
      settings: {
        debounceMs: settings.debounceMs,
        maxWatchDelayMs: settings.maxWatchDelayMs,
        pollIntervalMs: settings.pollIntervalMs,
        rescanThreshold: settings.rescanThreshold,
        defaultExcludes: settings.defaultExcludes,
      },
      logger,
      states: this.states,
      pipeline: this.pipeline,
      isClosed: () => this.closed,
    });
    this.unsubscribe =
      this.pump?.subscribe({
        embedded: (hashes) => this.jobs.embedded(hashes),
        drained: () => this.jobs.drained(),
      }) ?? (() => {});
  }

  async startJob(request: { rootPath: string; mode?: IndexJobMode }): Promise<IndexJob> {
    this.assertOpen();
    const mode = request?.mode ?? 'incremental';
    if (mode !== 'incremental' && mode !== 'full') {
      throw new NellieError(
        'INVALID_INPUT',
        `Unknown index mode "${String(mode)}"; use incremental or full.`,
      );
    }
    const root = await this.gate.authorize(request?.rootPath);
    this.assertOpen();
    const state = this.states.for(root);
    return this.jobs.add(root, mode, state.repository?.name ?? basename(root), async () => {
      state.repository = await this.store.upsertRepository({ rootPath: root });
      return state.repository.name;
    });
  }

  getJob(id: string): IndexJob | null {
    return this.jobs.get(id);
  }

  fetchJob(id: string): Promise<IndexJob | null> {
    return this.jobs.fetch ? this.jobs.fetch(id) : Promise.resolve(this.jobs.get(id));
  }

  listJobs(): IndexJob[] {
    return this.jobs.list();
  }

  cancelJob(id: string): IndexJob {
    return this.jobs.cancel(id);
  }

  async cancelStoredJob(id: string): Promise<IndexJob> {
    return this.jobs.cancelStored ? this.jobs.cancelStored(id) : this.jobs.cancel(id);
  }

  waitForJob(id: string, options: { signal?: AbortSignal } = {}): Promise<IndexJob> {
    return this.jobs.wait(id, options);
  }

  private async execute(record: JobRecord, vectorsEnabled: boolean): Promise<void> {
    // A job queued by another server is checked against this server's roots too.
    const root = await this.gate.authorize(record.job.rootPath);
    const state = this.states.for(root);
    state.repository ??= await this.store.upsertRepository({ rootPath: root });
    // Changes the watcher saw so far are covered by this pass.
    this.watcher.coveredByFullPass(state.root);
    state.processingSince = state.pendingSince;
    state.pendingSince = null;
    try {
      await this.pipeline.fullPass(state, record.job.mode, record.job.progress, {
        signal: record.controller.signal,
        onFile: () => this.jobs.progressed(record),
        onChunksWritten: (hashes) => {
          if (vectorsEnabled) for (const hash of hashes) record.pendingHashes.add(hash);
        },
      });
      await this.store.markRepositoryIndexed(state.repository.id);
    } finally {
      state.processingSince = null;
    }
  }

  async watch(rootPath: string): Promise<void> {
    this.assertOpen();
    const root = await this.gate.authorize(rootPath);
    const state = this.states.for(root);
    if (this.watcher.isWatching(root)) return;
    state.repository ??= await this.store.upsertRepository({ rootPath: root });
    // Subscribe before the first pass, so nothing that changes during it is missed.
    if (await this.watcher.watch(state)) {
      await this.startJob({ rootPath: root, mode: 'incremental' });
    }
  }

  async unwatch(rootPath: string): Promise<void> {
    const state = this.states.get(canonical(rootPath)) ?? this.states.get(resolve(rootPath));
    if (state) await this.watcher.unwatch(state);
  }

  async diff(rootPath: string, options: { signal?: AbortSignal } = {}): Promise<IndexDiff> {
    this.assertOpen();
    const root = await this.gate.authorize(rootPath);
    return this.pipeline.diff(root, this.states.get(root), options.signal);
  }

  waitForEmbeddings(options: { signal?: AbortSignal } = {}): Promise<void> {
    if (this.closed) {
      return Promise.reject(new NellieError('STORE_CLOSED', 'The indexer is closed.'));
    }
    return this.pump ? this.pump.waitForIdle(options) : Promise.resolve();
  }

  status(): IndexerStatus {
    const oldest = this.states.oldestUnindexedChange();
    const { running, queued } = this.jobs.counts();
    return {
      jobsRunning: running,
      jobsQueued: queued,
      watchedRoots: this.watcher.roots(),
      embeddingBacklog: this.pump?.enabled ? this.pump.backlog : 0,
      indexLagSeconds: oldest === null ? 0 : Math.max(0, (Date.now() - oldest) / 1000),
    };
  }

  private assertOpen(): void {
    if (this.closed) throw new NellieError('STORE_CLOSED', 'The indexer is closed.');
  }

  /** Stops jobs and watchers and waits for running passes; the embedding pump keeps running. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.unsubscribe();
    const jobsClosed = this.jobs.close();
    await this.watcher.close();
    // Let running passes notice the abort and release their locks.
    await this.states.settled();
    await jobsClosed;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
