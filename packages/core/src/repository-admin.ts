import { repositoryNotFound, type Repository, type RepositorySummary } from './code.ts';
import { NellieError } from './errors.ts';
import type { CodeIndexer } from './indexer.ts';
import type { NellieStore } from './store.ts';

/** A repository as listed to people and agents. */
export interface RepositoryEntry extends RepositorySummary {
  /** Whether this process's indexer watches the root; null when no indexer runs here. */
  watched: boolean | null;
}

type SummaryStore = Pick<NellieStore, 'listRepositorySummaries'>;

function summariesOf(store: SummaryStore): Promise<RepositorySummary[]> {
  if (!store.listRepositorySummaries) {
    throw new NellieError('INVALID_OPTIONS', 'This store cannot list repository summaries.');
  }
  return store.listRepositorySummaries();
}

/** Every repository with its counts, root state and whether it is watched, sorted by name. */
export async function listRepositoryEntries(
  store: SummaryStore,
  indexer: Pick<CodeIndexer, 'status'> | undefined,
): Promise<RepositoryEntry[]> {
  const summaries = await summariesOf(store);
  const watched = indexer ? new Set(indexer.status().watchedRoots) : null;
  return summaries.map((summary) => ({
    ...summary,
    watched: watched === null ? null : watched.has(summary.rootPath),
  }));
}

/** The repository a name or root path designates; `NOT_FOUND` naming what exists otherwise. */
export async function findRepositoryEntry(
  store: SummaryStore,
  indexer: Pick<CodeIndexer, 'status'> | undefined,
  nameOrPath: string,
): Promise<RepositoryEntry> {
  const entries = await listRepositoryEntries(store, indexer);
  const entry =
    entries.find((item) => item.name === nameOrPath) ??
    entries.find((item) => item.rootPath === nameOrPath);
  if (!entry) {
    throw repositoryNotFound(
      nameOrPath,
      entries.map((item) => item.name),
    );
  }
  return entry;
}

/**
 * Removes a repository everywhere: stops watching it, cancels its index jobs and waits for them,
 * then deletes its files, chunks, full-text rows and the vectors nothing else uses. Returns what
 * it held.
 */
export async function removeRepository(
  store: SummaryStore & Pick<NellieStore, 'deleteRepository'>,
  indexer: CodeIndexer | undefined,
  nameOrPath: string,
  options: { signal?: AbortSignal } = {},
): Promise<RepositoryEntry> {
  const entry = await findRepositoryEntry(store, indexer, nameOrPath);
  if (indexer) {
    if (entry.watched) await indexer.unwatch(entry.rootPath);
    const active = indexer
      .listJobs()
      .filter(
        (job) =>
          job.rootPath === entry.rootPath && (job.state === 'queued' || job.state === 'running'),
      );
    for (const job of active) {
      if (indexer.cancelStoredJob) await indexer.cancelStoredJob(job.id);
      else indexer.cancelJob(job.id);
    }
    for (const job of active) await indexer.waitForJob(job.id, options);
  }
  await store.deleteRepository(entry.id);
  // Nobody watches it any more; null still says that this server runs no indexer.
  return { ...entry, watched: indexer ? false : null };
}

/** Renames a repository; `NOT_FOUND` naming what exists, `CONFLICT` when the name is taken. */
export function renameRepository(
  store: Pick<NellieStore, 'renameRepository'>,
  nameOrPath: string,
  newName: string,
): Promise<Repository> {
  if (!store.renameRepository) {
    throw new NellieError('INVALID_OPTIONS', 'This store cannot rename repositories.');
  }
  return store.renameRepository(nameOrPath, newName);
}
