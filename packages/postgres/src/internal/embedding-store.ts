import {
  NellieError,
  isSupersededModel,
  formatCheckpointForEmbedding,
  formatChunkForEmbedding,
  formatLessonForEmbedding,
  type EmbeddingModelInfo,
  type PendingEmbedding,
} from '@nellie/core';
import { checkEmbeddingBatch, pendingLimitSchema } from '@nellie/storage/store-kit';
import { parseInput } from '@nellie/schemas';
import type { Database, Queryable } from './database.ts';
import { kindCheckpoint, kindChunk, kindLesson } from './schema.ts';

const modelKey = 'embedding_model';

/** The model recorded in the database, if any. */
export async function readStoredModel(
  db: Queryable,
  s: string,
): Promise<EmbeddingModelInfo | null> {
  const { rows } = await db.query<{ value: string }>(`SELECT value FROM ${s}.meta WHERE key = $1`, [
    modelKey,
  ]);
  return rows[0] ? (JSON.parse(rows[0].value) as EmbeddingModelInfo) : null;
}

/**
 * Records the model of a new store, or checks it against the one the stored vectors were made
 * with (`DIMENSION_MISMATCH` when they differ).
 */
export async function recordOrCheckEmbeddingModel(
  db: Queryable,
  s: string,
  model: EmbeddingModelInfo,
  location: string,
): Promise<void> {
  const stored = await readStoredModel(db, s);
  if (!stored) {
    await db.query(
      `INSERT INTO ${s}.meta (key, value) VALUES ($1, $2)
       ON CONFLICT (key) DO NOTHING`,
      [modelKey, JSON.stringify({ modelId: model.modelId, dimensions: model.dimensions })],
    );
    return;
  }
  if (isSupersededModel(stored, model)) {
    // The same model read with other input settings (an upgrade changed them): every vector is
    // dropped (with tombstones for in-memory indexes) and everything is queued to embed again.
    await db.query(
      `WITH gone AS (DELETE FROM ${s}.embeddings RETURNING id)
       INSERT INTO ${s}.embedding_tombstones (embedding_id) SELECT id FROM gone`,
    );
    for (const [table, kind, order] of [
      ['chunks', kindChunk, 'id'],
      ['lessons', kindLesson, 'seq'],
      ['checkpoints', kindCheckpoint, 'seq'],
    ] as const) {
      await db.query(
        `INSERT INTO ${s}.embedding_queue (content_hash, kind)
         SELECT content_hash, ${kind} FROM ${s}.${table} ORDER BY ${order}
         ON CONFLICT (content_hash) DO NOTHING`,
      );
    }
    await db.query(`UPDATE ${s}.meta SET value = $2 WHERE key = $1`, [
      modelKey,
      JSON.stringify({ modelId: model.modelId, dimensions: model.dimensions }),
    ]);
    return;
  }
  if (stored.modelId !== model.modelId || stored.dimensions !== model.dimensions) {
    throw new NellieError(
      'DIMENSION_MISMATCH',
      `The store ${location} holds ${stored.dimensions}-dimensional vectors of ${stored.modelId}, not ${model.dimensions}-dimensional vectors of ${model.modelId}. Use the same model, or reset the store's vectors.`,
    );
  }
}

/** The vector side of the store: what needs embedding, and where vectors go. */
export class EmbeddingStore {
  readonly #database: Database;
  readonly #s: string;
  readonly #model: EmbeddingModelInfo | null;

  constructor(database: Database, model: EmbeddingModelInfo | null) {
    this.#database = database;
    this.#s = database.schema;
    this.#model = model;
  }

