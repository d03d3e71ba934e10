import { NellieError } from '@nellie/core';
import { openEmbeddingModel, type OpenEmbeddingModelOptions } from '@nellie/embeddings';

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
 * Opens a model from local files only (one thread, no query worker; endpoints as configured),
 * embeds a probe text and closes it again: what "the model is available" means.
 */
export async function probeModel(options: OpenEmbeddingModelOptions): Promise<ModelProbe> {
  const started = performance.now();
  try {
    const model = await openEmbeddingModel(
      options.provider === 'openai'
        ? { ...options, deferLoad: false }
        : { ...options, allowRemote: false, threads: 1, queryWorker: false, deferLoad: false },
    );
    const status = await model.ready;
    const embedder = model.embedder;
    if (status.state !== 'ready' || !embedder) {
      await model.close();
      throw new NellieError('MODEL_NOT_FOUND', status.message ?? `The model is ${status.state}.`);
    }
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
      await model.close();
    }
  } catch (error) {
    return {
      ok: false,
      ms: performance.now() - started,
      message: `Does not load: ${NellieError.is(error) || error instanceof Error ? error.message : String(error)}`,
    };
  }
}
