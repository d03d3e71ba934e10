import type { IndexedFile, Repository, StoredChunk } from '@nellie/core';

/** Rows of the repository, file and chunk tables, and the core types they map to. */

export interface RepositoryRow {
  id: number;
  name: string;
  root_path: string;
  created_at: string;
  last_indexed_at: string | null;
}

export interface FileRow {
  id: number;
  repository_id: number;
  path: string;
  language: string | null;
  size: number;
  mtime_ms: number;
  content_hash: string;
  indexed_at: string;
}

export interface ChunkRow {
  id: number;
  repository_id: number;
  path: string;
  start_line: number;
  end_line: number;
  symbol_name: string | null;
  symbol_kind: string | null;
  enclosing_symbol: string | null;
  language: string | null;
  content: string;
  content_hash: string;
}

export function toRepository(row: RepositoryRow): Repository {
  return {
    id: row.id,
    name: row.name,
    rootPath: row.root_path,
    createdAt: row.created_at,
    lastIndexedAt: row.last_indexed_at,
  };
}

export function toIndexedFile(row: FileRow): IndexedFile {
  return {
    repositoryId: row.repository_id,
    path: row.path,
    language: row.language,
    size: row.size,
    mtimeMs: row.mtime_ms,
    contentHash: row.content_hash,
    indexedAt: row.indexed_at,
  };
}

export function toStoredChunk(row: ChunkRow): StoredChunk {
  return {
    id: row.id,
    repositoryId: row.repository_id,
    path: row.path,
    startLine: row.start_line,
    endLine: row.end_line,
    symbolName: row.symbol_name,
    symbolKind: row.symbol_kind,
    enclosingSymbol: row.enclosing_symbol,
    language: row.language,
    content: row.content,
    contentHash: row.content_hash,
  };
}
