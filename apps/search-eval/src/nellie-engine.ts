/**
 * Nellie as the benchmarks use it: the real indexer writing into a real SQLite store in a data
 * directory (or a PostgreSQL store), keyword-only or hybrid (with the local ONNX embedder), searched in-process.
 */
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import type { CodeSearchHit, Embedder } from '@nellie/core';
import {
  composeEmbedders,
  createLocalEmbedder,
  isCompositeModelDir,
  readCompositeParts,
  type TextPreparation,
} from '@nellie/embeddings';
import { createEmbeddingPump, createIndexer } from '@nellie/indexer';
import { withEmbeddingCache } from './embedding-cache.ts';
import { windowMeansFromEnv, withWindowMeans } from './window-means.ts';
import { openEvalStore, type EvalStore } from './eval-store.ts';

export type SearchMode = 'keyword' | 'hybrid';

export interface EngineOptions {
  /** Directory for the SQLite file (created if missing). */
  dataDir: string;
  /** The store to index into; defaults to SQLite. */
  store?: EvalStore;
  mode: SearchMode;
  /** Model directory for hybrid mode (e.g. `../shared/models/all-MiniLM-L6-v2`). */
  modelDir?: string;
  /**
   * Apply the indexer's built-in excludes (`dist/`, `build/`, …). Defaults to true; a corpus of
   * installed packages, already filtered, turns them off.
   */
  defaultExcludes?: boolean;
  /** Keep every vector in this directory and reuse it on later runs (tuning only). */
  embeddingCacheDir?: string;
  /** Overrides the model's own text preparation (to compare with another). */
  textPreparation?: TextPreparation;
}

/** Collaborators handed in rather than created (not validated, not closed by the engine). */
export interface EngineDependencies {
  /** An embedder shared by several engines, so a hybrid run loads the model once. */
  embedder?: Embedder;
}

export interface IndexedRepository {
  /** The absolute root path, usable as the `repository` search filter. */
  root: string;
  files: number;
  chunks: number;
  /** Wall time to index, including embeddings in hybrid mode. */
  seconds: number;
}

export interface TimedHits {
  hits: CodeSearchHit[];
  /** Wall time of the search, including the query embedding in hybrid mode. */
  milliseconds: number;
}

export interface NellieEngine {
  readonly mode: SearchMode;
  readonly modelId: string | null;
  index(root: string): Promise<IndexedRepository>;
  search(query: string, options?: { repository?: string; limit?: number }): Promise<TimedHits>;
  close(): Promise<void>;
}

/** The local ONNX embedder for a model directory, offline; behind a disk cache when given one. */
export async function createModelEmbedder(
  modelDir: string,
  embeddingCacheDir?: string,
  textPreparation?: TextPreparation,
): Promise<Embedder> {
  const load = async (onlyWindow?: number): Promise<Embedder> => {
    const embedder = await createLocalEmbedder({
      modelDir,
      allowRemote: false,
      ...(textPreparation ? { textPreparation } : {}),
      ...(onlyWindow === undefined
        ? {}
        : { onlyWindow, windowOverlap: means!.overlap, queryWorker: false }),
    });
    return embeddingCacheDir ? withEmbeddingCache(embedder, embeddingCacheDir) : embedder;
  };
  const means = windowMeansFromEnv(process.env);
  if (embeddingCacheDir && isCompositeModelDir(resolve(modelDir))) {
    if (means) throw new Error('NELLIE_EVAL_WINDOWS does not apply to a composite model.');
    // Each part behind its own cache, so the vectors of the part models alone are reused.
    const parts = [];
    for (const part of await readCompositeParts(resolve(modelDir))) {
      parts.push({
        embedder: await createModelEmbedder(part.dir, embeddingCacheDir, textPreparation),
        weight: part.weight,
      });
    }
    return composeEmbedders(parts);
  }
  const base = await load();
  if (!means) return base;
  const windowEmbedders = new Map<number, Promise<Embedder>>();
  const windowed = withWindowMeans(
    base,
    (window) => {
      if (!windowEmbedders.has(window)) windowEmbedders.set(window, load(window));
      return windowEmbedders.get(window)!;
    },
    means,
    (base.maxTokens ?? 256) - 2,
  );
  return {
    ...windowed,
    embed: (texts, options) => windowed.embed(texts, options),
    close: async () => {
      process.stderr.write(`texts per window: ${windowed.windowCounts.join(' ')}\n`);
      await windowed.close();
    },
  };
}

export async function createNellieEngine(
  options: EngineOptions & EngineDependencies,
): Promise<NellieEngine> {
  if (options.mode === 'hybrid' && !options.modelDir && !options.embedder) {
    throw new Error('Hybrid mode needs --model-dir (e.g. ../shared/models/all-MiniLM-L6-v2).');
  }
  mkdirSync(options.dataDir, { recursive: true });
  let embedder: Embedder | undefined;
  let ownsEmbedder = false;
  if (options.mode === 'hybrid') {
    embedder = options.embedder;
    if (!embedder && options.modelDir) {
      embedder = await createModelEmbedder(
        options.modelDir,
        options.embeddingCacheDir,
        options.textPreparation,
      );
      ownsEmbedder = true;
    }
  }
  const store = await openEvalStore(
    options.store ?? 'sqlite',
    options.dataDir,
    embedder ? { modelId: embedder.modelId, dimensions: embedder.dimensions } : null,
  );
  const embeddingPump = embedder ? createEmbeddingPump({ store, embedder }) : undefined;
  const indexer = createIndexer({
    store,
    ...(embeddingPump ? { embeddingPump } : {}),
    ...(embedder?.maxTokens === undefined ? {} : { maxTokens: embedder.maxTokens }),
    defaultExcludes: options.defaultExcludes ?? true,
  });

  return {
    mode: options.mode,
    modelId: embedder?.modelId ?? null,
    async index(root) {
      const started = performance.now();
      const job = await indexer.startJob({ rootPath: root, mode: 'full' });
      const finished = await indexer.waitForJob(job.id);
      if (finished.state !== 'succeeded') {
        throw new Error(
          `Indexing ${root} ${finished.state}: ${finished.error ?? 'no reason given'}`,
        );
      }
      await indexer.waitForEmbeddings();
      return {
        root: finished.rootPath,
        files: finished.progress.filesIndexed,
        chunks: finished.progress.chunksWritten,
        seconds: (performance.now() - started) / 1000,
      };
    },
    async search(query, searchOptions = {}) {
      const started = performance.now();
      const [queryVector] = embedder ? await embedder.embed([query], { priority: 'query' }) : [];
      const hits = await store.searchCode({
        query,
        queryVector,
        limit: searchOptions.limit ?? 10,
        repository: searchOptions.repository,
      });
      return { hits, milliseconds: performance.now() - started };
    },
    async close() {
      await indexer.close();
      await embeddingPump?.close();
      await store.close();
      if (ownsEmbedder) await embedder?.close();
    },
  };
}
