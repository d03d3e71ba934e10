import type { EmbeddingModelInfo, Logger } from '@nellie/core';
import {
  AnnIndex,
  scopedCandidateCount,
  type UsearchModule,
  type VectorCandidate,
  type VectorIndexOptions,
} from '@nellie/storage/store-kit';
import { cursorValues, feedStart, rowsAfter, settledRows, type FeedCursor } from './change-feed.ts';
import type { Database, Queryable } from './database.ts';
import {
  currentIdentity,
  loadSavedIndex,
  saveIndex,
  type SavedIndexIdentity,
} from './saved-vector-index.ts';
import { kindChunk } from './schema.ts';

/** How vector queries are served: pgvector's HNSW index, or vectors held in this process. */
export interface VectorIndexStatus {
  /**
   * `pgvector`: HNSW in the database; `memory`: vectors held in this process and scanned
   * exactly (small stores); `ann`: code vectors in an in-process HNSW index (usearch).
   */
  mode: 'pgvector' | 'memory' | 'ann';
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

/** SQL yielding `id` and `content_hash` of rows (chunks, lessons, checkpoints), with its parameters. */
export interface HashedRows {
  sql: string;
  values: readonly unknown[];
}

/** The `k` chunks nearest `query` among `scope` (null: every chunk). */
export interface ChunkQuery {
  query: Float32Array;
  scope: HashedRows | null;
  k: number;
}

/** The `k` of `rows` nearest `query`, among those that have vectors. */
export interface RowsQuery {
  query: Float32Array;
  rows: HashedRows;
  k: number;
}

/** The given chunks, as rows with their content hashes. */
function chunksById(schema: string, chunkIds: readonly number[]): HashedRows {
  return {
    sql: `SELECT c.id, c.content_hash FROM ${schema}.chunks c WHERE c.id = ANY($1::bigint[])`,
    values: [chunkIds],
  };
}

/** pgvector's text form of a vector. */
export function vectorLiteral(vector: Float32Array): string {
  return `[${Array.from(vector).join(',')}]`;
}

/** Nearest vectors and their similarities, for code chunks and for lessons and checkpoints. */
export interface VectorIndex {
  readonly mode: 'pgvector' | 'memory';
  /** The chunks nearest the query, best first. */
  nearestChunks(db: Queryable, request: ChunkQuery): Promise<ScoredRow[]>;
  /** Lesson or checkpoint rows scored against the query, best first. */
  score(db: Queryable, request: RowsQuery): Promise<ScoredRow[]>;
  /** Exact similarities of the given chunks to the query (those with a vector), in any order. */
  chunkSimilarities(
    db: Queryable,
    query: Float32Array,
    chunkIds: readonly number[],
  ): Promise<ScoredRow[]>;
  status(db: Queryable): Promise<VectorIndexStatus>;
  /** Stops following the database; an index kept on disk is saved first. */
  close(): Promise<void>;
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

  async nearestChunks(db: Queryable, { query, scope, k }: ChunkQuery): Promise<ScoredRow[]> {
    if (scope) return this.score(db, { query, rows: scope, k });
    const { rows } = await db.query<{ content_hash: string }>(
      `SELECT content_hash FROM ${this.#s}.embeddings WHERE kind = $1
       ORDER BY ${this.#cast} <=> $2::vector LIMIT $3`,
      [kindChunk, vectorLiteral(query), k + 16],
    );
    if (rows.length === 0) return [];
    const sql = `SELECT c.id, c.content_hash FROM ${this.#s}.chunks c WHERE c.content_hash = ANY($1::text[])`;
    return this.score(db, {
      query,
      rows: { sql, values: [rows.map((row) => row.content_hash)] },
      k,
    });
  }

  async score(db: Queryable, { query, rows: { sql, values }, k }: RowsQuery): Promise<ScoredRow[]> {
    const at = values.length;
    const { rows } = await db.query<{ id: string; similarity: number }>(
      `SELECT r.id, 1 - (e.${this.#cast} <=> $${at + 1}::vector) AS similarity
       FROM (${sql}) r JOIN ${this.#s}.embeddings e ON e.content_hash = r.content_hash
       ORDER BY similarity DESC, r.id LIMIT $${at + 2}`,
      [...values, vectorLiteral(query), k],
    );
    return rows.map((row) => ({ id: Number(row.id), similarity: row.similarity }));
  }

