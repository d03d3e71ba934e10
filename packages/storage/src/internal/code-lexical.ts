import type { CodeFilters } from './code-filters.ts';
import { filterSql } from './code-filters.ts';
import type { StoreContext } from './context.ts';
import type { PathWords } from './path-words.ts';
import { definesSymbol, fileNamedAfter, queriedSymbols } from './ranking/definitions.ts';
import { fileNamePathTerms, namedFileCandidates } from './ranking/file-names.ts';
import { isSymbolQuery, type CodeLexicalRow } from './ranking/hit-ranking.ts';
import {
  collectLevels,
  looseLevelWords,
  looseQueryLevels,
  strictQueryLevels,
  type LevelMatch,
  type QueryLevel,
} from './ranking/query-levels.ts';
import { scopedExpression } from './ranking/scope.ts';
import type { ScopeStatistics } from './ranking/scope-statistics.ts';
import { codeRanking } from './ranking/settings.ts';
import type { TermStatistics } from './ranking/term-scoring.ts';
import { analyzeQuery, ftsString, symbolKey, type AnalyzedQuery } from './tokens.ts';

const columns = 'c.symbol_name, c.enclosing_symbol, f.path, c.content';

export interface LexicalCandidates {
  analyzed: AnalyzedQuery;
  /** Unranked: `rankCodeHits` ranks them, with the vector matches when there are any. */
  matches: LevelMatch<CodeLexicalRow>[];
  /** Word statistics of the searched scope, for rows FTS5 did not score. */
  statistics: TermStatistics | undefined;
}

/** The columns `rankCodeHits` reads, for chunks found another way (by vector). */
export const rankingColumns = columns;

/**
 * Full-text candidates for a code search. Filters narrow the candidates
 * where they are generated: the scope's repository and language tokens (and a glob's literal
 * path words) are part of every FTS5 query, so other repositories cannot crowd a scope out of
 * the candidate pool. A filtered search scores its candidates in JS with the scope's own
 * statistics, so it ranks as if the scope were the only thing indexed.
 */
