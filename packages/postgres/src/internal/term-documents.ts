import { Parameters, type Queryable } from './database.ts';

/** The part of a search scope `term_documents` keys: repositories and language. */
export interface TermScope {
  repositoryIds: readonly number[] | null;
  language: string | null;
}

/** Words sharing a prefix summed at most; a prefix of more words counts as very common. */
export const prefixWordLimit = 1000;

/** A query over `term_documents` for a list of words: its SQL, given the placeholders. */
type WordQuery = (sql: { words: string; filter: string; params: Parameters }) => string;

/**
 * Reads the word counts the database keeps (migration 7) in the search context's schema (`s`,
 * quoted) with its text search configuration (`config`, a SQL expression).
 */
export class TermDocuments {
  readonly #where: { readonly s: string; readonly config: string };

  constructor(where: { readonly s: string; readonly config: string }) {
    this.#where = where;
  }

  /**
   * How many chunks of a scope hold each query token: a token counts as its lexeme (stemmed as
   * the index stems it); one that stems to several lexemes counts as its rarest, as a match
   * needs all of them.
   */
  async counts(
    db: Queryable,
    tokens: readonly string[],
    scope: TermScope,
  ): Promise<Map<string, number>> {
    const rows = await this.#query<{ word: string; n: number }>(
      db,
      tokens,
      scope,
      ({ words, filter }) =>
        `SELECT q.word, coalesce(min(f.n), 0)::bigint AS n
         FROM unnest(${words}::text[]) AS q(word)
         LEFT JOIN LATERAL (
           SELECT (SELECT coalesce(sum(t.documents), 0) FROM ${this.#where.s}.term_documents t
                   WHERE t.token = l.lexeme COLLATE "C"${filter}) AS n
           FROM unnest(tsvector_to_array(to_tsvector(${this.#where.config}, q.word))) AS l(lexeme)
         ) f ON true
         GROUP BY q.word`,
    );
    return new Map(rows.map((row) => [row.word, row.n]));
  }

  /**
   * Chunks of a scope holding a word that starts with each prefix (its lexeme), summed over at
   * most `prefixWordLimit` words: an upper bound, `Infinity` past that many words.
   */
  async prefixCounts(
    db: Queryable,
    prefixes: readonly string[],
    scope: TermScope,
  ): Promise<Map<string, number>> {
    const rows = await this.#query<{ word: string; words: number; n: number }>(
      db,
      prefixes,
      scope,
      ({ words, filter, params }) =>
        // The lexeme is worked out outside the lateral subquery, so the range on `token` is an
        // index condition; as a function in the subquery's FROM the planner could join it after
        // a sequential scan of every word (200–450 ms at 100k chunks instead of 2–6).
        `SELECT q.word, count(w.documents)::bigint AS words,
           coalesce(sum(w.documents), 0)::bigint AS n
         FROM (
           SELECT u.word,
             coalesce((tsvector_to_array(to_tsvector(${this.#where.config}, u.word)))[1], u.word)
               AS lexeme
           FROM unnest(${words}::text[]) AS u(word)
         ) q
         LEFT JOIN LATERAL (
           SELECT t.documents FROM ${this.#where.s}.term_documents t
           WHERE t.token >= q.lexeme COLLATE "C"
             AND t.token < (q.lexeme || chr(1114111)) COLLATE "C"${filter}
           LIMIT ${params.p(prefixWordLimit + 1)}
         ) w ON true
         GROUP BY q.word`,
    );
    return new Map(
      rows.map((row) => [row.word, row.words > prefixWordLimit ? Number.POSITIVE_INFINITY : row.n]),
    );
  }

  async #query<Row extends { word: string }>(
    db: Queryable,
    words: readonly string[],
    scope: TermScope,
    sql: WordQuery,
  ): Promise<Row[]> {
    if (words.length === 0) return [];
    const params = new Parameters();
    const list = params.p(words);
    let filter = '';
    if (scope.repositoryIds)
      filter += ` AND t.repository_id = ANY(${params.p(scope.repositoryIds)})`;
    if (scope.language !== null) filter += ` AND t.language = ${params.p(scope.language)}`;
    const { rows } = await db.query<Row>(sql({ words: list, filter, params }), params.values);
    return rows;
  }
}
