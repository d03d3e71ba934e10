import {
  repositoryNotFound,
  throwIfAborted,
  type CodeSearchHit,
  type CodeSearchRequest,
} from '@nellie/core';
import {
  analyzeQuery,
  bm25InJs,
  candidatePool,
  changedSinceIndexed,
  codeRanking,
  codeSearchRequestSchema,
  collectLevels,
  compileGlob,
  definesSymbol,
  fileNamedAfter,
  fileNamePathTerms,
  filteredVectorPool,
  globNotFound,
  isSymbolQuery,
  languageNotFound,
  looseQueryLevels,
  namedFileCandidates,
  queriedSymbols,
  rankCodeHits,
  strictQueryLevels,
  symbolKey,
  TermCounter,
  toCodeSearchHit,
  type CodeLexicalRow,
  type CompiledGlob,
  type HitRow,
  type LevelMatch,
  type QueryLevel,
  type TermStatistics,
  type VectorMatch,
} from '@nellie/storage/store-kit';
import { parseInput } from '@nellie/schemas';
import { Parameters, type Queryable } from './database.ts';
import { StatisticsCache } from './statistics-cache.ts';
import { checkSearchQuery, type SearchContext } from './search-context.ts';
import { tokenTsquery, toTsquery } from './tsquery.ts';

/** A code search's filters, resolved to ids: null where a filter is absent. */
interface CodeScope {
  repositoryIds: number[] | null;
  language: string | null;
  fileIds: number[] | null;
  /** The glob the file ids came from (a cache key). */
  glob: string | null;
}

const columns = 'c.id, c.symbol_name, c.enclosing_symbol, f.path, c.content';

function isFiltered(scope: CodeScope): boolean {
  return scope.repositoryIds !== null || scope.language !== null || scope.fileIds !== null;
}

/** `AND …` conditions over `c` (chunks) for the scope, with their parameters. */
function scopeSql(scope: CodeScope, params: Parameters): string {
  let sql = '';
  if (scope.repositoryIds)
    sql += ` AND c.repository_id = ANY(${params.p(scope.repositoryIds)}::int[])`;
  if (scope.language !== null) sql += ` AND c.language = ${params.p(scope.language)}`;
  if (scope.fileIds) sql += ` AND c.file_id = ANY(${params.p(scope.fileIds)}::bigint[])`;
  return sql;
}

/**
 * Code search on PostgreSQL with the SQLite store's ranking: the same levelled full-text
 * queries (as tsquery over the same token text) fill a candidate pool, the same JS ranking
 * orders it, fused with vector candidates from pgvector or the in-memory index.
 */
export class CodeSearch {
  readonly #c: SearchContext;
  readonly #cache = new StatisticsCache();

  constructor(context: SearchContext) {
    this.#c = context;
  }

