import { randomUUID } from 'node:crypto';
import {
  NellieError,
  isSupersededModel,
  formatCheckpointForEmbedding,
  formatChunkForEmbedding,
  formatLessonForEmbedding,
  type EmbeddingModelInfo,
  type PendingEmbedding,
} from '@nellie/core';
import type Database from 'better-sqlite3';
import { z } from 'zod';
import type { StoreContext } from './context.ts';
import { kindCheckpoint, kindChunk, kindLesson, type EmbeddingKind } from './schema.ts';
import { parseInput } from '@nellie/schemas';
import { checkStoredVector, contentHashPattern } from './validation.ts';

/** The model recorded in the database, if any. */
export function readStoredModel(db: Database.Database): EmbeddingModelInfo | null {
  const rows = db
    .prepare(`SELECT key, value FROM meta WHERE key IN ('embedding_model', 'embedding_dimensions')`)
    .all() as { key: string; value: string }[];
  const model = rows.find((row) => row.key === 'embedding_model')?.value;
  const dimensions = rows.find((row) => row.key === 'embedding_dimensions')?.value;
  return model && dimensions ? { modelId: model, dimensions: Number(dimensions) } : null;
}

/**
 * Checks the requested model against the one the database holds: records it on first use,
 * adopts a new one when no vectors are stored, replaces the vectors of an id of the requested
 * model's family (`isSupersededModel`: they are queued for embedding again), and refuses a
 * different model otherwise.
 */
