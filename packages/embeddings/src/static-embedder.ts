import { resolve } from 'node:path';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { NellieError, noopLogger, type EmbedOptions, type ModelStatus } from '@nellie/core';
import { z } from 'zod';
import {
  loadStaticModelTokenizer,
  readStaticQueryWeights,
  readStaticTable,
} from './internal/static-model-files.ts';
import { readStaticModelConfig, staticModelId } from './internal/static-model-format.ts';
import {
  charsPerToken,
  meaningfulTokenIds,
  skipMask,
  sumTokenRows,
} from './internal/static-pooling.ts';
import { prepareEmbedRequest } from './internal/text-input.ts';
import { normalizeInPlace } from './internal/vectors.ts';
import type { LocalEmbedder } from './local-embedder.ts';
import {
  staticEmbedderOptionsSchema,
  type StaticEmbedderOptions,
} from './static-embedder-options.ts';

/** An `Embedder` over a static token table; the same shape as the ONNX `LocalEmbedder`. */
export type StaticEmbedder = LocalEmbedder;

/**
 * Loads a static model directory (`nellie-static.json`, written by `distillStaticModel()`) and
 * embeds on the calling thread: tokenise with the teacher's tokenizer, average the table rows of
 * the tokens, L2-normalise. Long calls yield to the event loop every `sliceMs`.
 */
export async function createStaticEmbedder(
  options: StaticEmbedderOptions,
): Promise<StaticEmbedder> {
  const parsed = staticEmbedderOptionsSchema.safeParse(options);
  if (!parsed.success) {
    throw new NellieError('INVALID_OPTIONS', z.prettifyError(parsed.error), {
      cause: parsed.error,
    });
  }
  const config = parsed.data;
  const logger = options.logger ?? noopLogger;
  const dir = resolve(config.modelDir);
  const notify = (status: ModelStatus): void => options.onStatusChange?.(status);
  notify({ state: 'loading', modelId: `nellie-static (${dir})`, source: dir });

  let model: LoadedStaticModel;
  try {
    model = await loadStaticModel(dir);
  } catch (error) {
    const failure = NellieError.is(error)
      ? error
      : new NellieError(
          'MODEL_LOAD_FAILED',
          `Loading the static model in ${dir} failed: ${String(error)}`,
          {
            cause: error,
          },
        );
    notify({ state: 'failed', modelId: `nellie-static (${dir})`, message: failure.message });
    throw failure;
  }
  const { modelId, dimensions } = model;
  if (config.dimensions !== undefined && config.dimensions !== dimensions) {
    const failure = new NellieError(
      'DIMENSION_MISMATCH',
      `The static model in ${dir} produces ${dimensions}-dimensional vectors, but ${config.dimensions} ` +
        'were expected. Configure the model that matches the stored vectors, or reset the stored ' +
        'embeddings to switch models.',
    );
    notify({ state: 'failed', modelId, message: failure.message });
    throw failure;
  }

  let state: ModelStatus['state'] = 'ready';
  let message = 'Loaded from the model directory.';
  const status = (): ModelStatus => ({ state, modelId, dimensions, source: dir, message });
  notify(status());
  logger.info({ modelId, dir, dimensions, rows: model.rows }, 'Static embedding model ready');

  let inFlight = 0;
  let closed = false;
  const close = (): Promise<void> => {
    if (!closed) {
      closed = true;
      state = 'disabled';
      message = 'The embedder is closed.';
      notify(status());
    }
    return Promise.resolve();
  };

  return {
    modelId,
    dimensions,
    maxTokens: config.maxTokens,
    source: { kind: 'model-dir', dir },
    async embed(texts: readonly string[], embedOptions?: EmbedOptions): Promise<Float32Array[]> {
      if (closed) throw new NellieError('STORE_CLOSED', 'The embedder is closed.');
      const { texts: prepared, priority } = prepareEmbedRequest(texts, embedOptions, {
        queryPrefix: config.queryPrefix,
        documentPrefix: config.documentPrefix,
        maxChars: config.maxTokens * charsPerToken,
      });
      if (priority === 'bulk' && inFlight + prepared.length > config.maxQueue) {
        throw new NellieError(
          'QUEUE_FULL',
          `${inFlight} texts are already being embedded; ${prepared.length} more would exceed ` +
            `the limit of ${config.maxQueue}. Wait for queueDepth() to drop.`,
        );
      }
      const signal = embedOptions?.signal;
      inFlight += prepared.length;
      try {
        const vectors: Float32Array[] = [];
        let sliceStart = performance.now();
        for (const text of prepared) {
          if (performance.now() - sliceStart >= config.sliceMs) {
            await yieldToEventLoop();
            sliceStart = performance.now();
            if (closed)
              throw new NellieError('STORE_CLOSED', 'The embedder was closed during the call.');
            if (signal?.aborted) {
              throw new NellieError('ABORTED', 'The embedding call was aborted.', {
                cause: signal.reason,
              });
            }
          }
          const vector = model.embedOne(text, config.maxTokens, priority === 'query');
          vectors.push(vector instanceof Float32Array ? vector : await vector);
        }
        return vectors;
      } finally {
        inFlight -= prepared.length;
      }
    },
    queueDepth: () => inFlight,
    status,
    stats: () => ({ queueDepth: inFlight, workers: [] }),
    close,
    [Symbol.asyncDispose]: close,
  };
}

interface LoadedStaticModel {
  modelId: string;
  dimensions: number;
  rows: number;
  /**
   * Synchronous on the fast tokenizer path; a promise when the full tokenizer is needed. A query
   * uses the model's query-side token weights when it has them.
   */
  embedOne(text: string, maxTokens: number, query: boolean): Float32Array | Promise<Float32Array>;
}

async function loadStaticModel(dir: string): Promise<LoadedStaticModel> {
  const config = await readStaticModelConfig(dir);
  const table = await readStaticTable(dir, config);
  const queryWeights = await readStaticQueryWeights(dir, config);
  const tokenize = await loadStaticModelTokenizer(dir, config);
  const { rows, dimensions } = config;
  const skip = skipMask(rows, config.skipTokenIds);
  const fallback = config.fallbackTokenId < rows ? config.fallbackTokenId : 0;

  const embedIds = (
    ids: readonly number[],
    textLength: number,
    maxTokens: number,
    weights: Float32Array | undefined,
  ): Float32Array => {
    const vector = new Float32Array(dimensions);
    const kept = meaningfulTokenIds(ids, skip, maxTokens);
    sumTokenRows(table, dimensions, kept, vector, weights);
    if (kept.length === 0) {
      vector.set(table.subarray(fallback * dimensions, (fallback + 1) * dimensions));
    }
    if (!normalizeInPlace(vector)) {
      throw new NellieError(
        'EMBEDDING_FAILED',
        `The static model gave a zero vector for a text of ${textLength} characters.`,
      );
    }
    return vector;
  };
  return {
    modelId: staticModelId(config),
    dimensions,
    rows,
    embedOne: (text, maxTokens, query) => {
      const weights = query ? queryWeights : undefined;
      const ids = tokenize(text);
      return Array.isArray(ids)
        ? embedIds(ids, text.length, maxTokens, weights)
        : ids.then((resolved) => embedIds(resolved, text.length, maxTokens, weights));
    },
  };
}
