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
  candidatesMissingSimilarity,
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
  looseLevelWords,
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
import { globLiteralPrefix } from './glob-prefix.ts';
import { StatisticsCache } from './statistics-cache.ts';
import { checkSearchQuery, type SearchContext } from './search-context.ts';
import { TermDocuments } from './term-documents.ts';
import { matchBound, matchShare, tokenTsquery, toTsquery } from './tsquery.ts';

/** A code search's filters, resolved to ids: null where a filter is absent. */
interface CodeScope {
  repositoryIds: number[] | null;
  language: string | null;
  fileIds: number[] | null;
  /** The glob the file ids came from (a cache key). */
  glob: string | null;
}

const columns = 'c.id, c.symbol_name, c.enclosing_symbol, f.path, c.content';

/** Full-text settings of the PostgreSQL store beside the shared `codeRanking`. */
export const postgresFullText = {
  /**
   * Chunks a full-text query that is not selective checks at most, newest first: such a query
   * (one that may match more than `indexMatchLimit` chunks) finds its matches among the newest.
   */
  newestScanRows: 10_000,
  /**
   * Matches a full-text query may have at most (`matchBound`) to be answered from the GIN index,
   * which reads every match; one with more checks the newest chunks instead.
   */
  indexMatchLimit: 20_000,
  /**
   * On a scope of more than `newestScanRows` chunks, where a scan sees only its newest part, a
   * level whose words are all common (each in more than `codeRanking.commonWordDocuments`
   * chunks) adds little: low-idf words, matched in an arbitrary slice of the newest chunks. Such
   * a level is skipped once the candidates found so far (stricter levels, the exact-symbol
   * lookup, the vector list) fill the pool, and at most this many are scanned a search.
   * Smaller scopes scan every level the pool needs. Unbounded: since the levels that read
   * through the newest chunks share one read, a bound of 1 saved almost nothing and changed 6–8%
   * of the top tens (package README, "Figures").
   */
  commonLevelScans: Number.POSITIVE_INFINITY,
  /**
   * A selective level that keeps only its newest matches can ask first for those among the
   * newest ids: a primary-key range where this many times its limit are expected (its matches
   * spread evenly over the ids, their count estimated from the word counts), so the GIN bitmap
   * is intersected with the range and only the matches in it are read. When fewer than the limit
   * are there, it reads them all, as before, so the answer is the same.
   */
  newestWindowFactor: 1.5,
  /**
   * What reading one primary-key entry of the range costs, as a share of reading one match's
   * heap page (measured at 1M chunks: 100,000 ids in 6.7 ms, 8,280 heap pages in 25 ms). The
   * window is tried only when its entries and its matches cost less than all the matches.
   */
  newestWindowIdCost: 0.025,
};

const everything: CodeScope = { repositoryIds: null, language: null, fileIds: null, glob: null };

function isFiltered(scope: CodeScope): boolean {
  return scope.repositoryIds !== null || scope.language !== null || scope.fileIds !== null;
}

/** `AND …` conditions over `c` (chunks) for the scope, with their parameters. */
function scopeSql(scope: CodeScope, params: Parameters): string {
  let sql = '';
  // One repository as an equality, so its index can give its newest chunks in order.
  if (scope.repositoryIds?.length === 1)
    sql += ` AND c.repository_id = ${params.p(scope.repositoryIds[0])}::int`;
  else if (scope.repositoryIds)
    sql += ` AND c.repository_id = ANY(${params.p(scope.repositoryIds)}::int[])`;
  if (scope.language !== null) sql += ` AND c.language = ${params.p(scope.language)}`;
  if (scope.fileIds) sql += ` AND c.file_id = ANY(${params.p(scope.fileIds)}::bigint[])`;
  return sql;
}

/**
 * A promise awaited later, maybe after other awaits fail: its rejection is not reported as
 * unhandled meanwhile, and still reaches whoever awaits it.
 */
function settledLater<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => undefined);
  return promise;
}

/**
 * The vector candidates with the rows ranking reads: a full-text candidate's row where there is
 * one, else the row fetched for it (a chunk gone meanwhile is left out).
 */
