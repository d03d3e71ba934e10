import type { StoreContext } from '../context.ts';
import type { CodeFilters } from '../code-filters.ts';
import { filterSql } from '../code-filters.ts';
import type { GlobScopeMembers } from '../scope-members.ts';
import { ftsString } from '../tokens.ts';
import { scopedExpression, scopeMatch } from './scope.ts';
import { codeRanking } from './settings.ts';
import type { TermStatistics } from './term-scoring.ts';

/** How long statistics are reused when no chunk was added (deletions alone do not show). */
const statisticsTtlMs = 5 * 60 * 1000;
/** Newest chunks sampled to tell whether a glob path word is in most chunks. */
const broadPathWordSample = 1000;
/** Cached values at most; the cache is cleared when full. */
const maxCachedValues = 10_000;

/**
 * Document counts and word frequencies for BM25, over the whole index or over one search
 * scope (repositories, language, path glob), so a filtered search weighs words as if its scope
 * were the only thing indexed. Counts stop just above `codeRanking.commonWordDocuments`:
 * ranking only needs to know a word is common. Values are cached until a chunk is added.
 */
export class ScopeStatistics {
  readonly #ctx: StoreContext;
  readonly #members: GlobScopeMembers;
  readonly #values = new Map<string, number>();
  #generation = -1;
  #at = 0;

  constructor(ctx: StoreContext, members: GlobScopeMembers) {
    this.#ctx = ctx;
    this.#members = members;
  }

  /** Statistics for one search; call inside the search's read. */
  forScope(filters: CodeFilters): TermStatistics {
    const generation = this.#ctx
      .statement(`SELECT coalesce(max(id), 0) FROM chunks`)
      .pluck()
      .get() as number;
    const now = Date.now();
    if (generation !== this.#generation || now - this.#at >= statisticsTtlMs) {
      this.#values.clear();
      this.#generation = generation;
      this.#at = now;
    }
    const scope = this.scopeMatch(filters);
    const filter = filterSql(filters);
    const key = JSON.stringify([filters.repositoryIds, filters.language, filters.pathGlob]);
    const documents =
      scope === null && filter.sql === ''
        ? Math.max(1, generation)
        : Math.max(
            1,
            this.#cached(
              `n${key}`,
              () => this.#members.get(filters)?.chunks.size ?? this.#countScope(filter),
            ),
          );
    return {
      documents,
      documentFrequency: (part) =>
        this.#cached(`f${key}\u0000${part}`, () => this.#countMatches(part, scope, filters)),
    };
  }

  /**
   * The FTS5 condition for a scope (see `scopeMatch`), without the glob path words that are in
   * most chunks (`src` in `src/**`): they narrow the candidates little, while FTS5 reads every
   * chunk that has them, for each level and for bm25 (a second on a million chunks). bm25 gives
   * such words no weight (an inverse document frequency of zero or less counts as 1e-6).
   * Call after `forScope` in the same read.
   */
  scopeMatch(filters: CodeFilters): string | null {
    return scopeMatch(filters, (word) => this.#cached(`b${word}`, () => this.#broad(word)) === 0);
  }

  /** 1 when at least half of the newest `broadPathWordSample` chunks have `word` in their path. */
  #broad(word: string): number {
    const sample = broadPathWordSample;
    const rowid = this.#ctx
      .statement(
        `SELECT rowid FROM chunks_fts WHERE chunks_fts MATCH $match
         ORDER BY rowid DESC LIMIT 1 OFFSET $skip`,
      )
      .pluck()
      .get({ match: `path : ${ftsString(word)}`, skip: sample - 1 }) as number | undefined;
    return rowid !== undefined && this.#generation - rowid < 2 * sample ? 1 : 0;
  }

  #cached(key: string, compute: () => number): number {
    let value = this.#values.get(key);
    if (value === undefined) {
      value = compute();
      if (this.#values.size >= maxCachedValues) this.#values.clear();
      this.#values.set(key, value);
    }
    return value;
  }

  #countScope(filter: ReturnType<typeof filterSql>): number {
    return this.#ctx
      .statement(
        `SELECT count(*) FROM (SELECT 1 FROM chunks c ${filter.files} WHERE 1${filter.sql}
         LIMIT $cap)`,
      )
      .pluck()
      .get({ ...filter.params, cap: codeRanking.scopeDocumentLimit }) as number;
  }

  /** Chunks in the scope that contain `part`, counted up to just above the common-word limit. */
  #countMatches(part: string, scope: string | null, filters: CodeFilters): number {
    const match = scopedExpression(ftsString(part), scope);
    const cap = codeRanking.commonWordDocuments + 1;
    if (filters.pathGlob === null) {
      // Repository and language tokens are exact: FTS5 alone counts the scope.
      return this.#ctx
        .statement(
          `SELECT count(*) FROM (SELECT 1 FROM chunks_fts WHERE chunks_fts MATCH $match LIMIT $cap)`,
        )
        .pluck()
        .get({ match, cap }) as number;
    }
    const members = this.#members.get(filters);
    if (members) {
      const rowids = this.#ctx
        .statement(`SELECT rowid FROM chunks_fts WHERE chunks_fts MATCH $match`)
        .pluck()
        .iterate({ match }) as IterableIterator<number>;
      let found = 0;
      for (const rowid of rowids) {
        if (members.chunks.has(rowid)) found += 1;
        if (found >= cap) {
          rowids.return?.();
          break;
        }
      }
      return found;
    }
    const filter = filterSql(filters);
    return this.#ctx
      .statement(
        `SELECT count(*) FROM (
           SELECT 1 FROM chunks_fts
           JOIN chunks c ON c.id = chunks_fts.rowid
           JOIN files f ON f.id = c.file_id
           WHERE chunks_fts MATCH $match${filter.sql} LIMIT $cap)`,
      )
      .pluck()
      .get({ ...filter.params, match, cap }) as number;
  }
}
