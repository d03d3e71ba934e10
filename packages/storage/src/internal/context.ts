import { NellieError, type EmbeddingModelInfo, type Logger } from '@nellie/core';
import type Database from 'better-sqlite3';
import type { ParsedSqliteStoreOptions } from './sqlite-store-options.ts';
import { mapSqliteError } from './sqlite-errors.ts';
import type { VectorIndex } from './vector-index.ts';

/** Everything the store's parts share: the connection, options and the ANN index. */
export class StoreContext {
  readonly db: Database.Database;
  readonly file: string | null;
  readonly location: string;
  readonly options: ParsedSqliteStoreOptions;
  readonly logger: Logger;
  readonly embeddingModel: EmbeddingModelInfo | null;
  vectorIndex: VectorIndex | null = null;
  closed = false;
  readonly #statements = new Map<string, Database.Statement>();

  constructor(init: {
    db: Database.Database;
    file: string | null;
    location: string;
    options: ParsedSqliteStoreOptions;
    logger: Logger;
    embeddingModel: EmbeddingModelInfo | null;
  }) {
    this.db = init.db;
    this.file = init.file;
    this.location = init.location;
    this.options = init.options;
    this.logger = init.logger;
    this.embeddingModel = init.embeddingModel;
  }

  /** A prepared statement, cached by its SQL text (which never contains user input). */
  statement(sql: string): Database.Statement {
    let statement = this.#statements.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      this.#statements.set(sql, statement);
    }
    return statement;
  }

  ensureOpen(): void {
    if (this.closed) {
      throw new NellieError(
        'STORE_CLOSED',
        'The store is closed; open a new one with createSqliteStore().',
      );
    }
  }

  /** Runs a read, mapping SQLite failures to NellieErrors. */
  read<T>(run: () => T): T {
    this.ensureOpen();
    try {
      return run();
    } catch (error) {
      throw mapSqliteError(error, this.location);
    }
  }

  /** Runs `run` in one IMMEDIATE transaction: all of it is written, or nothing. */
  write<T>(run: () => T): T {
    this.ensureOpen();
    if (this.options.readonly) {
      throw new NellieError(
        'STORE_UNAVAILABLE',
        `The store ${this.location} was opened read-only; open it without readonly to change it.`,
      );
    }
    try {
      return this.db.transaction(run).immediate();
    } catch (error) {
      throw mapSqliteError(error, this.location);
    }
  }
}
