import {
  NellieError,
  transferColumns,
  transferKeys,
  transferTables,
  type EmbeddingModelInfo,
  type StoreTransfer,
  type TransferPage,
  type TransferRow,
  type TransferTable,
} from '@nellie/core';
import type { StoreContext } from './context.ts';
import { readStoredModel } from './embedding-store.ts';
import { scopeText } from './ranking/scope.ts';
import { pathTokenText, tokenText } from './tokens.ts';

const importMarker = 'transfer_import';

type SqlValue = string | number | bigint | Buffer | null;

/** Table and column names below come from `transferColumns`, never from input. */
function insertSql(table: TransferTable, extra: { column: string; value: string }[] = []): string {
  const columns = [...transferColumns[table], ...extra.map((entry) => entry.column)];
  const values = [...transferColumns[table].map(() => '?'), ...extra.map((entry) => entry.value)];
  return `INSERT INTO ${table} (${columns.join(', ')}) VALUES (${values.join(', ')})
    ON CONFLICT DO NOTHING`;
}

function toSql(table: TransferTable, row: TransferRow): SqlValue[] {
  return transferColumns[table].map((column) => {
    const value = row[column] ?? null;
    if (value instanceof Float32Array) {
      return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
    }
    if (Array.isArray(value)) return JSON.stringify(value);
    return value as SqlValue;
  });
}

function fromSql(table: TransferTable, row: Record<string, unknown>): TransferRow {
  if (table === 'embeddings') {
    const bytes = Uint8Array.from(row.vector as Buffer);
    return { ...row, vector: new Float32Array(bytes.buffer) };
  }
  if (table === 'api_keys' && typeof row.repositories === 'string') {
    return { ...row, repositories: JSON.parse(row.repositories) as string[] };
  }
  return row as TransferRow;
}

/** Runs synchronous work so that every failure arrives as a rejection. */
function settle<T>(work: () => T): Promise<T> {
  try {
    return Promise.resolve(work());
  } catch (error) {
    return Promise.reject(error instanceof Error ? error : new Error(String(error)));
  }
}

/** Bulk export and import of the SQLite store's tables (`nellie migrate`). */
export class SqliteTransfer implements StoreTransfer {
  readonly tables = transferTables;
  readonly droppedColumns = {};
  readonly #ctx: StoreContext;

  constructor(ctx: StoreContext) {
    this.#ctx = ctx;
  }

  recordedEmbeddingModel(): Promise<EmbeddingModelInfo | null> {
    return settle(() => this.#ctx.read(() => readStoredModel(this.#ctx.db)));
  }

  countRows(table: TransferTable): Promise<number> {
    return settle(() =>
      this.#ctx.read(
        () => this.#ctx.statement(`SELECT count(*) FROM ${table}`).pluck().get() as number,
      ),
    );
  }

