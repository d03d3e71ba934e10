import type { EmbeddingModelInfo } from './store.ts';

/**
 * The tables one store copies into another, in the order an import follows: rows refer only to
 * rows of earlier tables, and vectors come last so that they land on content already there.
 */
export const transferTables = [
  'repositories',
  'files',
  'chunks',
  'lessons',
  'anchors',
  'checkpoints',
  'checkpoint_anchors',
  'agent_status',
  'api_keys',
  'audit_log',
  'embeddings',
] as const;
export type TransferTable = (typeof transferTables)[number];

/** The columns of lessons' and checkpoints' anchors after their id and owner. */
const anchorColumns = [
  'repository_id',
  'path',
  'symbol',
  'symbol_key',
  'start_line',
  'end_line',
  'content',
  'content_hash',
  'origin',
  'state',
  'lines_added',
  'lines_removed',
  'signature_changed',
  'moved_from',
  'checked_at',
] as const;

/**
 * The columns of each table in a transferred row: the same names in every store. Derived data
 * (full-text tokens, vector links, the embedding queue) is not transferred: the importing store
 * rebuilds it. In `api_keys`, `repositories` is a string array or null; in `embeddings`,
 * `vector` is a Float32Array.
 */
export const transferColumns = {
  repositories: ['id', 'name', 'root_path', 'created_at', 'last_indexed_at'],
  files: [
    'id',
    'repository_id',
    'path',
    'language',
    'size',
    'mtime_ms',
    'content_hash',
    'indexed_at',
  ],
  chunks: [
    'id',
    'file_id',
    'repository_id',
    'start_line',
    'end_line',
    'symbol_name',
    'symbol_key',
    'symbol_kind',
    'enclosing_symbol',
    'language',
    'content',
    'content_hash',
  ],
  lessons: [
    'seq',
    'id',
    'title',
    'content',
    'tags',
    'severity',
    'repo',
    'agent',
    'created_at',
    'updated_at',
    'content_hash',
  ],
  anchors: ['id', 'lesson_seq', ...anchorColumns],
  checkpoints: [
    'seq',
    'id',
    'agent',
    'repo',
    'session_id',
    'working_on',
    'state',
    'status',
    'created_at',
    'content_hash',
    'repository_id',
    'git_branch',
    'git_commit',
    'files',
  ],
  checkpoint_anchors: ['id', 'checkpoint_seq', ...anchorColumns],
  agent_status: ['agent', 'status', 'current_task', 'last_checkpoint_id', 'updated_at'],
  api_keys: [
    'seq',
    'id',
    'principal',
    'scope',
    'repositories',
    'description',
    'secret_hash',
    'created_at',
    'revoked_at',
  ],
  audit_log: ['id', 'at', 'actor', 'channel', 'action', 'target', 'details'],
  embeddings: ['content_hash', 'kind', 'vector'],
} as const satisfies Record<TransferTable, readonly string[]>;

/**
 * The column each table is exported in order of and whose values a re-run checks. For
 * `embeddings` it is the store's own row id, which is not transferred (vectors are keyed by
 * content hash).
 */
export const transferKeys = {
  repositories: 'id',
  files: 'id',
  chunks: 'id',
  lessons: 'seq',
  anchors: 'id',
  checkpoints: 'seq',
  checkpoint_anchors: 'id',
  agent_status: 'agent',
  api_keys: 'seq',
  audit_log: 'id',
  embeddings: 'id',
} as const satisfies Record<TransferTable, string>;

export type TransferValue = string | number | null | readonly string[] | Float32Array;
/** One row, keyed by the names in `transferColumns`. */
export type TransferRow = Readonly<Record<string, TransferValue>>;

export interface TransferPage {
  rows: TransferRow[];
  /** Pass as `after` to read the next page; null when this page was the last. */
  next: string | number | null;
}

/**
 * Bulk export and import of a whole store, for moving it to another engine
 * (`nellie migrate`). Rows keep their keys, so references between tables stay valid and a
 * re-run after an interruption skips what is already there. Every value travels as a query
 * parameter.
 */
export interface StoreTransfer {
  /** The tables this store keeps; it exports and imports only these. */
  readonly tables: readonly TransferTable[];
  /**
   * Columns this store does not keep although they are in `transferColumns` (the table is kept):
   * `{ checkpoints: ['git_branch', …] }`. Imported values of these columns are dropped.
   */
  readonly droppedColumns: Readonly<Partial<Record<TransferTable, readonly string[]>>>;
  /** The embedding model recorded in the store, whatever model it was opened with. */
  recordedEmbeddingModel(): Promise<EmbeddingModelInfo | null>;
  countRows(table: TransferTable): Promise<number>;
  /** Up to `limit` rows in key order, after the key `after` (null: from the start). */
  exportRows(
    table: TransferTable,
    request: { after: string | number | null; limit: number },
  ): Promise<TransferPage>;
  /**
   * Writes rows in one transaction, keeping their keys and rebuilding derived data; rows whose
   * key is already present are skipped. Resolves to the number of rows written.
   */
  importRows(table: TransferTable, rows: readonly TransferRow[]): Promise<number>;
  /**
   * The import state: `empty` (no row in any table), `partial` (an import began and did not
   * finish) or `filled`.
   */
  importState(): Promise<'empty' | 'partial' | 'filled'>;
  /** Marks an import as begun (`importState()` says `partial` until `finishImport()`). */
  beginImport(): Promise<void>;
  /** Ends an import: key sequences continue after the imported keys; clears the mark. */
  finishImport(): Promise<void>;
  /** Deletes every row of every transferred table (for replacing a target's contents). */
  clear(): Promise<void>;
}
