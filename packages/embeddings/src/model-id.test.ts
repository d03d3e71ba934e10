import { describe, expect, it } from 'vitest';
import { localModelId } from './model-id.ts';
import { planEmbeddingModel } from './open-embedding-model.ts';

describe('localModelId', () => {
  it('names the model, its weights and CLS pooling', () => {
    expect(localModelId({ model: 'Xenova/all-MiniLM-L6-v2', dtype: 'q8' })).toBe(
      'Xenova/all-MiniLM-L6-v2@q8',
    );
    expect(localModelId({ model: 'Xenova/all-MiniLM-L6-v2', dtype: 'q8', pooling: 'mean' })).toBe(
      'Xenova/all-MiniLM-L6-v2@q8',
    );
    expect(localModelId({ model: 'BAAI/bge-small-en-v1.5', dtype: 'fp32', pooling: 'cls' })).toBe(
      'BAAI/bge-small-en-v1.5@fp32+cls',
    );
  });

  it('is the id the model is planned under before it loads', async () => {
    const plan = await planEmbeddingModel({
      model: 'BAAI/bge-small-en-v1.5',
      dtype: 'fp32',
      pooling: 'cls',
      cacheDir: '/nonexistent-cache',
      allowRemote: true,
    });
    expect(plan).toMatchObject({ state: 'found', modelId: 'BAAI/bge-small-en-v1.5@fp32+cls' });
  });
});