export function lexicalCandidates(
  ctx: StoreContext,
  statistics: ScopeStatistics,
  pathWords: PathWords,
  query: string,
  filters: CodeFilters,
  pool: number,
): LexicalCandidates {
  const analyzed = analyzeQuery(query);
  if (analyzed.terms.length === 0) return { analyzed, matches: [], statistics: undefined };
  const filter = filterSql(filters);
  const filtered = filter.sql !== '';
  const globalStatistics = statistics.forScope({
    repositoryIds: null,
    language: null,
    pathGlob: null,
  });
  const scopeStatistics = filtered ? statistics.forScope(filters) : globalStatistics;
  const scope = statistics.scopeMatch(filters);
  const common = codeRanking.commonWordDocuments;
  // Cheap for FTS5 to score: no word of the level is common in the whole index.
  const isCheap = (token: string): boolean => globalStatistics.documentFrequency(token) <= common;
  const weights = [...codeRanking.columnWeights, 0].map((weight) => weight.toFixed(2)).join(', ');
  // FTS5 scores the newest `scoredMatchLimit` matches (all of them, usually).
  const scored = `SELECT rowid, bm25(chunks_fts, ${weights}) AS bm25 FROM chunks_fts
     WHERE chunks_fts MATCH $match ORDER BY rowid DESC LIMIT $cap`;
  // The FTS5 scope is exact for repositories and languages; it only narrows a glob, whose
  // matches are checked before the limit.
  const globbed = filters.pathGlob !== null;
  const scoredStatement = ctx.statement(
    globbed
      ? `SELECT c.id, m.bm25, ${columns}
         FROM (${scored}) m
         JOIN chunks c ON c.id = m.rowid
         JOIN files f ON f.id = c.file_id
         WHERE 1${filter.candidateSql}
         ORDER BY m.bm25, c.id DESC LIMIT $limit`
      : `SELECT c.id, m.bm25, ${columns}
         FROM (SELECT rowid, bm25 FROM (${scored}) ORDER BY bm25, rowid DESC LIMIT $limit) m
         JOIN chunks c ON c.id = m.rowid
         JOIN files f ON f.id = c.file_id
         WHERE 1${filter.candidateSql}
         ORDER BY m.bm25, c.id DESC`,
  );
  // A common word in the level: fetch its newest matches unscored; they are scored in JS.
  const unscoredStatement = ctx.statement(
    `SELECT c.id, NULL AS bm25, ${columns}
     FROM (SELECT rowid FROM chunks_fts WHERE chunks_fts MATCH $match
           ORDER BY rowid DESC LIMIT $cap) m
     JOIN chunks c ON c.id = m.rowid
     JOIN files f ON f.id = c.file_id
     WHERE 1${filter.candidateSql}
     ORDER BY m.rowid DESC LIMIT $limit`,
  );
  const levelCosts = new Map<string, boolean>();
  const run = (expression: string, limit: number): CodeLexicalRow[] => {
    const match = scopedExpression(expression, scope);
    if (levelCosts.get(expression) === false) {
      const wanted = Math.max(limit, codeRanking.unscoredMatchLimit);
      const rows = unscoredStatement.all({
        ...filter.params,
        match,
        limit: wanted,
        // Unfiltered, or in a repository or language scope (exact in FTS5), every match
        // passes; a glob's matches are checked, so look at a bounded number of them.
        cap: globbed ? Math.max(wanted, codeRanking.scoredMatchLimit) : wanted,
      }) as CodeLexicalRow[];
      for (const row of rows) row.bm25 = Number.NaN;
      return rows;
    }
    const rows = scoredStatement.all({
      ...filter.params,
      match,
      limit: filtered ? Math.max(limit, codeRanking.scopedCandidateLimit) : limit,
      cap: codeRanking.scoredMatchLimit,
    }) as CodeLexicalRow[];
    // FTS5's bm25 weighs words over the whole index; inside a scope, weigh them in JS.
    if (filtered) for (const row of rows) row.bm25 = Number.NaN;
    return rows;
  };
  const withCost = (levels: QueryLevel[]): QueryLevel[] => {
    for (const level of levels) levelCosts.set(level.match, level.tokens.every(isCheap));
    return levels;
  };

  // Chunks whose symbol the query names exactly, found through the symbol index.
  const exact = ctx
    .statement(
      `SELECT c.id, ${columns}
       FROM chunks c JOIN files f ON f.id = c.file_id
       WHERE c.symbol_key IN (SELECT value FROM json_each($names))${filter.candidateSql}
       ORDER BY c.id DESC LIMIT $limit`,
    )
    .all({
      ...filter.params,
      names: JSON.stringify([...analyzed.symbolNames]),
      limit: pool,
    }) as Omit<CodeLexicalRow, 'bm25'>[];

  const matches = collectLevels(
    [
      ...withCost(strictQueryLevels(analyzed)),
      // Common words add little to the loose levels and cost a lot there: leave them out.
      () => withCost(looseQueryLevels(analyzed, looseLevelWords(analyzed.parts, scopeStatistics))),
    ],
    pool,
    run,
    1,
  );
  const byId = new Map(matches.map((match) => [match.row.id, match]));
  for (const row of exact) {
    const found = byId.get(row.id);
    if (found) {
      found.level = 0;
    } else {
      const match = { row: { ...row, bm25: Number.NaN }, level: 0, complete: true };
      byId.set(row.id, match);
      matches.push(match);
    }
  }
  if (codeRanking.namedFileScan > 0 && isSymbolQuery(query)) {
    // Definitions in files named after the symbol, however the full-text ranking placed them.
    const names = queriedSymbols(query);
    const keys = [...new Set(names.map((name) => symbolKey(name)).filter((key) => key !== null))];
    if (keys.length > 0) {
      const rows = ctx
        .statement(
          `SELECT c.id, NULL AS bm25, ${columns}
           FROM (SELECT rowid FROM chunks_fts WHERE chunks_fts MATCH $match
                 ORDER BY rowid DESC LIMIT $limit) m
           JOIN chunks c ON c.id = m.rowid
           JOIN files f ON f.id = c.file_id
           WHERE 1${filter.candidateSql}`,
        )
        .all({
          ...filter.params,
          match: `${scope === null ? '' : `${scope} AND `}path : (${keys.map(ftsString).join(' OR ')})`,
          limit: codeRanking.namedFileScan,
        }) as CodeLexicalRow[];
      for (const row of rows) {
        if (byId.has(row.id) || !fileNamedAfter(row.path, names)) continue;
        if (!definesSymbol(row.content, names)) continue;
        const match = { row: { ...row, bm25: Number.NaN }, level: 1, complete: true };
        byId.set(row.id, match);
        matches.push(match);
      }
    }
  }
  // Terms no indexed path holds cannot match; the others score as they would among all of them.
  const pathTerms = isSymbolQuery(query) ? [] : pathWords.matchTerms(fileNamePathTerms(analyzed));
  if (pathTerms.length > 0) {
    // Files named after a query word, as loose matches, however full-text ranking placed them.
    const level = Math.max(1, ...matches.map((match) => match.level));
    const rows = pathTermRows(ctx, pathTerms, scope, filter);
    const paths = new Set(matches.map((match) => match.row.path));
    for (const row of namedFileCandidates(rows, analyzed, scopeStatistics, paths)) {
      const match = { row, level, complete: false };
      byId.set(row.id, match);
      matches.push(match);
    }
  }
  return { analyzed, matches, statistics: scopeStatistics };
}

/**
 * Chunks with a file-name path term (FTS5 terms, see `PathWords.matchTerms`) in their path, best
 * paths first (see `namedFileCandidates`).
 */
function pathTermRows(
  ctx: StoreContext,
  words: readonly string[],
  scope: string | null,
  filter: ReturnType<typeof filterSql>,
): CodeLexicalRow[] {
  return ctx
    .statement(
      // Paths holding more (and rarer) query words first, among the newest `scoredMatchLimit`.
      `SELECT c.id, NULL AS bm25, ${columns}
       FROM (SELECT rowid FROM (SELECT rowid, bm25(chunks_fts, 0, 0, 1, 0, 0) AS rank
                                FROM chunks_fts WHERE chunks_fts MATCH $match
                                ORDER BY rowid DESC LIMIT $cap)
             ORDER BY rank, rowid DESC LIMIT $limit) m
       JOIN chunks c ON c.id = m.rowid
       JOIN files f ON f.id = c.file_id
       WHERE 1${filter.candidateSql}`,
    )
    .all({
      ...filter.params,
      match: `${scope === null ? '' : `${scope} AND `}path : (${words.join(' OR ')})`,
      cap: codeRanking.scoredMatchLimit,
      limit: codeRanking.fileNameScan,
    }) as CodeLexicalRow[];
}
