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
import { Parameters, type Database, type Queryable } from './database.ts';
import { readStoredModel } from './embedding-store.ts';
import { kindCheckpoint, kindChunk, kindLesson, textConfig } from './schema.ts';

/** It keeps every table a store transfers. */
const tables: readonly TransferTable[] = transferTables;

/** Every column of the tables it keeps is kept. */
const droppedColumns: Readonly<Partial<Record<TransferTable, readonly string[]>>> = {};

/** Tables whose generated keys are imported as they are (and whose sequences then move on). */
const identityTables = new Set<TransferTable>([
  'repositories',
  'files',
  'chunks',
  'lessons',
  'anchors',
  'checkpoints',
  'checkpoint_anchors',
  'api_keys',
  'audit_log',
]);

const importMarker = 'transfer_import';

/** Tables whose rows need a vector, by the kind their queue entries carry. */
const kindOf: Partial<Record<TransferTable, number>> = {
  chunks: kindChunk,
  lessons: kindLesson,
  checkpoints: kindCheckpoint,
};

function keptColumns(table: TransferTable): readonly string[] {
  const dropped: readonly string[] = droppedColumns[table] ?? [];
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
      throw new NellieError('INVALID_INPUT', `No table ${table} is transferred.`);
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
    // One statement per group, within PostgreSQL's limit of 65,535 parameters.
    const perStatement = Math.floor(30_000 / (keptColumns(table).length + 4));
    return this.#database.write(async (db) => {
      const paths = table === 'chunks' ? await this.#filePaths(db, rows) : new Map();
      let written = 0;
      for (let start = 0; start < rows.length; start += perStatement) {
        written += await this.#insert(db, table, rows.slice(start, start + perStatement), paths);
      }
      return written;
    });
  }

  async #filePaths(db: Queryable, rows: readonly TransferRow[]): Promise<Map<number, string>> {
    const { rows: files } = await db.query<{ id: number; path: string }>(
      `SELECT id, path FROM ${this.#s}.files WHERE id = ANY($1::bigint[])`,
      [[...new Set(rows.map((row) => row.file_id))]],
    );
    return new Map(files.map((file) => [file.id, file.path]));
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

  /** The token texts of a row's `tokens` column, weighted A, B, C, D in order. */
  #tokenTexts(
    table: TransferTable,
    row: TransferRow,
    paths: ReadonlyMap<number, string>,
  ): string[] | null {
    if (table === 'chunks') {
      return [
        tokenText(row.symbol_name as string | null),
        tokenText(row.enclosing_symbol as string | null),
        pathTokenText(paths.get(row.file_id as number) ?? ''),
        tokenText(row.content as string),
      ];
    }
    if (table === 'lessons') {
      return [
        tokenText(row.title as string),
        tokenText((JSON.parse(row.tags as string) as string[]).join(' ')),
        tokenText(row.content as string),
      ];
    }
    if (table === 'checkpoints') {
      return [tokenText(row.working_on as string), tokenText(row.state as string)];
    }
    return null;
  }

  /** Inserts rows with their derived data, skipping keys already there; returns how many. */
  async #insert(
    db: Queryable,
    table: TransferTable,
    rows: readonly TransferRow[],
    paths: ReadonlyMap<number, string>,
  ): Promise<number> {
    if (rows.length === 0) return 0;
    const columns = keptColumns(table);
    const parameters = new Parameters();
    const tuples = rows.map((row) => {
      const cells = columns.map((column) =>
        column === 'vector'
          ? `${parameters.p(toSql(row[column]))}::real[]`
          : parameters.p(toSql(row[column])),
      );
      const texts = this.#tokenTexts(table, row, paths);
      if (texts) {
        cells.push(
          texts
            .map(
              (text, index) =>
                `setweight(to_tsvector(${this.#config}, ${parameters.p(text)}::text), '${'ABCD'[index]}')`,
            )
            .join(' || '),
        );
      }
      return `(${cells.join(', ')})`;
    });
    const tokens = this.#tokenTexts(table, rows[0]!, paths) ? ', tokens' : '';
    const hashed = table === 'embeddings' || kindOf[table] !== undefined;
    const overriding = identityTables.has(table) ? 'OVERRIDING SYSTEM VALUE' : '';
    const { rows: inserted } = await db.query<{ content_hash: string }>(
      `INSERT INTO ${this.#s}.${table} (${columns.join(', ')}${tokens}) ${overriding}
       VALUES ${tuples.join(', ')} ON CONFLICT DO NOTHING
       RETURNING ${hashed ? 'content_hash' : 'NULL AS content_hash'}`,
      parameters.values,
    );
    const hashes = [...new Set(inserted.map((row) => row.content_hash))];
    const kind = kindOf[table];
    if (kind !== undefined && hashes.length > 0) {
      await db.query(
        `INSERT INTO ${this.#s}.embedding_queue (content_hash, kind)
         SELECT h, $2 FROM unnest($1::text[]) h
         WHERE NOT EXISTS (SELECT 1 FROM ${this.#s}.embeddings e WHERE e.content_hash = h)
         ON CONFLICT (content_hash) DO NOTHING`,
        [hashes, kind],
      );
    } else if (table === 'embeddings' && hashes.length > 0) {
      await db.query(
        `DELETE FROM ${this.#s}.embedding_queue WHERE content_hash = ANY($1::text[])`,
        [hashes],
      );
    }
    return inserted.length;
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
    // TRUNCATE fires no delete trigger: the word counts kept of the chunks go with them.
    const all = [...tables, 'embedding_queue', 'embedding_tombstones', 'term_documents'];
    await this.#database.write(async (db) => {
      await db.query(`TRUNCATE ${all.map((table) => `${this.#s}.${table}`).join(', ')}`);
      // Imported rows may take ids the old ones had: an index saved on disk for the old rows
      // must not be loaded for them, so this becomes another store.
      await db.query(
        `UPDATE ${this.#s}.meta SET value = gen_random_uuid()::text WHERE key = 'store_id'`,
      );
    });
  }
}
