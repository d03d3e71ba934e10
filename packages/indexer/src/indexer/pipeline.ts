import { basename } from 'node:path';
import type { IndexDiff, IndexJobMode, IndexProgress, Logger } from '@nellie/core';
import type { IndexerStore } from '../indexer-options.ts';
import { IgnoreRules } from '../internal/ignore-rules.ts';
import type { SecretFileMatcher } from '../internal/secret-files.ts';
import { emptyWalk, walkRoot, type ScanResult } from '../scan.ts';
import { reconcilePaths, reconcileRepository, sameStat, type PassContext } from './passes.ts';
import type { RepositoryState } from './repository-state.ts';
import { canonical } from './root-gate.ts';

export interface PipelineSettings {
  maxFileBytes: number;
  maxTokens: number;
  followSymlinks: boolean;
  fileConcurrency: number;
  defaultExcludes: boolean | readonly string[];
  include: readonly string[];
  exclude: readonly string[];
  /** Extra globs per repository root. */
  repositories: Record<string, { include?: readonly string[]; exclude?: readonly string[] }>;
}

/** The job a pass runs for, if any (watched changes run without one). */
export interface PassJob {
  signal: AbortSignal;
  /** Called after each file, for progress reporting. */
  onFile(): void;
  /** Called with the content hashes of chunks just written. */
  onChunksWritten(hashes: readonly string[]): void;
}

export interface PipelineOptions {
  settings: PipelineSettings;
  store: IndexerStore;
  logger: Logger;
  /** Skips files and directories named like secrets; null indexes them. */
  secrets: SecretFileMatcher | null;
  /** Absolute paths never entered or read (the server's data directory). */
  isProtected: (absolutePath: string) => boolean;
  /** Called with the content hashes of chunks just written, by any pass. */
  onChunksWritten: (hashes: readonly string[]) => void;
}

/**
 * The indexing pipeline: compares a repository on disk with its index (the whole tree, or the
 * paths a watcher reported) and brings the index up to date — scan, read, chunk, write.
 */
export class IndexingPipeline {
  private readonly options: PipelineOptions;
  private readonly repositoryGlobs: { root: string; include: string[]; exclude: string[] }[];

  constructor(options: PipelineOptions) {
    this.options = options;
    this.repositoryGlobs = Object.entries(options.settings.repositories).map(([root, globs]) => ({
      root: canonical(root),
      include: [...(globs.include ?? [])],
      exclude: [...(globs.exclude ?? [])],
    }));
  }

  /** Compares the whole tree with the index, with freshly read ignore rules. */
  async fullPass(
    state: RepositoryState,
    mode: IndexJobMode,
    progress: IndexProgress,
    job: PassJob | null,
  ): Promise<void> {
    const rules = await this.loadRules(state.root);
    state.rules = rules;
    await this.refreshingAnchors(state, (store) =>
      reconcileRepository(this.context(state, rules, mode, progress, job, store)),
    );
  }

  /** Indexes the paths a watcher reported, with the rules of the last full pass. */
  async changedPaths(
    state: RepositoryState,
    paths: Iterable<string>,
    progress: IndexProgress,
  ): Promise<void> {
    if (!state.rules) {
      await this.fullPass(state, 'incremental', progress, null);
      return;
    }
    const rules = state.rules;
    await this.refreshingAnchors(state, (store) =>
      reconcilePaths(this.context(state, rules, 'incremental', progress, null, store), paths),
    );
  }

