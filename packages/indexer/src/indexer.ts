import { realpathSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { homedir } from 'node:os';
import { basename, resolve } from 'node:path';
import {
  NellieError,
  noopLogger,
  type CodeIndexer,
  type IndexDiff,
  type IndexerStatus,
  type IndexJob,
  type IndexJobMode,
  type IndexProgress,
  type Logger,
  type Repository,
} from '@nellie/core';
import { z } from 'zod';
import { defaultMaxTokens } from './chunk.ts';
import { indexerOptionsSchema, type IndexerOptions, type IndexerStore } from './indexer-options.ts';
import { watcherIgnoredDirectories } from './internal/default-excludes.ts';
import { EmbeddingPump } from './internal/embedding-pump.ts';
import { IgnoreRules } from './internal/ignore-rules.ts';
import { RootPolicy } from './internal/root-policy.ts';
import { SecretFileMatcher } from './internal/secret-files.ts';
import {
  emptyProgress,
  reconcilePaths,
  reconcileRepository,
  sameStat,
  type PassContext,
} from './internal/pipeline.ts';
import { emptyWalk, isIgnoreFile, resolveRoot, walkRoot, type ScanResult } from './scan.ts';
import { watchDirectory, type DirectoryWatch, type WatchBatch } from './watch.ts';

type Settings = z.output<typeof indexerOptionsSchema>;

interface JobRecord {
  job: IndexJob;
  controller: AbortController;
  waiters: (() => void)[];
  /** Content hashes of chunks this job wrote that may still lack vectors. */
  pendingHashes: Set<string>;
  lastReported: number;
}

interface RepositoryState {
  root: string;
  repository: Repository | null;
  /** The queued or running job, if any. */
  activeJob: JobRecord | null;
  /** Serialises passes over this repository. */
  lock: Promise<void>;
  rules: IgnoreRules | null;
  skipCache: Map<string, string>;
  watch: DirectoryWatch | null;
  /** Changes seen by the watcher that no pass has taken yet. */
  pendingPaths: Set<string>;
  pendingRescan: boolean;
  pendingRootMissing: boolean;
  /** When the oldest change not yet indexed was seen, or null when up to date. */
  pendingSince: number | null;
  processingSince: number | null;
  passScheduled: boolean;
}

const finishedStates = new Set(['succeeded', 'failed', 'cancelled']);

function snapshot(record: JobRecord): IndexJob {
  const { job } = record;
  return {
    ...job,
    progress: { ...job.progress, chunksPendingEmbedding: record.pendingHashes.size },
  };
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Creates the background indexer: jobs over repositories (one at a time per repository),
 * live watching, and the embedding pump that fills in vectors for everything the store reports
 * as pending.
 */
export function createIndexer(options: IndexerOptions): CodeIndexer {
  const parsed = indexerOptionsSchema.safeParse(options);
  if (!parsed.success) {
    throw new NellieError('INVALID_OPTIONS', z.prettifyError(parsed.error), {
      cause: parsed.error,
    });
  }
  if (!options || typeof options.store !== 'object' || options.store === null) {
    throw new NellieError('INVALID_OPTIONS', 'createIndexer needs a store.');
  }
  return new Indexer(parsed.data, options);
}

class Indexer implements CodeIndexer {
  private readonly settings: Settings;
  private readonly store: IndexerStore;
  private readonly logger: Logger;
  private readonly onProgress: IndexerOptions['onProgress'];
  private readonly maxTokens: number;
  private readonly jobs = new Map<string, JobRecord>();
  private readonly queue: JobRecord[] = [];
  private readonly repositories = new Map<string, RepositoryState>();
  private readonly pump: EmbeddingPump;
  private readonly vectorsEnabled: boolean;
  private readonly repositoryGlobs: { root: string; include: string[]; exclude: string[] }[];
  private readonly roots: RootPolicy;
  private readonly secrets: SecretFileMatcher | null;
  private running = 0;
  private closed = false;

  constructor(settings: Settings, options: IndexerOptions) {
    this.settings = settings;
    this.roots = new RootPolicy({
      allowedRoots: settings.allowedRoots && withCanonical(settings.allowedRoots),
      protectedPaths: withCanonical(settings.protectedPaths),
      homeDirectories: withCanonical(settings.homeDirectories ?? [homedir()]),
      hint: settings.allowedRootsHint,
    });
    this.secrets = settings.excludeSecretFiles ? new SecretFileMatcher() : null;
    this.store = options.store;
    this.logger = options.logger ?? noopLogger;
    this.onProgress = options.onProgress;
    this.maxTokens = settings.maxTokens ?? options.embedder?.maxTokens ?? defaultMaxTokens;
    this.vectorsEnabled =
      this.store.embeddingModel !== null && this.store.embeddingModel !== undefined;
    this.repositoryGlobs = Object.entries(settings.repositories).map(([root, globs]) => ({
      root: canonical(root),
      include: globs.include ?? [],
      exclude: globs.exclude ?? [],
    }));
    this.pump = new EmbeddingPump({
      sink: this.store,
      embedder: options.embedder,
      logger: this.logger,
      batchSize: settings.embeddingBatchSize,
      parallelBatches: settings.embeddingParallelBatches,
      idleMs: settings.embeddingPollMs,
      backoffMs: settings.embeddingRetryMs,
      maxBackoffMs: 60_000,
      onEmbedded: (hashes) => {
        for (const record of this.jobs.values()) {
          if (record.pendingHashes.size === 0) continue;
          for (const hash of hashes) record.pendingHashes.delete(hash);
        }
      },
      onDrained: () => {
        for (const record of this.jobs.values()) record.pendingHashes.clear();
      },
    });
    this.pump.start();
  }

  // ---------------------------------------------------------------- jobs

  async startJob(request: { rootPath: string; mode?: IndexJobMode }): Promise<IndexJob> {
    this.assertOpen();
    const mode = request?.mode ?? 'incremental';
    if (mode !== 'incremental' && mode !== 'full') {
      throw new NellieError(
        'INVALID_INPUT',
        `Unknown index mode "${String(mode)}"; use incremental or full.`,
      );
    }
    const root = await this.authorizeRoot(request?.rootPath);
    this.assertOpen();
    const state = this.stateFor(root);
    if (state.activeJob) return snapshot(state.activeJob);
    const record: JobRecord = {
      job: {
        id: randomUUID(),
        repository: state.repository?.name ?? basename(root),
        rootPath: root,
        mode,
        state: 'queued',
        progress: emptyProgress(),
        createdAt: new Date().toISOString(),
        startedAt: null,
        finishedAt: null,
        error: null,
      },
      controller: new AbortController(),
      waiters: [],
      pendingHashes: new Set(),
      lastReported: 0,
    };
    state.activeJob = record;
    try {
      state.repository = await this.store.upsertRepository({ rootPath: root });
    } catch (error) {
      state.activeJob = null;
      throw error;
    }
    record.job.repository = state.repository.name;
    this.jobs.set(record.job.id, record);
    this.trimHistory();
    this.queue.push(record);
    this.report(record, true);
    this.schedule();
    return snapshot(record);
  }

  getJob(id: string): IndexJob | null {
    const record = this.jobs.get(id);
    return record ? snapshot(record) : null;
  }

  listJobs(): IndexJob[] {
    return [...this.jobs.values()].reverse().map(snapshot);
  }

  cancelJob(id: string): IndexJob {
    const record = this.jobs.get(id);
    if (!record) throw new NellieError('NOT_FOUND', `No index job with id ${id}.`);
    if (record.job.state === 'queued') {
      const index = this.queue.indexOf(record);
      if (index !== -1) this.queue.splice(index, 1);
      this.finish(record, 'cancelled', null);
    } else if (record.job.state === 'running') {
      record.controller.abort();
    }
    return snapshot(record);
  }

  waitForJob(id: string, options: { signal?: AbortSignal } = {}): Promise<IndexJob> {
    const record = this.jobs.get(id);
    if (!record) return Promise.reject(new NellieError('NOT_FOUND', `No index job with id ${id}.`));
    if (finishedStates.has(record.job.state)) return Promise.resolve(snapshot(record));
    const { signal } = options;
    return new Promise<IndexJob>((resolvePromise, reject) => {
      const onAbort = (): void => {
        record.waiters = record.waiters.filter((waiter) => waiter !== done);
        reject(new NellieError('ABORTED', 'Waiting for the index job was cancelled.'));
      };
      const done = (): void => {
        signal?.removeEventListener('abort', onAbort);
        resolvePromise(snapshot(record));
      };
      if (signal?.aborted) {
        onAbort();
        return;
      }
      signal?.addEventListener('abort', onAbort, { once: true });
      record.waiters.push(done);
    });
  }

  private schedule(): void {
    while (
      !this.closed &&
      this.running < this.settings.maxConcurrentJobs &&
      this.queue.length > 0
    ) {
      const record = this.queue.shift()!;
      this.running += 1;
      void this.runJob(record).finally(() => {
        this.running -= 1;
        this.schedule();
      });
    }
  }

  private async runJob(record: JobRecord): Promise<void> {
    const state = this.stateFor(record.job.rootPath);
    await this.withLock(state, async () => {
      if (record.job.state !== 'queued') return;
      if (this.closed) {
        this.finish(record, 'cancelled', null);
        return;
      }
      record.job.state = 'running';
      record.job.startedAt = new Date().toISOString();
      this.report(record, true);
      try {
        // Changes the watcher saw so far are covered by this pass.
        const since = state.pendingSince;
        state.pendingPaths.clear();
        state.pendingRescan = false;
        state.pendingRootMissing = false;
        state.processingSince = since;
        state.pendingSince = null;
        await this.fullPass(state, record.job.mode, record.job.progress, record);
        await this.store.markRepositoryIndexed(state.repository!.id);
        this.finish(record, 'succeeded', null);
      } catch (error) {
        if (
          record.controller.signal.aborted ||
          (NellieError.is(error) && error.code === 'ABORTED')
        ) {
          this.finish(record, 'cancelled', null);
        } else {
          this.logger.error({ root: state.root, error: message(error) }, 'Index job failed.');
          this.finish(record, 'failed', message(error));
        }
      } finally {
        state.processingSince = null;
      }
    });
  }

  private finish(
    record: JobRecord,
    state: 'succeeded' | 'failed' | 'cancelled',
    error: string | null,
  ): void {
    record.job.state = state;
    record.job.error = error;
    record.job.finishedAt = new Date().toISOString();
    const repository = this.repositories.get(record.job.rootPath);
    if (repository?.activeJob === record) repository.activeJob = null;
    this.report(record, true);
    const waiters = record.waiters;
    record.waiters = [];
    for (const waiter of waiters) waiter();
  }

  private report(record: JobRecord, force: boolean): void {
    if (!this.onProgress) return;
    const now = Date.now();
    if (!force && now - record.lastReported < 250) return;
    record.lastReported = now;
    try {
      this.onProgress(snapshot(record));
    } catch (error) {
      this.logger.warn({ error: message(error) }, 'An onProgress callback threw.');
    }
  }

  private trimHistory(): void {
    const excess = this.jobs.size - this.settings.jobHistory;
    if (excess <= 0) return;
    let removed = 0;
    for (const [id, record] of this.jobs) {
      if (removed >= excess) break;
      if (finishedStates.has(record.job.state)) {
        this.jobs.delete(id);
        removed += 1;
      }
    }
  }

  // ---------------------------------------------------------------- roots

  /**
   * The one gate of every path a caller asks to index, watch or compare. The path is checked as
   * given before the file system is touched (so a refused path's existence is not revealed),
   * then again once symbolic links are resolved, so `..` and links cannot leave an allowed root.
   */
  private async authorizeRoot(input: string): Promise<string> {
    const given = typeof input === 'string' && input.trim() !== '' ? resolve(input) : null;
    const early = given === null ? null : await this.rootRefusal(given);
    // System directories and the data directory are refused as named, wherever links lead.
    if (early !== null && this.roots.fixedRefusal(given!) !== null) throw early;
    let root: string;
    try {
      root = await resolveRoot(input);
    } catch (error) {
      throw early ?? error;
    }
    const refusal = await this.rootRefusal(root);
    if (refusal !== null) throw refusal;
    return root;
  }

  private async rootRefusal(root: string): Promise<NellieError | null> {
    const quick = this.roots.refusal(root, { registered: true });
    if (quick !== null) return quick;
    const registered = (await this.store.getRepository(root))?.rootPath === root;
    return registered ? null : this.roots.refusal(root, { registered: false });
  }

  // ---------------------------------------------------------------- passes

  private stateFor(root: string): RepositoryState {
    let state = this.repositories.get(root);
    if (!state) {
      state = {
        root,
        repository: null,
        activeJob: null,
        lock: Promise.resolve(),
        rules: null,
        skipCache: new Map(),
        watch: null,
        pendingPaths: new Set(),
        pendingRescan: false,
        pendingRootMissing: false,
        pendingSince: null,
        processingSince: null,
        passScheduled: false,
      };
      this.repositories.set(root, state);
    }
    return state;
  }

  private withLock<T>(state: RepositoryState, task: () => Promise<T>): Promise<T> {
    const result = state.lock.then(task);
    state.lock = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }

  private globsFor(root: string): { include: string[]; exclude: string[] } {
    const include = [...this.settings.include];
    const exclude = [...this.settings.exclude];
    for (const entry of this.repositoryGlobs) {
      if (entry.root === root) {
        include.push(...entry.include);
        exclude.push(...entry.exclude);
      }
    }
    return { include, exclude };
  }

  private async loadRules(root: string): Promise<IgnoreRules> {
    return IgnoreRules.load(root, {
      defaultExcludes: this.settings.defaultExcludes,
      ...this.globsFor(root),
    });
  }

  private passContext(
    state: RepositoryState,
    rules: IgnoreRules,
    mode: IndexJobMode,
    progress: IndexProgress,
    record: JobRecord | null,
  ): PassContext {
    return {
      store: this.store,
      repository: state.repository!,
      root: state.root,
      rules,
      logger: this.logger,
      signal: record?.controller.signal,
      progress,
      maxFileBytes: this.settings.maxFileBytes,
      maxTokens: this.maxTokens,
      followSymlinks: this.settings.followSymlinks,
      secrets: this.secrets,
      isProtected: (path) => this.roots.isProtected(path),
      fileConcurrency: this.settings.fileConcurrency,
      mode,
      skipCache: state.skipCache,
      onChunksWritten: (hashes) => {
        if (this.vectorsEnabled && record) {
          for (const hash of hashes) record.pendingHashes.add(hash);
        }
        this.pump.wake();
      },
      onFile: record ? () => this.report(record, false) : undefined,
    };
  }

  /** Compares the whole tree with the index, with freshly read ignore rules. */
  private async fullPass(
    state: RepositoryState,
    mode: IndexJobMode,
    progress: IndexProgress,
    record: JobRecord | null,
  ): Promise<void> {
    const rules = await this.loadRules(state.root);
    state.rules = rules;
    await reconcileRepository(this.passContext(state, rules, mode, progress, record));
  }

  // ---------------------------------------------------------------- watching

  async watch(rootPath: string): Promise<void> {
    this.assertOpen();
    const root = await this.authorizeRoot(rootPath);
    const state = this.stateFor(root);
    if (state.watch) return;
    state.repository ??= await this.store.upsertRepository({ rootPath: root });
    // Subscribe before the first pass, so nothing that changes during it is missed.
    const watch = await watchDirectory(root, {
      debounceMs: this.settings.debounceMs,
      maxWaitMs: this.settings.maxWatchDelayMs,
      pollIntervalMs: this.settings.pollIntervalMs,
      ignoreDirectories:
        this.settings.defaultExcludes === true ? watcherIgnoredDirectories : ['.git'],
      logger: this.logger,
      onActivity: (at) => {
        state.pendingSince ??= at;
      },
      onBatch: (batch) => this.onWatchBatch(state, batch),
    });
    if (this.closed || state.watch) {
      await watch.close();
      return;
    }
    state.watch = watch;
    this.logger.info({ root, mode: watch.mode }, 'Watching a repository for changes.');
    await this.startJob({ rootPath: root, mode: 'incremental' });
  }

  async unwatch(rootPath: string): Promise<void> {
    const root = canonical(rootPath);
    const state = this.repositories.get(root) ?? this.repositories.get(resolve(rootPath));
    if (!state?.watch) return;
    const watch = state.watch;
    state.watch = null;
    await watch.close();
    state.pendingPaths.clear();
    state.pendingRescan = false;
    state.pendingRootMissing = false;
    state.pendingSince = null;
  }

  private onWatchBatch(state: RepositoryState, batch: WatchBatch): void {
    if (this.closed || !state.watch) return;
    state.pendingSince = Math.min(state.pendingSince ?? batch.since, batch.since);
    if (batch.rootMissing) {
      state.pendingRootMissing = true;
      state.pendingRescan = false;
      state.pendingPaths.clear();
    } else if (batch.rescan) {
      state.pendingRootMissing = false;
      state.pendingRescan = true;
    }
    for (const path of batch.paths) {
      if (isIgnoreFile(path)) state.pendingRescan = true;
      else state.pendingPaths.add(path);
    }
    if (state.pendingPaths.size > this.settings.rescanThreshold) {
      state.pendingRescan = true;
      state.pendingPaths.clear();
    }
    this.scheduleWatchPass(state);
  }

  private scheduleWatchPass(state: RepositoryState): void {
    if (state.passScheduled) return;
    state.passScheduled = true;
    void this.withLock(state, async () => {
      state.passScheduled = false;
      if (this.closed || !state.watch) return;
      const paths = state.pendingPaths;
      const rescan = state.pendingRescan;
      const rootMissing = state.pendingRootMissing;
      if (paths.size === 0 && !rescan && !rootMissing) {
        state.pendingSince = null;
        return;
      }
      state.pendingPaths = new Set();
      state.pendingRescan = false;
      state.pendingRootMissing = false;
      state.processingSince = state.pendingSince;
      state.pendingSince = null;
      const progress = emptyProgress();
      const started = Date.now();
      try {
        if (rootMissing) {
          await this.forgetAllFiles(state, progress);
        } else if (rescan || !state.rules) {
          await this.fullPass(state, 'incremental', progress, null);
        } else {
          await reconcilePaths(
            this.passContext(state, state.rules, 'incremental', progress, null),
            paths,
          );
        }
        this.logger.debug(
          { root: state.root, ...progress, ms: Date.now() - started },
          'Indexed watched changes.',
        );
      } catch (error) {
        this.logger.error(
          { root: state.root, error: message(error) },
          'Indexing watched changes failed.',
        );
      } finally {
        state.processingSince = null;
      }
      if (state.pendingPaths.size > 0 || state.pendingRescan || state.pendingRootMissing) {
        this.scheduleWatchPass(state);
      }
    });
  }

  private async forgetAllFiles(state: RepositoryState, progress: IndexProgress): Promise<void> {
    const files = await this.store.listFiles(state.repository!.id);
    const paths = files.map((file) => file.path);
    for (let start = 0; start < paths.length; start += 500) {
      progress.filesDeleted += await this.store.deleteFiles(
        state.repository!.id,
        paths.slice(start, start + 500),
      );
    }
    this.logger.info(
      { root: state.root, files: paths.length },
      'The watched directory is gone; removed its files from the index.',
    );
  }

  // ---------------------------------------------------------------- queries

  async diff(rootPath: string, options: { signal?: AbortSignal } = {}): Promise<IndexDiff> {
    this.assertOpen();
    const root = await this.authorizeRoot(rootPath);
    const repository = await this.store.getRepository(root);
    const rules = await this.loadRules(root);
    const scan: Omit<ScanResult, 'roots'> = emptyWalk();
    await walkRoot(
      root,
      {
        rules,
        maxFileBytes: this.settings.maxFileBytes,
        followSymlinks: this.settings.followSymlinks,
        sniffContent: false,
        secrets: this.secrets,
        isProtected: (path) => this.roots.isProtected(path),
        logger: this.logger,
        signal: options.signal,
      },
      scan,
    );
    const indexed = new Map(
      (repository ? await this.store.listFiles(repository.id) : []).map((file) => [
        file.path,
        file,
      ]),
    );
    const state = this.repositories.get(root);
    const result: IndexDiff = {
      repository: repository?.name ?? basename(root),
      rootPath: root,
      added: [],
      changed: [],
      deleted: [],
      unchanged: 0,
    };
    const onDisk = new Set<string>();
    for (const file of scan.files) {
      onDisk.add(file.path);
      const previous = indexed.get(file.path);
      if (!previous) {
        // Files already found not indexable (binary content, minified) are not news.
        if (state?.skipCache.has(file.path)) continue;
        result.added.push(file.path);
      } else if (sameStat(previous, file)) result.unchanged += 1;
      else result.changed.push(file.path);
    }
    const unreadable = scan.skipped
      .filter((entry) => entry.reason === 'unreadable')
      .map((entry) => entry.path);
    for (const path of indexed.keys()) {
      if (onDisk.has(path)) continue;
      if (unreadable.some((prefix) => path === prefix || path.startsWith(`${prefix}/`))) continue;
      result.deleted.push(path);
    }
    result.added.sort();
    result.changed.sort();
    result.deleted.sort();
    return result;
  }

  waitForEmbeddings(options: { signal?: AbortSignal } = {}): Promise<void> {
    if (this.closed)
      return Promise.reject(new NellieError('STORE_CLOSED', 'The indexer is closed.'));
    return this.pump.waitForIdle(options.signal);
  }

  status(): IndexerStatus {
    let oldest: number | null = null;
    const watchedRoots: string[] = [];
    for (const state of this.repositories.values()) {
      if (state.watch) watchedRoots.push(state.root);
      for (const since of [state.pendingSince, state.processingSince]) {
        if (since !== null && (oldest === null || since < oldest)) oldest = since;
      }
    }
    let jobsRunning = 0;
    for (const record of this.jobs.values()) if (record.job.state === 'running') jobsRunning += 1;
    return {
      jobsRunning,
      jobsQueued: this.queue.length,
      watchedRoots: watchedRoots.sort(),
      embeddingBacklog: this.pump.enabled ? this.pump.backlog : 0,
      indexLagSeconds: oldest === null ? 0 : Math.max(0, (Date.now() - oldest) / 1000),
    };
  }

  // ---------------------------------------------------------------- lifecycle

  private assertOpen(): void {
    if (this.closed) throw new NellieError('STORE_CLOSED', 'The indexer is closed.');
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.queue.splice(0);
    for (const record of this.jobs.values()) {
      if (record.job.state === 'queued') this.finish(record, 'cancelled', null);
      else if (record.job.state === 'running') record.controller.abort();
    }
    await Promise.all(
      [...this.repositories.values()].map(async (state) => {
        const watch = state.watch;
        state.watch = null;
        await watch?.close();
      }),
    );
    // Let running passes notice the abort and release their locks.
    await Promise.all([...this.repositories.values()].map((state) => state.lock));
    await this.pump.close();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/** Configured paths as given and as resolved, so both spellings match. */
function withCanonical(paths: readonly string[]): string[] {
  return [...new Set(paths.flatMap((path) => [resolve(path), canonical(path)]))];
}

/** The canonical form of a configured root path (symlinks resolved when it exists). */
function canonical(path: string): string {
  const absolute = resolve(path);
  try {
    return realpathSync(absolute);
  } catch {
    return absolute;
  }
}