  exportRows(
    table: TransferTable,
    request: { after: string | number | null; limit: number },
  ): Promise<TransferPage> {
    const key = transferKeys[table];
    return settle(() =>
      this.#ctx.read(() => {
        const rows = this.#ctx
          .statement(
            `SELECT ${transferColumns[table].join(', ')}, ${key} AS transfer_key FROM ${table}
             WHERE ? IS NULL OR ${key} > ? ORDER BY ${key} LIMIT ?`,
          )
          .all(request.after, request.after, request.limit) as Record<string, unknown>[];
        const last = rows.at(-1)?.transfer_key as string | number | undefined;
        for (const row of rows) delete row.transfer_key;
        return {
          rows: rows.map((row) => fromSql(table, row)),
          next: rows.length === request.limit && last !== undefined ? last : null,
        };
      }),
    );
  }

  importRows(table: TransferTable, rows: readonly TransferRow[]): Promise<number> {
    return settle(() => this.#ctx.write(() => this.#import(table, rows)));
  }

  #import(table: TransferTable, rows: readonly TransferRow[]): number {
    let written = 0;
    if (table === 'chunks') {
      const insert = this.#ctx.statement(
        insertSql(table, [
          { column: 'embedding_id', value: '(SELECT id FROM embeddings WHERE content_hash = ?)' },
        ]),
      );
      const path = this.#ctx.statement(`SELECT path FROM files WHERE id = ?`).pluck();
      const text = this.#ctx.statement(
        `INSERT INTO chunks_fts (rowid, symbol, container, path, body, scope) VALUES (?, ?, ?, ?, ?, ?)`,
      );
      for (const row of rows) {
        if (insert.run(...toSql(table, row), row.content_hash).changes === 0) continue;
        text.run(
          row.id,
          tokenText(row.symbol_name as string | null),
          tokenText(row.enclosing_symbol as string | null),
          pathTokenText(path.get(row.file_id) as string),
          tokenText(row.content as string),
          scopeText(row.repository_id as number, row.language as string | null),
        );
        written += 1;
      }
      return written;
    }
    const insert = this.#ctx.statement(insertSql(table));
    const model = table === 'embeddings' ? this.#requireModel() : null;
    for (const row of rows) {
      if (model && (row.vector as Float32Array).length !== model.dimensions) {
        throw new NellieError(
          'DIMENSION_MISMATCH',
          `A vector of ${(row.vector as Float32Array).length} dimensions cannot go into ${this.#ctx.location}, which holds ${model.dimensions}-dimensional vectors of ${model.modelId}.`,
        );
      }
      if (insert.run(...toSql(table, row)).changes === 0) continue;
      written += 1;
      if (table === 'lessons') {
        this.#ctx
          .statement(`INSERT INTO lessons_fts (rowid, title, tags, content) VALUES (?, ?, ?, ?)`)
          .run(
            row.seq,
            tokenText(row.title as string),
            tokenText((JSON.parse(row.tags as string) as string[]).join(' ')),
            tokenText(row.content as string),
          );
      } else if (table === 'checkpoints') {
        this.#ctx
          .statement(`INSERT INTO checkpoints_fts (rowid, working_on, state) VALUES (?, ?, ?)`)
          .run(row.seq, tokenText(row.working_on as string), tokenText(row.state as string));
      }
    }
    if (model && written > 0) this.#ctx.vectorIndex?.notifyWrite();
    return written;
  }

  #requireModel(): EmbeddingModelInfo {
    const model = this.#ctx.embeddingModel;
    if (!model) {
      throw new NellieError(
        'INVALID_INPUT',
        `${this.#ctx.location} was opened without an embedding model; open it with the model of the vectors to import them.`,
      );
    }
    return model;
  }

  importState(): Promise<'empty' | 'partial' | 'filled'> {
    return settle(() =>
      this.#ctx.read(() => {
        const marked = this.#ctx
          .statement(`SELECT 1 FROM meta WHERE key = ?`)
          .pluck()
          .get(importMarker);
        if (marked) return 'partial';
        const filled = transferTables.some((table) =>
          this.#ctx.statement(`SELECT EXISTS (SELECT 1 FROM ${table})`).pluck().get(),
        );
        return filled ? 'filled' : 'empty';
      }),
    );
  }

  beginImport(): Promise<void> {
    return settle(() =>
      this.#ctx.write(() => {
        this.#ctx
          .statement(
            `INSERT INTO meta (key, value) VALUES (?, ?)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
          )
          .run(importMarker, new Date().toISOString());
      }),
    );
  }

  finishImport(): Promise<void> {
    // INTEGER PRIMARY KEYs continue after the largest key by themselves.
    return settle(() =>
      this.#ctx.write(() => {
        this.#ctx.statement(`DELETE FROM meta WHERE key = ?`).run(importMarker);
      }),
    );
  }

  clear(): Promise<void> {
    return settle(() =>
      this.#ctx.write(() => {
        // Children first; the delete triggers drop full-text rows, vectors and queue entries.
        for (const table of [...transferTables].reverse()) {
          this.#ctx.statement(`DELETE FROM ${table}`).run();
        }
        this.#ctx.statement(`DELETE FROM embedding_queue`).run();
      }),
    );
  }
}