  chunkSimilarities(
    db: Queryable,
    query: Float32Array,
    chunkIds: readonly number[],
  ): Promise<ScoredRow[]> {
    if (chunkIds.length === 0) return Promise.resolve([]);
    return this.score(db, { query, rows: chunksById(this.#s, chunkIds), k: chunkIds.length });
  }

  async status(db: Queryable): Promise<VectorIndexStatus> {
    const { rows } = await db.query<{ count: string }>(
      `SELECT count(*) FROM ${this.#s}.embeddings`,
    );
    return { mode: 'pgvector', indexed: Number(rows[0]?.count ?? 0), backlog: 0 };
  }

  close(): Promise<void> {
    return Promise.resolve();
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

function cosine(query: Float32Array, queryNorm: number, vector: Float32Array, n: number): number {
  let dot = 0;
  for (let index = 0; index < query.length; index += 1) dot += query[index]! * vector[index]!;
  return dot / (queryNorm * n);
}

/**
 * A `real[]` in `array_send()`'s form (read as base64: more compact than the text form, and no
 * float parsing): one dimension of `dimensions` non-null float4 values, or
 * null when it is anything else.
 */
function decodeVector(base64: string, dimensions: number): Float32Array | null {
  const bytes = Buffer.from(base64, 'base64');
  // Header: ndim, has-nulls flag, element type, then length and lower bound per dimension;
  // then each element as a length (4) and a big-endian float4.
  const header = 20;
  if (bytes.length !== header + dimensions * 8) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getInt32(0) !== 1 || view.getInt32(12) !== dimensions) return null;
  const vector = new Float32Array(dimensions);
  for (let index = 0, at = header + 4; index < dimensions; index += 1, at += 8) {
    vector[index] = view.getFloat32(at);
  }
  return vector;
}

/** Rows with their vectors in `array_send()` form, scored exactly, best first, at most `k`. */
function scoreEncoded(
  rows: readonly { id: number; vector: string }[],
  query: Float32Array,
  dimensions: number,
  k: number,
): ScoredRow[] {
  const queryNorm = norm(query);
  const scored: ScoredRow[] = [];
  for (const row of rows) {
    const vector = decodeVector(row.vector, dimensions);
    if (vector) {
      scored.push({ id: row.id, similarity: cosine(query, queryNorm, vector, norm(vector)) });
    }
  }
  return scored.sort((a, b) => b.similarity - a.similarity || a.id - b.id).slice(0, k);
}

interface VectorRow {
  id: number;
  content_hash: string;
  kind: number;
  vector: string;
}

/** Chunk vectors a search scans exactly past the ANN index's cursor, while it catches up. */
const tailScanLimit = 10_000;
/** A scope larger than this counts as this large when sizing its ANN oversampling. */
const scopeCountCap = 20_000;
/** Changes to the ANN index after which background catch-up saves it (when kept on disk). */
const saveAfterChanges = 100_000;

/**
 * Without pgvector: vectors are read from PostgreSQL into this process. Lesson and checkpoint
 * vectors, and code vectors while the store is below `exactThreshold`, are held as float32 and
 * scanned exactly; above it, code vectors go into an HNSW index (usearch, f16 by default) built
 * in background steps and queries scan exactly the vectors it has not absorbed yet. It follows
 * every server's writes through the change feeds of vectors and of the tombstones of deleted ones
 * (`change-feed.ts`), read before each search. Scoped code searches scan small scopes exactly
 * (their vectors read from PostgreSQL) and oversample the ANN index for large ones, as the SQLite
 * store does. With a directory, the ANN index is saved there with the feed cursors it covers and
 * loaded from it at start (`saved-vector-index.ts`).
 */
export class MemoryVectorIndex implements VectorIndex {
  readonly mode = 'memory';
  readonly #database: Database;
  readonly #s: string;
  readonly #dimensions: number;
  readonly #options: VectorIndexOptions;
  readonly #usearch: UsearchModule | null;
  readonly #logger: Logger;
  readonly #byId = new Map<number, HeldVector>();
  readonly #byHash = new Map<string, HeldVector>();
  #heldChunks = 0;
  /** How far the held vectors follow the embeddings feed. */
  #heldCursor: FeedCursor = feedStart;
  /** Rows past `#heldCursor` held already (their transactions were running when read). */
  #heldAhead: number[] = [];
  #tombstoneCursor: FeedCursor = feedStart;
  /** Tombstones past `#tombstoneCursor` applied already. */
  #tombstonesAhead: number[] = [];
  #ann: AnnIndex | null = null;
  /** How far the ANN index follows the embeddings feed's chunk vectors. */
  #annCursor: FeedCursor = feedStart;
  /** No chunk vector was visible past `#annCursor` at the last read of the feeds. */
  #tailEmpty = false;
  /** Every change to the held vectors and the index runs after the previous one. */
  #serial: Promise<unknown> = Promise.resolve();
  #timer: NodeJS.Timeout | null = null;
  #closed = false;
  readonly #model: EmbeddingModelInfo;
  /** Where the ANN index is saved and loaded from; null: kept in memory only. */
  readonly #directory: string | null;
  /** The identity the saved index is checked against, read when the index is restored. */
  #identity: SavedIndexIdentity | null = null;
  /** Vectors added to or removed from the ANN index since it was last saved or loaded. */
  #unsaved = 0;

  constructor(init: {
    database: Database;
    model: EmbeddingModelInfo;
    options: VectorIndexOptions;
    /** null: usearch could not be loaded; every vector is held and scanned exactly. */
    usearch: UsearchModule | null;
    logger: Logger;
    /** A directory to save the ANN index in and load it from at start; null: none. */
    directory: string | null;
  }) {
    this.#database = init.database;
    this.#s = init.database.schema;
    this.#model = init.model;
    this.#dimensions = init.model.dimensions;
    this.#options = init.options;
    this.#usearch = init.usearch;
    this.#logger = init.logger;
    this.#directory = init.directory;
  }

  /**
   * Loads the index saved in the directory, if any and if it is this store's, then starts
   * following the database in the background (from the saved cursors, or from the start).
   */
  start(): void {
    if (!this.#directory || !this.#usearch) {
      this.#scheduleCatchUp();
      return;
    }
    void this.#serially(() => this.#restore())
      .catch((error: unknown) =>
        this.#logger.warn(
          { error: String(error) },
          'Could not load the saved vector index; building it from the database',
        ),
      )
      .finally(() => this.#scheduleCatchUp());
  }

  async #restore(): Promise<void> {
    const identity = await this.#database.read((db) =>
      currentIdentity(
        db,
        { quoted: this.#s, name: this.#database.schemaName },
        this.#model,
        this.#options,
      ),
    );
    this.#identity = identity;
    const ann = new AnnIndex(this.#usearch!, this.#dimensions, this.#options);
    const cursors = await loadSavedIndex(this.#directory!, identity, ann, this.#logger);
    if (!cursors || this.#closed) return;
    this.#ann = ann;
    this.#annCursor = cursors.annCursor;
    this.#tombstoneCursor = cursors.tombstoneCursor;
  }

  /** Saves the ANN index and the cursors it covers, when kept on disk and changed since. */
  async #save(): Promise<void> {
    const ann = this.#ann;
    if (!ann || !this.#directory || !this.#identity || this.#unsaved === 0) return;
    const started = performance.now();
    await saveIndex(this.#directory, this.#identity, ann, {
      annCursor: this.#annCursor,
      tombstoneCursor: this.#tombstoneCursor,
    });
    this.#unsaved = 0;
    this.#logger.info(
      {
        directory: this.#directory,
        vectors: ann.size(),
        ms: Math.round(performance.now() - started),
      },
      'Saved the vector index',
    );
  }

  #serially<T>(run: () => Promise<T>): Promise<T> {
    const result = this.#serial.then(run);
    this.#serial = result.catch(() => undefined);
    return result;
  }

  /**
   * Applies the change feed: tombstones, new lesson/checkpoint (and small-store chunk) vectors,
   * and up to `maxChunks` code vectors into the ANN index. True when code vectors remain.
   */
  async #sync(db: Queryable, maxChunks: number): Promise<boolean> {
    if (this.#ann) {
      // One read says which feeds moved; usually none has, and their reads are skipped.
      const moved = await this.#feedsMoved(db);
      this.#tailEmpty = !moved.chunks;
      if (moved.tombstones) await this.#applyTombstones(db);
      else this.#tombstonesAhead = [];
      if (moved.held) await this.#loadHeld(db);
      else this.#heldAhead = [];
      return moved.chunks ? this.#addChunks(db, this.#ann, maxChunks) : false;
    }
    this.#tailEmpty = false;
    await this.#applyTombstones(db);
    await this.#activateWhenLarge(db);
    await this.#loadHeld(db);
    return this.#ann ? this.#addChunks(db, this.#ann, maxChunks) : false;
  }

  /**
   * Whether any row is visible past each cursor, settled or not: tombstones, embeddings (held
   * vectors) and chunk vectors (the ANN index). Where none is, reading that feed changes nothing.
   */
  async #feedsMoved(
    db: Queryable,
  ): Promise<{ tombstones: boolean; held: boolean; chunks: boolean }> {
    const { rows } = await db.query<{ tombstones: boolean; held: boolean; chunks: boolean }>(
      `SELECT
         EXISTS (SELECT 1 FROM ${this.#s}.embedding_tombstones WHERE ${rowsAfter('seq', 1)})
           AS tombstones,
         EXISTS (SELECT 1 FROM ${this.#s}.embeddings WHERE ${rowsAfter('id', 3)}) AS held,
         EXISTS (SELECT 1 FROM ${this.#s}.embeddings
                 WHERE ${rowsAfter('id', 5)} AND kind = ${kindChunk}) AS chunks`,
      [
        ...cursorValues(this.#tombstoneCursor),
        ...cursorValues(this.#heldCursor),
        ...cursorValues(this.#annCursor),
      ],
    );
    const row = rows[0];
    return {
      tombstones: row?.tombstones ?? true,
      held: row?.held ?? true,
      chunks: row?.chunks ?? true,
    };
  }

  /**
   * Drops the vectors of every visible tombstone past the cursor, which then moves to the newest
   * settled one; tombstones of transactions that were running are applied again next time.
   */
  async #applyTombstones(db: Queryable): Promise<void> {
    const { rows } = await db.query<{
      xact: string;
      seq: number;
      embedding_id: number;
      settled: boolean;
    }>(
      `SELECT xact::text AS xact, seq, embedding_id, ${settledRows} AS settled
       FROM ${this.#s}.embedding_tombstones t WHERE ${rowsAfter('seq', 1)} ORDER BY t.xact, seq`,
      cursorValues(this.#tombstoneCursor),
    );
    this.#tombstonesAhead = [];
    if (rows.length === 0) return;
    for (const row of rows) {
      const held = this.#byId.get(row.embedding_id);
      if (held) {
        this.#byId.delete(row.embedding_id);
        if (held.kind === kindChunk) this.#heldChunks -= 1;
        if (this.#byHash.get(held.contentHash) === held) this.#byHash.delete(held.contentHash);
      }
    }
    if (this.#ann) {
      this.#ann.remove(rows.map((row) => row.embedding_id));
      this.#unsaved += rows.length;
    }
    const settled = rows.findLast((row) => row.settled);
    if (settled) this.#tombstoneCursor = { xact: settled.xact, key: settled.seq };
    this.#tombstonesAhead = rows.filter((row) => !row.settled).map((row) => row.seq);
  }

  /** Moves code vectors into an ANN index once the store has `exactThreshold` of them. */
  async #activateWhenLarge(db: Queryable): Promise<void> {
    if (this.#ann || !this.#usearch) return;
    const threshold = this.#options.exactThreshold;
    // Cheap bound first: fewer new rows than the threshold needs cannot cross it.
    const { rows } = await db.query<{ count: number }>(
      `SELECT count(*) AS count FROM (SELECT 1 FROM ${this.#s}.embeddings
       WHERE ${rowsAfter('id', 1)} LIMIT $3) x`,
      [...cursorValues(this.#heldCursor), threshold],
    );
    if (this.#heldChunks + (rows[0]?.count ?? 0) < threshold) return;
    const counted = await db.query<{ count: number }>(
      `SELECT count(*) AS count FROM (SELECT 1 FROM ${this.#s}.embeddings
       WHERE kind = ${kindChunk} LIMIT $1) x`,
      [threshold],
    );
    if ((counted.rows[0]?.count ?? 0) < threshold) return;
    this.#ann = new AnnIndex(this.#usearch, this.#dimensions, this.#options);
    this.#annCursor = feedStart;
    for (const [id, held] of this.#byId) {
      if (held.kind !== kindChunk) continue;
      this.#byId.delete(id);
      if (this.#byHash.get(held.contentHash) === held) this.#byHash.delete(held.contentHash);
    }
    this.#heldChunks = 0;
  }

  /**
   * Holds the new lesson/checkpoint (and small-store chunk) vectors: every visible row past the
   * cursor, which then moves to the newest settled row. Rows of transactions that were running
   * are read again next time (holding them twice is harmless), so a search sees them at once.
   */
  async #loadHeld(db: Queryable): Promise<void> {
    // Bounded by the newest settled row of any kind, so that with the index active (chunk rows
    // skipped) the cursor still moves past them and the next read scans only newer rows.
    const newest = await db.query<{ xact: string; id: number }>(
      `SELECT xact::text AS xact, id FROM ${this.#s}.embeddings e
       WHERE ${rowsAfter('id', 1)} AND ${settledRows} ORDER BY e.xact DESC, id DESC LIMIT 1`,
      cursorValues(this.#heldCursor),
    );
    const top = newest.rows[0];
    const next = top ? { xact: top.xact, key: top.id } : this.#heldCursor;
    const { rows } = await db.query<VectorRow & { ahead: boolean }>(
      `SELECT id, content_hash, kind, encode(array_send(vector), 'base64') AS vector,
         ${rowsAfter('id', 3)} AS ahead
       FROM ${this.#s}.embeddings
       WHERE ${rowsAfter('id', 1)}${this.#ann ? ` AND kind <> ${kindChunk}` : ''}
       ORDER BY xact, id`,
      [...cursorValues(this.#heldCursor), ...cursorValues(next)],
    );
    for (const row of rows) {
      const vector = decodeVector(row.vector, this.#dimensions);
      if (!vector) continue;
      const held = { contentHash: row.content_hash, kind: row.kind, vector, norm: norm(vector) };
      if (!this.#byId.has(row.id) && row.kind === kindChunk) this.#heldChunks += 1;
      this.#byId.set(row.id, held);
      this.#byHash.set(row.content_hash, held);
    }
    this.#heldCursor = next;
    this.#heldAhead = rows.filter((row) => row.ahead).map((row) => row.id);
  }

  async #addChunks(db: Queryable, ann: AnnIndex, maxChunks: number): Promise<boolean> {
    const { rows } = await db.query<{ xact: string; id: number; vector: string }>(
      `SELECT xact::text AS xact, id, encode(array_send(vector), 'base64') AS vector
       FROM ${this.#s}.embeddings e
       WHERE ${rowsAfter('id', 1)} AND kind = ${kindChunk} AND ${settledRows}
       ORDER BY e.xact, id LIMIT $3`,
      [...cursorValues(this.#annCursor), maxChunks],
    );
    if (rows.length === 0) return false;
    const ids: number[] = [];
    const vectors = new Float32Array(rows.length * this.#dimensions);
    for (const row of rows) {
      const vector = decodeVector(row.vector, this.#dimensions);
      if (!vector) continue;
      vectors.set(vector, ids.length * this.#dimensions);
      ids.push(row.id);
    }
    this.#unsaved += ann.add(ids, vectors.subarray(0, ids.length * this.#dimensions));
    const last = rows.at(-1)!;
    this.#annCursor = { xact: last.xact, key: last.id };
    return rows.length === maxChunks;
  }

  #scheduleCatchUp(): void {
    if (this.#timer || this.#closed) return;
    this.#timer = setTimeout(() => {
      this.#timer = null;
      void this.#catchUpStep();
    }, 0);
    this.#timer.unref();
  }

  async #catchUpStep(): Promise<void> {
    if (this.#closed) return;
    try {
      const more = await this.#serially(() =>
        this.#database.read((db) =>
          this.#sync(db, this.#ann?.stepSize() ?? this.#options.catchUpBatch),
        ),
      );
      if (more) this.#scheduleCatchUp();
      else if (this.#unsaved >= saveAfterChanges) await this.#serially(() => this.#save());
    } catch (error) {
      if (!this.#closed) {
        this.#logger.warn(
          { error: String(error) },
          'Vector index catch-up failed; will retry on the next query',
        );
      }
    }
  }

  /** Applies the change feed before a search; a long backlog continues in the background. */
  async #prepare(db: Queryable): Promise<void> {
    const more = await this.#serially(() => this.#sync(db, this.#options.catchUpBatch));
    if (more) this.#scheduleCatchUp();
  }

  async nearestChunks(db: Queryable, { query, scope, k }: ChunkQuery): Promise<ScoredRow[]> {
    await this.#prepare(db);
    const ann = this.#ann;
    if (!ann) return this.#nearestHeld(db, { query, scope, k });
    let wanted = k + 16;
    if (scope) {
      const size = await this.#scopeSize(db, scope);
      if (size === 0) return [];
      if (size <= this.#options.exactScopeLimit) return this.#exactScope(db, { query, scope, k });
      wanted = scopedCandidateCount(k, ann.size(), size);
    }
    const candidates = new Map<number, number>();
    for (const hit of ann.search(query, wanted)) candidates.set(hit.id, hit.distance);
    const tail = this.#tailEmpty ? [] : await this.#tailScan(db, query, wanted);
    for (const hit of tail) candidates.set(hit.id, hit.distance);
    if (candidates.size === 0) return [];
    const rows = scope ?? {
      sql: `SELECT c.id, c.content_hash FROM ${this.#s}.chunks c`,
      values: [],
    };
    const at = rows.values.length;
    const { rows: chunks } = await db.query<{ id: number; embedding_id: number }>(
      `SELECT r.id, e.id AS embedding_id
       FROM (${rows.sql}) r JOIN ${this.#s}.embeddings e ON e.content_hash = r.content_hash
       WHERE e.id = ANY($${at + 1}::bigint[])`,
      [...rows.values, [...candidates.keys()]],
    );
    return chunks
      .map((chunk) => ({ id: chunk.id, similarity: 1 - candidates.get(chunk.embedding_id)! }))
      .sort((a, b) => b.similarity - a.similarity || a.id - b.id)
      .slice(0, k);
  }

  /**
   * Chunk vectors the ANN index has not absorbed yet, scanned exactly (a bounded number): every
   * visible row past its cursor, settled or not.
   */
  async #tailScan(db: Queryable, query: Float32Array, k: number): Promise<VectorCandidate[]> {
    const { rows } = await db.query<{ id: number; vector: string }>(
      `SELECT id, encode(array_send(vector), 'base64') AS vector FROM ${this.#s}.embeddings
       WHERE ${rowsAfter('id', 1)} AND kind = ${kindChunk} ORDER BY xact, id LIMIT $3`,
      [...cursorValues(this.#annCursor), tailScanLimit],
    );
    return scoreEncoded(rows, query, this.#dimensions, k).map((hit) => ({
      id: hit.id,
      distance: 1 - hit.similarity,
    }));
  }

  /**
   * Chunks in the scope, counted up to a cap (a larger scope is sized as the cap, which only
   * asks the index for more candidates). Counted without their vectors: a join per chunk costs
   * too much on a large scope.
   */
  async #scopeSize(db: Queryable, scope: HashedRows): Promise<number> {
    const at = scope.values.length;
    const { rows } = await db.query<{ count: number }>(
      `SELECT count(*) AS count FROM (SELECT 1 FROM (${scope.sql}) r LIMIT $${at + 1}) x`,
      [...scope.values, Math.max(scopeCountCap, this.#options.exactScopeLimit + 1)],
    );
    return rows[0]?.count ?? 0;
  }

  /** A small scope's vectors, read from PostgreSQL and scored exactly. */
  async #exactScope(db: Queryable, { query, scope, k }: ChunkQuery): Promise<ScoredRow[]> {
    const { rows } = await db.query<{ id: number; vector: string }>(
      `SELECT r.id, encode(array_send(e.vector), 'base64') AS vector
       FROM (${scope!.sql}) r JOIN ${this.#s}.embeddings e ON e.content_hash = r.content_hash`,
      scope!.values,
    );
    return scoreEncoded(rows, query, this.#dimensions, k);
  }

  /** Small stores: every chunk vector is held, so the nearest are found by a scan. */
  async #nearestHeld(db: Queryable, { query, scope, k }: ChunkQuery): Promise<ScoredRow[]> {
    if (scope) return this.#scoreHeld(db, { query, rows: scope, k });
    const queryNorm = norm(query);
    const scored: { hash: string; similarity: number }[] = [];
    for (const held of this.#byId.values()) {
      if (held.kind === kindChunk) {
        const similarity = cosine(query, queryNorm, held.vector, held.norm);
        scored.push({ hash: held.contentHash, similarity });
      }
    }
    scored.sort((a, b) => b.similarity - a.similarity);
    const hashes = scored.slice(0, k + 16).map((entry) => entry.hash);
    if (hashes.length === 0) return [];
    const sql = `SELECT c.id, c.content_hash FROM ${this.#s}.chunks c WHERE c.content_hash = ANY($1::text[])`;
    return this.#scoreHeld(db, { query, rows: { sql, values: [hashes] }, k });
  }

  async score(db: Queryable, request: RowsQuery): Promise<ScoredRow[]> {
    await this.#prepare(db);
    return this.#scoreHeld(db, request);
  }

  async chunkSimilarities(
    db: Queryable,
    query: Float32Array,
    chunkIds: readonly number[],
  ): Promise<ScoredRow[]> {
    if (chunkIds.length === 0) return [];
    // With the ANN index active the vectors are read from PostgreSQL, so the change feed need
    // not be applied first (a search's nearestChunks just did); held vectors need it.
    if (!this.#ann) await this.#prepare(db);
    const request = { query, scope: chunksById(this.#s, chunkIds), k: chunkIds.length };
    // Chunk vectors are held until the ANN index takes them; then they are read.
    return this.#ann
      ? this.#exactScope(db, request)
      : this.#scoreHeld(db, { query, rows: request.scope, k: request.k });
  }

  async #scoreHeld(db: Queryable, { query, rows: source, k }: RowsQuery): Promise<ScoredRow[]> {
    const { rows } = await db.query<{ id: number; content_hash: string }>(
      source.sql,
      source.values,
    );
    const queryNorm = norm(query);
    const scored: ScoredRow[] = [];
    for (const row of rows) {
      const held = this.#byHash.get(row.content_hash);
      if (held) {
        const similarity = cosine(query, queryNorm, held.vector, held.norm);
        scored.push({ id: Number(row.id), similarity });
      }
    }
    return scored.sort((a, b) => b.similarity - a.similarity || a.id - b.id).slice(0, k);
  }

  async status(db: Queryable): Promise<VectorIndexStatus> {
    // Rows past a cursor that this process already applied (read while their transactions were
    // still running) are not lag.
    const chunksApart = this.#ann
      ? ` AND kind <> ${kindChunk}) + (SELECT count(*) FROM ${this.#s}.embeddings
           WHERE ${rowsAfter('id', 7)} AND kind = ${kindChunk}`
      : '';
    const { rows } = await db.query<{ backlog: number }>(
      `SELECT (SELECT count(*) FROM ${this.#s}.embeddings
           WHERE ${rowsAfter('id', 1)} AND id <> ALL($3::bigint[])${chunksApart})
         + (SELECT count(*) FROM ${this.#s}.embedding_tombstones
           WHERE ${rowsAfter('seq', 4)} AND seq <> ALL($6::bigint[])) AS backlog`,
      [
        ...cursorValues(this.#heldCursor),
        this.#heldAhead,
        ...cursorValues(this.#tombstoneCursor),
        this.#tombstonesAhead,
        ...(this.#ann ? cursorValues(this.#annCursor) : []),
      ],
    );
    await this.#prepare(db);
    return {
      mode: this.#ann ? 'ann' : 'memory',
      indexed: this.#byId.size + (this.#ann?.size() ?? 0),
      backlog: Number(rows[0]?.backlog ?? 0),
    };
  }

  /** Applies the whole backlog now (benchmarks, tests, maintenance). */
  async syncAll(): Promise<void> {
    // Closing stops it between steps, so close() saves what is built instead of waiting for all.
    while (!this.#closed) {
      const more = await this.#serially(() => this.#database.read((db) => this.#sync(db, 20_000)));
      if (!more) return;
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    try {
      await this.#serially(() => this.#save());
    } catch (error) {
      this.#logger.warn(
        { directory: this.#directory, error: String(error) },
        'Could not save the vector index; it will be built from the database at the next start',
      );
    }
  }
}