function matchesOf(
  vector: readonly { id: number; similarity: number }[],
  lexical: readonly LevelMatch<CodeLexicalRow>[],
  fetched: readonly CodeLexicalRow[],
): VectorMatch<CodeLexicalRow>[] {
  const known = new Map(fetched.map((row) => [row.id, row]));
  for (const match of lexical) known.set(match.row.id, match.row);
  return vector.flatMap((hit) => {
    const row = known.get(hit.id);
    return row ? [{ row, similarity: hit.similarity }] : [];
  });
}

/**
 * Code search on PostgreSQL with the SQLite store's ranking: the same levelled full-text
 * queries (as tsquery over the same token text) fill a candidate pool, the same JS ranking
 * orders it, fused with vector candidates from pgvector or the in-memory index.
 */
export class CodeSearch {
  readonly #c: SearchContext;
  readonly #cache = new StatisticsCache();
  readonly #terms: TermDocuments;

  constructor(context: SearchContext) {
    this.#c = context;
    this.#terms = new TermDocuments(context);
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
      // The vector list and the full-text side run at once, on separate pooled connections; the
      // full-text side waits for the vector candidates only where they count (they can spare it
      // scans of common words), after its word counts and exact-symbol lookup.
      const vectorSearch = settledLater(
        parsed.queryVector
          ? this.#vector(
              db,
              parsed.queryVector,
              scope,
              isFiltered(scope) ? filteredVectorPool(parsed.limit) : pool,
            )
          : Promise.resolve([]),
      );
      // The rows ranking reads of the vector candidates, fetched while the full-text side runs.
      const vectorRows = settledLater(
        vectorSearch.then((vector) =>
          this.#chunkRows(
            db,
            vector.map((hit) => hit.id),
          ),
        ),
      );
      const lexical =
        analyzed.terms.length === 0
          ? { matches: [], statistics: undefined }
          : await this.#lexical(db, parsed.query, scope, pool, async () =>
              (await vectorSearch).map((hit) => hit.id),
            );
      const vector = await vectorSearch;
      const vectorMatches = matchesOf(vector, lexical.matches, await vectorRows);
      throwIfAborted(parsed.signal);
      const missing = candidatesMissingSimilarity(lexical.matches, vector);
      const similarities =
        parsed.queryVector && this.#c.vectors && missing.length > 0
          ? await this.#c.vectors.chunkSimilarities(db, parsed.queryVector, missing)
          : [];
      const ranked = rankCodeHits(
        analyzed,
        lexical.matches,
        lexical.statistics,
        parsed.query,
        vectorMatches,
        new Map(similarities.map((hit) => [hit.id, hit.similarity])),
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
      // Only files under the glob's literal start come back to be matched here: all 50,000
      // paths of a large store cost more to send and parse than to filter in the server.
      const prefix = globLiteralPrefix(filters.pathGlob);
      const underPrefix = prefix === '' ? '' : ` AND starts_with(path, $${ids.length + 1})`;
      const { rows } = await db.query<{ id: number; path: string }>(
        `SELECT id, path FROM ${this.#c.s}.files
         WHERE true${inScope.replace('$2', '$1')}${underPrefix}`,
        prefix === '' ? ids : [...ids, prefix],
      );
      scope.glob = filters.pathGlob;
      scope.fileIds = rows.filter((row) => glob.matches(row.path)).map((row) => row.id);
      if (scope.fileIds.length === 0) throw globNotFound(filters.pathGlob, where);
    }
    return scope;
  }

  /**
   * Document counts of the scope and of each token in it, for BM25 in JS (cached): read from
   * the counts the database keeps per repository and language (migration 7). A path glob's
   * counts are taken inside it for words that are not common around it, and estimated from the
   * glob's share of its repositories and language for words that are.
   */
  async #statistics(
    db: Queryable,
    maxId: number,
    scope: CodeScope,
    tokens: readonly string[],
  ): Promise<TermStatistics> {
    const key = JSON.stringify([scope.repositoryIds, scope.language, scope.glob]);
    const documentsKey = `n${key}`;
    const tokenKey = (token: string): string => `f${key}\u0000${token}`;
    const documents = await this.#cached(documentsKey, async () =>
      isFiltered(scope) ? Math.max(1, await this.#countScope(db, scope)) : Math.max(1, maxId),
    );
    const missing = tokens.filter((token) => this.#cache.get(tokenKey(token)) === undefined);
    if (missing.length > 0) {
      const counted = await this.#terms.counts(db, missing, scope);
      if (scope.fileIds !== null) {
        const around = { ...scope, fileIds: null, glob: null };
        const aroundDocuments = await this.#cached(
          `n${JSON.stringify([around.repositoryIds, around.language, null])}`,
          async () => Math.max(1, isFiltered(around) ? await this.#countScope(db, around) : maxId),
        );
        const rare = missing.filter(
          (token) => (counted.get(token) ?? 0) <= codeRanking.commonWordDocuments,
        );
        const inGlob = await this.#countInScope(db, scope, rare);
        for (const token of missing) {
          counted.set(
            token,
            inGlob.get(token) ??
              Math.round(((counted.get(token) ?? 0) * documents) / aroundDocuments),
          );
        }
      }
      for (const token of missing) this.#cache.set(tokenKey(token), counted.get(token) ?? 0);
    }
    const frequencies = new Map(tokens.map((token) => [token, this.#cache.get(tokenKey(token))]));
    return { documents, documentFrequency: (token) => frequencies.get(token) ?? 0 };
  }

  /** The largest chunk id (the cache's generation, read once a search), refreshing the cache when it moved. */
  async #generation(db: Queryable): Promise<number> {
    const { rows } = await db.query<{ id: number }>(
      `SELECT coalesce(max(id), 0) AS id FROM ${this.#c.s}.chunks`,
    );
    const maxId = rows[0]?.id ?? 0;
    this.#cache.refresh(maxId);
    return maxId;
  }

  async #cached(key: string, compute: () => Promise<number>): Promise<number> {
    const known = this.#cache.get(key);
    if (known !== undefined) return known;
    const value = await compute();
    this.#cache.set(key, value);
    return value;
  }

  /** Whether the scope holds more chunks than one newest-chunk scan reads (cached). */
  async #widerThanScan(db: Queryable, scope: CodeScope): Promise<boolean> {
    const rows = postgresFullText.newestScanRows;
    const key = `w${rows}${JSON.stringify([scope.repositoryIds, scope.language, scope.glob])}`;
    const counted = await this.#cached(key, async () => {
      const params = new Parameters();
      const filter = scopeSql(scope, params);
      const { rows: found } = await db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM (SELECT 1 FROM ${this.#c.s}.chunks c WHERE true${filter}
           LIMIT ${params.p(rows + 1)}) x`,
        params.values,
      );
      return found[0]?.n ?? 0;
    });
    return counted > rows;
  }

  /** Chunks in a filtered scope, counted up to `codeRanking.scopeDocumentLimit`. */
  async #countScope(db: Queryable, scope: CodeScope): Promise<number> {
    const params = new Parameters();
    const filter = scopeSql(scope, params);
    const { rows } = await db.query<{ n: number }>(
      `SELECT count(*) AS n FROM (SELECT 1 FROM ${this.#c.s}.chunks c WHERE true${filter}
         LIMIT ${params.p(codeRanking.scopeDocumentLimit)}) x`,
      params.values,
    );
    return rows[0]?.n ?? 0;
  }

  /**
   * Chunks of a scope matching each token, counted through the full-text index; call only for
   * tokens known not to be common (at most `commonWordDocuments` matches each).
   */
  async #countInScope(
    db: Queryable,
    scope: CodeScope,
    tokens: readonly string[],
  ): Promise<Map<string, number>> {
    if (tokens.length === 0) return new Map();
    const params = new Parameters();
    const filter = scopeSql(scope, params);
    const tokenParam = params.p(tokens);
    const cap = params.p(codeRanking.commonWordDocuments + 1);
    const { rows } = await db.query<{ token: string; n: number }>(
      `SELECT t.token, (SELECT count(*) FROM (
         SELECT 1 FROM ${this.#c.s}.chunks c
         WHERE c.tokens @@ to_tsquery(${this.#c.config}, quote_literal(t.token))${filter}
         LIMIT ${cap}) x) AS n
       FROM unnest(${tokenParam}::text[]) AS t(token)`,
      params.values,
    );
    return new Map(rows.map((row) => [row.token, row.n]));
  }

  /**
   * The full-text candidates of a search. `vectorIds` gives the vector list's candidates, which
   * count towards the pool when deciding whether a level of common words is worth a scan.
   */
  async #lexical(
    db: Queryable,
    query: string,
    scope: CodeScope,
    pool: number,
    vectorIds: () => Promise<readonly number[]>,
  ): Promise<{ matches: LevelMatch<CodeLexicalRow>[]; statistics: TermStatistics }> {
    const analyzed = analyzeQuery(query);
    const filtered = isFiltered(scope);
    const allLevels = [...strictQueryLevels(analyzed), ...looseQueryLevels(analyzed)];
    const tokens = [...new Set([...analyzed.parts, ...allLevels.flatMap((level) => level.tokens)])];
    // Chunks whose symbol the query names exactly: looked up first (an index look-up), as
    // candidates beside the levels', and merged after them. It runs while the counts are read.
    const exactParams = new Parameters();
    const names = exactParams.p([...analyzed.symbolNames]);
    const exactFilter = scopeSql(scope, exactParams);
    const exactLookup = settledLater(
      db.query<CodeLexicalRow>(
        `SELECT ${columns}, 'NaN'::float8 AS bm25
         FROM ${this.#c.s}.chunks c JOIN ${this.#c.s}.files f ON f.id = c.file_id
         WHERE c.symbol_key = ANY(${names}::text[])${exactFilter}
         ORDER BY c.id DESC LIMIT ${exactParams.p(pool)}`,
        exactParams.values,
      ),
    );
    const maxId = await this.#generation(db);
    const [global, statistics] = await Promise.all([
      filtered ? this.#statistics(db, maxId, everything, tokens) : null,
      this.#statistics(db, maxId, scope, tokens),
    ]);
    const globalStatistics = global ?? statistics;
    const common = codeRanking.commonWordDocuments;
    const isCheap = (token: string): boolean => globalStatistics.documentFrequency(token) <= common;
    const indexLimit = postgresFullText.indexMatchLimit;
    // Words outside the levels (symbol keys, path words) are looked up on their own, so the
    // statistics ranking reads stay those of the query's words.
    const fewMatches = async (words: readonly string[], known = 0): Promise<boolean> => {
      const counts = await this.#statistics(db, maxId, everything, words);
      const total = words.reduce((sum, word) => sum + counts.documentFrequency(word), known);
      return total <= indexLimit;
    };

    // The counts of the words the path-name lookup (after the levels) reads depend on the query
    // alone: read now, beside the levels, instead of after them.
    const pathTerms = isSymbolQuery(query) ? [] : fileNamePathTerms(analyzed);
    const pathWords = pathTerms.filter((term) => !term.prefix).map((term) => term.token);
    const pathPrefixes = pathTerms.filter((term) => term.prefix).map((term) => term.token);
    const pathCounts = settledLater(
      pathTerms.length === 0
        ? Promise.resolve(null)
        : Promise.all([
            this.#prefixCounts(db, pathPrefixes),
            this.#statistics(db, maxId, everything, pathWords),
          ]),
    );

    // So are those of the symbol keys the named-file lookup reads.
    const namedSymbols =
      codeRanking.namedFileScan > 0 && isSymbolQuery(query) ? queriedSymbols(query) : [];
    const namedKeys = [
      ...new Set(namedSymbols.map((name) => symbolKey(name)).filter((key) => key !== null)),
    ];
    const namedSelective = settledLater(
      namedKeys.length === 0 ? Promise.resolve(false) : fewMatches(namedKeys),
    );

    const exact = await exactLookup;

    const strict = strictQueryLevels(analyzed);
    const loose = looseQueryLevels(analyzed, looseLevelWords(analyzed.parts, statistics));
    const isSelective = (level: QueryLevel): boolean =>
      matchBound(level.match, (token) => globalStatistics.documentFrequency(token)) <= indexLimit;
    /**
     * The id above which a selective level's `limit` newest matches are expected, on an
     * unfiltered store where that range costs less to read than all its matches (see
     * `newestWindowFactor`); null: ask for all of them.
     */
    const newestWindow = (level: QueryLevel, limit: number): number | null => {
      if (filtered || maxId <= 0) return null;
      const share = matchShare(
        level.match,
        (token) => globalStatistics.documentFrequency(token) / globalStatistics.documents,
      );
      const matches = share * maxId;
      const { newestWindowFactor: factor, newestWindowIdCost: idCost } = postgresFullText;
      const range = Math.ceil((maxId * factor * limit) / Math.max(matches, 1));
      if (range >= maxId || factor * limit + idCost * range >= matches) return null;
      return maxId - range;
    };
    /** Matches a level fetches: `limit` is at most twice the pool (see `plan`). */
    const wantedOf = (level: QueryLevel, limit = 2 * pool): number =>
      level.tokens.every(isCheap)
        ? codeRanking.scoredMatchLimit
        : Math.max(limit, codeRanking.unscoredMatchLimit);
    /**
     * Whether a level that is not selective is expected to read through all the newest chunks
     * before it finds its matches (its words, as if independent, are too rare together there).
     */
    const isSparse = (level: QueryLevel): boolean =>
      matchShare(
        level.match,
        (token) => statistics.documentFrequency(token) / statistics.documents,
      ) *
        postgresFullText.newestScanRows <
      wantedOf(level);
    // The newest-chunk matches of the sparse levels, found in one scan for all of them when the
    // first is reached: the same rows as one scan each, for one read of the newest chunks (a
    // level that finds its matches early stops early on its own). Ids, newest first, up to each
    // level's largest fetch.
    const scanned = new Map<string, number[]>();
    const scanLevels = async (from: QueryLevel): Promise<void> => {
      const rest = [...strict, ...loose];
      const pending = rest
        .slice(rest.indexOf(from))
        .filter((level) => !scanned.has(level.match) && !isSelective(level) && isSparse(level))
        // Levels of common words the bound already rules out are left out.
        .filter(
          (level) =>
            level === from ||
            !wide ||
            level.tokens.some(isCheap) ||
            commonScans < postgresFullText.commonLevelScans,
        );
      const found = await this.#newestMatchesOfLevels(
        db,
        scope,
        pending.map((level) => ({ tsquery: toTsquery(level.match), limit: wantedOf(level) })),
      );
      for (const [index, level] of pending.entries()) scanned.set(level.match, found[index]!);
    };

    // Levels run in order, each depending on what the previous ones found; collectLevels is
    // synchronous, so each level's rows are fetched first and handed to it.
    const fetched = new Map<string, CodeLexicalRow[]>();
    const fetchLevel = async (level: QueryLevel, limit: number): Promise<void> => {
      const cheap = level.tokens.every(isCheap);
      const wanted = wantedOf(level, limit);
      let rows: CodeLexicalRow[];
      if (isSelective(level) || !isSparse(level)) {
        rows = await this.#newestMatches(db, {
          tsquery: toTsquery(level.match),
          selective: isSelective(level),
          scope,
          limit: wanted,
          newerThan: isSelective(level) ? newestWindow(level, wanted) : null,
        });
      } else {
        if (!scanned.has(level.match)) await scanLevels(level);
        rows = await this.#chunkRows(db, scanned.get(level.match)!.slice(0, wanted));
      }
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
    /** Candidates from elsewhere: the vector list, the exact-symbol lookup, named files. */
    const beside = new Set([...(await vectorIds()), ...exact.rows.map((row) => row.id)]);
    const candidateCount = (): number =>
      found.size + [...beside].filter((id) => !found.has(id)).length;
    const wide = await this.#widerThanScan(db, scope);
    let commonScans = 0;
    /**
     * Whether a newest-chunk scan for words that are all common is not worth it (see
     * `commonLevelScans`); counts the scans it lets through.
     */
    const skipCommon = (allCommon: boolean): boolean => {
      if (!wide || !allCommon) return false;
      if (commonScans >= postgresFullText.commonLevelScans || candidateCount() >= pool) return true;
      commonScans += 1;
      return false;
    };
    const plan = async (candidates: readonly QueryLevel[]): Promise<void> => {
      for (const level of candidates) {
        if (found.size >= pool) return;
        levels.push(level);
        // A skipped level keeps its place, so the levels after it rank as they would have.
        if (skipCommon(!level.tokens.some(isCheap))) {
          fetched.set(level.match, []);
          continue;
        }
        await fetchLevel(level, pool + found.size);
        for (const row of fetched.get(level.match) ?? []) found.add(row.id);
      }
    };
    await plan(strict);
    if (found.size < pool) await plan(loose);
    const matches = collectLevels(levels, pool, (match) => fetched.get(match) ?? [], 1);

    const byId = new Map(matches.map((entry) => [entry.row.id, entry]));
    const add = (row: CodeLexicalRow, level: number): void => {
      const entry = { row, level, complete: true };
      byId.set(row.id, entry);
      matches.push(entry);
    };
    for (const row of exact.rows) {
      const entry = byId.get(row.id);
      if (entry) entry.level = 0;
      else add(row, 0);
    }
    if (namedKeys.length > 0) {
      // Definitions in files named after the symbol, however the full-text ranking placed them.
      const rows = await this.#newestMatches(db, {
        tsquery: namedKeys.map((key) => tokenTsquery(key, 'C')).join(' | '),
        selective: await namedSelective,
        scope,
        limit: codeRanking.namedFileScan,
      });
      for (const row of rows) {
        if (byId.has(row.id) || !fileNamedAfter(row.path, namedSymbols)) continue;
        if (definesSymbol(row.content, namedSymbols)) add(row, 1);
      }
    }
    for (const entry of matches) found.add(entry.row.id);
    const counts = await pathCounts;
    if (counts !== null) {
      // Files named after a query word, as loose matches, however full-text ranking placed them.
      const level = Math.max(1, ...matches.map((entry) => entry.level));
      const words = pathWords;
      const prefixes = pathPrefixes;
      const [prefixCounts, wordCounts] = counts;
      const allCommon =
        words.every((word) => wordCounts.documentFrequency(word) > common) &&
        prefixes.every((prefix) => (prefixCounts.get(prefix) ?? 0) > common);
      const rows = skipCommon(allCommon)
        ? []
        : await this.#newestMatches(db, {
            tsquery: pathTerms
              .map((term) => tokenTsquery(term.token, 'C', term.prefix))
              .join(' | '),
            selective: await fewMatches(
              words,
              prefixes.reduce((sum, prefix) => sum + (prefixCounts.get(prefix) ?? 0), 0),
            ),
            scope,
            limit: codeRanking.fileNameScan,
          });
      const paths = new Set(matches.map((entry) => entry.row.path));
      for (const row of namedFileCandidates(rows, analyzed, statistics, paths)) {
        const entry = { row, level, complete: false };
        byId.set(row.id, entry);
        matches.push(entry);
      }
    }
    return { matches, statistics };
  }

  /**
   * The newest chunks of a scope matching a tsquery, at most `limit`. A selective query (at most
   * `indexMatchLimit` matches by `matchBound`) is answered from the GIN index, which reads every
   * match. Otherwise the matches could be a large part of the index, so only the scope's newest
   * `postgresFullText.newestScanRows` chunks are checked, newest first, stopping at `limit` matches: the cost
   * stays bounded however large the store grows, and on stores up to that size nothing is
   * missed.
   */
  async #newestMatches(
    db: Queryable,
    request: {
      tsquery: string;
      selective: boolean;
      scope: CodeScope;
      limit: number;
      /** A selective query's matches above this id are asked for first (`newestWindowFactor`). */
      newerThan?: number | null;
    },
  ): Promise<CodeLexicalRow[]> {
    const newerThan = request.newerThan ?? null;
    if (request.selective && newerThan !== null) {
      const newest = await this.#newestMatchesAbove(db, request, newerThan);
      // All `limit` found above the id: no match below it can be among the newest `limit`.
      if (newest.length >= request.limit) return newest;
    }
    return this.#newestMatchesAbove(db, request, null);
  }

  async #newestMatchesAbove(
    db: Queryable,
    request: { tsquery: string; selective: boolean; scope: CodeScope; limit: number },
    newerThan: number | null,
  ): Promise<CodeLexicalRow[]> {
    const params = new Parameters();
    const match = `to_tsquery(${this.#c.config}, ${params.p(request.tsquery)})`;
    const filter = scopeSql(request.scope, params);
    const limit = params.p(request.limit);
    // The CTE keeps the planner on the GIN index: with ORDER BY id it may walk the primary key
    // instead, through most of the table when the matches are fewer than it guessed.
    const candidates = request.selective
      ? `WITH m AS MATERIALIZED (
           SELECT c.id FROM ${this.#c.s}.chunks c WHERE c.tokens @@ ${match}${filter}${
             newerThan === null ? '' : ` AND c.id > ${params.p(newerThan)}::bigint`
           })
         SELECT id FROM m ORDER BY id DESC LIMIT ${limit}`
      : `SELECT n.id FROM (
           SELECT c.id, c.tokens FROM ${this.#c.s}.chunks c WHERE true${filter}
           ORDER BY c.id DESC LIMIT ${params.p(postgresFullText.newestScanRows)}) n
         WHERE n.tokens @@ ${match} ORDER BY n.id DESC LIMIT ${limit}`;
    const { rows } = await db.query<CodeLexicalRow>(
      `SELECT ${columns}, 'NaN'::float8 AS bm25
       FROM ${this.#c.s}.chunks c JOIN ${this.#c.s}.files f ON f.id = c.file_id
       WHERE c.id IN (${candidates})
       ORDER BY c.id DESC`,
      params.values,
    );
    return rows;
  }

  /**
   * The newest matches of several tsqueries in the scope's newest `newestScanRows` chunks, as
   * `#newestMatches` finds them for a query that is not selective (at most `limit` each, newest
   * first), in one read of those chunks: ids only.
   */
  async #newestMatchesOfLevels(
    db: Queryable,
    scope: CodeScope,
    queries: readonly { tsquery: string; limit: number }[],
  ): Promise<number[][]> {
    if (queries.length === 0) return [];
    const params = new Parameters();
    const filter = scopeSql(scope, params);
    const window = params.p(postgresFullText.newestScanRows);
    const tests = queries.map(
      (query, index) =>
        `n.tokens @@ to_tsquery(${this.#c.config}, ${params.p(query.tsquery)}) AS h${index}`,
    );
    const kept = queries.map(
      (query, index) =>
        `h${index} AND count(*) FILTER (WHERE h${index}) OVER newest <= ${params.p(query.limit)}`,
    );
    // Materialised, so each query is tested once per chunk; the running counts keep each
    // query's first `limit` matches. A chunk's tokens are stored out of line (TOAST) and each
    // test of the column would fetch them again: with several queries they are fetched once,
    // into a copy (`ts_delete` of no lexeme) that every test reads.
    const tokens = queries.length > 1 ? `ts_delete(c.tokens, '{}'::text[]) AS tokens` : 'c.tokens';
    const { rows } = await db.query<{ id: number; hits: boolean[] }>(
      `WITH x AS MATERIALIZED (
         SELECT n.id, ${tests.join(', ')} FROM (
           SELECT c.id, ${tokens} FROM ${this.#c.s}.chunks c WHERE true${filter}
           ORDER BY c.id DESC LIMIT ${window}) n)
       SELECT id, hits FROM (
         SELECT id, ARRAY[${kept.join(', ')}] AS hits FROM x
         WHERE ${queries.map((_, index) => `h${index}`).join(' OR ')}
         WINDOW newest AS (ORDER BY id DESC)) y
       WHERE true = ANY(hits)
       ORDER BY id DESC`,
      params.values,
    );
    return queries.map((_, index) => rows.filter((row) => row.hits[index]).map((row) => row.id));
  }

  /** The rows ranking reads of the given chunks, newest first. */
  async #chunkRows(db: Queryable, ids: readonly number[]): Promise<CodeLexicalRow[]> {
    if (ids.length === 0) return [];
    const { rows } = await db.query<CodeLexicalRow>(
      `SELECT ${columns}, 'NaN'::float8 AS bm25
       FROM ${this.#c.s}.chunks c JOIN ${this.#c.s}.files f ON f.id = c.file_id
       WHERE c.id = ANY($1::bigint[])
       ORDER BY c.id DESC`,
      [ids],
    );
    return rows;
  }

  /** Upper bounds of the chunks holding a word with each prefix, over the whole store. */
  async #prefixCounts(db: Queryable, prefixes: readonly string[]): Promise<Map<string, number>> {
    const key = (prefix: string): string => `p\u0000${prefix}`;
    const missing = prefixes.filter((prefix) => this.#cache.get(key(prefix)) === undefined);
    const counted = await this.#terms.prefixCounts(db, missing, {
      repositoryIds: null,
      language: null,
    });
    for (const [prefix, n] of counted) this.#cache.set(key(prefix), n);
    return new Map(prefixes.map((prefix) => [prefix, this.#cache.get(key(prefix)) ?? 0]));
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
}
