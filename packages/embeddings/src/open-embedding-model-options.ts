import type { Logger } from '@nellie/core';
import type { LocalEmbedderOptions } from './local-embedder-options.ts';
import type { OpenAiEmbedderOptions } from './openai-embedder-options.ts';

/** The model value that turns semantic search off. */
export const noModel = 'none';

interface ModelHandleOptions {
  logger?: Logger;
  /**
   * Wait for `start()` before loading the model. A server starts it once it listens, so worker
   * threads and ONNX sessions do not compete with start-up for the CPU.
   */
  deferLoad?: boolean;
  /** Appended to every message saying why semantic search is off: how to turn it on. */
  howToEnable?: string;
}

/**
 * A model in worker threads (ONNX) or a distilled static model (a `modelDir` holding
 * `nellie-static.json`); `model: 'none'` turns semantic search off. The expected width is
 * planned from the model's files, so it is not an option here.
 */
export type LocalModelOptions = Omit<
  LocalEmbedderOptions,
  'signal' | 'onStatusChange' | 'dimensions' | 'logger'
> &
  ModelHandleOptions & { provider?: 'local' };

/** A model served by an OpenAI-compatible embeddings endpoint. */
export type OpenAiModelOptions = Omit<OpenAiEmbedderOptions, 'logger'> &
  ModelHandleOptions & { provider: 'openai' };

export type OpenEmbeddingModelOptions = LocalModelOptions | OpenAiModelOptions;
