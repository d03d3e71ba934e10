import { stat } from 'node:fs/promises';
import type { NellieStore } from '@nellie/core';

export interface MissingRepository {
  name: string;
  rootPath: string;
}

export interface MissingRepositoriesCache {
  /** Repositories whose root directory is gone, at most `ttlMs` old; callers share one check. */
  get(): Promise<MissingRepository[]>;
}

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
  let cached: { value: MissingRepository[]; at: number } | undefined;
  let inFlight: Promise<MissingRepository[]> | undefined;
  const check = async (): Promise<MissingRepository[]> => {
    const repositories = await store.listRepositories();
    const gone = await Promise.all(repositories.map((repository) => isGone(repository.rootPath)));
    return repositories
      .filter((_, index) => gone[index])
      .map((repository) => ({ name: repository.name, rootPath: repository.rootPath }));
  };
  return {
    get() {
      if (cached && Date.now() - cached.at < ttlMs) return Promise.resolve(cached.value);
      inFlight ??= check()
        .then((value) => {
          cached = { value, at: Date.now() };
          return value;
        })
        .finally(() => {
          inFlight = undefined;
        });
      return inFlight;
    },
  };
}
