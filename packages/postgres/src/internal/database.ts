import { NellieError, type Logger } from '@nellie/core';
import pg, { type CustomTypesConfig, type Pool, type PoolClient, type QueryResultRow } from 'pg';

/** Anything that runs a query: the pool (reads) or a transaction's client (writes). */
export interface Queryable {
  query<Row extends QueryResultRow>(
    text: string,
    values?: readonly unknown[],
  ): Promise<{ rows: Row[]; rowCount: number | null }>;
}

const int8 = 20;

type TypeParser = (value: string) => unknown;
const defaultParser = pg.types.getTypeParser.bind(pg.types) as (
  oid: number,
  format?: 'text' | 'binary',
) => TypeParser;

/** bigint ids and counts come back as numbers (they stay far below 2^53). */
const types: CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary'): TypeParser =>
    oid === int8
      ? (value) => Number(value)
      : defaultParser(oid, format)) as CustomTypesConfig['getTypeParser'],
};

function queryable(target: Pool | PoolClient): Queryable {
  return {
    query: <Row extends QueryResultRow>(text: string, values: readonly unknown[] = []) =>
      target.query<Row>({ text, values: [...values], types }),
  };
}

/** SQLSTATE classes that mean the server cannot be reached or cannot take writes now. */
const unavailableStates = /^(08|53|57|25006)/;

/** Maps a driver or server failure to a NellieError; NellieErrors pass through. */
export function mapPostgresError(error: unknown, location: string): Error {
  if (NellieError.is(error)) return error;
  const code = (error as { code?: unknown }).code;
  const message = error instanceof Error ? error.message : String(error);
  if (typeof code === 'string' && unavailableStates.test(code)) {
    return new NellieError('STORE_UNAVAILABLE', `PostgreSQL at ${location}: ${message}.`, {
      cause: error,
    });
  }
  if (typeof code === 'string' && /^(ECONNREFUSED|ENOTFOUND|ETIMEDOUT|ECONNRESET)$/.test(code)) {
    return new NellieError(
      'STORE_UNAVAILABLE',
      `Cannot reach PostgreSQL at ${location}: ${message}.`,
      { cause: error },
    );
  }
  return error instanceof Error ? error : new Error(message);
}

/** Builds positional parameters: `p(value)` returns `$n` and remembers the value. */
export class Parameters {
  readonly values: unknown[] = [];

  p(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
}

/** The connection pool, the schema name and the open/closed state every part shares. */
export class Database {
  readonly pool: Pool;
  /** Quoted schema name, safe to interpolate (validated as an identifier). */
  readonly schema: string;
  /** The bare schema name. */
  readonly schemaName: string;
  readonly location: string;
  readonly logger: Logger;
  closed = false;

  constructor(init: { pool: Pool; schema: string; location: string; logger: Logger }) {
    this.pool = init.pool;
    this.schema = `"${init.schema}"`;
    this.schemaName = init.schema;
    this.location = init.location;
    this.logger = init.logger;
  }

  ensureOpen(): void {
    if (this.closed) {
      throw new NellieError(
        'STORE_CLOSED',
        'The store is closed; open a new one with createPostgresStore().',
      );
    }
  }

  /** Runs reads on any pooled connection. */
  async read<T>(run: (db: Queryable) => Promise<T>): Promise<T> {
    this.ensureOpen();
    try {
      return await run(queryable(this.pool));
    } catch (error) {
      throw mapPostgresError(error, this.location);
    }
  }

  /** Runs `run` in one transaction on one connection: all of it is written, or nothing. */
  async write<T>(run: (db: Queryable) => Promise<T>): Promise<T> {
    this.ensureOpen();
    let client: PoolClient;
    try {
      client = await this.pool.connect();
    } catch (error) {
      throw mapPostgresError(error, this.location);
    }
    // A checked-out connection has no pool listener: a connection lost while the transaction
    // runs JS between queries would otherwise be an unhandled 'error' event that ends the
    // process. The transaction fails at its next query instead.
    let lost: Error | undefined;
    const onError = (error: Error) => {
      lost = error;
      this.logger.warn({ error: String(error) }, 'PostgreSQL connection lost in a transaction');
    };
    client.on('error', onError);
    try {
      await client.query('BEGIN');
      const result = await run(queryable(client));
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      if (lost) {
        throw new NellieError(
          'STORE_UNAVAILABLE',
          `Lost the connection to PostgreSQL at ${this.location} during a transaction: ${lost.message}; nothing of it was written.`,
          { cause: lost },
        );
      }
      throw mapPostgresError(error, this.location);
    } finally {
      client.removeListener('error', onError);
      client.release(lost);
    }
  }
}
