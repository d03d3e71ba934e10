import { cp, readFile, truncate, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openEmbeddingModel, planEmbeddingModel } from '../src/index.ts';
import { standInModelDir, withTempDir } from './helpers.ts';

const modelDir = standInModelDir();
const local = { modelDir, threads: 1, queryWorker: false } as const;
const howToEnable = 'Run `nellie model pull`.';

describe('openEmbeddingModel (local)', () => {
  it('knows the identity before loading, and loads only once started', async () => {
    await using model = await openEmbeddingModel({ ...local, deferLoad: true, howToEnable });
    expect(model.identity).toEqual({
      modelId: 'Xenova/all-MiniLM-L6-v2@q8+split-identifiers',
      dimensions: 384,
      family: 'Xenova/all-MiniLM-L6-v2@q8',
    });
    expect(model.status()).toMatchObject({ state: 'loading' });
    await expect(model.embedder!.embed(['a query'], { priority: 'query' })).rejects.toMatchObject({
      code: 'EMBEDDING_FAILED',
    });
    const bulk = model.embedder!.embed(['function add(a, b) { return a + b; }']);
    model.start();
    expect(await model.ready).toMatchObject({ state: 'ready', dimensions: 384 });
    const [vector] = await bulk;
    expect(vector).toHaveLength(384);
    expect(await model.embedder!.embed(['a query'], { priority: 'query' })).toHaveLength(1);
  });

  it('is off with the reason when the model is "none" or not found', async () => {
    const none = await openEmbeddingModel({ model: 'none', howToEnable });
    expect(none.identity).toBeNull();
    expect(none.embedder).toBeUndefined();
    expect(await none.ready).toMatchObject({
      state: 'disabled',
      modelId: 'none',
      message: `Semantic search is off because the model is set to "none". ${howToEnable}`,
    });
    await withTempDir(async (cacheDir) => {
      const missing = await openEmbeddingModel({ cacheDir, allowRemote: false });
      expect(missing.identity).toBeNull();
      expect(missing.status()).toMatchObject({
        state: 'disabled',
        modelId: 'Xenova/all-MiniLM-L6-v2@q8+split-identifiers',
        message: expect.stringMatching(/^Semantic search is off: No embedding model/) as string,
      });
    });
  });

  it('reports a model that fails to load through status, with the hint', async () => {
    await withTempDir(async (dir) => {
      const broken = path.join(dir, 'broken');
      await cp(modelDir, broken, { recursive: true });
      await truncate(path.join(broken, 'onnx', 'model_quantized.onnx'), 1000);
      const model = await openEmbeddingModel({ ...local, modelDir: broken, howToEnable });
      expect(model.identity).toEqual({
        modelId: 'Xenova/all-MiniLM-L6-v2@q8+split-identifiers',
        dimensions: 384,
        family: 'Xenova/all-MiniLM-L6-v2@q8',
      });
      const status = await model.ready;
      expect(status.state).toBe('failed');
      expect(status.message).toContain(howToEnable);
      await expect(model.embedder!.embed(['text'])).rejects.toMatchObject({
        code: 'MODEL_LOAD_FAILED',
      });
      await model.close();
    });
  });

  it('loads a model whose width its files do not name before returning', async () => {
    await withTempDir(async (dir) => {
      const unnamed = path.join(dir, 'unnamed');
      await cp(modelDir, unnamed, { recursive: true });
      const configFile = path.join(unnamed, 'config.json');
      const config = JSON.parse(await readFile(configFile, 'utf8')) as Record<string, unknown>;
      delete config.hidden_size;
      await writeFile(configFile, JSON.stringify(config));
      const plan = await planEmbeddingModel({ modelDir: unnamed });
      expect(plan).toMatchObject({ state: 'found', dimensions: undefined });
      await using model = await openEmbeddingModel({ ...local, modelDir: unnamed });
      expect(model.identity).toEqual({
        modelId: 'Xenova/all-MiniLM-L6-v2@q8+split-identifiers',
        dimensions: 384,
        family: 'Xenova/all-MiniLM-L6-v2@q8',
      });
      expect(model.status()).toMatchObject({ state: 'ready' });
    });
  });

  it('rejects invalid options with INVALID_OPTIONS', async () => {
    await expect(openEmbeddingModel({ model: '../etc' })).rejects.toMatchObject({
      code: 'INVALID_OPTIONS',
    });
  });
});
