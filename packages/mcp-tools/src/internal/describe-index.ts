import type { IndexerStatus, Repository } from '@nellie/core';
import type { z } from 'zod';
import { plural } from './format.ts';
import type { repositoryViewSchema } from './schemas.ts';

/** A repository, with `state` when the store reports whether its root still exists. */
type ListedRepository = Repository & { state?: 'ok' | 'missing' };

export function repositoryView(repository: ListedRepository): z.input<typeof repositoryViewSchema> {
  return {
    name: repository.name,
    rootPath: repository.rootPath,
    lastIndexedAt: repository.lastIndexedAt,
    ...(repository.state === undefined ? {} : { state: repository.state }),
  };
}

export function describeIndexer(status: IndexerStatus): string {
  const watching =
    status.watchedRoots.length === 0
      ? 'watching nothing'
      : `watching ${status.watchedRoots.join(', ')}`;
  const lag =
    status.indexLagSeconds > 0
      ? `changes on disk not indexed for ${Math.round(status.indexLagSeconds)} s`
      : 'no unindexed changes seen';
  return (
    `Indexer: ${status.jobsRunning} running, ${status.jobsQueued} queued; ` +
    `${plural(status.embeddingBacklog, 'item')} awaiting embeddings; ${lag}; ${watching}.`
  );
}

export function describeRepositories(repositories: readonly ListedRepository[]): string {
  if (repositories.length === 0) {
    return 'No repository is indexed yet; add one with index_repo.';
  }
  const lines = repositories.map(
    (repository) =>
      `- ${repository.name} (${repository.rootPath}): ${
        repository.lastIndexedAt === null
          ? 'not indexed yet'
          : `last indexed ${repository.lastIndexedAt}`
      }${repository.state === 'missing' ? ' — MISSING: root directory is gone' : ''}`,
  );
  return [`Repositories (${repositories.length}):`, ...lines].join('\n');
}
