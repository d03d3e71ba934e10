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
import { pathTokenText, tokenText } from '@nellie/storage/store-kit';
import type { Database, Queryable } from './database.ts';
import { queueContentHash } from './embedding-queue.ts';
import { readStoredModel } from './embedding-store.ts';
import { kindCheckpoint, kindChunk, kindLesson, textConfig } from './schema.ts';

/** Anchors need the SQLite store's chunk and symbol tables; this store keeps none. */
const tables: readonly TransferTable[] = transferTables.filter((table) => table !== 'anchors');

const droppedColumns = {
  checkpoints: ['repository_id', 'git_branch', 'git_commit', 'files'],
} as const satisfies Partial<Record<TransferTable, readonly string[]>>;

/** Tables whose generated keys are imported as they are (and whose sequences then move on). */
const identityTables = new Set<TransferTable>([
  'repositories',
  'files',
  'chunks',
  'lessons',
  'checkpoints',
  'api_keys',
  'audit_log',
]);

const importMarker = 'transfer_import';

function keptColumns(table: TransferTable): readonly string[] {
  const dropped: readonly string[] =
    (droppedColumns as Partial<Record<TransferTable, readonly string[]>>)[table] ?? [];
  return transferColumns[table].filter((column) => !dropped.includes(column));
}

function toSql(value: unknown): unknown {
  if (value instanceof Float32Array) return `{${Array.from(value).join(',')}}`;
  return value ?? null;
}

/** Bulk export and import of the PostgreSQL store's tables (`nellie migrate`). */
export class PostgresTransfer implements StoreTransfer {
  readonly tables = tables;
  readonly droppedColumns = droppedColumns;
  readonly #database: Database;
  readonly #s: string;
  readonly #config: string;
  readonly #model: EmbeddingModelInfo | null;

  constructor(database: Database, model: EmbeddingModelInfo | null) {
    this.#database = database;
    this.#s = database.schema;
    this.#config = textConfig(database.schemaName);
    this.#model = model;
  }

