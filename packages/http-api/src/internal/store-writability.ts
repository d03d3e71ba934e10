import { NellieError, type Logger, type NellieStore } from '@nellie/core';

/**
 * Whether the store accepts writes, learned from the writes that flow through the app: a
 * `STORE_UNAVAILABLE` failure (disk full, read-only file, lock held too long) marks it not
 * writable, and the next successful write, or a successful `probeWrite()` run every
 * `probeIntervalMs` meanwhile, marks it writable again.
 */
export interface StoreWritability {
  readonly writable: boolean;
  /** Why the last write failed (a SQLite code such as `SQLITE_FULL` when known); null while writable. */
  readonly reason: string | null;
  /** Looks at a failure; only `STORE_UNAVAILABLE` counts. */
  observeFailure(error: unknown): void;
  /** A write reached the store and succeeded. */
  observeSuccess(): void;
  close(): void;
}

/** The SQLite result code behind a store failure, e.g. `SQLITE_FULL`, when there is one. */
function sqliteCode(error: NellieError): string | null {
  const code = (error.cause as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && code.startsWith('SQLITE_') ? code : null;
}

export function createStoreWritability(options: {
  store: NellieStore;
  probeIntervalMs: number;
  logger: Logger;
}): StoreWritability {
  const { store, logger } = options;
  let reason: string | null = null;
  let probeTimer: ReturnType<typeof setInterval> | undefined;
  let probing = false;
  let closed = false;

  const stopProbing = (): void => {
    if (probeTimer) clearInterval(probeTimer);
    probeTimer = undefined;
  };

  const recovered = (how: string): void => {
    if (reason === null) return;
    logger.info({ previousReason: reason, how }, 'the store accepts writes again');
    reason = null;
    stopProbing();
  };

  const probe = async (): Promise<void> => {
    if (probing || !store.probeWrite) return;
    probing = true;
    try {
      await store.probeWrite();
      recovered('probe write');
    } catch (error) {
      logger.debug({ err: error }, 'probe write failed; the store still refuses writes');
    } finally {
      probing = false;
    }
  };

  return {
    get writable() {
      return reason === null;
    },
    get reason() {
      return reason;
    },
    observeFailure(error) {
      if (closed || !NellieError.is(error) || error.code !== 'STORE_UNAVAILABLE') return;
      const next = sqliteCode(error) ?? 'STORE_UNAVAILABLE';
      if (reason === null) {
        logger.error(
          { err: error, reason: next },
          'the store refuses writes; /ready reports not ready',
        );
      }
      reason = next;
      if (!probeTimer && store.probeWrite) {
        probeTimer = setInterval(() => void probe(), options.probeIntervalMs);
        probeTimer.unref();
      }
    },
    observeSuccess() {
      recovered('write succeeded');
    },
    close() {
      closed = true;
      stopProbing();
    },
  };
}

/** What a failing store means for someone reading `/ready`. */
export function describeWriteFailure(reason: string): string {
  if (reason.startsWith('SQLITE_FULL')) return 'the disk is full';
  if (reason.startsWith('SQLITE_READONLY'))
    return 'the database file or its directory is read-only';
  if (reason.startsWith('SQLITE_BUSY') || reason.startsWith('SQLITE_LOCKED')) {
    return 'another process holds the database lock';
  }
  if (reason.startsWith('SQLITE_IOERR')) return 'the disk reports I/O errors';
  return 'the store is unavailable';
}
