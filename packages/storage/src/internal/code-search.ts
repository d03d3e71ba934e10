import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { throwIfAborted, type CodeSearchHit, type CodeSearchRequest } from '@nellie/core';
import type { CodeRepositoryStore } from './code-store.ts';
import type { StoreContext } from './context.ts';
import type { GlobMatchers } from './glob.ts';
import { breakdown, fuseLexicalAndVector } from './ranking/fusion.ts';
import { rankCodeHits, type CodeLexicalRow } from './ranking/hit-ranking.ts';
import {
  collectLevels,
  looseQueryLevels,
  strictQueryLevels,
  type QueryLevel,
} from './ranking/query-levels.ts';
import { candidatePool, codeRanking, filteredVectorPool } from './ranking/settings.ts';
import { analyzeQuery, ftsString } from './tokens.ts';
import { kindChunk } from './schema.ts';
import { checkQuery, codeSearchRequestSchema, parseInput } from './validation.ts';

/** How long word statistics for ranking are reused. */
const statisticsTtlMs = 5 * 60 * 1000;
/** ANN candidates are capped here; usearch cost grows with k. */
const maxAnnCandidates = 4096;

interface Filters {
  repositoryIds: number[] | null;
  language: string | null;
  pathGlob: string | null;
}

interface FilterSql {
  /** `AND ...` conditions over `c` (chunks) and `f` (files). */
  sql: string;
  params: Record<string, unknown>;
  /** `JOIN files f ...` when a condition needs the file, else ''. */
  files: string;
}