  #requireTable(table: TransferTable): void {
    if (!tables.includes(table)) {
      throw new NellieError(
        'INVALID_INPUT',
        `The PostgreSQL store keeps no ${table}: lessons here are not anchored to code.`,
      );
    }
  }

  recordedEmbeddingModel(): Promise<EmbeddingModelInfo | null> {
    return this.#database.read((db) => readStoredModel(db, this.#s));
  }

  async countRows(table: TransferTable): Promise<number> {
    this.#requireTable(table);
    const { rows } = await this.#database.read((db) =>
      db.query<{ count: number }>(`SELECT count(*) AS count FROM ${this.#s}.${table}`),
    );
    return rows[0]!.count;
  }

  async exportRows(
    table: TransferTable,
    request: { after: string | number | null; limit: number },
  ): Promise<TransferPage> {
    this.#requireTable(table);
    const key = transferKeys[table];
    const type = key === 'agent' ? 'text' : 'bigint';
    const kept = keptColumns(table);
    const select = transferColumns[table].map((column) =>
      kept.includes(column) ? column : `NULL AS ${column}`,
    );
    const { rows } = await this.#database.read((db) =>
      db.query<Record<string, unknown>>(
        `SELECT ${select.join(', ')}, ${key} AS transfer_key FROM ${this.#s}.${table}
         WHERE $1::${type} IS NULL OR ${key} > $1::${type} ORDER BY ${key} LIMIT $2`,
        [request.after, request.limit],
      ),
    );
    const last = rows.at(-1)?.transfer_key as string | number | undefined;
    for (const row of rows) {
      delete row.transfer_key;
      if (table === 'embeddings') row.vector = Float32Array.from(row.vector as number[]);
    }
    return {
      rows: rows as TransferRow[],
      next: rows.length === request.limit && last !== undefined ? last : null,
    };
  }

  importRows(table: TransferTable, rows: readonly TransferRow[]): Promise<number> {
    this.#requireTable(table);
    if (table === 'embeddings') this.#checkVectors(rows);
    return this.#database.write(async (db) => {
      let written = 0;
      for (const row of rows) {
        if (await this.#insert(db, table, row)) written += 1;
      }
      return written;
    });
  }

  #checkVectors(rows: readonly TransferRow[]): void {
    const model = this.#model;
    if (!model) {
      throw new NellieError(
        'INVALID_INPUT',
        `The store at ${this.#database.location} was opened without an embedding model; open it with the model of the vectors to import them.`,
      );
    }
    for (const row of rows) {
      const length = (row.vector as Float32Array).length;
      if (length !== model.dimensions) {
        throw new NellieError(
          'DIMENSION_MISMATCH',
          `A vector of ${length} dimensions cannot go into ${this.#database.location}, which holds ${model.dimensions}-dimensional vectors of ${model.modelId}.`,
        );
      }
    }
  }

  /** Inserts one row with its derived data; false when its key was already there. */
  async #insert(db: Queryable, table: TransferTable, row: TransferRow): Promise<boolean> {
    const columns = [...keptColumns(table)];
    const values = columns.map((column) => toSql(row[column]));
    const placeholders = columns.map((column, index) =>
      column === 'vector' ? `$${index + 1}::real[]` : `$${index + 1}`,
    );
    const tokens = (texts: string[]): void => {
      const weights = ['A', 'B', 'C', 'D'];
      columns.push('tokens');
      placeholders.push(
        texts
          .map((text, index) => {
            values.push(text);
            return `setweight(to_tsvector(${this.#config}, $${values.length}), '${weights[index]}')`;
          })
          .join(' || '),
      );
    };
    if (table === 'chunks') {
      const { rows: files } = await db.query<{ path: string }>(
        `SELECT path FROM ${this.#s}.files WHERE id = $1`,
        [row.file_id],
      );
      tokens([
        tokenText(row.symbol_name as string | null),
        tokenText(row.enclosing_symbol as string | null),
        pathTokenText(files[0]?.path ?? ''),
        tokenText(row.content as string),
      ]);
    } else if (table === 'lessons') {
      tokens([
        tokenText(row.title as string),
        tokenText((JSON.parse(row.tags as string) as string[]).join(' ')),
        tokenText(row.content as string),
      ]);
    } else if (table === 'checkpoints') {
      tokens([tokenText(row.working_on as string), tokenText(row.state as string)]);
    }
    const overriding = identityTables.has(table) ? 'OVERRIDING SYSTEM VALUE' : '';
    const { rowCount } = await db.query(
      `INSERT INTO ${this.#s}.${table} (${columns.join(', ')}) ${overriding}
       VALUES (${placeholders.join(', ')}) ON CONFLICT DO NOTHING`,
      values,
    );
    if (!rowCount) return false;
    const hash = row.content_hash as string;
    if (table === 'chunks') await queueContentHash(db, this.#s, hash, kindChunk);
    else if (table === 'lessons') await queueContentHash(db, this.#s, hash, kindLesson);
    else if (table === 'checkpoints') await queueContentHash(db, this.#s, hash, kindCheckpoint);
    else if (table === 'embeddings') {
      await db.query(`DELETE FROM ${this.#s}.embedding_queue WHERE content_hash = $1`, [hash]);
    }
    return true;
  }

  async importState(): Promise<'empty' | 'partial' | 'filled'> {
    return this.#database.read(async (db) => {
      const marked = await db.query(`SELECT 1 FROM ${this.#s}.meta WHERE key = $1`, [importMarker]);
      if (marked.rows.length > 0) return 'partial';
      for (const table of tables) {
        const { rows } = await db.query(`SELECT 1 FROM ${this.#s}.${table} LIMIT 1`);
        if (rows.length > 0) return 'filled';
      }
      return 'empty';
    });
  }

  async beginImport(): Promise<void> {
    await this.#database.write((db) =>
      db.query(
        `INSERT INTO ${this.#s}.meta (key, value) VALUES ($1, $2)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
        [importMarker, new Date().toISOString()],
      ),
    );
  }

  async finishImport(): Promise<void> {
    await this.#database.write(async (db) => {
      for (const table of identityTables) {
        const key = transferKeys[table];
        await db.query(
          `SELECT setval(pg_get_serial_sequence($1, $2),
             (SELECT coalesce(max(${key}), 0) + 1 FROM ${this.#s}.${table}), false)`,
          [`${this.#s}.${table}`, key],
        );
      }
      await db.query(`DELETE FROM ${this.#s}.meta WHERE key = $1`, [importMarker]);
    });
  }

  async clear(): Promise<void> {
    const all = [...tables, 'embedding_queue', 'embedding_tombstones'];
    await this.#database.write((db) =>
      db.query(`TRUNCATE ${all.map((table) => `${this.#s}.${table}`).join(', ')}`),
    );
  }
}
