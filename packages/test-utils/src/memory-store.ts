/* eslint-disable @typescript-eslint/require-await -- an in-memory fake of asynchronous contracts */
import {
  NellieError,
  type EmbeddingModelInfo,
  type NellieStore,
  type StoredChunk,
} from '@nellie/core';
import { auditMethods } from './memory-store/audit-methods.ts';
import { checkpointMethods } from './memory-store/checkpoint-methods.ts';
import { codeMethods } from './memory-store/code-methods.ts';
import { embeddingMethods } from './memory-store/embedding-methods.ts';
import { lessonMethods } from './memory-store/lesson-methods.ts';
import { operationMethods } from './memory-store/operation-methods.ts';
import { createMemoryState, type StoreMethod } from './memory-store/state.ts';

export interface MemoryStoreOptions {
  /** The model whose vectors the store holds; null (the default) turns vectors off. */
  embedding?: EmbeddingModelInfo | null;
}

/**
 * The in-memory `NellieStore` for fast unit tests. It passes the same `nellieStoreContract` as
 * the SQLite store; lexical search is a word-part match ranked by rarity and vector search is
 * exact cosine similarity, fused with reciprocal rank fusion. Besides the store it lets a test
 * see what was asked of it and make calls fail.
 */
export interface MemoryStore extends NellieStore {
  /** The arguments of every call to `method`, oldest first. */
  callsTo<K extends StoreMethod>(method: K): Parameters<NellieStore[K]>[];
  /** Makes the next call to `method` reject with `error`. */
  failNext(method: StoreMethod, error: Error): void;
  /**
   * Makes every call to `method` (to any method when omitted: a broken disk) reject with
   * `error`, until called again with null.
   */
  failWith(error: Error | null, method?: StoreMethod): void;
  readonly closed: boolean;
  /** Paths of the repository's files, sorted. */
  paths(repositoryId?: number): string[];
  /** The chunks of one file, in order. */
  chunksOf(path: string, repositoryId?: number): StoredChunk[];
  /** Paths of the repository's files with a chunk containing `text`, sorted. */
  pathsContaining(text: string, repositoryId?: number): string[];
  /** The vector stored for a content hash. */
  vectorOf(contentHash: string): Float32Array | undefined;
}

/** Creates an empty in-memory store. */
export function createMemoryStore(options: MemoryStoreOptions = {}): MemoryStore {
  const state = createMemoryState(options.embedding ?? null);
  const { files, chunks, vectors } = state;
  const store: Omit<NellieStore, StoreMethod> & { [K in StoreMethod]: NellieStore[K] } = {
    embeddingModel: state.embeddingModel,
    ...codeMethods(state),
    ...lessonMethods(state),
    ...checkpointMethods(state),
    ...embeddingMethods(state),
    ...auditMethods(state),
    ...operationMethods(state),
    async [Symbol.asyncDispose]() {},
  };

  return instrument(store, {
    paths(repositoryId = 1) {
      return [...(files.get(repositoryId)?.keys() ?? [])].sort();
    },
    chunksOf(path, repositoryId = 1) {
      const file = files.get(repositoryId)?.get(path);
      return (file?.chunkIds ?? []).map((id) => {
        const { seq: _seq, ...chunk } = chunks.get(id)!;
        return chunk;
      });
    },
    pathsContaining(needle, repositoryId = 1) {
      return [...(files.get(repositoryId)?.values() ?? [])]
        .filter((file) => file.chunkIds.some((id) => chunks.get(id)!.content.includes(needle)))
        .map((file) => file.path)
        .sort();
    },
    vectorOf(contentHash) {
      return vectors.get(contentHash);
    },
  });
}

/**
 * Wraps every method: refuses calls once closed, records arguments and applies the failures a
 * test asked for.
 */
function instrument(
  store: NellieStore,
  inspection: Pick<MemoryStore, 'paths' | 'chunksOf' | 'pathsContaining' | 'vectorOf'>,
): MemoryStore {
  const calls = new Map<string, unknown[][]>();
  const nextFailures = new Map<string, Error>();
  const failures = new Map<string, Error>();
  let failure: Error | null = null;
  let closed = false;
  const methods = Object.keys(store).filter(
    (key) => typeof (store as unknown as Record<string, unknown>)[key] === 'function',
  );
  const wrapped: Record<string | symbol, unknown> = {
    get embeddingModel() {
      return store.embeddingModel;
    },
    get closed() {
      return closed;
    },
    callsTo: (method: string) => [...(calls.get(method) ?? [])],
    failNext: (method: string, error: Error) => nextFailures.set(method, error),
    failWith: (error: Error | null, method?: string) => {
      if (method === undefined) failure = error;
      else if (error === null) failures.delete(method);
      else failures.set(method, error);
    },
    ...inspection,
  };
  for (const method of methods) {
    const implementation = (store as unknown as Record<string, (...args: unknown[]) => unknown>)[
      method
    ]!;
    wrapped[method] = async (...args: unknown[]) => {
      if (method === 'close') {
        closed = true;
        return;
      }
      if (closed) throw new NellieError('STORE_CLOSED', 'The store is closed.');
      calls.set(method, [...(calls.get(method) ?? []), args]);
      const next = nextFailures.get(method);
      if (next) {
        nextFailures.delete(method);
        throw next;
      }
      const failing = failures.get(method) ?? failure;
      if (failing) throw failing;
      return implementation(...args);
    };
  }
  wrapped[Symbol.asyncDispose] = () => (wrapped.close as () => Promise<void>)();
  return wrapped as unknown as MemoryStore;
}
