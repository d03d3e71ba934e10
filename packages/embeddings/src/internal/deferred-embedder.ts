import { NellieError, throwIfAborted, type Embedder, type EmbedOptions } from '@nellie/core';

/**
 * An Embedder whose model is still loading. Its identity (model id and width) is known up front,
 * so the store and the indexer can be opened before the model is ready, which keeps start-up fast.
 * Bulk work waits for the model; queries fail fast with `EMBEDDING_FAILED` while it loads, so
 * searches fall back to keyword results instead of waiting.
 */
export interface DeferredEmbedder extends Embedder {
  /** The loaded embedder, once ready. */
  loaded(): Embedder | undefined;
}

export function createDeferredEmbedder(
  identity: { modelId: string; dimensions: number; maxTokens?: number },
  loading: Promise<Embedder>,
): DeferredEmbedder {
  let ready: Embedder | undefined;
  let failure: unknown;
  let closed = false;
  const settled = loading.then(
    (embedder) => {
      ready = embedder;
      if (closed) void embedder.close();
      return embedder;
    },
    (error: unknown) => {
      failure = error;
      throw error;
    },
  );
  // The failure is reported through the model status; avoid an unhandled rejection here.
  settled.catch(() => {});

  const unavailable = (): NellieError =>
    NellieError.is(failure)
      ? new NellieError(failure.code, failure.message, { cause: failure })
      : new NellieError('MODEL_LOAD_FAILED', 'The embedding model failed to load.', {
          cause: failure,
        });

  return {
    modelId: identity.modelId,
    dimensions: identity.dimensions,
    ...(identity.maxTokens === undefined ? {} : { maxTokens: identity.maxTokens }),
    loaded: () => ready,
    async embed(texts: readonly string[], options?: EmbedOptions): Promise<Float32Array[]> {
      if (closed) throw new NellieError('STORE_CLOSED', 'The embedder is closed.');
      throwIfAborted(options?.signal);
      if (ready) return ready.embed(texts, options);
      if (failure !== undefined) throw unavailable();
      if (options?.priority === 'query') {
        throw new NellieError(
          'EMBEDDING_FAILED',
          'The embedding model is still loading; results are keyword-only until it is ready.',
        );
      }
      const signal = options?.signal;
      const embedder = await new Promise<Embedder>((resolve, reject) => {
        const onAbort = (): void =>
          reject(
            new NellieError('ABORTED', 'The operation was cancelled.', { cause: signal?.reason }),
          );
        signal?.addEventListener('abort', onAbort, { once: true });
        settled.then(
          (value) => {
            signal?.removeEventListener('abort', onAbort);
            resolve(value);
          },
          () => {
            signal?.removeEventListener('abort', onAbort);
            reject(unavailable());
          },
        );
      });
      if (closed) throw new NellieError('STORE_CLOSED', 'The embedder is closed.');
      return embedder.embed(texts, options);
    },
    queueDepth: () => ready?.queueDepth?.() ?? 0,
    async close(): Promise<void> {
      closed = true;
      if (ready) await ready.close();
    },
  };
}
