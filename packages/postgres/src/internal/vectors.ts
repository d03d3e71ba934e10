import type { EmbeddingModelInfo } from '@nellie/core';
import type { Database, Queryable } from './database.ts';

/** How vector queries are served: pgvector's HNSW index, or vectors held in this process. */
export interface VectorIndexStatus {
  mode: 'pgvector' | 'memory';
  /** Vectors the index holds (pgvector: rows in the table). */
  indexed: number;
  /**
   * Change-feed lag: vectors added or removed in the database (by any server) that this process
   * had not applied when asked; always 0 with pgvector, where the database is the index.
   */
  backlog: number;
}

export interface ScoredRow {
  id: number;
  similarity: number;
}

/** pgvector's text form of a vector. */
export function vectorLiteral(vector: Float32Array): string {
  return `[${Array.from(vector).join(',')}]`;
}

/**
 * Nearest vectors and exact similarities. Candidate rows come as SQL yielding `id` and
 * `content_hash`; the index scores them against the query.
 */
export interface VectorIndex {
  readonly mode: VectorIndexStatus['mode'];
  /** Content hashes of the `k` vectors of `kind` nearest the query, best first. */
  nearest(db: Queryable, query: Float32Array, kind: number, k: number): Promise<string[]>;
  /** The rows of `rowsSql` that have vectors, best first, at most `k`. */
  score(
    db: Queryable,
    query: Float32Array,
    rowsSql: string,
    values: readonly unknown[],
    k: number,
  ): Promise<ScoredRow[]>;
  status(db: Queryable): Promise<VectorIndexStatus>;
}

/** Vectors in PostgreSQL, searched there: an HNSW index over `vector::vector(d)`. */
export class PgvectorIndex implements VectorIndex {
  readonly mode = 'pgvector';
  readonly #s: string;
  readonly #cast: string;

  constructor(schema: string, model: EmbeddingModelInfo) {
    this.#s = schema;
    this.#cast = `vector::vector(${model.dimensions})`;
  }

  /** Creates the HNSW index for the model's width (idempotent). */
  static async prepare(db: Queryable, schema: string, model: EmbeddingModelInfo): Promise<void> {
    await db.query(
      `CREATE INDEX IF NOT EXISTS embeddings_hnsw_${model.dimensions} ON ${schema}.embeddings
       USING hnsw ((vector::vector(${model.dimensions})) vector_cosine_ops)`,
    );
  }

  async nearest(db: Queryable, query: Float32Array, kind: number, k: number): Promise<string[]> {
    const { rows } = await db.query<{ content_hash: string }>(
      `SELECT content_hash FROM ${this.#s}.embeddings WHERE kind = $1
       ORDER BY ${this.#cast} <=> $2::vector LIMIT $3`,
      [kind, vectorLiteral(query), k],
    );
    return rows.map((row) => row.content_hash);
  }

  async score(
    db: Queryable,
    query: Float32Array,
    rowsSql: string,
    values: readonly unknown[],
    k: number,
  ): Promise<ScoredRow[]> {
    const at = values.length;
    const { rows } = await db.query<{ id: string; similarity: number }>(
      `SELECT r.id, 1 - (e.${this.#cast} <=> $${at + 1}::vector) AS similarity
       FROM (${rowsSql}) r JOIN ${this.#s}.embeddings e ON e.content_hash = r.content_hash
       ORDER BY similarity DESC, r.id LIMIT $${at + 2}`,
      [...values, vectorLiteral(query), k],
    );
    return rows.map((row) => ({ id: Number(row.id), similarity: row.similarity }));
  }

  async status(db: Queryable): Promise<VectorIndexStatus> {
    const { rows } = await db.query<{ count: string }>(
      `SELECT count(*) FROM ${this.#s}.embeddings`,
    );
    return { mode: 'pgvector', indexed: Number(rows[0]?.count ?? 0), backlog: 0 };
  }
}

interface HeldVector {
  contentHash: string;
  kind: number;
  vector: Float32Array;
  norm: number;
}

