import {
  formatCheckpointForEmbedding,
  formatChunkForEmbedding,
  formatLessonForEmbedding,
  NellieError,
  type AuditEntry,
  type Checkpoint,
  type EmbeddingModelInfo,
  type IndexedFile,
  type Lesson,
  type NellieStore,
  type Repository,
  type StoredChunk,
} from '@nellie/core';
import { MemoryAnchors, type AnchorCodeSource } from './anchors.ts';

/** The names of the store's required methods. */
export type StoreMethod = {
  [K in keyof NellieStore]-?: NellieStore[K] extends (...args: never[]) => unknown ? K : never;
}[keyof NellieStore];

/** A group of the store's methods, each one present. */
export type StoreMethods<K extends keyof NellieStore> = Required<Pick<NellieStore, K>>;

export interface StoredFile extends IndexedFile {
  chunkIds: number[];
}

export type ChunkRecord = StoredChunk & { seq: number };
export type LessonRecord = Lesson & { seq: number; contentHash: string };
export type CheckpointRecord = Checkpoint & { seq: number; contentHash: string };

interface Embeddable {
  contentHash: string;
  text: string;
  /** Write order, for `pendingEmbeddings` (oldest first). */
  seq: number;
}

/** What the in-memory store holds, shared by its groups of methods. */
export interface MemoryState {
  readonly embeddingModel: EmbeddingModelInfo | null;
  readonly repositories: Map<number, Repository>;
  readonly files: Map<number, Map<string, StoredFile>>;
  readonly chunks: Map<number, ChunkRecord>;
  readonly lessons: Map<string, LessonRecord>;
  readonly checkpoints: CheckpointRecord[];
  readonly vectors: Map<string, Float32Array>;
  readonly audit: AuditEntry[];
  readonly anchors: MemoryAnchors;
  /** Anchors of checkpoints, by checkpoint id, kept by the same rules as lessons' anchors. */
  readonly checkpointAnchors: MemoryAnchors;
  /** The next id, shared by repositories, chunks, lessons and checkpoints. */
  readonly newId: () => number;
  /** The next write sequence number. */
  readonly nextSeq: () => number;
  /** The time now as ISO text, strictly increasing. */
  readonly now: () => string;
  readonly repositoryFor: (id: number) => Repository;
  readonly findRepository: (nameOrPath: string) => Repository | null;
  /** Drops vectors nothing refers to any more, as the SQLite store does. */
  readonly collectVectors: () => void;
  readonly removeFile: (repositoryId: number, path: string) => boolean;
  readonly embeddables: () => Embeddable[];
}

export function createMemoryState(embeddingModel: EmbeddingModelInfo | null): MemoryState {
  const repositories = new Map<number, Repository>();
  const files = new Map<number, Map<string, StoredFile>>();
  const chunks = new Map<number, ChunkRecord>();
  const lessons = new Map<string, LessonRecord>();
  const checkpoints: CheckpointRecord[] = [];
  const vectors = new Map<string, Float32Array>();
  let nextId = 1;
  let seq = 0;
  let lastTime = 0;

  const findRepository = (nameOrPath: string): Repository | null =>
    [...repositories.values()].find(
      (repository) => repository.name === nameOrPath || repository.rootPath === nameOrPath,
    ) ?? null;
  const anchorCode: AnchorCodeSource = {
    findRepository,
    repository: (id) => repositories.get(id),
    chunksAt: (repositoryId, path) =>
      (files.get(repositoryId)?.get(path)?.chunkIds ?? [])
        .map((id) => chunks.get(id)!)
        .sort((a, b) => a.startLine - b.startLine)
        .map((chunk) => ({
          path,
          startLine: chunk.startLine,
          endLine: chunk.endLine,
          symbolName: chunk.symbolName,
          content: chunk.content,
        })),
    files: () =>
      [...files.entries()].flatMap(([repositoryId, byPath]) =>
        [...byPath.keys()].map((path) => ({ repositoryId, path })),
      ),
  };

  return {
    embeddingModel,
    repositories,
    files,
    chunks,
    lessons,
    checkpoints,
    vectors,
    audit: [],
    anchors: new MemoryAnchors(anchorCode),
    checkpointAnchors: new MemoryAnchors(anchorCode),
    newId: () => nextId++,
    nextSeq: () => (seq += 1),
    now() {
      // Strictly increasing, so newest-first orders are stable within one millisecond.
      lastTime = Math.max(Date.now(), lastTime + 1);
      return new Date(lastTime).toISOString();
    },
    repositoryFor(id) {
      const repository = repositories.get(id);
      if (!repository) throw new NellieError('NOT_FOUND', `No repository with id ${id}.`);
      return repository;
    },
    findRepository,
    collectVectors() {
      const referenced = new Set<string>();
      for (const chunk of chunks.values()) referenced.add(chunk.contentHash);
      for (const lesson of lessons.values()) referenced.add(lesson.contentHash);
      for (const checkpoint of checkpoints) referenced.add(checkpoint.contentHash);
      for (const hash of vectors.keys()) if (!referenced.has(hash)) vectors.delete(hash);
    },
    removeFile(repositoryId, path) {
      const file = files.get(repositoryId)?.get(path);
      if (!file) return false;
      for (const id of file.chunkIds) chunks.delete(id);
      files.get(repositoryId)!.delete(path);
      return true;
    },
    embeddables: () => [
      ...[...chunks.values()].map((chunk) => ({
        contentHash: chunk.contentHash,
        text: formatChunkForEmbedding(chunk),
        seq: chunk.seq,
      })),
      ...[...lessons.values()].map((lesson) => ({
        contentHash: lesson.contentHash,
        text: formatLessonForEmbedding(lesson),
        seq: lesson.seq,
      })),
      ...checkpoints.map((checkpoint) => ({
        contentHash: checkpoint.contentHash,
        text: formatCheckpointForEmbedding(checkpoint),
        seq: checkpoint.seq,
      })),
    ],
  };
}
