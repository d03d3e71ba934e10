import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import {
  throwIfAborted,
  type CodeSearchHit,
  type CodeSearchRequest,
  type ScoreBreakdown,
} from '@nellie/core';
import type { ChunkRow } from './code-rows.ts';
import type { CodeRepositoryStore } from './code-store.ts';
import type { StoreContext } from './context.ts';
import type { GlobMatchers } from './glob.ts';
import { lexicalCandidates, rankingColumns } from './code-lexical.ts';
import {
  candidatesMissingSimilarity,
  rankCodeHits,
  type CodeLexicalRow,
  type VectorMatch,
} from './ranking/hit-ranking.ts';
import type { LevelMatch } from './ranking/query-levels.ts';
import { checkCodeFiltersMatch } from './code-filter-check.ts';
import { filterSql, isFiltered, type CodeFilters, type FilterSql } from './code-filters.ts';
import { ScopeStatistics } from './ranking/scope-statistics.ts';
import { GlobScopeMembers, type ScopeMembers } from './scope-members.ts';
import { candidatePool, filteredVectorPool } from './ranking/settings.ts';
import { kindChunk } from './schema.ts';
import { scopedCandidateCount } from './ann-index.ts';
import { parseInput } from '@nellie/schemas';
import { checkQuery, codeSearchRequestSchema } from './validation.ts';

/** ANN candidates are capped here; usearch cost grows with k. */

/** The columns a code search hit is built from. */
export interface HitRow extends Pick<
  ChunkRow,
  | 'id'
  | 'path'
  | 'start_line'
  | 'end_line'
  | 'symbol_name'
  | 'symbol_kind'
  | 'enclosing_symbol'
  | 'language'
  | 'content'
> {
  repository: string;
  root_path: string;
  indexed_at: string;
  size: number;
  mtime_ms: number;
}

/** A ranked hit with its row: location, symbol, content, scores and freshness. */
export function toCodeSearchHit(
  row: HitRow,
  entry: { score: number; lexical?: ScoreBreakdown['lexical']; vector?: ScoreBreakdown['vector'] },
  changedSinceIndexed: boolean | null,
): CodeSearchHit {
  const scores: ScoreBreakdown = { fused: entry.score };
  if (entry.lexical) scores.lexical = entry.lexical;
  if (entry.vector) scores.vector = entry.vector;
  return {
    chunkId: row.id,
    repository: row.repository,
    rootPath: row.root_path,
    path: row.path,
    absolutePath: join(row.root_path, ...row.path.split('/')),
    startLine: row.start_line,
    endLine: row.end_line,
    symbolName: row.symbol_name,
    symbolKind: row.symbol_kind,
    enclosingSymbol: row.enclosing_symbol,
    language: row.language,
    content: row.content,
    score: entry.score,
    scores,
    freshness: { indexedAt: row.indexed_at, changedSinceIndexed },
  };
}

