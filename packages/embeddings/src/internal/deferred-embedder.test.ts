import { NellieError, type Embedder } from '@nellie/core';
import { createFakeEmbedder } from '@nellie/test-utils';
import { describe, expect, it } from 'vitest';
import { createDeferredEmbedder } from './deferred-embedder.ts';

function deferred<T>() {
  let resolve: (value: T) => void = () => {};
  let reject: (error: unknown) => void = () => {};
  const promise = new Promise<T>((ok, fail) => {
    resolve = ok;
    reject = fail;
  });
  return { promise, resolve, reject };
}

const identity = { modelId: 'fake-hash-8', dimensions: 8 };

describe('createDeferredEmbedder', () => {
  it('knows its identity at once, fails queries fast while loading and queues bulk work', async () => {
    const loading = deferred<Embedder>();
    const embedder = createDeferredEmbedder(identity, loading.promise);
    expect(embedder.modelId).toBe('fake-hash-8');
    expect(embedder.dimensions).toBe(8);
    expect(embedder.loaded()).toBeUndefined();
    await expect(embedder.embed(['query'], { priority: 'query' })).rejects.toMatchObject({
      code: 'EMBEDDING_FAILED',
    });
    const bulk = embedder.embed(['bulk text']);
    const fake = createFakeEmbedder({ dimensions: 8 });
    loading.resolve(fake);
    const [vector] = await bulk;
    expect(vector).toHaveLength(8);
    expect(embedder.loaded()).toBe(fake);
    expect(await embedder.embed(['query'], { priority: 'query' })).toHaveLength(1);
    await embedder.close();
    await expect(fake.embed(['after close'])).rejects.toMatchObject({ code: 'STORE_CLOSED' });
  });

  it('reports the load failure to waiting and later callers', async () => {
    const loading = deferred<Embedder>();
    const embedder = createDeferredEmbedder(identity, loading.promise);
    const waiting = embedder.embed(['bulk']);
    loading.reject(new NellieError('MODEL_LOAD_FAILED', 'onnx file is damaged'));
    await expect(waiting).rejects.toMatchObject({
      code: 'MODEL_LOAD_FAILED',
      message: 'onnx file is damaged',
    });
    await expect(embedder.embed(['again'])).rejects.toMatchObject({ code: 'MODEL_LOAD_FAILED' });
  });

  it('lets a waiting caller give up, and closes a model that loads after close', async () => {
    const loading = deferred<Embedder>();
    const embedder = createDeferredEmbedder(identity, loading.promise);
    const controller = new AbortController();
    const waiting = embedder.embed(['bulk'], { signal: controller.signal });
    controller.abort();
    await expect(waiting).rejects.toMatchObject({ code: 'ABORTED' });
    await embedder.close();
    const fake = createFakeEmbedder({ dimensions: 8 });
    loading.resolve(fake);
    await new Promise((resolve) => setTimeout(resolve, 0));
    await expect(fake.embed(['x'])).rejects.toMatchObject({ code: 'STORE_CLOSED' });
    await expect(embedder.embed(['x'])).rejects.toMatchObject({ code: 'STORE_CLOSED' });
  });
});
