import type { ScopeFilters } from './ranking/scope.ts';

/** Filters of a code search, resolved: repository ids, a lowercase language, a path glob. */
export type CodeFilters = ScopeFilters;

export interface FilterSql {
  /** `AND ...` conditions over `c` (chunks) and `f` (files). */
  sql: string;
  params: Record<string, unknown>;
  /** `JOIN files f ...` when a condition needs the file, else ''. */
  files: string;
}

export function isFiltered(filters: CodeFilters): boolean {
  return filters.repositoryIds !== null || filters.language !== null || filters.pathGlob !== null;
}

export function filterSql(filters: CodeFilters): FilterSql {
  const conditions: string[] = [];
  const params: Record<string, unknown> = {};
  if (filters.repositoryIds) {
    conditions.push('c.repository_id IN (SELECT value FROM json_each($repositories))');
    params.repositories = JSON.stringify(filters.repositoryIds);
  }
  if (filters.language !== null) {
    conditions.push('c.language = $language');
    params.language = filters.language;
  }
  if (filters.pathGlob !== null) {
    conditions.push('nellie_glob($glob, f.path)');
    params.glob = filters.pathGlob;
  }
  return {
    sql: conditions.map((condition) => ` AND ${condition}`).join(''),
    params,
    files: filters.pathGlob === null ? '' : 'JOIN files f ON f.id = c.file_id',
  };
}
