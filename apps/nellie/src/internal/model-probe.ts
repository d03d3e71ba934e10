import { NellieError, type Logger } from '@nellie/core';
import { createLocalEmbedder } from '@nellie/embeddings';

/** A short code snippet every model must embed. */
export const probeText = 'function addNumbers(a, b) { return a + b; }';

export interface ModelProbe {
  /** True when the model loaded and embedded the probe text into a vector of its width. */
  ok: boolean;
  dimensions?: number;
  /** How long loading and embedding took, in milliseconds. */
  ms: number;
  message: string;
}

/**
 * Loads a model from local files only (one thread, no query worker), embeds a probe text and
 * closes it again: what "the model is available" means.
 */
export async function probeModel(options: {
  model: string;
  dtype: 'q8' | 'fp32';
  modelDir?: string;
  cacheDir: string;
  logger: Logger;
}): Promise<ModelProbe> {
  const started = performance.now();
  try {
    const embedder = await createLocalEmbedder({
      model: options.model,
      dtype: options.dtype,
      ...(options.modelDir === undefined ? {} : { modelDir: options.modelDir }),
      cacheDir: options.cacheDir,
      allowRemote: false,
      threads: 1,
      queryWorker: false,
      logger: options.logger,
    });
    try {
      const [vector] = await embedder.embed([probeText]);
      const ms = performance.now() - started;
      if (vector?.length !== embedder.dimensions || !vector.every(Number.isFinite)) {
        return {
          ok: false,
          ms,
          message: `Loads, but embedding a probe text gave ${vector?.length ?? 0} values where ${embedder.dimensions} finite ones were expected.`,
        };
      }
      return {
        ok: true,
        dimensions: embedder.dimensions,
        ms,
        message: `Loads and embeds a probe text: ${embedder.dimensions}-dimensional vectors (${Math.round(ms)} ms).`,
      };
    } finally {
      await embedder.close();
    }
  } catch (error) {
    return {
      ok: false,
      ms: performance.now() - started,
      message: `Does not load: ${NellieError.is(error) || error instanceof Error ? error.message : String(error)}`,
    };
  }
}
