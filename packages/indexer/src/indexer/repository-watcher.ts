import { emptyIndexProgress, type Logger } from '@nellie/core';
import { watcherIgnoredDirectories } from '../internal/default-excludes.ts';
import { isIgnoreFile } from '../scan.ts';
import { watchDirectory, type DirectoryWatch, type WatchBatch } from '../watch.ts';
import type { IndexingPipeline } from './pipeline.ts';
import type { RepositoryState, RepositoryStates } from './repository-state.ts';

export interface WatcherSettings {
  debounceMs: number;
  maxWatchDelayMs: number;
  pollIntervalMs: number;
  /** More changed paths than this in one batch trigger one pass over the whole tree. */
  rescanThreshold: number;
  /** Whether the built-in excludes apply (their directories are not watched either). */
  defaultExcludes: boolean | readonly string[];
}

export interface RepositoryWatcherOptions {
  settings: WatcherSettings;
  logger: Logger;
  states: RepositoryStates;
  pipeline: IndexingPipeline;
  /** True once the indexer is closing: late batches and subscriptions are dropped. */
  isClosed: () => boolean;
}

/** Changes seen by a root's watcher that no pass has taken yet. */
interface Watched {
  watch: DirectoryWatch;
  paths: Set<string>;
  rescan: boolean;
  rootMissing: boolean;
  passScheduled: boolean;
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Live watching of repository roots: debounced batches of changed paths become passes over
 * just those paths (or over the whole tree when the batch is large, an ignore file changed or
 * the watcher lost track), run under the repository's lock.
 */
export class RepositoryWatcher {
  private readonly options: RepositoryWatcherOptions;
  private readonly watched = new Map<string, Watched>();

  constructor(options: RepositoryWatcherOptions) {
    this.options = options;
  }

  isWatching(root: string): boolean {
    return this.watched.has(root);
  }

  roots(): string[] {
    return [...this.watched.keys()].sort();
  }

  /**
   * Subscribes to changes below the repository's root. Returns false when the root was already
   * watched or the indexer closed meanwhile.
   */
  async watch(state: RepositoryState): Promise<boolean> {
    const { settings, logger, isClosed } = this.options;
    const root = state.root;
    if (this.watched.has(root)) return false;
    let entry: Watched | null = null;
    const watch = await watchDirectory(root, {
      debounceMs: settings.debounceMs,
      maxWaitMs: settings.maxWatchDelayMs,
      pollIntervalMs: settings.pollIntervalMs,
      ignoreDirectories: settings.defaultExcludes === true ? watcherIgnoredDirectories : ['.git'],
      logger,
      onActivity: (at) => {
        state.pendingSince ??= at;
      },
      onBatch: (batch) => {
        if (entry !== null && this.watched.get(root) === entry) this.onBatch(state, entry, batch);
      },
    });
    if (isClosed() || this.watched.has(root)) {
      await watch.close();
      return false;
    }
    entry = { watch, paths: new Set(), rescan: false, rootMissing: false, passScheduled: false };
    this.watched.set(root, entry);
    logger.info({ root, mode: watch.mode }, 'Watching a repository for changes.');
    return true;
  }

  async unwatch(state: RepositoryState): Promise<void> {
    const entry = this.watched.get(state.root);
    if (!entry) return;
    this.watched.delete(state.root);
    await entry.watch.close();
    state.pendingSince = null;
  }

  /** A full pass is about to run: it covers every change seen so far. */
  coveredByFullPass(root: string): void {
    const entry = this.watched.get(root);
    if (!entry) return;
    entry.paths.clear();
    entry.rescan = false;
    entry.rootMissing = false;
  }

  async close(): Promise<void> {
    const entries = [...this.watched.values()];
    this.watched.clear();
    await Promise.all(entries.map((entry) => entry.watch.close()));
  }

  private onBatch(state: RepositoryState, entry: Watched, batch: WatchBatch): void {
    if (this.options.isClosed()) return;
    state.pendingSince = Math.min(state.pendingSince ?? batch.since, batch.since);
    if (batch.rootMissing) {
      entry.rootMissing = true;
      entry.rescan = false;
      entry.paths.clear();
    } else if (batch.rescan) {
      entry.rootMissing = false;
      entry.rescan = true;
    }
    for (const path of batch.paths) {
      if (isIgnoreFile(path)) entry.rescan = true;
      else entry.paths.add(path);
    }
    if (entry.paths.size > this.options.settings.rescanThreshold) {
      entry.rescan = true;
      entry.paths.clear();
    }
    this.schedulePass(state, entry);
  }

  private schedulePass(state: RepositoryState, entry: Watched): void {
    if (entry.passScheduled) return;
    entry.passScheduled = true;
    const { states, pipeline, logger, isClosed } = this.options;
    void states.withLock(state, async () => {
      entry.passScheduled = false;
      if (isClosed() || this.watched.get(state.root) !== entry) return;
      const { paths, rescan, rootMissing } = entry;
      if (paths.size === 0 && !rescan && !rootMissing) {
        state.pendingSince = null;
        return;
      }
      entry.paths = new Set();
      entry.rescan = false;
      entry.rootMissing = false;
      state.processingSince = state.pendingSince;
      state.pendingSince = null;
      const progress = emptyIndexProgress();
      const started = Date.now();
      try {
        if (rootMissing) await pipeline.forgetAllFiles(state, progress);
        else if (rescan) await pipeline.fullPass(state, 'incremental', progress, null);
        else await pipeline.changedPaths(state, paths, progress);
        logger.debug(
          { root: state.root, ...progress, ms: Date.now() - started },
          'Indexed watched changes.',
        );
      } catch (error) {
        logger.error(
          { root: state.root, error: message(error) },
          'Indexing watched changes failed.',
        );
      } finally {
        state.processingSince = null;
      }
      if (entry.paths.size > 0 || entry.rescan || entry.rootMissing) {
        this.schedulePass(state, entry);
      }
    });
  }
}
