import { NellieError, repositoryNotFound, type Repository } from '@nellie/core';
import { globMatcher } from './ranking.ts';

/** How many known values an error lists before saying how many more exist. */
const maxListed = 20;

function listed(values: readonly string[]): string {
  const shown = values.slice(0, maxListed).join(', ');
  return values.length > maxListed ? `${shown} and ${values.length - maxListed} more` : shown;
}

/** What the in-memory store holds that code search filters are checked against. */
export interface IndexedContent {
  repositories: readonly Repository[];
  /** Every indexed file, with its repository. */
  files: readonly { repositoryId: number; path: string }[];
  /** Every indexed chunk's repository and language. */
  chunks: readonly { repositoryId: number; language: string | null }[];
}

/**
 * Refuses code search filters that can match nothing, as the SQLite store does: an unknown
 * repository (`NOT_FOUND`, naming the repositories), a language no indexed chunk has and a path
 * glob no indexed path matches (`NOT_FOUND`), within the repository when one is given. Returns
 * the repository the filter names, if any.
 */
export function checkCodeFiltersMatch(
  content: IndexedContent,
  filters: {
    repository?: string | undefined;
    language?: string | undefined;
    pathGlob?: string | undefined;
  },
): Repository | undefined {
  let repository: Repository | undefined;
  let scope = '';
  if (filters.repository !== undefined) {
    const wanted = filters.repository;
    repository = content.repositories.find(
      (item) => item.name === wanted || item.rootPath === wanted,
    );
    if (repository === undefined) {
      const known = content.repositories.map((item) => item.name).sort();
      throw repositoryNotFound(wanted, known);
    }
    scope = ` in repository "${wanted}"`;
  }
  const inScope = (item: { repositoryId: number }): boolean =>
    repository === undefined || item.repositoryId === repository.id;

  if (filters.language !== undefined) {
    const language = filters.language.trim().toLowerCase();
    const languages = new Set<string>();
    for (const chunk of content.chunks) {
      if (inScope(chunk) && chunk.language !== null) languages.add(chunk.language);
    }
    if (!languages.has(language)) {
      const known = [...languages].sort();
      throw new NellieError(
        'NOT_FOUND',
        `No indexed file${scope} has the language "${filters.language}". ` +
          (known.length > 0
            ? `Languages indexed${scope}: ${listed(known)}.`
            : `Nothing is indexed${scope} yet.`),
      );
    }
  }

  if (filters.pathGlob !== undefined) {
    const matches = globMatcher(filters.pathGlob);
    if (!content.files.some((file) => inScope(file) && matches(file.path))) {
      throw new NellieError(
        'NOT_FOUND',
        `No indexed path${scope} matches the glob "${filters.pathGlob}". Globs match paths ` +
          'relative to the repository root with `/` separators, e.g. `src/**/*.ts`; a pattern ' +
          'without `/` matches file names (`*.ts`).',
      );
    }
  }
  return repository;
}
