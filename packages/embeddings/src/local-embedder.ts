import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  NellieError,
  noopLogger,
  throwIfAborted,
  type Embedder,
  type EmbedOptions,
  type ModelStatus,
} from '@nellie/core';
import { z } from 'zod';
import { EmbeddingQueue } from './internal/embedding-queue.ts';
import type { WorkerInit } from './internal/messages.ts';
import { WorkerPool, type WorkerKind, type WorkerStats } from './internal/pool.ts';
import { isCompositeModelDir, readCompositeParts } from './internal/composite-model-format.ts';
import { isStaticModelDir } from './internal/static-model-format.ts';
import { prepareEmbedRequest } from './internal/text-input.ts';
import type { TextPreparation } from './internal/text-preparation.ts';
import { localEmbedderOptionsSchema, type LocalEmbedderOptions } from './local-embedder-options.ts';
import { localModelId, modelTextPreparation } from './model-id.ts';
import { pullModel } from './pull-model.ts';
import { resolveModel, type ModelSource } from './resolve-model.ts';
import { composeLocalEmbedders } from './composite-embedder.ts';
import { createStaticEmbedder } from './static-embedder.ts';
import { verifyModel } from './verify-model.ts';

export interface LocalEmbedderStats {
  /** Texts waiting or being embedded. */
  queueDepth: number;
  workers: WorkerStats[];
}

/** An `Embedder` running an ONNX model in worker threads. */
export interface LocalEmbedder extends Embedder {
  readonly modelId: string;
  readonly dimensions: number;
  readonly maxTokens: number;
  /**
   * How texts are rewritten before the tokenizer (option `textPreparation`). Undefined for a
   * distilled static model, whose own config says how it reads text (`pretokenize`).
   */
  readonly textPreparation?: TextPreparation;
  /** Where the model was loaded from. */
  readonly source: { kind: ModelSource; dir: string };
  queueDepth(): number;
  status(): ModelStatus;
  stats(): LocalEmbedderStats;
  [Symbol.asyncDispose](): Promise<void>;
}

/** Characters kept per model token before tokenising; the tokenizer then truncates exactly. */
const charsPerToken = 32;

/**
 * Loads a transformers.js feature-extraction model (default Xenova/all-MiniLM-L6-v2, q8) into
 * worker threads and returns an `Embedder` producing L2-normalised vectors. The model is looked
 * up with `resolveModel()` (explicit directory → cache → Hub download when allowed). A `modelDir`
 * holding a distilled static model (`nellie-static.json`) loads `createStaticEmbedder()` instead.
 */
