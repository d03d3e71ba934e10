import { NellieError, repositoryNotFound } from '@nellie/core';
import type { CodeRepositoryStore } from './code-store.ts';
import type { StoreContext } from './context.ts';

/** How many known values an error lists before saying how many more exist. */
const maxListed = 20;

function listed(values: readonly string[]): string {
  const shown = values.slice(0, maxListed).join(', ');
  return values.length > maxListed ? `${shown} and ${values.length - maxListed} more` : shown;
}

/** `NOT_FOUND` for a language no indexed file has; `scope` is '' or ` in repository "x"`. */
export function languageNotFound(
  language: string,
  scope: string,
  known: readonly string[],
): NellieError {
  return new NellieError(
    'NOT_FOUND',
    `No indexed file${scope} has the language "${language}". ` +
      (known.length > 0
        ? `Languages indexed${scope}: ${listed(known)}.`
        : `Nothing is indexed${scope} yet.`),
  );
}

/** `NOT_FOUND` for a path glob that matches no indexed path. */
export function globNotFound(pathGlob: string, scope: string): NellieError {
  return new NellieError(
    'NOT_FOUND',
    `No indexed path${scope} matches the glob "${pathGlob}". Globs match paths ` +
      'relative to the repository root with `/` separators, e.g. `src/**/*.ts`; a pattern ' +
      'without `/` matches file names (`*.ts`).',
  );
}

/**
 * Refuses code search filters that can match nothing, so a typo is an error rather than an empty
 * answer: an unknown repository (`NOT_FOUND`, naming the indexed repositories), a language no
 * indexed file has (`NOT_FOUND`, naming the languages indexed) and a path glob that matches no
 * indexed path (`NOT_FOUND`). Language and glob are checked within the repository, when one is
 * given. Filters that each match something but not together still give an empty answer.
 */
export function checkCodeFiltersMatch(
  ctx: StoreContext,
  code: CodeRepositoryStore,
  filters: {
    repository?: string | undefined;
    language?: string | undefined;
    pathGlob?: string | undefined;
  },
): void {
  if (
    filters.repository === undefined &&
    filters.language === undefined &&
    filters.pathGlob === undefined
  )
    return;
  ctx.read(() => {
    let repositoryIds: number[] | null = null;
    let scope = '';
    if (filters.repository !== undefined) {
      repositoryIds = code.findRepositories(filters.repository).map((row) => row.id);
      if (repositoryIds.length === 0) {
        const known = ctx
          .statement('SELECT name FROM repositories ORDER BY name')
          .all()
          .map((row) => (row as { name: string }).name);
        throw repositoryNotFound(filters.repository, known);
      }
      scope = ` in repository "${filters.repository}"`;
    }
    const inScope =
      repositoryIds === null ? '' : ' AND repository_id IN (SELECT value FROM json_each($ids))';
    const ids = repositoryIds === null ? {} : { ids: JSON.stringify(repositoryIds) };

    if (filters.language !== undefined) {
      const language = filters.language.trim().toLowerCase();
      const found = ctx
        .statement(`SELECT 1 FROM chunks WHERE language = $language${inScope} LIMIT 1`)
        .get({ language, ...ids });
      if (found === undefined) {
        const known = ctx
          .statement(
            `SELECT DISTINCT language FROM chunks WHERE language IS NOT NULL${inScope} ORDER BY language`,
          )
          .all(ids)
          .map((row) => (row as { language: string }).language);
        throw languageNotFound(filters.language, scope, known);
      }
    }

    if (filters.pathGlob !== undefined) {
      const found = ctx
        .statement(`SELECT 1 FROM files WHERE nellie_glob($glob, path)${inScope} LIMIT 1`)
        .get({ glob: filters.pathGlob, ...ids });
      if (found === undefined) {
        throw globNotFound(filters.pathGlob, scope);
      }
    }
  });
}
