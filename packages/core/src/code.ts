import type { CodeMemories } from './anchors.ts';
import { NellieError } from './errors.ts';
import type { ScoreBreakdown, SearchFilters } from './search.ts';

/** A repository root that Nellie indexes. */
export interface Repository {
  id: number;
  /** Unique display name (defaults to the root directory's base name). */
  name: string;
  /** Absolute path of the root directory. */
  rootPath: string;
  createdAt: string;
  /** When the last index job over this repository finished, or null. */
  lastIndexedAt: string | null;
}

/** A file as last indexed. Paths are relative to the repository root, with `/` separators. */
export interface IndexedFile {
  repositoryId: number;
  path: string;
  language: string | null;
  size: number;
  mtimeMs: number;
  /** sha256 (hex) of the file's bytes. */
  contentHash: string;
  indexedAt: string;
}

export type FileInput = Omit<IndexedFile, 'repositoryId' | 'indexedAt'>;

/** A piece of a file as produced by a chunker. */
export interface ChunkInput {
  /** 1-based, inclusive. */
  startLine: number;
  /** 1-based, inclusive. */
  endLine: number;
  /** The exact source text of the lines. */
  content: string;
  /** e.g. `getUserById`; null for anonymous or line-window chunks. */
  symbolName?: string | null;
  /** e.g. `function`, `method`, `class`, `heading`, `lines`. */
  symbolKind?: string | null;
  /** The symbol that contains this chunk, e.g. the class of a method (`UserService`). */
  enclosingSymbol?: string | null;
  language?: string | null;
}

export interface StoredChunk extends Required<ChunkInput> {
  id: number;
  repositoryId: number;
  path: string;
  /** sha256 (hex) of `content`; vectors are cached under this hash and the model id. */
  contentHash: string;
}

export interface CodeSearchRequest extends SearchFilters {
  /** Natural language or identifiers; may be empty only when `queryVector` is given. */
  query: string;
  /** The query's embedding; without it the search is lexical only. */
  queryVector?: Float32Array;
  /** Defaults to 10; at most 100. */
  limit?: number;
  signal?: AbortSignal;
}

export interface CodeSearchHit {
  chunkId: number;
  repository: string;
  /** Absolute path of the repository's root directory. */
  rootPath: string;
  /** Relative to the repository root, with `/` separators. */
  path: string;
  /** `rootPath` joined with `path`, in the platform's form. */
  absolutePath: string;
  startLine: number;
  endLine: number;
  symbolName: string | null;
  symbolKind: string | null;
  enclosingSymbol: string | null;
  language: string | null;
  content: string;
  /** The fused score; higher is better. Comparable only within one result list. */
  score: number;
  scores: ScoreBreakdown;
  freshness: {
    indexedAt: string;
    /** True when the file on disk differs (size or mtime) from what was indexed; null if unknown. */
    changedSinceIndexed: boolean | null;
  };
  /** Lessons anchored to this code, when there are any. */
  memories?: CodeMemories;
}

/** A repository with what the store holds for it. */
export interface RepositorySummary extends Repository {
  files: number;
  chunks: number;
  chunksWithVectors: number;
  /** `missing` when the root directory no longer exists (for example a deleted checkout). */
  state: 'ok' | 'missing';
}

export interface ReadFileRequest {
  /** Repository name or absolute root path. */
  repository: string;
  /** Relative to the repository root, with `/` separators. */
  path: string;
  /** 1-based, inclusive; defaults to 1. */
  startLine?: number;
  /** 1-based, inclusive; defaults to the last line the size limits allow. */
  endLine?: number;
}

/** A line range of an indexed file as it is on disk now. */
export interface FileExcerpt {
  repository: string;
  rootPath: string;
  path: string;
  absolutePath: string;
  startLine: number;
  /** The last line returned; smaller than the requested end when a size limit cut the range. */
  endLine: number;
  /** Lines in the whole file, so a caller can page. */
  totalLines: number;
  /** True when the range stopped early at the line or byte limit. */
  truncated: boolean;
  content: string;
  /** True when the file on disk differs (size or mtime) from what was indexed. */
  changedSinceIndexed: boolean;
}

/** At most this many lines, and this many bytes of text, come back from one file read. */
export const readFileLimits = { maxLines: 400, maxBytes: 64 * 1024 } as const;

/**
 * The `NOT_FOUND` error for a repository name or root that matches nothing; it lists what exists
 * (up to 20 names) so the caller can correct itself.
 */
export function repositoryNotFound(nameOrPath: string, known: readonly string[]): NellieError {
  const shown = known.slice(0, 20).join(', ');
  const more = known.length > 20 ? ` and ${known.length - 20} more` : '';
  return new NellieError(
    'NOT_FOUND',
    `No repository is named or rooted at "${nameOrPath}". ` +
      (known.length > 0
        ? `Indexed repositories: ${shown}${more}.`
        : 'No repository is indexed yet.'),
  );
}

/** What the indexer needs from a store. */
export interface CodeStore {
  upsertRepository(input: { rootPath: string; name?: string }): Promise<Repository>;
  /** Finds a repository by name or absolute root path. */
  getRepository(nameOrPath: string): Promise<Repository | null>;
  listRepositories(): Promise<Repository[]>;
  /** Removes the repository with its files, chunks and full-text entries. */
  deleteRepository(id: number): Promise<void>;
  markRepositoryIndexed(id: number, at?: Date): Promise<void>;
  /** Every repository with its counts and whether its root still exists, sorted by name. */
  listRepositorySummaries?(): Promise<RepositorySummary[]>;
  /**
   * Gives a repository a new unique name. Rejects with `NOT_FOUND` (naming the repositories that
   * exist) or `CONFLICT` when the name is taken.
   */
  renameRepository?(nameOrPath: string, newName: string): Promise<Repository>;
  /**
   * Reads lines of an indexed file, refusing paths that leave the repository root (`..`,
   * absolute paths, symlinks out) and files that are not indexed (`NOT_FOUND`).
   */
  readIndexedFile?(request: ReadFileRequest): Promise<FileExcerpt>;

  listFiles(repositoryId: number): Promise<IndexedFile[]>;
  /**
   * Replaces a file and all its chunks in one transaction: after a crash the previous version
   * stays, never a mix of both.
   */
  writeFile(repositoryId: number, file: FileInput, chunks: readonly ChunkInput[]): Promise<void>;
  /** Records a new size/mtime for a file whose content hash did not change. */
  touchFile(
    repositoryId: number,
    path: string,
    stat: { size: number; mtimeMs: number },
  ): Promise<void>;
  /** Deletes files with their chunks; returns how many existed. */
  deleteFiles(repositoryId: number, paths: readonly string[]): Promise<number>;
  getChunk(id: number): Promise<StoredChunk | null>;

  searchCode(request: CodeSearchRequest): Promise<CodeSearchHit[]>;
  /**
   * Whether any chunk in the scope (a repository, a language, both; the whole index when neither
   * is given) has a vector of the store's embedding model. Searches ask before embedding a query,
   * so a repository still waiting for its embeddings gets a keyword answer that says so. An
   * unknown repository or language has none.
   */
  hasChunkVectors?(scope: { repository?: string; language?: string }): Promise<boolean>;
}