  /**
   * Runs a pass with a store that notes the files it writes or deletes, then has the store
   * compare the anchors of memories on those files with their new code. A failed comparison is
   * logged, not fatal: the index itself is up to date.
   */
  private async refreshingAnchors(
    state: RepositoryState,
    pass: (store: IndexerStore) => Promise<void>,
  ): Promise<void> {
    const { store, logger } = this.options;
    const touched = new Set<string>();
    const noting: IndexerStore = {
      get embeddingModel() {
        return store.embeddingModel;
      },
      getRepository: (nameOrPath) => store.getRepository(nameOrPath),
      upsertRepository: (input) => store.upsertRepository(input),
      listFiles: (repositoryId) => store.listFiles(repositoryId),
      touchFile: (repositoryId, path, stat) => store.touchFile(repositoryId, path, stat),
      markRepositoryIndexed: (id, at) => store.markRepositoryIndexed(id, at),
      writeFile: async (repositoryId, file, chunks) => {
        await store.writeFile(repositoryId, file, chunks);
        touched.add(file.path);
      },
      deleteFiles: async (repositoryId, paths) => {
        const deleted = await store.deleteFiles(repositoryId, paths);
        for (const path of paths) touched.add(path);
        return deleted;
      },
    };
    try {
      await pass(noting);
    } finally {
      const repository = state.repository;
      if (store.refreshAnchors && repository && touched.size > 0) {
        try {
          await store.refreshAnchors(repository.id, [...touched]);
        } catch (error) {
          logger.warn(
            { root: state.root, files: touched.size, err: error },
            'Could not compare memory anchors with the re-indexed files.',
          );
        }
      }
    }
  }

  /** Removes every file of the repository from the index (its root is gone). */
  async forgetAllFiles(state: RepositoryState, progress: IndexProgress): Promise<void> {
    const { store, logger } = this.options;
    const files = await store.listFiles(state.repository!.id);
    const paths = files.map((file) => file.path);
    for (let start = 0; start < paths.length; start += 500) {
      progress.filesDeleted += await store.deleteFiles(
        state.repository!.id,
        paths.slice(start, start + 500),
      );
    }
    await store.refreshAnchors?.(state.repository!.id, paths);
    logger.info(
      { root: state.root, files: paths.length },
      'The watched directory is gone; removed its files from the index.',
    );
  }

  /** What differs between disk and index, without writing anything. */
  async diff(
    root: string,
    state: RepositoryState | undefined,
    signal: AbortSignal | undefined,
  ): Promise<IndexDiff> {
    const { store, settings } = this.options;
    const repository = await store.getRepository(root);
    const rules = await this.loadRules(root);
    const scan: Omit<ScanResult, 'roots'> = emptyWalk();
    await walkRoot(
      root,
      {
        rules,
        maxFileBytes: settings.maxFileBytes,
        followSymlinks: settings.followSymlinks,
        sniffContent: false,
        secrets: this.options.secrets,
        isProtected: this.options.isProtected,
        logger: this.options.logger,
        signal,
      },
      scan,
    );
    const indexed = new Map(
      (repository ? await store.listFiles(repository.id) : []).map((file) => [file.path, file]),
    );
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

  private globsFor(root: string): { include: string[]; exclude: string[] } {
    const include = [...this.options.settings.include];
    const exclude = [...this.options.settings.exclude];
    for (const entry of this.repositoryGlobs) {
      if (entry.root === root) {
        include.push(...entry.include);
        exclude.push(...entry.exclude);
      }
    }
    return { include, exclude };
  }

  private loadRules(root: string): Promise<IgnoreRules> {
    return IgnoreRules.load(root, {
      defaultExcludes: this.options.settings.defaultExcludes,
      ...this.globsFor(root),
    });
  }

  private context(
    state: RepositoryState,
    rules: IgnoreRules,
    mode: IndexJobMode,
    progress: IndexProgress,
    job: PassJob | null,
    store: IndexerStore,
  ): PassContext {
    const { settings, logger } = this.options;
    return {
      store,
      repository: state.repository!,
      root: state.root,
      rules,
      logger,
      signal: job?.signal,
      progress,
      maxFileBytes: settings.maxFileBytes,
      maxTokens: settings.maxTokens,
      followSymlinks: settings.followSymlinks,
      secrets: this.options.secrets,
      isProtected: this.options.isProtected,
      fileConcurrency: settings.fileConcurrency,
      mode,
      skipCache: state.skipCache,
      onChunksWritten: (hashes) => {
        job?.onChunksWritten(hashes);
        this.options.onChunksWritten(hashes);
      },
      onFile: job ? () => job.onFile() : undefined,
    };
  }
}
