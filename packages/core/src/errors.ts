/**
 * Every failure Nellie reports carries one of these codes. Callers switch on the code, never on
 * the message; edges (HTTP, MCP, CLI) map codes to status codes and exit codes.
 */
export type NellieErrorCode =
  /** Options passed to a factory failed validation. */
  | 'INVALID_OPTIONS'
  /** A request argument failed validation (bad query, bad filter, bad vector). */
  | 'INVALID_INPUT'
  /** A vector's width, or the model that produced it, differs from what the store holds. */
  | 'DIMENSION_MISMATCH'
  /** No usable model files were found in any of the places searched. */
  | 'MODEL_NOT_FOUND'
  /** Model files were found but could not be loaded or run. */
  | 'MODEL_LOAD_FAILED'
  /** A downloaded or imported model file failed its size or sha256 check. */
  | 'MODEL_VERIFICATION_FAILED'
  /** Embedding a text failed at run time (worker crash, remote endpoint error). */
  | 'EMBEDDING_FAILED'
  /** A bounded queue is full; retry later. */
  | 'QUEUE_FULL'
  /** The operation was cancelled through an AbortSignal. */
  | 'ABORTED'
  /** The store (or embedder, or indexer) was used after close(). */
  | 'STORE_CLOSED'
  /** The database file is damaged or is not a Nellie database. */
  | 'STORE_CORRUPT'
  /** The database was written by a newer Nellie (its schema version is unknown to this one). */
  | 'SCHEMA_TOO_NEW'
  /** The database or its directory cannot be opened for writing. */
  | 'STORE_UNAVAILABLE'
  /** Indexing a repository or file failed. */
  | 'INDEX_FAILED'
  /**
   * The path may not be indexed: it is outside the allowed roots, a system directory, or Nellie's
   * own data directory.
   */
  | 'PATH_NOT_ALLOWED'
  /** The requested item does not exist. */
  | 'NOT_FOUND'
  /** The caller's key lacks the scope, or the repository, the operation needs. */
  | 'FORBIDDEN'
  /** The request conflicts with the current state (e.g. a job is already running). */
  | 'CONFLICT';

const brand = Symbol.for('nellie.error');

/**
 * The one error class of Nellie. Messages are written for the person or model reading them:
 * they say what went wrong and what to do, and never contain secrets or stack traces.
 */
export class NellieError extends Error {
  private readonly [brand] = true;
  readonly code: NellieErrorCode;

  constructor(code: NellieErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'NellieError';
    this.code = code;
  }

  /** Works across duplicate installations of @nellie/core, where `instanceof` does not. */
  static is(error: unknown): error is NellieError {
    return typeof error === 'object' && error !== null && brand in error;
  }
}

/** Turns an aborted signal into the standard `ABORTED` error. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) {
    throw new NellieError('ABORTED', 'The operation was cancelled.', { cause: signal.reason });
  }
}
