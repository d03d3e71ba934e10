import { NellieError } from '@nellie/core';
import type { Settings } from './setting-table.ts';

/**
 * The directories new repositories may be indexed below: the allowed roots, the watched
 * directories and the repositories of the config file, plus any the command line names.
 */
export function indexingRoots(
  settings: Pick<Settings, 'allowRoots' | 'watch' | 'repositories'>,
  extra: readonly string[] = [],
): string[] {
  return [
    ...new Set([
      ...settings.allowRoots,
      ...settings.watch,
      ...Object.keys(settings.repositories),
      ...extra,
    ]),
  ];
}

/** How to let Nellie index another directory; shown when a path is refused. */
export const allowRootHint =
  'To allow it, add it (or a directory above it) with --allow-root <dir> or NELLIE_ALLOW_ROOTS (allowRoots in the config file) and restart Nellie.';

/** Says where indexing roots come from when the indexer refuses one (`INVALID_OPTIONS`). */
export function explainIndexingRoots(error: unknown): unknown {
  if (!NellieError.is(error) || error.code !== 'INVALID_OPTIONS') return error;
  return new NellieError(
    'INVALID_OPTIONS',
    `${error.message} Indexing roots come from --allow-root (NELLIE_ALLOW_ROOTS), --watch (NELLIE_WATCH_DIRS), the repositories of the config file and the directory given to \`nellie index\`.`,
    { cause: error },
  );
}