function filterSql(filters: Filters): FilterSql {
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

interface HitRow {
  id: number;
  repository: string;
  root_path: string;
  path: string;
  start_line: number;
  end_line: number;
  symbol_name: string | null;
  symbol_kind: string | null;
  enclosing_symbol: string | null;
  language: string | null;
  content: string;
  indexed_at: string;
  size: number;
  mtime_ms: number;
}

async function changedSinceIndexed(row: HitRow): Promise<boolean | null> {
  try {
    const current = await stat(join(row.root_path, row.path));
    return current.size !== row.size || Math.abs(current.mtimeMs - row.mtime_ms) >= 1;
  } catch (error) {
    const code = (error as { code?: string }).code;
    // The file is gone: it changed. Anything else (permissions): unknown.
    return code === 'ENOENT' || code === 'ENOTDIR' ? true : null;
  }
}

export class CodeSearch {
  readonly #ctx: StoreContext;
  readonly #code: CodeRepositoryStore;
  readonly #globs: GlobMatchers;
  readonly #frequencies = new Map<string, { value: number; at: number }>();
  #documents: { value: number; at: number } | null = null;

  constructor(ctx: StoreContext, code: CodeRepositoryStore, globs: GlobMatchers) {
    this.#ctx = ctx;
    this.#code = code;
    this.#globs = globs;
  }

  async search(request: CodeSearchRequest): Promise<CodeSearchHit[]> {
    const parsed = parseInput(codeSearchRequestSchema, request, 'code search request');
    checkQuery(
      parsed.query,
      parsed.queryVector,
      this.#ctx.embeddingModel,
      this.#ctx.options.maxQueryLength,
    );
    throwIfAborted(parsed.signal);
    if (parsed.pathGlob !== undefined) this.#globs.get(parsed.pathGlob);

    const ranked = this.#ctx.read(() => {
      let repositoryIds: number[] | null = null;
      if (parsed.repository !== undefined) {
        repositoryIds = this.#code.findRepositories(parsed.repository).map((row) => row.id);
        if (repositoryIds.length === 0) return null;
      }
      const filters: Filters = {
        repositoryIds,
        language: parsed.language?.trim().toLowerCase() ?? null,
        pathGlob: parsed.pathGlob ?? null,
      };
      const pool = candidatePool(parsed.limit);
      const lexical = this.#lexical(parsed.query, filters, pool);
      throwIfAborted(parsed.signal);
      const filtered =
        repositoryIds !== null || filters.language !== null || filters.pathGlob !== null;
      const vectorPool = filtered ? filteredVectorPool(parsed.limit) : pool;
      const vector = parsed.queryVector
        ? this.#vector(parsed.queryVector, filters, vectorPool)
        : [];
      return { lexical, vector };
    });
    if (!ranked) return [];
    throwIfAborted(parsed.signal);

    const fused = fuseLexicalAndVector(
      ranked.lexical.map((hit) => hit.id),
      ranked.vector.map((hit) => hit.id),
    ).slice(0, parsed.limit);
    if (fused.length === 0) return [];

    const lexicalScores = new Map(ranked.lexical.map((hit) => [hit.id, hit.score]));
    const similarities = new Map(ranked.vector.map((hit) => [hit.id, hit.similarity]));
    const rows = this.#ctx.read(
      () =>
        this.#ctx
          .statement(
            `SELECT c.id, r.name AS repository, r.root_path, f.path, c.start_line, c.end_line,
               c.symbol_name, c.symbol_kind, c.enclosing_symbol, c.language, c.content,
               f.indexed_at, f.size, f.mtime_ms
             FROM json_each(?) j
             JOIN chunks c ON c.id = j.value
             JOIN files f ON f.id = c.file_id
             JOIN repositories r ON r.id = c.repository_id`,
          )
          .all(JSON.stringify(fused.map((entry) => entry.item))) as HitRow[],
    );
    const byId = new Map(rows.map((row) => [row.id, row]));
    const freshness = new Map<number, boolean | null>();
    await Promise.all(
      rows.map(async (row) => freshness.set(row.id, await changedSinceIndexed(row))),
    );

    const hits: CodeSearchHit[] = [];
    for (const entry of fused) {
      const row = byId.get(entry.item);
      if (!row) continue; // deleted between the two reads
      const scores = breakdown(entry, lexicalScores, similarities);
      hits.push({
        chunkId: row.id,
        repository: row.repository,
        path: row.path,
        startLine: row.start_line,
        endLine: row.end_line,
        symbolName: row.symbol_name,
        symbolKind: row.symbol_kind,
        enclosingSymbol: row.enclosing_symbol,
        language: row.language,
        content: row.content,
        score: entry.score,
        scores,
        freshness: {
          indexedAt: row.indexed_at,
          changedSinceIndexed: freshness.get(row.id) ?? null,
        },
      });
    }
    return hits;
  }

  /**
   * Chunks containing `token` (capped just above the common-word limit), cached for a few
   * minutes: ranking only needs the order of magnitude.
   */
  #documentFrequency(token: string): number {
    const now = Date.now();
    const cached = this.#frequencies.get(token);
    if (cached && now - cached.at < statisticsTtlMs) return cached.value;
    const value = this.#ctx
      .statement(`SELECT count(*) FROM (SELECT 1 FROM chunks_fts WHERE chunks_fts MATCH ? LIMIT ?)`)
      .pluck()
      .get(ftsString(token), codeRanking.commonWordDocuments + 1) as number;
    if (this.#frequencies.size >= 10_000) this.#frequencies.clear();
    this.#frequencies.set(token, { value, at: now });
    return value;
  }

  #documentCount(): number {
    const now = Date.now();
    if (!this.#documents || now - this.#documents.at >= statisticsTtlMs) {
      const value = this.#ctx
        .statement(`SELECT coalesce(max(id), 0) FROM chunks`)
        .pluck()
        .get() as number;
      this.#documents = { value, at: now };
    }
    return this.#documents.value;
  }

  #lexical(query: string, filters: Filters, pool: number): { id: number; score: number }[] {
    const analyzed = analyzeQuery(query);
    if (analyzed.terms.length === 0) return [];
    const filter = filterSql(filters);
    const common = codeRanking.commonWordDocuments;
    // Cheap for FTS5 to score: no word of the level is common.
    const isCheap = (token: string): boolean => this.#documentFrequency(token) <= common;
    // Worth keeping in the loose levels: present in the index, and not common.
    const isSpecific = (token: string): boolean => {
      const frequency = this.#documentFrequency(token);
      return frequency > 0 && frequency <= common;
    };
    const weights = codeRanking.columnWeights.map((weight) => weight.toFixed(2)).join(', ');
    const columns = 'c.symbol_name, c.enclosing_symbol, f.path, c.content';
    // Specific words: FTS5 scores the newest `scoredMatchLimit` matches (all of them, usually).
    const scored = `SELECT rowid, bm25(chunks_fts, ${weights}) AS bm25 FROM chunks_fts
       WHERE chunks_fts MATCH $match ORDER BY rowid DESC LIMIT $cap`;
    const scoredStatement = this.#ctx.statement(
      filter.sql === ''
        ? `SELECT c.id, m.bm25, ${columns}
           FROM (SELECT rowid, bm25 FROM (${scored}) ORDER BY bm25 LIMIT $limit) m
           JOIN chunks c ON c.id = m.rowid
           JOIN files f ON f.id = c.file_id
           ORDER BY m.bm25`
        : `SELECT c.id, m.bm25, ${columns}
           FROM (${scored}) m
           JOIN chunks c ON c.id = m.rowid
           JOIN files f ON f.id = c.file_id
           WHERE 1${filter.sql}
           ORDER BY m.bm25 LIMIT $limit`,
    );
    // A common word in the level: fetch its newest matches unscored; they are scored in JS.
    const unscoredStatement = this.#ctx.statement(
      filter.sql === ''
        ? `SELECT c.id, NULL AS bm25, ${columns}
           FROM chunks_fts
           JOIN chunks c ON c.id = chunks_fts.rowid
           JOIN files f ON f.id = c.file_id
           WHERE chunks_fts MATCH $match
           ORDER BY chunks_fts.rowid DESC LIMIT $limit`
        : // With filters, look at a bounded number of the newest matches.
          `SELECT c.id, NULL AS bm25, ${columns}
           FROM (SELECT rowid FROM chunks_fts WHERE chunks_fts MATCH $match
                 ORDER BY rowid DESC LIMIT $cap) m
           JOIN chunks c ON c.id = m.rowid
           JOIN files f ON f.id = c.file_id
           WHERE 1${filter.sql}
           ORDER BY m.rowid DESC LIMIT $limit`,
    );
    const levelCosts = new Map<string, boolean>();
    const run = (match: string, limit: number): CodeLexicalRow[] => {
      if (levelCosts.get(match) === false) {
        const rows = unscoredStatement.all({
          ...filter.params,
          match,
          limit: Math.max(limit, codeRanking.unscoredMatchLimit),
          ...(filter.sql === '' ? {} : { cap: codeRanking.scoredMatchLimit }),
        }) as CodeLexicalRow[];
        for (const row of rows) row.bm25 = Number.NaN;
        return rows;
      }
      return scoredStatement.all({
        ...filter.params,
        match,
        limit,
        cap: codeRanking.scoredMatchLimit,
      }) as CodeLexicalRow[];
    };
    const withCost = (levels: QueryLevel[]): QueryLevel[] => {
      for (const level of levels) levelCosts.set(level.match, level.tokens.every(isCheap));
      return levels;
    };

    // Chunks whose symbol the query names exactly, found through the symbol index.
    const exact = this.#ctx
      .statement(
        `SELECT c.id, ${columns}
         FROM chunks c JOIN files f ON f.id = c.file_id
         WHERE c.symbol_key IN (SELECT value FROM json_each($names))${filter.sql}
         LIMIT $limit`,
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
        () => withCost(looseQueryLevels(analyzed, isSpecific)),
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
    const statistics = {
      documents: Math.max(1, this.#documentCount()),
      documentFrequency: (part: string) => this.#documentFrequency(part),
    };
    return rankCodeHits(analyzed, matches, statistics)
      .slice(0, pool)
      .map((hit) => ({ id: hit.row.id, score: hit.score }));
  }

  #vector(query: Float32Array, filters: Filters, k: number): { id: number; similarity: number }[] {
    const filter = filterSql(filters);
    const filtered = filter.sql !== '';
    const index = this.#ctx.vectorIndex;
    const scopeLimit = this.#ctx.options.vectorIndex.exactScopeLimit;
    let wanted = k + 16;
    if (filtered && index) {
      // Small scopes (one repository, one language…) are scanned exactly.
      const scope = this.#ctx
        .statement(
          `SELECT count(*) FROM (SELECT 1 FROM chunks c ${filter.files}
           WHERE c.embedding_id IS NOT NULL${filter.sql} LIMIT $cap)`,
        )
        .pluck()
        .get({ ...filter.params, cap: scopeLimit + 1 }) as number;
      if (scope === 0) return [];
      if (scope <= scopeLimit) return this.#exact(query, filter, k);
      const total = Math.max(index.size(), scope);
      wanted = Math.min(maxAnnCandidates, Math.ceil((k * total * 1.5) / scope) + k);
    }
    const candidates = index?.search(query, wanted) ?? null;
    if (candidates === null) return this.#exact(query, filter, k);
    return this.#chunksFor(
      query,
      filter,
      candidates.map((candidate) => candidate.id),
      k,
    );
  }

  #exact(query: Float32Array, filter: FilterSql, k: number): { id: number; similarity: number }[] {
    if (filter.sql === '') {
      // Whole store: scan the vectors, then find the chunks that use the best ones.
      const best = this.#ctx
        .statement(
          `SELECT id FROM embeddings WHERE kind = ${kindChunk}
           ORDER BY vec_distance_cosine(vector, $query) LIMIT $k`,
        )
        .pluck()
        .all({ query, k }) as number[];
      return this.#chunksFor(query, filter, best, k);
    }
    return this.#ctx
      .statement(
        `SELECT c.id, 1 - vec_distance_cosine(e.vector, $query) AS similarity
         FROM chunks c ${filter.files}
         JOIN embeddings e ON e.id = c.embedding_id
         WHERE c.embedding_id IS NOT NULL${filter.sql}
         ORDER BY similarity DESC, c.id LIMIT $k`,
      )
      .all({ ...filter.params, query, k }) as { id: number; similarity: number }[];
  }

  /**
   * Chunks using the given vectors that pass the filters, best first, with exact similarity.
   * The join order is fixed so filters are checked on the index before any vector is read.
   */
  #chunksFor(
    query: Float32Array,
    filter: FilterSql,
    embeddingIds: readonly number[],
    k: number,
  ): { id: number; similarity: number }[] {
    if (embeddingIds.length === 0) return [];
    const rows = this.#ctx
      .statement(
        `SELECT c.id, 1 - vec_distance_cosine(e.vector, $query) AS similarity
         FROM json_each($ids) j
         CROSS JOIN chunks c ON c.embedding_id = j.value ${filter.files}
         CROSS JOIN embeddings e ON e.id = c.embedding_id
         WHERE c.embedding_id IS NOT NULL${filter.sql}`,
      )
      .all({ ...filter.params, query, ids: JSON.stringify(embeddingIds) }) as {
      id: number;
      similarity: number;
    }[];
    return rows.sort((a, b) => b.similarity - a.similarity || a.id - b.id).slice(0, k);
  }
}