export async function createLocalEmbedder(
  options: LocalEmbedderOptions = {},
): Promise<LocalEmbedder> {
  const parsed = localEmbedderOptionsSchema.safeParse(options);
  if (!parsed.success) {
    throw new NellieError('INVALID_OPTIONS', z.prettifyError(parsed.error), {
      cause: parsed.error,
    });
  }
  const config = parsed.data;
  const logger = options.logger ?? noopLogger;
  if (config.modelDir !== undefined && isCompositeModelDir(resolve(config.modelDir))) {
    return createCompositeLocalEmbedder(resolve(config.modelDir), options);
  }
  if (config.modelDir !== undefined && isStaticModelDir(resolve(config.modelDir))) {
    // A distilled static model (`nellie model distill`) loads through the same option.
    return createStaticEmbedder({
      modelDir: config.modelDir,
      queryPrefix: config.queryPrefix,
      documentPrefix: config.documentPrefix,
      maxQueue: config.maxQueue,
      ...(config.dimensions === undefined ? {} : { dimensions: config.dimensions }),
      logger,
      ...(options.onStatusChange ? { onStatusChange: options.onStatusChange } : {}),
    });
  }
  const modelId = localModelId(config);
  const textPreparation = modelTextPreparation(config);
  const notify = (status: ModelStatus): void => options.onStatusChange?.(status);
  notify({ state: 'loading', modelId });

  try {
    throwIfAborted(options.signal);
    const resolved = await resolveModel(config);
    let dir = resolved.dir;
    if (resolved.source === 'remote') {
      logger.info({ model: config.model, dir }, 'Downloading the embedding model');
      const pulled = await pullModel({
        model: config.model,
        dtype: config.dtype,
        revision: config.revision,
        cacheDir: config.cacheDir!,
        hubUrl: config.hubUrl,
        timeoutMs: config.downloadTimeoutMs,
        fetch: options.fetch,
        signal: options.signal,
        onProgress: options.onDownloadProgress,
      });
      dir = pulled.dir;
    } else if (resolved.source === 'model-dir' && !config.trustModelDir) {
      const verification = await verifyModel(dir, { model: config.model, dtype: config.dtype });
      if (verification.state !== 'verified') {
        throw new NellieError('MODEL_VERIFICATION_FAILED', verification.message);
      }
    }
    throwIfAborted(options.signal);

    const modelConfig = await readModelConfig(dir);
    const positions = modelConfig.max_position_embeddings;
    if (typeof positions === 'number' && config.maxTokens > positions) {
      throw new NellieError(
        'INVALID_OPTIONS',
        `maxTokens is ${config.maxTokens} but the model has only ${positions} positions; ` +
          `use at most ${positions}.`,
      );
    }

    const cores = availableParallelism();
    const init: WorkerInit = {
      modelDir: dir,
      dtype: config.dtype,
      pooling: config.pooling,
      maxTokens: config.maxTokens,
      onlyWindow: config.onlyWindow,
      windowOverlap: config.windowOverlap,
      intraOpThreads:
        config.intraOpThreads ?? Math.min(4, Math.max(1, Math.floor(cores / config.threads))),
      niceness: config.bulkNiceness,
      allowSpinning: config.allowSpinning,
    };
    const workers: { kind: WorkerKind; init: WorkerInit }[] = Array.from(
      { length: config.threads },
      () => ({ kind: 'bulk', init }),
    );
    if (config.queryWorker) {
      workers.push({ kind: 'query', init: { ...init, intraOpThreads: 1, niceness: 0 } });
    }

    const queue = new EmbeddingQueue({
      maxQueue: config.maxQueue,
      batchSize: config.batchSize,
      // Work is submitted only after the pool exists.
      onWork: () => pool.dispatch(),
    });
    let state: ModelStatus['state'] = 'loading';
    let message: string | undefined;
    const sourceNames: Record<ModelSource, string> = {
      'model-dir': 'the model directory',
      cache: 'the model cache',
      remote: 'a download into the model cache',
    };
    const status = (): ModelStatus => ({
      state,
      modelId,
      ...(dimensions ? { dimensions } : {}),
      source: dir,
      ...(message ? { message } : {}),
    });
    let dimensions = 0;
    const pool: WorkerPool = new WorkerPool({
      workerUrl: resolveWorkerUrl(),
      workers,
      queue,
      logger,
      onHealthChange: () => {
        if (state === 'disabled' || state === 'loading') return;
        const healthy = pool.healthy();
        state = healthy ? 'ready' : 'failed';
        message = healthy
          ? `Loaded from ${sourceNames[resolved.source]}.`
          : 'The embedding workers failed; restart the server to load the model again.';
        notify(status());
      },
    });

    const abortLoad = (): void => void pool.close();
    options.signal?.addEventListener('abort', abortLoad, { once: true });
    try {
      dimensions = await pool.dimensions;
    } catch (error) {
      throwIfAborted(options.signal);
      throw error;
    } finally {
      options.signal?.removeEventListener('abort', abortLoad);
    }
    if (config.dimensions !== undefined && config.dimensions !== dimensions) {
      await pool.close();
      throw new NellieError(
        'DIMENSION_MISMATCH',
        `The model in ${dir} produces ${dimensions}-dimensional vectors, but ${config.dimensions} ` +
          'were expected. Configure the model that matches the stored vectors, or reset the ' +
          'stored embeddings to switch models.',
      );
    }
    state = 'ready';
    message = `Loaded from ${sourceNames[resolved.source]}.`;
    logger.info({ modelId, dir, dimensions, workers: workers.length }, 'Embedding model ready');
    notify(status());

    const windowsRead = config.onlyWindow === undefined ? 1 : config.onlyWindow + 1;
    const maxChars = config.maxTokens * windowsRead * charsPerToken;
    let closing: Promise<void> | undefined;
    const readyPool = pool;
    const close = (): Promise<void> => {
      closing ??= (async () => {
        queue.close(new NellieError('STORE_CLOSED', 'The embedder is closed.'));
        await readyPool.close();
        state = 'disabled';
        message = 'The embedder is closed.';
        notify(status());
      })();
      return closing;
    };

    const embedder: LocalEmbedder = {
      modelId,
      dimensions,
      maxTokens: config.maxTokens,
      textPreparation,
      source: { kind: resolved.source, dir },
      async embed(texts: readonly string[], embedOptions?: EmbedOptions): Promise<Float32Array[]> {
        if (closing) throw new NellieError('STORE_CLOSED', 'The embedder is closed.');
        const { texts: prepared, priority } = prepareEmbedRequest(texts, embedOptions, {
          queryPrefix: config.queryPrefix,
          documentPrefix: config.documentPrefix,
          maxChars,
          preparation: textPreparation,
        });
        return queue.submit(prepared, priority, embedOptions?.signal);
      },
      queueDepth: () => queue.depth(),
      status,
      stats: () => ({ queueDepth: queue.depth(), workers: readyPool.stats() }),
      close,
      [Symbol.asyncDispose]: close,
    };
    return embedder;
  } catch (error) {
    const failure = NellieError.is(error)
      ? error
      : new NellieError('MODEL_LOAD_FAILED', `Loading ${modelId} failed: ${String(error)}`, {
          cause: error,
        });
    notify({ state: 'failed', modelId, message: failure.message });
    throw failure;
  }
}

