import { createHash } from 'node:crypto';
import { basename } from 'node:path';
import {
  formatChunkForEmbedding,
  NellieError,
  type ChunkInput,
  type EmbeddingModelInfo,
  type FileInput,
  type IndexedFile,
  type PendingEmbedding,
  type Repository,
} from '@nellie/core';
import type { IndexerStore } from '../../src/index.ts';

interface StoredFile extends IndexedFile {
  chunks: (ChunkInput & { contentHash: string })[];
}

/**
 * A small in-memory store with the parts the indexer uses, plus a substring search for tests.
 * Mirrors the SQLite store's contract: files are replaced with their chunks atomically and
 * pending embeddings are chunks whose content hash has no vector yet.
 */
export class MemoryStore implements IndexerStore {
  readonly embeddingModel: EmbeddingModelInfo | null;
  readonly repositories = new Map<number, Repository>();
  readonly files = new Map<number, Map<string, StoredFile>>();
  readonly vectors = new Map<string, Float32Array>();
  writes = 0;
  touches = 0;
  /** Makes writes fail, to test error paths. */
  failWrites: Error | null = null;
  private nextId = 1;
  /** Chunk texts by content hash, in the order they were first written, with reference counts. */
  private readonly texts = new Map<string, { text: string; references: number }>();
  /** Content hashes without a vector, oldest first. */
  private readonly queue = new Set<string>();

  constructor(embeddingModel: EmbeddingModelInfo | null = null) {
    this.embeddingModel = embeddingModel;
  }

  upsertRepository(input: { rootPath: string; name?: string }): Promise<Repository> {
    for (const repository of this.repositories.values()) {
      if (repository.rootPath === input.rootPath) return Promise.resolve(repository);
    }
    const repository: Repository = {
      id: this.nextId++,
      name: input.name ?? basename(input.rootPath),
      rootPath: input.rootPath,
      createdAt: new Date().toISOString(),
      lastIndexedAt: null,
    };
    this.repositories.set(repository.id, repository);
    this.files.set(repository.id, new Map());
    return Promise.resolve(repository);
  }

  getRepository(nameOrPath: string): Promise<Repository | null> {
    for (const repository of this.repositories.values()) {
      if (repository.rootPath === nameOrPath || repository.name === nameOrPath) {
        return Promise.resolve(repository);
      }
    }
    return Promise.resolve(null);
  }

  markRepositoryIndexed(id: number, at: Date = new Date()): Promise<void> {
    const repository = this.repositories.get(id);
    if (repository) repository.lastIndexedAt = at.toISOString();
    return Promise.resolve();
  }

  listFiles(repositoryId: number): Promise<IndexedFile[]> {
    const files = this.files.get(repositoryId) ?? new Map<string, StoredFile>();
    return Promise.resolve(
      [...files.values()].map(({ chunks: _chunks, ...file }) => ({ ...file })),
    );
  }

  writeFile(repositoryId: number, file: FileInput, chunks: readonly ChunkInput[]): Promise<void> {
    if (this.failWrites) return Promise.reject(this.failWrites);
    const files = this.files.get(repositoryId);
    if (!files) return Promise.reject(new NellieError('NOT_FOUND', 'No such repository.'));
    this.writes += 1;
    const previous = files.get(file.path);
    if (previous) this.release(previous);
    const stored: StoredFile = {
      ...file,
      repositoryId,
      indexedAt: new Date().toISOString(),
      chunks: chunks.map((chunk) => ({ ...chunk, contentHash: sha256(chunk.content) })),
    };
    for (const chunk of stored.chunks) {
      const entry = this.texts.get(chunk.contentHash);
      if (entry) entry.references += 1;
      else {
        this.texts.set(chunk.contentHash, {
          text: formatChunkForEmbedding({ ...chunk, path: file.path }),
          references: 1,
        });
        if (!this.vectors.has(chunk.contentHash)) this.queue.add(chunk.contentHash);
      }
    }
    files.set(file.path, stored);
    return Promise.resolve();
  }

  touchFile(
    repositoryId: number,
    path: string,
    stat: { size: number; mtimeMs: number },
  ): Promise<void> {
    const file = this.files.get(repositoryId)?.get(path);
    if (file) {
      this.touches += 1;
      file.size = stat.size;
      file.mtimeMs = stat.mtimeMs;
    }
    return Promise.resolve();
  }

  deleteFiles(repositoryId: number, paths: readonly string[]): Promise<number> {
    const files = this.files.get(repositoryId);
    let count = 0;
    for (const path of paths) {
      const file = files?.get(path);
      if (!file) continue;
      this.release(file);
      files!.delete(path);
      count += 1;
    }
    return Promise.resolve(count);
  }

  private release(file: StoredFile): void {
    for (const chunk of file.chunks) {
      const entry = this.texts.get(chunk.contentHash);
      if (entry && --entry.references === 0) {
        this.texts.delete(chunk.contentHash);
        this.queue.delete(chunk.contentHash);
      }
    }
  }

  pendingEmbeddings(limit: number): Promise<PendingEmbedding[]> {
    const pending: PendingEmbedding[] = [];
    if (!this.embeddingModel) return Promise.resolve(pending);
    for (const contentHash of this.queue) {
      if (pending.length >= limit) break;
      pending.push({ contentHash, text: this.texts.get(contentHash)!.text });
    }
    return Promise.resolve(pending);
  }

  putEmbeddings(items: readonly { contentHash: string; vector: Float32Array }[]): Promise<void> {
    for (const item of items) {
      if (this.embeddingModel && item.vector.length !== this.embeddingModel.dimensions) {
        return Promise.reject(new NellieError('DIMENSION_MISMATCH', 'Wrong vector width.'));
      }
    }
    for (const item of items) {
      this.vectors.set(item.contentHash, item.vector);
      this.queue.delete(item.contentHash);
    }
    return Promise.resolve();
  }

  stats(): Promise<{ chunksPendingEmbedding: number }> {
    return Promise.resolve({ chunksPendingEmbedding: this.embeddingModel ? this.queue.size : 0 });
  }

  // Helpers for assertions.

  paths(repositoryId = 1): string[] {
    return [...(this.files.get(repositoryId)?.keys() ?? [])].sort();
  }

  file(path: string, repositoryId = 1): StoredFile | undefined {
    return this.files.get(repositoryId)?.get(path);
  }

  /** Paths of files with a chunk containing the text. */
  search(text: string, repositoryId = 1): string[] {
    const hits: string[] = [];
    for (const file of this.files.get(repositoryId)?.values() ?? []) {
      if (file.chunks.some((chunk) => chunk.content.includes(text))) hits.push(file.path);
    }
    return hits.sort();
  }
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