  pending(limit: number): Promise<PendingEmbedding[]> {
    parseInput(pendingLimitSchema, limit, 'pending embeddings limit');
    if (!this.#model) return this.#database.read(() => Promise.resolve([]));
    const s = this.#s;
    return this.#database.read(async (db) => {
      const { rows } = await db.query<{
        content_hash: string;
        kind: number;
        content: string | null;
        symbol_name: string | null;
        enclosing_symbol: string | null;
        path: string | null;
        title: string | null;
        lesson_content: string | null;
        tags: string | null;
        working_on: string | null;
        state: string | null;
      }>(
        `SELECT q.content_hash, q.kind, ch.content, ch.symbol_name, ch.enclosing_symbol, ch.path,
           l.title, l.content AS lesson_content, l.tags, k.working_on, k.state
         FROM (SELECT * FROM ${s}.embedding_queue ORDER BY id LIMIT $1) q
         LEFT JOIN LATERAL (
           SELECT c.content, c.symbol_name, c.enclosing_symbol, f.path
           FROM ${s}.chunks c JOIN ${s}.files f ON f.id = c.file_id
           WHERE q.kind = ${kindChunk} AND c.content_hash = q.content_hash LIMIT 1) ch ON true
         LEFT JOIN LATERAL (
           SELECT title, content, tags FROM ${s}.lessons
           WHERE q.kind = ${kindLesson} AND content_hash = q.content_hash LIMIT 1) l ON true
         LEFT JOIN LATERAL (
           SELECT working_on, state FROM ${s}.checkpoints
           WHERE q.kind = ${kindCheckpoint} AND content_hash = q.content_hash LIMIT 1) k ON true
         ORDER BY q.id`,
        [limit],
      );
      const result: PendingEmbedding[] = [];
      for (const row of rows) {
        let text: string | null = null;
        if (row.kind === kindChunk && row.content !== null && row.path !== null) {
          text = formatChunkForEmbedding({
            path: row.path,
            content: row.content,
            symbolName: row.symbol_name,
            enclosingSymbol: row.enclosing_symbol,
          });
        } else if (row.kind === kindLesson && row.title !== null) {
          text = formatLessonForEmbedding({
            title: row.title,
            content: row.lesson_content ?? '',
            tags: JSON.parse(row.tags ?? '[]') as string[],
          });
        } else if (row.kind === kindCheckpoint && row.working_on !== null) {
          text = formatCheckpointForEmbedding({
            workingOn: row.working_on,
            state: JSON.parse(row.state ?? '{}') as Record<string, unknown>,
          });
        }
        if (text !== null && text.trim() !== '') {
          result.push({ contentHash: row.content_hash, text });
        }
      }
      return result;
    });
  }

  async put(items: readonly { contentHash: string; vector: Float32Array }[]): Promise<void> {
    const checked = checkEmbeddingBatch(items, this.#model);
    const model = this.#model;
    if (!model || checked.length === 0) {
      this.#database.ensureOpen();
      return;
    }
    const s = this.#s;
    await this.#database.write(async (db) => {
      const stored = await readStoredModel(db, s);
      if (stored?.modelId !== model.modelId || stored.dimensions !== model.dimensions) {
        throw new NellieError(
          'DIMENSION_MISMATCH',
          `The vectors of ${this.#database.location} were reset by another process while this store was open with ${model.modelId}; nothing was written. Reopen the store.`,
        );
      }
      // Only hashes something still references are stored (the item may have changed while it
      // was embedded); a vector already stored is kept, so identical content is embedded once.
      const { rows } = await db.query<{ id: number; content_hash: string }>(
        `WITH incoming AS (
           SELECT DISTINCT ON (h) h, v
           FROM unnest($1::text[], $2::text[]) AS t(h, v)),
         owned AS (
           SELECT h, v, coalesce(
             (SELECT kind FROM ${s}.embedding_queue WHERE content_hash = h),
             CASE WHEN EXISTS (SELECT 1 FROM ${s}.chunks WHERE content_hash = h) THEN ${kindChunk}
                  WHEN EXISTS (SELECT 1 FROM ${s}.lessons WHERE content_hash = h) THEN ${kindLesson}
                  WHEN EXISTS (SELECT 1 FROM ${s}.checkpoints WHERE content_hash = h)
                    THEN ${kindCheckpoint} END) AS kind
           FROM incoming)
         INSERT INTO ${s}.embeddings (content_hash, kind, vector)
         SELECT h, kind, v::real[] FROM owned WHERE kind IS NOT NULL
         ON CONFLICT (content_hash) DO NOTHING
         RETURNING id, content_hash`,
        [
          checked.map((item) => item.contentHash),
          checked.map((item) => `{${Array.from(item.vector).join(',')}}`),
        ],
      );
      if (rows.length > 0) {
        await db.query(`DELETE FROM ${s}.embedding_queue WHERE content_hash = ANY($1::text[])`, [
          rows.map((row) => row.content_hash),
        ]);
      }
    });
  }
}
