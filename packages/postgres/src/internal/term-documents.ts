import { Parameters, type Queryable } from './database.ts';

/** The part of a search scope `term_documents` keys: repositories and language. */
export interface TermScope {
  repositoryIds: readonly number[] | null;
  language: string | null;
}

/** Words sharing a prefix summed at most; a prefix of more words counts as very common. */
export const prefixWordLimit = 1000;

function scopeSql(scope: TermScope, params: Parameters): string {
  let sql = '';
  if (scope.repositoryIds) sql += ` AND t.repository_id = ANY(${params.p(scope.repositoryIds)})`;
  if (scope.language !== null) sql += ` AND t.language = ${params.p(scope.language)}`;
  return sql;
}

/**
 * How many chunks of a scope hold each query token, from the counts the database keeps
 * (migration 7): a token counts as its lexeme (stemmed as the index stems it); one that stems
 * to several lexemes counts as its rarest, as a match needs all of them.
 */
export async function termDocuments(
  db: Queryable,
  s: string,
  config: string,
  tokens: readonly string[],
  scope: TermScope,
): Promise<Map<string, number>> {
  if (tokens.length === 0) return new Map();
  const params = new Parameters();
  const list = params.p(tokens);
  const filter = scopeSql(scope, params);
  const { rows } = await db.query<{ token: string; n: number }>(
    `SELECT q.token, coalesce(min(f.n), 0)::bigint AS n
     FROM unnest(${list}::text[]) AS q(token)
     LEFT JOIN LATERAL (
       SELECT (SELECT coalesce(sum(t.documents), 0) FROM ${s}.term_documents t
               WHERE t.token = l.lexeme COLLATE "C"${filter}) AS n
       FROM unnest(tsvector_to_array(to_tsvector(${config}, q.token))) AS l(lexeme)
     ) f ON true
     GROUP BY q.token`,
    params.values,
  );
  return new Map(rows.map((row) => [row.token, row.n]));
}

/**
 * Chunks of a scope holding a word that starts with each prefix (its lexeme), summed over at
 * most `prefixWordLimit` words: an upper bound, `Infinity` past that many words.
 */
export async function prefixDocuments(
  db: Queryable,
  s: string,
  config: string,
  prefixes: readonly string[],
  scope: TermScope,
): Promise<Map<string, number>> {
  if (prefixes.length === 0) return new Map();
  const params = new Parameters();
  const list = params.p(prefixes);
  const filter = scopeSql(scope, params);
  const limit = params.p(prefixWordLimit + 1);
  const { rows } = await db.query<{ prefix: string; words: number; n: number }>(
    `SELECT q.prefix, count(w.documents)::bigint AS words, coalesce(sum(w.documents), 0)::bigint AS n
     FROM unnest(${list}::text[]) AS q(prefix)
     LEFT JOIN LATERAL (
       SELECT t.documents FROM ${s}.term_documents t,
         coalesce((tsvector_to_array(to_tsvector(${config}, q.prefix)))[1], q.prefix) AS p(lexeme)
       WHERE t.token >= p.lexeme COLLATE "C" AND t.token < (p.lexeme || chr(1114111)) COLLATE "C"${filter}
       LIMIT ${limit}
     ) w ON true
     GROUP BY q.prefix`,
    params.values,
  );
  return new Map(
    rows.map((row) => [row.prefix, row.words > prefixWordLimit ? Number.POSITIVE_INFINITY : row.n]),
  );
}
