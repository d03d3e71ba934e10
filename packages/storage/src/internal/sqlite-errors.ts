import { NellieError } from '@nellie/core';

function sqliteCode(error: unknown): string | null {
  if (typeof error !== 'object' || error === null) return null;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && code.startsWith('SQLITE_') ? code : null;
}

/**
 * Turns a SQLite failure into a NellieError a user can act on; other errors pass through.
 * `location` names the database file.
 */
export function mapSqliteError(error: unknown, location: string): unknown {
  if (NellieError.is(error)) return error;
  const code = sqliteCode(error);
  if (!code) return error;
  const detail = error instanceof Error ? error.message : String(error);
  if (code === 'SQLITE_NOTADB') {
    return new NellieError(
      'STORE_CORRUPT',
      `${location} is not a SQLite database (or it is encrypted or damaged): ${detail}. Move it aside or restore it from a backup; a new database is created at an empty path.`,
      { cause: error },
    );
  }
  if (code.startsWith('SQLITE_CORRUPT')) {
    return new NellieError(
      'STORE_CORRUPT',
      `The database ${location} is damaged: ${detail}. Restore it from a backup, or move it aside and re-index.`,
      { cause: error },
    );
  }
  if (code.startsWith('SQLITE_READONLY')) {
    return new NellieError(
      'STORE_UNAVAILABLE',
      `Cannot write to ${location}: ${detail}. Check that the file and its directory are writable, or open the store read-only.`,
      { cause: error },
    );
  }
  if (
    code.startsWith('SQLITE_CANTOPEN') ||
    code.startsWith('SQLITE_IOERR') ||
    code === 'SQLITE_PERM' ||
    code === 'SQLITE_FULL' ||
    code === 'SQLITE_AUTH'
  ) {
    return new NellieError(
      'STORE_UNAVAILABLE',
      `Cannot use the database ${location}: ${detail} (${code}). Check the path, permissions and free disk space.`,
      { cause: error },
    );
  }
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
    return new NellieError(
      'STORE_UNAVAILABLE',
      `The database ${location} is locked by another process for longer than the busy timeout: ${detail}. Retry, or raise busyTimeoutMs.`,
      { cause: error },
    );
  }
  return error;
}