  async search(request: CodeSearchRequest): Promise<CodeSearchHit[]> {
    const parsed = parseInput(codeSearchRequestSchema, request, 'code search request');
    checkSearchQuery(this.#c, parsed);
    throwIfAborted(parsed.signal);
    const glob = parsed.pathGlob === undefined ? null : compileGlob(parsed.pathGlob);
    const hits = await this.#c.database.read(async (db) => {
      const scope = await this.#scope(db, parsed, glob);
      const pool = candidatePool(parsed.limit);
      const analyzed = analyzeQuery(parsed.query);
      const lexical =
        analyzed.terms.length === 0
          ? { matches: [], statistics: undefined }
          : await this.#lexical(db, parsed.query, scope, pool);
      throwIfAborted(parsed.signal);
      const vector = parsed.queryVector
        ? await this.#vector(
            db,
            parsed.queryVector,
            scope,
            isFiltered(scope) ? filteredVectorPool(parsed.limit) : pool,
          )
        : [];
      const ranked = rankCodeHits(
        analyzed,
        lexical.matches,
        lexical.statistics,
        parsed.query,
        await this.#vectorMatches(db, vector, lexical.matches),
      ).slice(0, parsed.limit);
      if (ranked.length === 0) return [];
      const { rows } = await db.query<HitRow>(
        `SELECT c.id, r.name AS repository, r.root_path, f.path, c.start_line, c.end_line,
           c.symbol_name, c.symbol_kind, c.enclosing_symbol, c.language, c.content,
           f.indexed_at, f.size, f.mtime_ms
         FROM ${this.#c.s}.chunks c
         JOIN ${this.#c.s}.files f ON f.id = c.file_id
         JOIN ${this.#c.s}.repositories r ON r.id = c.repository_id
         WHERE c.id = ANY($1::bigint[])`,
        [ranked.map((hit) => hit.row.id)],
      );
      const byId = new Map(rows.map((row) => [row.id, row]));
      return ranked.flatMap((entry) => {
        const row = byId.get(entry.row.id);
        return row ? [{ row, entry }] : [];
      });
    });
    throwIfAborted(parsed.signal);
    return Promise.all(
      hits.map(async ({ row, entry }) =>
        toCodeSearchHit(row, entry, await changedSinceIndexed(row)),
      ),
    );
  }

  /**
   * Resolves the filters to ids, refusing those that match nothing indexed (`NOT_FOUND`, naming
   * what exists), as the SQLite store does.
   */
  async #scope(
    db: Queryable,
    filters: { repository?: string; language?: string; pathGlob?: string },
    glob: CompiledGlob | null,
  ): Promise<CodeScope> {
    const scope: CodeScope = { repositoryIds: null, language: null, fileIds: null, glob: null };
    let where = '';
    if (filters.repository !== undefined) {
      scope.repositoryIds = (await this.#c.code.findRepositories(db, filters.repository)).map(
        (row) => row.id,
      );
      if (scope.repositoryIds.length === 0) {
        const { rows } = await db.query<{ name: string }>(
          `SELECT name FROM ${this.#c.s}.repositories ORDER BY name`,
        );
        throw repositoryNotFound(
          filters.repository,
          rows.map((row) => row.name),
        );
      }
      where = ` in repository "${filters.repository}"`;
    }
    const inScope = scope.repositoryIds === null ? '' : ' AND repository_id = ANY($2::int[])';
    const ids = scope.repositoryIds === null ? [] : [scope.repositoryIds];
    if (filters.language !== undefined) {
      scope.language = filters.language.trim().toLowerCase();
      const found = await db.query(
        `SELECT 1 FROM ${this.#c.s}.chunks WHERE language = $1${inScope} LIMIT 1`,
        [scope.language, ...ids],
      );
      if (found.rows.length === 0) {
        const known = await db.query<{ language: string }>(
          `SELECT DISTINCT language FROM ${this.#c.s}.chunks
           WHERE language IS NOT NULL${inScope.replace('$2', '$1')} ORDER BY language`,
          ids,
        );
        throw languageNotFound(
          filters.language,
          where,
          known.rows.map((row) => row.language),
        );
      }
    }
    if (glob && filters.pathGlob !== undefined) {
      const { rows } = await db.query<{ id: number; path: string }>(
        `SELECT id, path FROM ${this.#c.s}.files WHERE true${inScope.replace('$2', '$1')}`,
        ids,
      );
      scope.glob = filters.pathGlob;
      scope.fileIds = rows.filter((row) => glob.matches(row.path)).map((row) => row.id);
      if (scope.fileIds.length === 0) throw globNotFound(filters.pathGlob, where);
    }
    return scope;
  }

  /** Document counts of the scope and of each token in it, for BM25 in JS (cached). */
  async #statistics(
    db: Queryable,
    scope: CodeScope,
    tokens: readonly string[],
  ): Promise<TermStatistics> {
    const generation = await db.query<{ id: number }>(
      `SELECT coalesce(max(id), 0) AS id FROM ${this.#c.s}.chunks`,
    );
    const maxId = generation.rows[0]?.id ?? 0;
    this.#cache.refresh(maxId);
    const key = JSON.stringify([scope.repositoryIds, scope.language, scope.glob]);
    const documentsKey = `n${key}`;
    const tokenKey = (token: string): string => `f${key}\u0000${token}`;
    const missing = tokens.filter((token) => this.#cache.get(tokenKey(token)) === undefined);
    const filtered = isFiltered(scope);
    // Unfiltered, the largest id stands for the document count, as in the SQLite store.
    if (!filtered) this.#cache.set(documentsKey, Math.max(1, maxId));
    if (missing.length > 0 || this.#cache.get(documentsKey) === undefined) {
      const params = new Parameters();
      const filter = scopeSql(scope, params);
      const tokenParam = params.p(missing);
      const cap = params.p(codeRanking.commonWordDocuments + 1);
      const documents = filtered
        ? `(SELECT count(*) FROM (SELECT 1 FROM ${this.#c.s}.chunks c WHERE true${filter}
             LIMIT ${params.p(codeRanking.scopeDocumentLimit)}) x)`
        : `${Math.max(1, maxId)}`;
      const { rows } = await db.query<{ token: string | null; n: number }>(
        `SELECT NULL AS token, ${documents} AS n
         UNION ALL
         SELECT t.token, (SELECT count(*) FROM (
           SELECT 1 FROM ${this.#c.s}.chunks c
           WHERE c.tokens @@ to_tsquery(${this.#c.config}, quote_literal(t.token))${filter}
           LIMIT ${cap}) x)
         FROM unnest(${tokenParam}::text[]) AS t(token)`,
        params.values,
      );
      for (const row of rows) {
        if (row.token === null) this.#cache.set(documentsKey, Math.max(1, row.n));
        else this.#cache.set(tokenKey(row.token), row.n);
      }
    }
    const documents = this.#cache.get(documentsKey) ?? 1;
    const frequencies = new Map(tokens.map((token) => [token, this.#cache.get(tokenKey(token))]));
    return { documents, documentFrequency: (token) => frequencies.get(token) ?? 0 };
  }

  async #lexical(
    db: Queryable,
    query: string,
    scope: CodeScope,
    pool: number,
  ): Promise<{ matches: LevelMatch<CodeLexicalRow>[]; statistics: TermStatistics }> {
    const analyzed = analyzeQuery(query);
    const filtered = isFiltered(scope);
    const allLevels = [...strictQueryLevels(analyzed), ...looseQueryLevels(analyzed)];
    const tokens = [...new Set([...analyzed.parts, ...allLevels.flatMap((level) => level.tokens)])];
    const global = filtered
      ? await this.#statistics(
          db,
          { repositoryIds: null, language: null, fileIds: null, glob: null },
          tokens,
        )
      : null;
    const statistics = await this.#statistics(db, scope, tokens);
    const globalStatistics = global ?? statistics;
    const common = codeRanking.commonWordDocuments;
    const isCheap = (token: string): boolean => globalStatistics.documentFrequency(token) <= common;
    const isSpecific = (token: string): boolean => {
      const frequency = statistics.documentFrequency(token);
      return frequency > 0 && frequency <= common;
    };

    // Levels run in order, each depending on what the previous ones found; collectLevels is
    // synchronous, so each level's rows are fetched first and handed to it.
    const fetched = new Map<string, CodeLexicalRow[]>();
    const fetchLevel = async (level: QueryLevel, limit: number): Promise<void> => {
      const cheap = level.tokens.every(isCheap);
      const params = new Parameters();
      const match = params.p(toTsquery(level.match));
      const filter = scopeSql(scope, params);
      const wanted = cheap
        ? codeRanking.scoredMatchLimit
        : Math.max(limit, codeRanking.unscoredMatchLimit);
      const { rows } = await db.query<CodeLexicalRow>(
        `SELECT ${columns}, 'NaN'::float8 AS bm25
         FROM ${this.#c.s}.chunks c JOIN ${this.#c.s}.files f ON f.id = c.file_id
         WHERE c.tokens @@ to_tsquery(${this.#c.config}, ${match})${filter}
         ORDER BY c.id DESC LIMIT ${params.p(wanted)}`,
        params.values,
      );
      if (!cheap) {
        fetched.set(level.match, rows);
        return;
      }
      // Scored levels keep their best rows by BM25 over the level's words, as FTS5 would.
      const counter = new TermCounter(level.tokens);
      const keep = filtered ? Math.max(limit, codeRanking.scopedCandidateLimit) : limit;
      const scored = rows.map((row) => ({ row, score: bm25InJs(row, counter, statistics) }));
      scored.sort((a, b) => b.score - a.score || b.row.id - a.row.id);
      fetched.set(
        level.match,
        scored.slice(0, keep).map((entry) => entry.row),
      );
    };

    const levels: QueryLevel[] = [];
    const found = new Set<number>();
    const plan = async (candidates: readonly QueryLevel[]): Promise<void> => {
      for (const level of candidates) {
        if (found.size >= pool) return;
        await fetchLevel(level, pool + found.size);
        for (const row of fetched.get(level.match) ?? []) found.add(row.id);
        levels.push(level);
      }
    };
    await plan(strictQueryLevels(analyzed));
    if (found.size < pool) await plan(looseQueryLevels(analyzed, isSpecific));
    const matches = collectLevels(levels, pool, (match) => fetched.get(match) ?? [], 1);

    const byId = new Map(matches.map((entry) => [entry.row.id, entry]));
    const add = (row: CodeLexicalRow, level: number): void => {
      const entry = { row, level, complete: true };
      byId.set(row.id, entry);
      matches.push(entry);
    };
    // Chunks whose symbol the query names exactly.
    const exactParams = new Parameters();
    const names = exactParams.p([...analyzed.symbolNames]);
    const exactFilter = scopeSql(scope, exactParams);
    const exact = await db.query<CodeLexicalRow>(
      `SELECT ${columns}, 'NaN'::float8 AS bm25
       FROM ${this.#c.s}.chunks c JOIN ${this.#c.s}.files f ON f.id = c.file_id
       WHERE c.symbol_key = ANY(${names}::text[])${exactFilter}
       ORDER BY c.id DESC LIMIT ${exactParams.p(pool)}`,
      exactParams.values,
    );
    for (const row of exact.rows) {
      const entry = byId.get(row.id);
      if (entry) entry.level = 0;
      else add(row, 0);
    }
    if (codeRanking.namedFileScan > 0 && isSymbolQuery(query)) {
      // Definitions in files named after the symbol, however the full-text ranking placed them.
      const symbols = queriedSymbols(query);
      const keys = [
        ...new Set(symbols.map((name) => symbolKey(name)).filter((key) => key !== null)),
      ];
      if (keys.length > 0) {
        const params = new Parameters();
        const match = params.p(keys.map((key) => tokenTsquery(key, 'C')).join(' | '));
        const filter = scopeSql(scope, params);
        const { rows } = await db.query<CodeLexicalRow>(
          `SELECT ${columns}, 'NaN'::float8 AS bm25
           FROM ${this.#c.s}.chunks c JOIN ${this.#c.s}.files f ON f.id = c.file_id
           WHERE c.tokens @@ to_tsquery(${this.#c.config}, ${match})${filter}
           ORDER BY c.id DESC LIMIT ${params.p(codeRanking.namedFileScan)}`,
          params.values,
        );
        for (const row of rows) {
          if (byId.has(row.id) || !fileNamedAfter(row.path, symbols)) continue;
          if (definesSymbol(row.content, symbols)) add(row, 1);
        }
      }
    }
    const pathTerms = isSymbolQuery(query) ? [] : fileNamePathTerms(analyzed);
    if (pathTerms.length > 0) {
      // Files named after a query word, as loose matches, however full-text ranking placed them.
      const level = Math.max(1, ...matches.map((entry) => entry.level));
      const params = new Parameters();
      const match = params.p(
        pathTerms.map((term) => tokenTsquery(term.token, 'C', term.prefix)).join(' | '),
      );
      const filter = scopeSql(scope, params);
      const { rows } = await db.query<CodeLexicalRow>(
        `SELECT ${columns}, 'NaN'::float8 AS bm25
         FROM ${this.#c.s}.chunks c JOIN ${this.#c.s}.files f ON f.id = c.file_id
         WHERE c.tokens @@ to_tsquery(${this.#c.config}, ${match})${filter}
         ORDER BY c.id DESC LIMIT ${params.p(codeRanking.fileNameScan)}`,
        params.values,
      );
      const paths = new Set(matches.map((entry) => entry.row.path));
      for (const row of namedFileCandidates(rows, analyzed, statistics, paths)) {
        const entry = { row, level, complete: false };
        byId.set(row.id, entry);
        matches.push(entry);
      }
    }
    return { matches, statistics };
  }

  async #vector(
    db: Queryable,
    query: Float32Array,
    scope: CodeScope,
    k: number,
  ): Promise<{ id: number; similarity: number }[]> {
    if (!this.#c.vectors) return [];
    if (!isFiltered(scope)) return this.#c.vectors.nearestChunks(db, { query, scope: null, k });
    const params = new Parameters();
    const filter = scopeSql(scope, params);
    const sql = `SELECT c.id, c.content_hash FROM ${this.#c.s}.chunks c WHERE true${filter}`;
    return this.#c.vectors.nearestChunks(db, {
      query,
      scope: { sql, values: params.values },
      k,
    });
  }

  /** The vector matches with the columns ranking reads. */
  async #vectorMatches(
    db: Queryable,
    vector: readonly { id: number; similarity: number }[],
    lexical: readonly LevelMatch<CodeLexicalRow>[],
  ): Promise<VectorMatch<CodeLexicalRow>[]> {
    if (vector.length === 0) return [];
    const known = new Map(lexical.map((match) => [match.row.id, match.row]));
    const missing = vector.filter((hit) => !known.has(hit.id)).map((hit) => hit.id);
    if (missing.length > 0) {
      const { rows } = await db.query<CodeLexicalRow>(
        `SELECT ${columns}, 'NaN'::float8 AS bm25
         FROM ${this.#c.s}.chunks c JOIN ${this.#c.s}.files f ON f.id = c.file_id
         WHERE c.id = ANY($1::bigint[])`,
        [missing],
      );
      for (const row of rows) known.set(row.id, row);
    }
    return vector.flatMap((hit) => {
      const row = known.get(hit.id);
      return row ? [{ row, similarity: hit.similarity }] : [];
    });
  }
}
