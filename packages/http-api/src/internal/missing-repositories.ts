import { stat } from 'node:fs/promises';
import type { NellieStore } from '@nellie/core';
import { createTtlCache, type TtlCache } from './ttl-cache.ts';

export interface MissingRepository {
  name: string;
  rootPath: string;
}

/** Repositories whose root directory is gone, at most `ttlMs` old; callers share one check. */
export type MissingRepositoriesCache = TtlCache<MissingRepository[]>;

/** Only a root that is certainly gone counts; a permission error does not. */
async function isGone(rootPath: string): Promise<boolean> {
  try {
    return !(await stat(rootPath)).isDirectory();
  } catch (error) {
    const code = (error as { code?: string }).code;
    return code === 'ENOENT' || code === 'ENOTDIR';
  }
}

/**
 * Checks each registered repository's root on disk (one `stat` each, no counting), for status,
 * readiness and metrics. A missing root does not make the server unready: it is reported.
 */
export function createMissingRepositoriesCache(
  store: Pick<NellieStore, 'listRepositories'>,
  ttlMs = 5000,
): MissingRepositoriesCache {
  const check = async (): Promise<MissingRepository[]> => {
    const repositories = await store.listRepositories();
    const gone = await Promise.all(repositories.map((repository) => isGone(repository.rootPath)));
    return repositories
      .filter((_, index) => gone[index])
      .map((repository) => ({ name: repository.name, rootPath: repository.rootPath }));
  };
  return createTtlCache(check, ttlMs);
}