export function reconcileEmbeddingModel(
  db: Database.Database,
  requested: EmbeddingModelInfo,
  location: string,
  readonly: boolean,
): void {
  const check = (): void => {
    const stored = readStoredModel(db);
    if (
      stored &&
      stored.modelId === requested.modelId &&
      stored.dimensions === requested.dimensions
    ) {
      return;
    }
    if (stored && isSupersededModel(stored, requested)) {
      // The same model read with other input settings (an upgrade changed them): its vectors
      // are embedded again in the background; a read-only opening leaves that to a writer.
      if (readonly) return;
      dropEmbeddings(db);
    } else if (stored) {
      const hasVectors = db.prepare(`SELECT EXISTS (SELECT 1 FROM embeddings)`).pluck().get() === 1;
      if (hasVectors) {
        throw new NellieError(
          'DIMENSION_MISMATCH',
          `${location} holds vectors of ${stored.modelId} (${stored.dimensions} dimensions), but it was opened with ${requested.modelId} (${requested.dimensions} dimensions). Use the same model, or drop the stored vectors with resetEmbeddings() so everything is re-embedded with the new model (lexical search keeps working meanwhile).`,
        );
      }
    }
    if (readonly) return;
    const upsert = db.prepare(
      `INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
    );
    upsert.run('embedding_model', requested.modelId);
    upsert.run('embedding_dimensions', String(requested.dimensions));
  };
  if (readonly) check();
  else db.transaction(check).immediate();
}

/**
 * Drops every stored vector and the recorded model, and queues every chunk, lesson and checkpoint
 * for embedding again. Returns how many vectors were removed.
 */
export function dropEmbeddings(db: Database.Database): number {
  return db
    .transaction(() => {
      // Bulk delete without a tombstone per row: the new epoch tells ANN indexes to start over.
      db.exec(`DROP TRIGGER embeddings_after_delete`);
      const removed = db.prepare(`DELETE FROM embeddings`).run().changes;
      db.exec(`UPDATE chunks SET embedding_id = NULL WHERE embedding_id IS NOT NULL`);
      db.exec(`
        DELETE FROM embedding_tombstones;
        CREATE TRIGGER embeddings_after_delete AFTER DELETE ON embeddings BEGIN
          INSERT INTO embedding_tombstones (embedding_id) VALUES (old.id);
        END;
        DELETE FROM meta WHERE key IN ('embedding_model', 'embedding_dimensions');
        INSERT OR IGNORE INTO embedding_queue (content_hash, kind)
          SELECT content_hash, ${kindChunk} FROM chunks ORDER BY id;
        INSERT OR IGNORE INTO embedding_queue (content_hash, kind)
          SELECT content_hash, ${kindLesson} FROM lessons ORDER BY seq;
        INSERT OR IGNORE INTO embedding_queue (content_hash, kind)
          SELECT content_hash, ${kindCheckpoint} FROM checkpoints ORDER BY seq;
      `);
      db.prepare(`UPDATE meta SET value = ? WHERE key = 'vector_epoch'`).run(randomUUID());
      return removed;
    })
    .immediate();
}

export const pendingLimitSchema = z
  .number({ error: 'limit must be a number' })
  .int('limit must be a whole number')
  .min(1, 'limit must be between 1 and 10000')
  .max(10_000, 'limit must be between 1 and 10000');

/** The vector side of the store: what needs embedding, and where vectors go. */
/**
 * Checks a batch for `putEmbeddings` as a whole: a store with a model, sha256 content hashes and
 * vectors of the model's width with finite values. Throws before anything is written.
 */
export function checkEmbeddingBatch(
  items: unknown,
  model: EmbeddingModelInfo | null,
): { contentHash: string; vector: Float32Array }[] {
  if (!model) {
    throw new NellieError(
      'INVALID_INPUT',
      'This store was opened without an embedding model, so it keeps no vectors; open it with the embedding option.',
    );
  }
  if (!Array.isArray(items)) throw new NellieError('INVALID_INPUT', 'items must be an array.');
  const list: readonly unknown[] = items;
  return list.map((item, position) => {
    if (typeof item !== 'object' || item === null) {
      throw new NellieError('INVALID_INPUT', `Item ${position} must be { contentHash, vector }.`);
    }
    const { contentHash, vector } = item as { contentHash?: unknown; vector?: unknown };
    if (typeof contentHash !== 'string' || !contentHashPattern.test(contentHash)) {
      throw new NellieError(
        'INVALID_INPUT',
        `Item ${position}: contentHash must be a sha256 hex string as returned by pendingEmbeddings().`,
      );
    }
    return { contentHash, vector: checkStoredVector(vector, model, position, contentHash) };
  });
}

export class EmbeddingStore {
  readonly #ctx: StoreContext;

  constructor(ctx: StoreContext) {
    this.#ctx = ctx;
  }

  pending(limit: number): PendingEmbedding[] {
    parseInput(pendingLimitSchema, limit, 'pending embeddings limit');
    if (!this.#ctx.embeddingModel) return [];
    return this.#ctx.read(() => {
      const queued = this.#ctx
        .statement(`SELECT content_hash, kind FROM embedding_queue ORDER BY id LIMIT ?`)
        .all(limit) as { content_hash: string; kind: EmbeddingKind }[];
      const result: PendingEmbedding[] = [];
      for (const { content_hash: contentHash, kind } of queued) {
        const text = this.#text(contentHash, kind);
        if (text !== null && text.trim() !== '') result.push({ contentHash, text });
      }
      return result;
    });
  }

  #text(contentHash: string, kind: EmbeddingKind): string | null {
    if (kind === kindChunk) {
      const row = this.#ctx
        .statement(
          `SELECT c.content, c.symbol_name, c.enclosing_symbol, f.path FROM chunks c
           JOIN files f ON f.id = c.file_id WHERE c.content_hash = ? LIMIT 1`,
        )
        .get(contentHash) as
        | {
            content: string;
            symbol_name: string | null;
            enclosing_symbol: string | null;
            path: string;
          }
        | undefined;
      return row
        ? formatChunkForEmbedding({
            path: row.path,
            content: row.content,
            symbolName: row.symbol_name,
            enclosingSymbol: row.enclosing_symbol,
          })
        : null;
    }
    if (kind === kindLesson) {
      const row = this.#ctx
        .statement(`SELECT title, content, tags FROM lessons WHERE content_hash = ? LIMIT 1`)
        .get(contentHash) as { title: string; content: string; tags: string } | undefined;
      return row
        ? formatLessonForEmbedding({
            title: row.title,
            content: row.content,
            tags: JSON.parse(row.tags) as string[],
          })
        : null;
    }
    const row = this.#ctx
      .statement(`SELECT working_on, state FROM checkpoints WHERE content_hash = ? LIMIT 1`)
      .get(contentHash) as { working_on: string; state: string } | undefined;
    return row
      ? formatCheckpointForEmbedding({
          workingOn: row.working_on,
          state: JSON.parse(row.state) as Record<string, unknown>,
        })
      : null;
  }

  #kindOf(contentHash: string): EmbeddingKind | null {
    const queued = this.#ctx
      .statement(`SELECT kind FROM embedding_queue WHERE content_hash = ?`)
      .pluck()
      .get(contentHash) as EmbeddingKind | undefined;
    if (queued !== undefined) return queued;
    const referenced = (table: string): boolean =>
      this.#ctx
        .statement(`SELECT EXISTS (SELECT 1 FROM ${table} WHERE content_hash = ?)`)
        .pluck()
        .get(contentHash) === 1;
    if (referenced('chunks')) return kindChunk;
    if (referenced('lessons')) return kindLesson;
    if (referenced('checkpoints')) return kindCheckpoint;
    return null;
  }

  put(items: readonly { contentHash: string; vector: Float32Array }[]): void {
    const model = this.#ctx.embeddingModel;
    const checked = checkEmbeddingBatch(items, model);
    if (!model || checked.length === 0) return;
    let written = 0;
    this.#ctx.write(() => {
      const stored = readStoredModel(this.#ctx.db);
      if (stored?.modelId !== model.modelId || stored.dimensions !== model.dimensions) {
        throw new NellieError(
          'DIMENSION_MISMATCH',
          `The vectors of ${this.#ctx.location} were reset${stored ? ` for ${stored.modelId}` : ''} by another process while this store was open with ${model.modelId}; nothing was written. Reopen the store.`,
        );
      }
      const exists = this.#ctx
        .statement(`SELECT EXISTS (SELECT 1 FROM embeddings WHERE content_hash = ?)`)
        .pluck();
      const insert = this.#ctx.statement(
        `INSERT INTO embeddings (content_hash, kind, vector) VALUES (?, ?, ?)
         ON CONFLICT (content_hash) DO NOTHING`,
      );
      for (const { contentHash, vector } of checked) {
        // A vector already stored is kept: identical content is never embedded twice.
        if (exists.get(contentHash) === 1) continue;
        const kind = this.#kindOf(contentHash);
        // Nothing references this hash any more (the item changed while it was embedded).
        if (kind === null) continue;
        insert.run(
          contentHash,
          kind,
          Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength),
        );
        written += 1;
      }
    });
    if (written > 0) this.#ctx.vectorIndex?.notifyWrite();
  }
}