/** Whether the file on disk differs (size or mtime) from what was indexed; null if unknown. */
export async function changedSinceIndexed(row: HitRow): Promise<boolean | null> {
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
  readonly #statistics: ScopeStatistics;
  readonly #members: GlobScopeMembers;
  #scopeSizes: { indexSize: number; counts: Map<string, number> } = {
    indexSize: -1,
    counts: new Map(),
  };

  constructor(ctx: StoreContext, code: CodeRepositoryStore, globs: GlobMatchers) {
    this.#ctx = ctx;
    this.#code = code;
    this.#globs = globs;
    this.#members = new GlobScopeMembers(ctx);
    this.#statistics = new ScopeStatistics(ctx, this.#members);
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
    checkCodeFiltersMatch(this.#ctx, this.#code, parsed);

    const ranked = this.#ctx.read(() => {
      let repositoryIds: number[] | null = null;
      if (parsed.repository !== undefined) {
        repositoryIds = this.#code.findRepositories(parsed.repository).map((row) => row.id);
        if (repositoryIds.length === 0) return null;
      }
      const filters: CodeFilters = {
        repositoryIds,
        language: parsed.language?.trim().toLowerCase() ?? null,
        pathGlob: parsed.pathGlob ?? null,
      };
      const pool = candidatePool(parsed.limit);
      const lexical = lexicalCandidates(this.#ctx, this.#statistics, parsed.query, filters, pool);
      throwIfAborted(parsed.signal);
      const vectorPool = isFiltered(filters) ? filteredVectorPool(parsed.limit) : pool;
      const vector = parsed.queryVector
        ? this.#vector(parsed.queryVector, filters, vectorPool)
        : [];
      const missing = candidatesMissingSimilarity(lexical.matches, vector);
      return rankCodeHits(
        lexical.analyzed,
        lexical.matches,
        lexical.statistics,
        parsed.query,
        this.#vectorMatches(vector, lexical.matches),
        parsed.queryVector ? this.#similarities(parsed.queryVector, missing) : new Map(),
      ).slice(0, parsed.limit);
    });
    if (!ranked || ranked.length === 0) return [];
    throwIfAborted(parsed.signal);

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
          .all(JSON.stringify(ranked.map((hit) => hit.row.id))) as HitRow[],
    );
    const byId = new Map(rows.map((row) => [row.id, row]));
    const freshness = new Map<number, boolean | null>();
    await Promise.all(
      rows.map(async (row) => freshness.set(row.id, await changedSinceIndexed(row))),
    );

    const hits: CodeSearchHit[] = [];
    for (const entry of ranked) {
      const row = byId.get(entry.row.id);
      if (!row) continue; // deleted between the two reads
      hits.push(toCodeSearchHit(row, entry, freshness.get(row.id) ?? null));
    }
    return hits;
  }

  /** See `CodeStore.hasChunkVectors`. */
  hasChunkVectors(scope: { repository?: string; language?: string }): boolean {
    if (this.#ctx.embeddingModel === null) return false;
    return this.#ctx.read(() => {
      let repositoryIds: number[] | null = null;
      if (scope.repository !== undefined) {
        repositoryIds = this.#code.findRepositories(scope.repository).map((row) => row.id);
        if (repositoryIds.length === 0) return false;
      }
      const filter = filterSql({
        repositoryIds,
        language: scope.language?.trim().toLowerCase() ?? null,
        pathGlob: null,
      });
      // Unfiltered: the index of embedded chunks answers at once. Filtered: `+` keeps SQLite on
      // the scope's repository or language index (which holds embedding_id), rather than walking
      // every embedded chunk of the store when the scope has none.
      const embedded = filter.sql === '' ? 'c.embedding_id' : '+c.embedding_id';
      const found = this.#ctx
        .statement(`SELECT 1 FROM chunks c WHERE ${embedded} IS NOT NULL${filter.sql} LIMIT 1`)
        .get(filter.params);
      return found !== undefined;
    });
  }

  /** The vector matches with the columns ranking reads (taken from the full-text rows when found there too). */
  #vectorMatches(
    vector: readonly { id: number; similarity: number }[],
    lexical: readonly LevelMatch<CodeLexicalRow>[],
  ): VectorMatch<CodeLexicalRow>[] {
    if (vector.length === 0) return [];
    const known = new Map(lexical.map((match) => [match.row.id, match.row]));
    const missing = vector.filter((hit) => !known.has(hit.id)).map((hit) => hit.id);
    if (missing.length > 0) {
      const rows = this.#ctx
        .statement(
          `SELECT c.id, NULL AS bm25, ${rankingColumns}
           FROM json_each(?) j
           JOIN chunks c ON c.id = j.value
           JOIN files f ON f.id = c.file_id`,
        )
        .all(JSON.stringify(missing)) as CodeLexicalRow[];
      for (const row of rows) known.set(row.id, { ...row, bm25: Number.NaN });
    }
    return vector.flatMap((hit) => {
      const row = known.get(hit.id);
      return row ? [{ row, similarity: hit.similarity }] : [];
    });
  }

  /** Exact similarities of the given chunks to the query (those with a vector), in one query. */
  #similarities(query: Float32Array, chunkIds: readonly number[]): Map<number, number> {
    if (chunkIds.length === 0) return new Map();
    const rows = this.#ctx
      .statement(
        `SELECT c.id, 1 - vec_distance_cosine(e.vector, $query) AS similarity
         FROM json_each($ids) j
         CROSS JOIN chunks c ON c.id = j.value
         CROSS JOIN embeddings e ON e.id = c.embedding_id`,
      )
      .all({ query, ids: JSON.stringify(chunkIds) }) as { id: number; similarity: number }[];
    return new Map(rows.map((row) => [row.id, row.similarity]));
  }

  #vector(
    query: Float32Array,
    filters: CodeFilters,
    k: number,
  ): { id: number; similarity: number }[] {
    const filter = filterSql(filters);
    const filtered = filter.sql !== '';
    const index = this.#ctx.vectorIndex;
    const scopeLimit = this.#ctx.options.vectorIndex.exactScopeLimit;
    let wanted = k + 16;
    let members: ScopeMembers | null = null;
    if (filtered && index) {
      members = this.#members.get(filters);
      // Small scopes (one repository, one language…) are scanned exactly.
      const scope = members
        ? members.embeddedChunks.length
        : this.#embeddedScopeSize(filters, filter, index.size());
      if (scope === 0) return [];
      if (scope <= scopeLimit) {
        return members
          ? this.#exactAmong(query, members.embeddedChunks, k)
          : this.#exact(query, filter, k);
      }
      wanted = scopedCandidateCount(k, index.size(), scope);
    }
    const candidates = index?.search(query, wanted) ?? null;
    if (candidates === null) return this.#exact(query, filter, k);
    const ids = candidates.map((candidate) => candidate.id);
    return this.#chunksFor(
      query,
      filter,
      members ? ids.filter((id) => members.embeddings.has(id)) : ids,
      k,
    );
  }

  /** The best of the given chunks by exact similarity (a path-glob scope's, found in JS). */
  #exactAmong(
    query: Float32Array,
    chunkIds: readonly number[],
    k: number,
  ): { id: number; similarity: number }[] {
    return this.#ctx
      .statement(
        `SELECT c.id, 1 - vec_distance_cosine(e.vector, $query) AS similarity
         FROM json_each($ids) j
         CROSS JOIN chunks c ON c.id = j.value
         CROSS JOIN embeddings e ON e.id = c.embedding_id
         ORDER BY similarity DESC, c.id LIMIT $k`,
      )
      .all({ query, k, ids: JSON.stringify(chunkIds) }) as { id: number; similarity: number }[];
  }

  /**
   * Embedded chunks in a filtered scope. Counting a large scope (or checking a glob on every
   * chunk) costs more than the search, so counts are kept until the ANN index changes size.
   */
  #embeddedScopeSize(filters: CodeFilters, filter: FilterSql, indexSize: number): number {
    if (this.#scopeSizes.indexSize !== indexSize || this.#scopeSizes.counts.size >= 1000) {
      this.#scopeSizes = { indexSize, counts: new Map() };
    }
    const key = JSON.stringify([filters.repositoryIds, filters.language, filters.pathGlob]);
    let size = this.#scopeSizes.counts.get(key);
    if (size === undefined) {
      size = this.#ctx
        .statement(
          `SELECT count(*) FROM chunks c ${filter.files}
           WHERE c.embedding_id IS NOT NULL${filter.sql}`,
        )
        .pluck()
        .get(filter.params) as number;
      this.#scopeSizes.counts.set(key, size);
    }
    return size;
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
