import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import type { CodeIndexer, Logger } from '@nellie/core';
import type { PostgresStore } from '@nellie/postgres';

export interface WatchLeases {
  /** Stops renewing, stops the watchers this server holds and gives their leases up. */
  stop(): Promise<void>;
}

/**
 * Several servers on one database, each configured to watch the same repositories: each
 * repository is watched by the one server holding its lease. Leases are renewed every third of
 * their time; when the holder dies (or loses the database for longer than the lease), another
 * server takes the lease over and starts watching, which first indexes what changed meanwhile.
 */
export function holdWatchLeases(options: {
  store: Pick<PostgresStore, 'acquireLease' | 'releaseLease'>;
  indexer: Pick<CodeIndexer, 'watch' | 'unwatch'>;
  roots: readonly string[];
  ttlMs: number;
  logger: Logger;
}): WatchLeases {
  const { store, indexer, roots, ttlMs, logger } = options;
  const holder = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  /** Roots this server watches, with when their lease was last renewed. */
  const held = new Map<string, number>();
  let stopped = false;
  let round: Promise<void> = Promise.resolve();

  const leaseName = (root: string) => `watch:${root}`;

  const renew = async (root: string): Promise<void> => {
    let holds: boolean;
    try {
      holds = await store.acquireLease(leaseName(root), holder, ttlMs);
    } catch (error) {
      const renewed = held.get(root);
      // Without the database the lease cannot be renewed: once it may have expired, another
      // server may hold it, so stop watching rather than watch twice.
      if (renewed !== undefined && Date.now() - renewed >= ttlMs) {
        held.delete(root);
        await indexer.unwatch(root).catch(() => undefined);
        logger.warn({ rootPath: root, err: error }, 'Watch lease lost; stopped watching');
      }
      return;
    }
    if (holds && !stopped) {
      if (!held.has(root)) {
        try {
          await indexer.watch(root);
          logger.info(
            { rootPath: root, holder },
            'Watching repository (this server holds its lease)',
          );
        } catch (error) {
          logger.error({ rootPath: root, err: error }, 'Could not watch repository');
          await store.releaseLease(leaseName(root), holder).catch(() => undefined);
          return;
        }
      }
      held.set(root, Date.now());
    } else if (!holds && held.has(root)) {
      held.delete(root);
      await indexer.unwatch(root).catch(() => undefined);
      logger.warn({ rootPath: root }, 'Another server holds the watch lease now; stopped watching');
    }
  };

  const tick = (): void => {
    round = round.then(async () => {
      for (const root of roots) if (!stopped) await renew(root);
    });
  };
  tick();
  const timer = setInterval(tick, Math.max(100, Math.floor(ttlMs / 3)));
  timer.unref();

  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      await round;
      for (const root of held.keys()) {
        await indexer.unwatch(root).catch(() => undefined);
        await store.releaseLease(leaseName(root), holder).catch(() => undefined);
      }
      held.clear();
    },
  };
}
