import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { NellieError, noopLogger, type EmbedOptions, type ModelStatus } from '@nellie/core';
import { z } from 'zod';
import {
  readStaticModelConfig,
  staticModelId,
  staticTokenizerFiles,
} from './internal/static-model-format.ts';
import { prepareEmbedRequest } from './internal/text-input.ts';
import { normalizeInPlace } from './internal/vectors.ts';
import { createFastWordPiece } from './internal/word-piece.ts';
import type { LocalEmbedder } from './local-embedder.ts';
import {
  staticEmbedderOptionsSchema,
  type StaticEmbedderOptions,
} from './static-embedder-options.ts';

/** An `Embedder` over a static token table; the same shape as the ONNX `LocalEmbedder`. */
export type StaticEmbedder = LocalEmbedder;

/** Characters kept per token before tokenising; the token list is then cut at `maxTokens`. */
const charsPerToken = 32;

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
          const vector = model.embedOne(text, config.maxTokens);
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
  /** Synchronous on the fast tokenizer path; a promise when the full tokenizer is needed. */
  embedOne(text: string, maxTokens: number): Float32Array | Promise<Float32Array>;
}

async function loadStaticModel(dir: string): Promise<LoadedStaticModel> {
  const config = await readStaticModelConfig(dir);
  const tablePath = join(dir, config.table.path);
  const bytes = await readFile(tablePath).catch((error: unknown) => {
    throw new NellieError(
      'MODEL_NOT_FOUND',
      `The static model's table ${tablePath} is missing or unreadable (${String(error)}). Distill the model again.`,
      { cause: error },
    );
  });
  const expectedBytes = config.rows * config.dimensions * 4;
  if (bytes.length !== expectedBytes || bytes.length !== config.table.bytes) {
    throw new NellieError(
      'MODEL_VERIFICATION_FAILED',
      `${tablePath} has ${bytes.length} bytes, but ${config.rows} × ${config.dimensions} float32 values ` +
        `(${expectedBytes} bytes) were expected: the file is truncated or from another model.`,
    );
  }
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  if (sha256 !== config.table.sha256) {
    throw new NellieError(
      'MODEL_VERIFICATION_FAILED',
      `${tablePath} does not match the sha256 recorded in nellie-static.json: the table was altered or corrupted.`,
    );
  }
  const table = float32View(bytes);

  let tokenizerJson: unknown;
  for (const file of staticTokenizerFiles) {
    const path = join(dir, file);
    const text = await readFile(path, 'utf8').catch((error: unknown) => {
      throw new NellieError(
        'MODEL_NOT_FOUND',
        `The static model directory ${dir} lacks ${file}, copied from the teacher when distilling. Distill the model again.`,
        { cause: error },
      );
    });
    if (file === 'tokenizer.json') {
      try {
        tokenizerJson = JSON.parse(text);
      } catch (error) {
        throw new NellieError(
          'MODEL_LOAD_FAILED',
          `${path} is not valid JSON. Distill the model again.`,
          {
            cause: error,
          },
        );
      }
    }
  }
  // Source code is nearly all ASCII and takes the fast WordPiece path; the full tokenizer (and
  // the transformers.js runtime it comes with) loads only for the first text that needs it.
  const fast = createFastWordPiece(tokenizerJson);
  let fullTokenizer: Promise<(text: string) => number[]> | undefined;
  const loadFullTokenizer = (): Promise<(text: string) => number[]> =>
    (fullTokenizer ??= (async () => {
      const { env, AutoTokenizer, LogLevel } = await import('@huggingface/transformers');
      env.allowRemoteModels = false;
      env.allowLocalModels = true;
      env.useFSCache = false;
      env.useBrowserCache = false;
      env.logLevel = LogLevel.ERROR;
      const tokenizer = await AutoTokenizer.from_pretrained(dir, { local_files_only: true });
      return (text: string) => tokenizer.encode(text, { add_special_tokens: false });
    })().catch((error: unknown) => {
      throw new NellieError(
        'MODEL_LOAD_FAILED',
        `The tokenizer in ${dir} does not load: ${error instanceof Error ? error.message : String(error)}`,
        { cause: error },
      );
    }));
  if (!fast) await loadFullTokenizer();

  const { rows, dimensions } = config;
  const skip = new Uint8Array(rows);
  for (const id of config.skipTokenIds) if (id < rows) skip[id] = 1;
  const fallback = config.fallbackTokenId < rows ? config.fallbackTokenId : 0;

  const tokenize = (text: string): number[] | Promise<number[]> =>
    fast?.(text) ?? loadFullTokenizer().then((encode) => encode(text));

  const embedIds = (
    ids: readonly number[],
    textLength: number,
    maxTokens: number,
  ): Float32Array => {
    const vector = new Float32Array(dimensions);
    let used = 0;
    const limit = Math.min(ids.length, maxTokens);
    for (let index = 0; index < limit; index += 1) {
      const id = ids[index]!;
      if (id >= rows || skip[id] === 1) continue;
      const offset = id * dimensions;
      for (let column = 0; column < dimensions; column += 1)
        vector[column]! += table[offset + column]!;
      used += 1;
    }
    if (used === 0) vector.set(table.subarray(fallback * dimensions, (fallback + 1) * dimensions));
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
    embedOne: (text, maxTokens) => {
      const ids = tokenize(text);
      return Array.isArray(ids)
        ? embedIds(ids, text.length, maxTokens)
        : ids.then((resolved) => embedIds(resolved, text.length, maxTokens));
    },
  };
}

/** A float32 view of little-endian table bytes, copying only when alignment or byte order demand. */
function float32View(bytes: Buffer): Float32Array {
  const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
  if (littleEndian && bytes.byteOffset % 4 === 0) {
    return new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4);
  }
  const copy = Buffer.from(Uint8Array.prototype.slice.call(bytes));
  if (!littleEndian) copy.swap32();
  return new Float32Array(copy.buffer, copy.byteOffset, copy.length / 4);
}