/**
 * Loads every part of a composite model directory (`nellie-composite.json`) with the same
 * options, one after the other, and joins them; a part that fails to load closes the others.
 */
async function createCompositeLocalEmbedder(
  dir: string,
  options: LocalEmbedderOptions,
): Promise<LocalEmbedder> {
  const { dimensions, onStatusChange, ...partOptions } = options;
  const notify = (status: ModelStatus): void => onStatusChange?.(status);
  notify({ state: 'loading', modelId: `nellie-composite (${dir})`, source: dir });
  const loaded: { embedder: LocalEmbedder; weight: number }[] = [];
  try {
    for (const part of await readCompositeParts(dir)) {
      loaded.push({
        embedder: await createLocalEmbedder({ ...partOptions, modelDir: part.dir }),
        weight: part.weight,
      });
    }
    const composite = composeLocalEmbedders(dir, loaded);
    if (dimensions !== undefined && dimensions !== composite.dimensions) {
      throw new NellieError(
        'DIMENSION_MISMATCH',
        `The composite model in ${dir} produces ${composite.dimensions}-dimensional vectors, but ` +
          `${dimensions} were expected. Configure the model that matches the stored vectors, or ` +
          'reset the stored embeddings to switch models.',
      );
    }
    notify(composite.status());
    return composite;
  } catch (error) {
    await Promise.all(loaded.map((part) => part.embedder.close()));
    const failure = NellieError.is(error)
      ? error
      : new NellieError(
          'MODEL_LOAD_FAILED',
          `Loading the composite model in ${dir} failed: ${String(error)}`,
          {
            cause: error,
          },
        );
    notify({ state: 'failed', modelId: `nellie-composite (${dir})`, message: failure.message });
    throw failure;
  }
}

async function readModelConfig(dir: string): Promise<Record<string, unknown>> {
  const path = join(dir, 'config.json');
  try {
    const parsed: unknown = JSON.parse(await readFile(path, 'utf8'));
    if (typeof parsed !== 'object' || parsed === null) throw new Error('not a JSON object');
    return parsed as Record<string, unknown>;
  } catch (error) {
    throw new NellieError(
      'MODEL_LOAD_FAILED',
      `${path} is not a valid model config: ${error instanceof Error ? error.message : String(error)}. ` +
        'Pull or import the model again.',
      { cause: error },
    );
  }
}

/**
 * The worker is a second build entry next to this module in `dist/`. Run from source (tests,
 * the `@nellie/source` condition) it is taken from the package's `dist/`, which must be built.
 */
function resolveWorkerUrl(): URL {
  const candidates = [
    new URL('./worker.js', import.meta.url),
    new URL('../dist/worker.js', import.meta.url),
  ];
  const found = candidates.find((candidate) => existsSync(fileURLToPath(candidate)));
  if (!found) {
    throw new NellieError(
      'MODEL_LOAD_FAILED',
      `The embedding worker script is missing (looked for ${candidates
        .map((candidate) => fileURLToPath(candidate))
        .join(' and ')}). Build the package: pnpm --filter @nellie/embeddings build.`,
    );
  }
  return found;
}
