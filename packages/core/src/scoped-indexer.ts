import { isFullAccess, requireAllRepositories, requireScope, type Access } from './access.ts';
import { repositoryNotFound } from './code.ts';
import { NellieError } from './errors.ts';
import type { CodeIndexer, IndexJob } from './indexer.ts';
import type { NellieStore } from './store.ts';

/** Strips trailing separators so `/src/app/` and `/src/app` name the same root. */
function normalizeRoot(path: string): string {
  return path.length > 1 ? path.replace(/[\\/]+$/, '') : path;
}

/**
 * A view of `indexer` for one caller: re-indexing a repository needs `write` on it, indexing a
 * new directory, watching and unwatching need `admin` over every repository, and a key limited to
 * some repositories sees only their jobs and watched roots. Reads the repository list once, so
 * make one view per request.
 */
export async function scopeIndexer(
  indexer: CodeIndexer,
  store: Pick<NellieStore, 'listRepositories'>,
  access: Access,
): Promise<CodeIndexer> {
  if (isFullAccess(access)) return indexer;
  const names = access.repositories;
  const visibleRepositories = (await store.listRepositories()).filter(
    (repository) => names === null || names.includes(repository.name),
  );
  const visibleRoots = new Set(visibleRepositories.map((repository) => repository.rootPath));
  const visible = (job: IndexJob): boolean => names === null || names.includes(job.repository);
  const requireVisibleJob = (id: string): void => {
    const job = indexer.getJob(id);
    if (!job || !visible(job)) throw new NellieError('NOT_FOUND', `No index job with id ${id}.`);
  };
  /** As `requireVisibleJob`, with the job read where jobs are kept when they are shared. */
  const requireVisibleStoredJob = async (id: string): Promise<void> => {
    const job = indexer.fetchJob ? await indexer.fetchJob(id) : indexer.getJob(id);
    if (!job || !visible(job)) throw new NellieError('NOT_FOUND', `No index job with id ${id}.`);
  };
  const requireKnownRoot = (rootPath: string, action: string): void => {
    requireScope(access, 'write', action);
    if (visibleRoots.has(normalizeRoot(rootPath))) return;
    requireScope(access, 'admin', `${action} a directory that is not an indexed repository`);
    requireAllRepositories(access, `${action} a new directory`);
  };
  const administer = (action: string): void => {
    requireScope(access, 'admin', action);
    requireAllRepositories(access, action);
  };
  const noop = (): Promise<void> => Promise.resolve();
  return {
    startJob: async (request) => {
      requireKnownRoot(request.rootPath, 'Indexing');
      return indexer.startJob(request);
    },
    getJob: (id) => {
      const job = indexer.getJob(id);
      return job && visible(job) ? job : null;
    },
    ...(indexer.fetchJob
      ? {
          fetchJob: async (id: string) => {
            const job = await indexer.fetchJob!(id);
            return job && visible(job) ? job : null;
          },
        }
      : {}),
    listJobs: () => indexer.listJobs().filter(visible),
    cancelJob: (id) => {
      requireScope(access, 'write', 'Cancelling an index job');
      requireVisibleJob(id);
      return indexer.cancelJob(id);
    },
    ...(indexer.cancelStoredJob
      ? {
          cancelStoredJob: async (id: string) => {
            requireScope(access, 'write', 'Cancelling an index job');
            await requireVisibleStoredJob(id);
            return indexer.cancelStoredJob!(id);
          },
        }
      : {}),
    waitForJob: async (id, options) => {
      await requireVisibleStoredJob(id);
      return indexer.waitForJob(id, options);
    },
    diff: async (rootPath, options) => {
      if (names !== null && !visibleRoots.has(normalizeRoot(rootPath))) {
        throw repositoryNotFound(rootPath, names);
      }
      return indexer.diff(rootPath, options);
    },
    watch: async (rootPath) => {
      administer('Watching a directory');
      return indexer.watch(rootPath);
    },
    unwatch: async (rootPath) => {
      administer('Unwatching a directory');
      return indexer.unwatch(rootPath);
    },
    waitForEmbeddings: (options) => indexer.waitForEmbeddings(options),
    status: () => {
      const status = indexer.status();
      if (names === null) return status;
      const jobs = indexer.listJobs().filter(visible);
      return {
        ...status,
        jobsRunning: jobs.filter((job) => job.state === 'running').length,
        jobsQueued: jobs.filter((job) => job.state === 'queued').length,
        watchedRoots: status.watchedRoots.filter((root) => visibleRoots.has(root)),
      };
    },
    close: noop,
    [Symbol.asyncDispose]: noop,
  };
}
