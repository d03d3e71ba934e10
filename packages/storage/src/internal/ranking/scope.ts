import { ftsString, tokenText } from '../tokens.ts';

/**
 * Search scopes inside the full-text index. Every chunk's `scope` column holds a token for its
 * repository and one for its language, so a filtered query intersects posting lists in FTS5
 * and only ever sees candidates inside its scope, however many other repositories the index
 * holds. Path globs narrow by the literal path words they require.
 */

/** The columns that hold a chunk's words; query words never match scope tokens. */
export const contentColumns = '{symbol container path body}';

export function repositoryToken(repositoryId: number): string {
  return `zr${repositoryId}`;
}

/** Hex keeps any language id (`c++`, `objective-c`) one token the tokenizer leaves whole. */
export function languageToken(language: string): string {
  return `zl${Buffer.from(language, 'utf8').toString('hex')}`;
}

/** The text of a chunk's `scope` column. */
export function scopeText(repositoryId: number, language: string | null): string {
  return language === null
    ? repositoryToken(repositoryId)
    : `${repositoryToken(repositoryId)} ${languageToken(language)}`;
}

export interface ScopeFilters {
  repositoryIds: readonly number[] | null;
  language: string | null;
  pathGlob: string | null;
}

/** Characters that make a glob more than literal words and wildcards; such globs add no terms. */
const complexGlob = /[!(){}|+@\\[\]]/;

/**
 * Words every path matching `glob` contains: the pieces between `/` and `.` that hold no
 * wildcard (`src/**\/*.test.ts` → src, test, ts). Paths index these pieces as words, so the
 * words are a necessary condition; the glob itself is still checked on each candidate.
 */
export function globPathWords(glob: string): string[] {
  if (complexGlob.test(glob)) return [];
  const result = new Set<string>();
  for (const piece of glob.split(/[/.]+/)) {
    if (piece === '' || /[*?]/.test(piece)) continue;
    for (const token of tokenText(piece).split(' ')) if (token) result.add(token);
  }
  return [...result];
}

/**
 * The FTS5 condition that keeps a query inside the filters, or null when nothing narrows it.
 * Built only from quoted tokens. A glob's path words narrow it only where `narrows` says so:
 * the glob is checked on every candidate anyway.
 */
export function scopeMatch(
  filters: ScopeFilters,
  narrows: (pathWord: string) => boolean = () => true,
): string | null {
  const conditions: string[] = [];
  if (filters.repositoryIds !== null) {
    const tokens = filters.repositoryIds.map((id) => ftsString(repositoryToken(id)));
    conditions.push(`scope : (${tokens.join(' OR ')})`);
  }
  if (filters.language !== null) {
    conditions.push(`scope : ${ftsString(languageToken(filters.language))}`);
  }
  if (filters.pathGlob !== null) {
    const words = globPathWords(filters.pathGlob).filter(narrows);
    if (words.length > 0) conditions.push(`path : (${words.map(ftsString).join(' AND ')})`);
  }
  return conditions.length === 0 ? null : conditions.join(' AND ');
}

/** Query tokens that could be mistaken for scope tokens. */
const scopeLikeToken = /"z[rl][0-9a-f]*"/;

/**
 * A level's expression over the chunk's words, inside the scope when there is one. A column
 * filter makes FTS5 read position lists, so it is only added when a query token looks like a
 * scope token.
 */
export function scopedExpression(expression: string, scope: string | null): string {
  const words = scopeLikeToken.test(expression)
    ? `${contentColumns} : (${expression})`
    : expression;
  return scope === null ? words : `${scope} AND (${words})`;
}