function norm(vector: Float32Array): number {
  let sum = 0;
  for (const value of vector) sum += value * value;
  return Math.sqrt(sum);
}

function cosine(query: Float32Array, queryNorm: number, held: HeldVector): number {
  let dot = 0;
  for (let index = 0; index < query.length; index += 1) dot += query[index]! * held.vector[index]!;
  return dot / (queryNorm * held.norm);
}

/**
 * Without pgvector: every vector is loaded from PostgreSQL into this process and searched
 * exactly. It follows other servers' writes through new row ids and the tombstones of deleted
 * rows, read before each search.
 */
export class MemoryVectorIndex implements VectorIndex {
  readonly mode = 'memory';
  readonly #database: Database;
  readonly #byId = new Map<number, HeldVector>();
  readonly #byHash = new Map<string, HeldVector>();
  #lastId = 0;
  #lastTombstone = 0;

  constructor(database: Database) {
    this.#database = database;
  }

  async #sync(db: Queryable): Promise<void> {
    const s = this.#database.schema;
    const tombstones = await db.query<{ seq: string; embedding_id: string }>(
      `SELECT seq, embedding_id FROM ${s}.embedding_tombstones WHERE seq > $1 ORDER BY seq`,
      [this.#lastTombstone],
    );
    const added = await db.query<{
      id: string;
      content_hash: string;
      kind: number;
      vector: number[];
    }>(`SELECT id, content_hash, kind, vector FROM ${s}.embeddings WHERE id > $1 ORDER BY id`, [
      this.#lastId,
    ]);
    for (const row of added.rows) {
      const vector = Float32Array.from(row.vector);
      const held = { contentHash: row.content_hash, kind: row.kind, vector, norm: norm(vector) };
      this.#byId.set(Number(row.id), held);
      this.#byHash.set(row.content_hash, held);
      this.#lastId = Number(row.id);
    }
    for (const row of tombstones.rows) {
      const held = this.#byId.get(Number(row.embedding_id));
      if (held) {
        this.#byId.delete(Number(row.embedding_id));
        if (this.#byHash.get(held.contentHash) === held) this.#byHash.delete(held.contentHash);
      }
      this.#lastTombstone = Number(row.seq);
    }
  }

  async nearest(db: Queryable, query: Float32Array, kind: number, k: number): Promise<string[]> {
    await this.#sync(db);
    const queryNorm = norm(query);
    const scored: { hash: string; similarity: number }[] = [];
    for (const held of this.#byId.values()) {
      if (held.kind === kind) {
        scored.push({ hash: held.contentHash, similarity: cosine(query, queryNorm, held) });
      }
    }
    scored.sort((a, b) => b.similarity - a.similarity);
    return scored.slice(0, k).map((entry) => entry.hash);
  }

  async score(
    db: Queryable,
    query: Float32Array,
    rowsSql: string,
    values: readonly unknown[],
    k: number,
  ): Promise<ScoredRow[]> {
    await this.#sync(db);
    const { rows } = await db.query<{ id: string; content_hash: string }>(rowsSql, values);
    const queryNorm = norm(query);
    const scored: ScoredRow[] = [];
    for (const row of rows) {
      const held = this.#byHash.get(row.content_hash);
      if (held) scored.push({ id: Number(row.id), similarity: cosine(query, queryNorm, held) });
    }
    return scored.sort((a, b) => b.similarity - a.similarity || a.id - b.id).slice(0, k);
  }

  async status(db: Queryable): Promise<VectorIndexStatus> {
    const s = this.#database.schema;
    const { rows } = await db.query<{ backlog: number }>(
      `SELECT (SELECT count(*) FROM ${s}.embeddings WHERE id > $1)
         + (SELECT count(*) FROM ${s}.embedding_tombstones WHERE seq > $2) AS backlog`,
      [this.#lastId, this.#lastTombstone],
    );
    await this.#sync(db);
    return { mode: 'memory', indexed: this.#byId.size, backlog: Number(rows[0]?.backlog ?? 0) };
  }
}
