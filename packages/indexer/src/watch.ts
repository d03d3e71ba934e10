import { stat } from 'node:fs/promises';
import { relative, sep } from 'node:path';
import watcher from '@parcel/watcher';
import { noopLogger, type Logger } from '@nellie/core';

/** A debounced set of changes under a watched root. */
export interface WatchBatch {
  /** Changed, created or deleted paths relative to the root, with `/` separators. */
  paths: Set<string>;
  /**
   * The whole tree must be compared with the index: the root was recreated, the watcher lost
   * events, or watching fell back to polling.
   */
  rescan: boolean;
  /** The root no longer exists; everything indexed under it is gone. */
  rootMissing: boolean;
  /** When the oldest change in this batch was seen (ms since the epoch). */
  since: number;
}

export interface WatchDirectoryOptions {
  /** Quiet time before a batch is delivered. Defaults to 250 ms. */
  debounceMs?: number;
  /** A batch is delivered at the latest this long after its first change. Defaults to 2000 ms. */
  maxWaitMs?: number;
  /**
   * Once a batch holds this many paths (a branch switch, a large checkout), it waits for quiet
   * instead, up to `bulkMaxWaitMs`, so the whole operation becomes one batch. Defaults to 500.
   */
  bulkPaths?: number;
  /** Longest wait for a bulk batch to settle. Defaults to 30000 ms. */
  bulkMaxWaitMs?: number;
  /** Directory names whose trees are not watched at all (e.g. `node_modules`). */
  ignoreDirectories?: readonly string[];
  /** How often to check that the root still exists (and is the same directory). Defaults to 2000 ms. */
  healthCheckMs?: number;
  /** Interval of full rescans when native watching is unavailable. Defaults to 30000 ms. */
  pollIntervalMs?: number;
  /** Receives each batch; batches never overlap (the next waits for the promise). */
  onBatch: (batch: WatchBatch) => Promise<void> | void;
  /** Called as soon as a change is seen, before debouncing (for lag metrics). */
  onActivity?: (at: number) => void;
  logger?: Logger;
}

export interface DirectoryWatch {
  readonly root: string;
  /** `native` with OS events, `polling` when they are unavailable, `missing` while the root is gone. */
  readonly mode: 'native' | 'polling' | 'missing';
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

async function rootIdentity(root: string): Promise<string | null> {
  try {
    const info = await stat(root);
    return info.isDirectory() ? `${info.dev}:${info.ino}` : null;
  } catch {
    return null;
  }
}

/**
 * Watches a directory tree with native file system events, debounced into batches of relative
 * paths. Survives the root being deleted and recreated (reported as `rootMissing`, then
 * `rescan`), and falls back to periodic rescans when native watching fails (for example when the
 * inotify watch limit is reached).
 */
export async function watchDirectory(
  root: string,
  options: WatchDirectoryOptions,
): Promise<DirectoryWatch> {
  const logger = options.logger ?? noopLogger;
  const debounceMs = options.debounceMs ?? 250;
  const maxWaitMs = Math.max(debounceMs, options.maxWaitMs ?? 2000);
  const bulkPaths = options.bulkPaths ?? 500;
  const bulkMaxWaitMs = Math.max(maxWaitMs, options.bulkMaxWaitMs ?? 30_000);
  const ignore = (options.ignoreDirectories ?? []).flatMap((name) => [name, `**/${name}`]);

  let closed = false;
  let mode: DirectoryWatch['mode'] = 'native';
  let subscription: watcher.AsyncSubscription | null = null;
  let identity = await rootIdentity(root);
  let pending: WatchBatch | null = null;
  let timer: NodeJS.Timeout | null = null;
  let delivering: Promise<void> = Promise.resolve();
  let pollTimer: NodeJS.Timeout | null = null;

  const flush = (): void => {
    if (timer) clearTimeout(timer);
    timer = null;
    const batch = pending;
    pending = null;
    if (!batch || closed) return;
    delivering = delivering
      .then(() => options.onBatch(batch))
      .catch((error: unknown) => {
        logger.error(
          { root, error: error instanceof Error ? error.message : String(error) },
          'Handling file changes failed.',
        );
      });
  };

  const record = (change: { path?: string; rescan?: boolean; rootMissing?: boolean }): void => {
    if (closed) return;
    const now = Date.now();
    if (!pending) {
      pending = { paths: new Set(), rescan: false, rootMissing: false, since: now };
      options.onActivity?.(now);
    }
    if (change.path !== undefined) pending.paths.add(change.path);
    if (change.rescan) pending.rescan = true;
    if (change.rootMissing) {
      pending.rootMissing = true;
      pending.rescan = false;
      pending.paths.clear();
    } else if (change.rescan) {
      pending.rootMissing = false;
    }
    if (timer) clearTimeout(timer);
    const limit = pending.paths.size >= bulkPaths ? bulkMaxWaitMs : maxWaitMs;
    const wait = Math.max(0, Math.min(debounceMs, pending.since + limit - now));
    timer = setTimeout(flush, wait);
  };

  const onEvents = (error: Error | null, events: watcher.Event[]): void => {
    if (error) {
      logger.warn(
        { root, error: error.message },
        'The file watcher reported an error; rescanning.',
      );
      record({ rescan: true });
      return;
    }
    for (const event of events) {
      if (event.path === root) {
        if (event.type === 'delete') void checkRoot();
        continue;
      }
      const path = relative(root, event.path);
      if (path === '' || path.startsWith('..')) continue;
      record({ path: sep === '/' ? path : path.split(sep).join('/') });
    }
  };

  const subscribe = async (): Promise<void> => {
    try {
      subscription = await watcher.subscribe(root, onEvents, { ignore });
      mode = 'native';
      stopPolling();
    } catch (error) {
      subscription = null;
      mode = 'polling';
      logger.warn(
        { root, error: error instanceof Error ? error.message : String(error) },
        'Native file watching is unavailable; rescanning periodically instead.',
      );
      startPolling();
    }
  };

  const unsubscribe = async (): Promise<void> => {
    const current = subscription;
    subscription = null;
    if (current) {
      try {
        await current.unsubscribe();
      } catch {
        // The watched directory may already be gone.
      }
    }
  };

  const startPolling = (): void => {
    if (pollTimer) return;
    pollTimer = setInterval(() => record({ rescan: true }), options.pollIntervalMs ?? 30_000);
    pollTimer.unref();
  };
  const stopPolling = (): void => {
    if (pollTimer) clearInterval(pollTimer);
    pollTimer = null;
  };

  let checking: Promise<void> | null = null;
  const checkRoot = (): Promise<void> => {
    checking ??= (async () => {
      const current = await rootIdentity(root);
      if (closed) return;
      if (current === null && mode !== 'missing') {
        logger.warn({ root }, 'The watched directory disappeared; waiting for it to come back.');
        await unsubscribe();
        stopPolling();
        mode = 'missing';
        identity = null;
        record({ rootMissing: true });
      } else if (current !== null && current !== identity) {
        logger.info({ root }, 'The watched directory was recreated; rescanning it.');
        await unsubscribe();
        identity = current;
        await subscribe();
        record({ rescan: true });
      }
    })().finally(() => {
      checking = null;
    });
    return checking;
  };

  if (identity === null) mode = 'missing';
  else await subscribe();
  const health = setInterval(() => void checkRoot(), options.healthCheckMs ?? 2000);
  health.unref();

  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    clearInterval(health);
    stopPolling();
    if (timer) clearTimeout(timer);
    pending = null;
    await checking;
    await unsubscribe();
    await delivering;
  };

  return {
    root,
    get mode() {
      return mode;
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}
