import { randomUUID } from 'node:crypto';
import { accessSync, closeSync, constants, openSync, readSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { NellieError, type Logger } from '@nellie/core';
import Database from 'better-sqlite3';
import * as sqliteVec from 'sqlite-vec';
import { applicationId, migrations, schemaVersion } from './schema.ts';
import { mapSqliteError } from './sqlite-errors.ts';

export interface OpenDatabaseOptions {
  path: string;
  readonly: boolean;
  busyTimeoutMs: number;
  mmapSizeBytes: number;
  cacheSizeKiB?: number;
  logger: Logger;
}

export interface OpenedDatabase {
  db: Database.Database;
  /** Absolute path of the database file, or null for `:memory:`. */
  file: string | null;
  /** How the database is named in messages. */
  location: string;
}

const sqliteHeader = Buffer.from('SQLite format 3\0', 'latin1');

function errnoCode(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null
    ? ((error as { code?: string }).code ?? undefined)
    : undefined;
}

/** Checks the directory and file before SQLite touches them, to explain failures precisely. */
function checkLocation(file: string, readonly: boolean): { exists: boolean; empty: boolean } {
  const directory = dirname(file);
  try {
    const stat = statSync(directory);
    if (!stat.isDirectory()) {
      throw new NellieError(
        'STORE_UNAVAILABLE',
        `Cannot open the database ${file}: ${directory} is not a directory. Choose a path inside an existing directory.`,
      );
    }
  } catch (error) {
    if (NellieError.is(error)) throw error;
    const code = errnoCode(error);
    const reason =
      code === 'ENOENT'
        ? 'does not exist'
        : code === 'ENOTDIR'
          ? 'is not a directory (a part of the path is a file)'
          : `cannot be read (${code ?? String(error)})`;
    throw new NellieError(
      'STORE_UNAVAILABLE',
      `Cannot open the database ${file}: the directory ${directory} ${reason}. Create the directory or choose another path.`,
      { cause: error },
    );
  }
  let exists = false;
  let empty = true;
  try {
    const stat = statSync(file);
    if (!stat.isFile()) {
      throw new NellieError(
        'STORE_UNAVAILABLE',
        `Cannot open the database ${file}: it exists but is not a regular file.`,
      );
    }
    exists = true;
    empty = stat.size === 0;
  } catch (error) {
    if (NellieError.is(error)) throw error;
    if (errnoCode(error) !== 'ENOENT') {
      throw new NellieError(
        'STORE_UNAVAILABLE',
        `Cannot open the database ${file}: ${String(error)}.`,
        { cause: error },
      );
    }
  }
  if (readonly) {
    if (!exists) {
      throw new NellieError(
        'STORE_UNAVAILABLE',
        `Cannot open the database ${file} read-only: the file does not exist. Open it writable once to create it.`,
      );
    }
    return { exists, empty };
  }
  try {
    accessSync(directory, constants.W_OK);
    if (exists) accessSync(file, constants.R_OK | constants.W_OK);
  } catch (error) {
    const what = exists ? `the file or its directory ${directory}` : `the directory ${directory}`;
    throw new NellieError(
      'STORE_UNAVAILABLE',
      `Cannot open the database ${file} for writing: ${what} is not writable (${errnoCode(error) ?? String(error)}). Fix the permissions, choose another path, or open the store read-only.`,
      { cause: error },
    );
  }
  if (exists && !empty) {
    const header = Buffer.alloc(sqliteHeader.length);
    let descriptor: number | undefined;
    let read = 0;
    try {
      descriptor = openSync(file, 'r');
      read = readSync(descriptor, header, 0, header.length, 0);
    } catch (error) {
      throw new NellieError(
        'STORE_UNAVAILABLE',
        `Cannot read the database ${file}: ${String(error)}.`,
        {
          cause: error,
        },
      );
    } finally {
      if (descriptor !== undefined) closeSync(descriptor);
    }
    if (read < header.length || !header.equals(sqliteHeader)) {
      throw new NellieError(
        'STORE_CORRUPT',
        `${file} is not a SQLite database (its first bytes are not a SQLite header). It may be damaged or another kind of file: move it aside or restore it from a backup, or choose another path.`,
      );
    }
  }
  return { exists, empty };
}

/** A pure-JS cosine distance, used only when the sqlite-vec extension cannot be loaded. */
function registerFallbackDistance(db: Database.Database): void {
  db.function(
    'vec_distance_cosine',
    { deterministic: true, directOnly: false },
    (left: unknown, right: unknown) => {
      if (!(left instanceof Uint8Array) || !(right instanceof Uint8Array)) return null;
      const a = new Float32Array(left.buffer, left.byteOffset, left.byteLength / 4);
      const b = new Float32Array(right.buffer, right.byteOffset, right.byteLength / 4);
      if (a.length !== b.length) return null;
      let dot = 0;
      let normA = 0;
      let normB = 0;
      for (let index = 0; index < a.length; index += 1) {
        const x = a[index]!;
        const y = b[index]!;
        dot += x * y;
        normA += x * x;
        normB += y * y;
      }
      return 1 - dot / (Math.sqrt(normA * normB) || 1);
    },
  );
}

function describeTables(db: Database.Database): string[] {
  return (
    db
      .prepare(`SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name LIMIT 6`)
      .pluck()
      .all() as string[]
  ).map(String);
}

/**
 * Reads the schema header in one read transaction, so that a process creating the schema at the
 * same moment is seen either not at all or completely (never tables without the application id).
 */
function readHeader(db: Database.Database): {
  userVersion: number;
  appId: number;
  tableCount: number;
} {
  return db.transaction(() => ({
    userVersion: db.pragma('user_version', { simple: true }) as number,
    appId: db.pragma('application_id', { simple: true }) as number,
    tableCount: db.prepare(`SELECT count(*) FROM sqlite_schema`).pluck().get() as number,
  }))();
}

const walRetryMs = 20;

/**
 * Switching to WAL needs the file to itself, and SQLite answers SQLITE_BUSY at once instead of
 * waiting when another process is opening the same new file; retry until the busy timeout.
 */
function enableWal(db: Database.Database, busyTimeoutMs: number): void {
  const deadline = Date.now() + busyTimeoutMs;
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (;;) {
    try {
      db.pragma('journal_mode = WAL');
      return;
    } catch (error) {
      if (errnoCode(error) !== 'SQLITE_BUSY' || Date.now() >= deadline) throw error;
      Atomics.wait(pause, 0, 0, walRetryMs);
    }
  }
}

/**
 * Opens (creating if needed) a Nellie database, applies pending migrations and returns it.
 * Every failure is a NellieError naming the file and what to do.
 */
export function openDatabase(options: OpenDatabaseOptions): OpenedDatabase {
  const memory = options.path === ':memory:';
  const file = memory ? null : resolve(options.path);
  const location = file ?? 'the in-memory database';
  if (file) checkLocation(file, options.readonly);

  let db: Database.Database;
  try {
    db = new Database(file ?? ':memory:', {
      readonly: options.readonly,
      fileMustExist: options.readonly,
      timeout: options.busyTimeoutMs,
    });
  } catch (error) {
    const mapped = mapSqliteError(error, location);
    if (NellieError.is(mapped)) throw mapped;
    throw new NellieError(
      'STORE_UNAVAILABLE',
      `Cannot open the database ${location}: ${String(error)}.`,
      {
        cause: error,
      },
    );
  }

  try {
    // Reading the schema is the first real access: a damaged file fails here.
    const { userVersion, appId, tableCount } = readHeader(db);

    if (appId !== applicationId && tableCount > 0) {
      throw new NellieError(
        'STORE_CORRUPT',
        `${location} is a SQLite database but not a Nellie database (it holds tables ${describeTables(db).join(', ')}). Choose another path; Nellie does not modify foreign databases.`,
      );
    }
    if (userVersion > schemaVersion) {
      throw new NellieError(
        'SCHEMA_TOO_NEW',
        `${location} was written by a newer version of Nellie (schema version ${userVersion}; this version understands up to ${schemaVersion}). Upgrade Nellie, or restore a backup made by this version.`,
      );
    }
    const fresh = tableCount === 0;
    if (options.readonly && userVersion < schemaVersion) {
      throw new NellieError(
        'STORE_UNAVAILABLE',
        fresh
          ? `${location} is empty, so it cannot be opened read-only. Open it writable once to create the schema.`
          : `${location} uses schema version ${userVersion} and needs an upgrade to ${schemaVersion}. Open it writable once to upgrade it.`,
      );
    }

    if (!options.readonly) {
      // 8 KiB pages hold five 384-d float32 vectors instead of two; only settable before creation.
      if (fresh) db.pragma('page_size = 8192');
      enableWal(db, options.busyTimeoutMs);
      db.pragma('synchronous = NORMAL');
    }
    db.pragma('foreign_keys = ON');
    db.pragma(`busy_timeout = ${Math.trunc(options.busyTimeoutMs)}`);
    db.pragma(`mmap_size = ${Math.trunc(options.mmapSizeBytes)}`);
    db.pragma('temp_store = MEMORY');
    if (options.cacheSizeKiB) db.pragma(`cache_size = ${-Math.trunc(options.cacheSizeKiB)}`);

    try {
      sqliteVec.load(db);
    } catch (error) {
      options.logger.warn(
        { error: String(error) },
        'sqlite-vec could not be loaded; exact vector search falls back to a slower JS distance',
      );
      registerFallbackDistance(db);
    }

    if (!options.readonly && userVersion < schemaVersion) migrate(db);
    return { db, file, location };
  } catch (error) {
    db.close();
    throw mapSqliteError(error, location);
  }
}

function migrate(db: Database.Database): void {
  const run = db.transaction(() => {
    // Re-read inside the write lock: another process may have migrated meanwhile.
    const current = db.pragma('user_version', { simple: true }) as number;
    if (current >= schemaVersion) return;
    for (let version = current; version < schemaVersion; version += 1) {
      migrations[version]!(db);
    }
    if (current === 0) {
      db.pragma(`application_id = ${applicationId}`);
      const insert = db.prepare(`INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)`);
      insert.run('store_id', randomUUID());
      insert.run('vector_epoch', randomUUID());
      insert.run('created_at', new Date().toISOString());
    }
    db.pragma(`user_version = ${schemaVersion}`);
  });
  run.immediate();
}
