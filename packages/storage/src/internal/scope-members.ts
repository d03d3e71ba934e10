import type { CodeFilters } from './code-filters.ts';
import { filterSql } from './code-filters.ts';
import type { StoreContext } from './context.ts';

/** Chunk ids held for one path-glob scope at most; larger scopes are checked in SQL. */
const maxMemberChunks = 250_000;
/**
 * Chunk ids held over all scopes at most, so callers sending many different globs cannot grow
 * the process: the cache is cleared when a new scope would pass it.
 */
const maxHeldChunks = 500_000;
/** Scopes held at most (those too large to keep count too). */
const maxScopes = 256;

/** The chunks of a path-glob scope, and the vectors they use. */
export interface ScopeMembers {
  chunks: ReadonlySet<number>;
  /** Vector ids used by the scope's chunks (vectors are shared by identical chunks). */
  embeddings: ReadonlySet<number>;
  /** The scope's chunks that have a vector. */
  embeddedChunks: readonly number[];
}

/**
 * The members of path-glob scopes, found once and kept until a chunk is added. A glob is a JS
 * function in SQL, so checking it on every candidate of every query (thousands for a vector
 * search in a small scope of a large index) costs more than the search; a set lookup does not.
 */
export class GlobScopeMembers {
  readonly #ctx: StoreContext;
  readonly #scopes = new Map<string, ScopeMembers | null>();
  #heldChunks = 0;
  #generation = -1;

  constructor(ctx: StoreContext) {
    this.#ctx = ctx;
  }

  /**
   * The scope's members, or null when the filters hold no glob or the scope is too large to
   * keep. Call inside a read.
   */
  get(filters: CodeFilters): ScopeMembers | null {
    if (filters.pathGlob === null) return null;
    const generation = this.#ctx
      .statement(`SELECT coalesce(max(id), 0) FROM chunks`)
      .pluck()
      .get() as number;
    if (generation !== this.#generation) this.#clear(generation);
    const key = JSON.stringify([filters.repositoryIds, filters.language, filters.pathGlob]);
    let members = this.#scopes.get(key);
    if (members === undefined) {
      members = this.#find(filters);
      const size = members?.chunks.size ?? 0;
      if (this.#heldChunks + size > maxHeldChunks || this.#scopes.size >= maxScopes) {
        this.#clear(generation);
      }
      this.#scopes.set(key, members);
      this.#heldChunks += size;
    }
    return members;
  }

  #clear(generation: number): void {
    this.#scopes.clear();
    this.#heldChunks = 0;
    this.#generation = generation;
  }

  #find(filters: CodeFilters): ScopeMembers | null {
    const filter = filterSql(filters);
    // Files first: the glob is checked once per file, not once per chunk.
    const rows = this.#ctx
      .statement(
        `SELECT c.id, c.embedding_id FROM files f CROSS JOIN chunks c ON c.file_id = f.id
         WHERE 1${filter.sql}`,
      )
      .raw()
      .iterate(filter.params) as IterableIterator<[number, number | null]>;
    const chunks = new Set<number>();
    const embeddings = new Set<number>();
    const embeddedChunks: number[] = [];
    for (const [chunk, embedding] of rows) {
      if (chunks.size >= maxMemberChunks) {
        rows.return?.();
        return null;
      }
      chunks.add(chunk);
      if (embedding !== null) {
        embeddings.add(embedding);
        embeddedChunks.push(chunk);
      }
    }
    return { chunks, embeddings, embeddedChunks };
  }
}
