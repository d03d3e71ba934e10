import { existsSync, mkdirSync } from 'node:fs';
import { NellieError, type Logger } from '@nellie/core';
import type { EmbeddingIdentity } from '@nellie/embeddings';
import { createSqliteStore } from '@nellie/storage';
import { databasePath, type Settings } from './config.ts';
import type { AppStore } from './runtime.ts';

/**
 * Opens the store: the PostgreSQL database when `database` is set, else the data directory's
 * SQLite file, creating the directory when needed — unless `existing` is set: commands that only
 * read (search, status, maintenance, backup) refuse a data directory without a database, since a
 * mistyped `--data-dir` must not look like an empty index.
 */
export async function openStore(
  settings: Settings,
  options: {
    logger: Logger;
    embedding?: EmbeddingIdentity | null;
    readonly?: boolean;
    existing?: boolean;
    /** Another database file than the data directory's (e.g. a backup being verified). */
    path?: string;
  },
): Promise<AppStore> {
  if (settings.database !== undefined && options.path === undefined) {
    return openPostgresStore(settings, options);
  }
  if (options.existing && options.path === undefined && !existsSync(databasePath(settings))) {
    throw new NellieError(
      'INVALID_OPTIONS',
      `No Nellie database in ${settings.dataDir}: check --data-dir (NELLIE_DATA_DIR), or index a repository first with \`nellie index <dir> --data-dir ${settings.dataDir}\`.`,
    );
  }
  if (!options.readonly) {
    try {
      mkdirSync(settings.dataDir, { recursive: true });
    } catch (error) {
      throw new NellieError(
        'STORE_UNAVAILABLE',
        `Cannot create the data directory ${settings.dataDir}: ${(error as Error).message}. Choose another with --data-dir or NELLIE_DATA_DIR.`,
        { cause: error },
      );
    }
  }
  return createSqliteStore({
    path: options.path ?? databasePath(settings),
    embedding: options.embedding ?? null,
    readonly: options.readonly ?? false,
    logger: options.logger,
  }).catch((error: unknown) => {
    throw explainDimensionMismatch(error, settings);
  });
}

/** The PostgreSQL store of `--database` (loaded only then: one-shot SQLite commands never load pg). */
async function openPostgresStore(
  settings: Settings,
  options: { logger: Logger; embedding?: EmbeddingIdentity | null },
): Promise<AppStore> {
  const { createPostgresStore } = await import('@nellie/postgres');
  return createPostgresStore({
    connectionString: settings.database!,
    schema: settings.databaseSchema,
    maxConnections: settings.databaseMaxConnections,
    idleConnectionSeconds: settings.databaseIdleConnectionSeconds,
    vectorIndex: settings.databaseVectorIndex,
    ...(settings.databaseVectorIndexDir === undefined
      ? {}
      : { vectorIndexDir: settings.databaseVectorIndexDir }),
    embedding: options.embedding ?? null,
    logger: options.logger,
  }).catch((error: unknown) => {
    throw explainDimensionMismatch(error, settings);
  });
}

/**
 * Refuses a command that works on the SQLite file (backup, restore, resetting vectors) when the
 * store is PostgreSQL, saying what to use instead.
 */
export function refuseWithDatabase(settings: Settings, command: string, instead: string): void {
  if (settings.database === undefined) return;
  throw new NellieError(
    'INVALID_INPUT',
    `\`nellie ${command}\` works on the SQLite file of a data directory, but this Nellie keeps its data in PostgreSQL (--database / NELLIE_DATABASE_URL): ${instead} See docs/deployment/postgres.md.`,
  );
}

function explainDimensionMismatch(error: unknown, settings: Settings): unknown {
  if (!NellieError.is(error) || error.code !== 'DIMENSION_MISMATCH') return error;
  const reset =
    settings.database === undefined
      ? `run \`nellie model reset-vectors --data-dir ${settings.dataDir}\` (with the server stopped) to re-embed everything with the new model`
      : 'index afresh with the new model into another schema (--database-schema); resetting the vectors of a PostgreSQL store is not supported yet';
  return new NellieError(
    'DIMENSION_MISMATCH',
    `${error.message}\nWith the CLI: set --model / NELLIE_MODEL back to the model the database holds, or ${reset}.`,
    { cause: error },
  );
}
