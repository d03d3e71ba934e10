import { NellieError, type CodeIndexer, type CodeStore, type Logger } from '@nellie/core';

/**
 * Reconciles what the store knows with the disk after a restart: every registered repository
 * gets an incremental job (which also resumes an interrupted one), then the configured
 * directories are watched. A registered repository that may never be indexed (a system
 * directory, the data directory, indexed by an older release) is removed from the index, so
 * its files cannot be searched.
 */
export async function reconcileRepositories(
  runtime: {
    indexer: CodeIndexer | undefined;
    store: Pick<CodeStore, 'listRepositories' | 'deleteRepository'>;
    settings: { watch: readonly string[] };
  },
  logger: Logger,
  /** False when watching is arranged elsewhere (leases shared by several servers). */
  options: { watchDirectories?: boolean } = {},
): Promise<void> {
  const { indexer, store, settings } = runtime;
  if (!indexer) return;
  const watched = new Set(settings.watch);
  for (const repository of await store.listRepositories()) {
    if (watched.has(repository.rootPath)) continue;
    try {
      const job = await indexer.startJob({ rootPath: repository.rootPath, mode: 'incremental' });
      logger.info(
        { repository: repository.name, rootPath: repository.rootPath, jobId: job.id },
        'Checking a registered repository for changes made while Nellie was stopped',
      );
    } catch (error) {
      if (NellieError.is(error) && error.code === 'PATH_NOT_ALLOWED') {
        await store.deleteRepository(repository.id);
        logger.warn(
          { repository: repository.name, rootPath: repository.rootPath, reason: error.message },
          'Removed a repository that may not be indexed from the index',
        );
        continue;
      }
      logger.warn(
        { repository: repository.name, rootPath: repository.rootPath, err: error },
        'A registered repository could not be checked; its index is kept as it is',
      );
    }
  }
  if (options.watchDirectories === false) return;
  for (const directory of settings.watch) {
    try {
      await indexer.watch(directory);
      logger.info({ rootPath: directory }, 'Watching repository');
    } catch (error) {
      logger.error({ rootPath: directory, err: error }, 'Could not watch repository');
    }
  }
}
