import { describe, expect, it } from 'vitest';
import { localModelFamily, localModelId, modelTextPreparation } from './model-id.ts';
import { planEmbeddingModel } from './open-embedding-model.ts';

describe('localModelId', () => {
  it('names the model, its weights, CLS pooling and the text preparation', () => {
    expect(localModelId({ model: 'Xenova/all-MiniLM-L6-v2', dtype: 'q8' })).toBe(
      'Xenova/all-MiniLM-L6-v2@q8+split-identifiers',
    );
    expect(
      localModelId({ model: 'Xenova/all-MiniLM-L6-v2', dtype: 'q8', textPreparation: 'none' }),
    ).toBe('Xenova/all-MiniLM-L6-v2@q8');
    expect(localModelId({ model: 'BAAI/bge-small-en-v1.5', dtype: 'q8', pooling: 'mean' })).toBe(
      'BAAI/bge-small-en-v1.5@q8',
    );
    expect(
      localModelId({
        model: 'BAAI/bge-small-en-v1.5',
        dtype: 'q8',
        textPreparation: 'split-identifiers',
      }),
    ).toBe('BAAI/bge-small-en-v1.5@q8+split-identifiers');
    expect(localModelId({ model: 'BAAI/bge-small-en-v1.5', dtype: 'fp32', pooling: 'cls' })).toBe(
      'BAAI/bge-small-en-v1.5@fp32+cls',
    );
  });

  it('names query and document prefixes, which change the vectors too', () => {
    const e5 = { model: 'Xenova/e5-small-v2', dtype: 'q8' } as const;
    const prefixed = localModelId({ ...e5, queryPrefix: 'query: ', documentPrefix: 'passage: ' });
    expect(prefixed).toMatch(/^Xenova\/e5-small-v2@q8\+prefixes-[0-9a-f]{8}$/);
    expect(localModelId({ ...e5, queryPrefix: 'query: ' })).not.toBe(prefixed);
    expect(localModelId({ ...e5, queryPrefix: '', documentPrefix: '' })).toBe(
      'Xenova/e5-small-v2@q8',
    );
  });

  it('names the one window read for evaluation, and its overlap', () => {
    const bge = { model: 'BAAI/bge-small-en-v1.5', dtype: 'q8' } as const;
    expect(localModelId({ ...bge, windowOverlap: 32 })).toBe('BAAI/bge-small-en-v1.5@q8');
    expect(localModelId({ ...bge, onlyWindow: 0 })).toBe('BAAI/bge-small-en-v1.5@q8+window0');
    expect(localModelId({ ...bge, onlyWindow: 1, windowOverlap: 32 })).toBe(
      'BAAI/bge-small-en-v1.5@q8+window1-overlap32',
    );
  });

  it('takes the text preparation from the model configuration, else from its manifest', () => {
    expect(modelTextPreparation({ model: 'Xenova/all-MiniLM-L6-v2' })).toBe('split-identifiers');
    expect(modelTextPreparation({ model: 'BAAI/bge-small-en-v1.5' })).toBe('none');
    expect(
      modelTextPreparation({ model: 'Xenova/all-MiniLM-L6-v2', textPreparation: 'none' }),
    ).toBe('none');
  });

  it('puts every id of the same weights in one family', () => {
    expect(localModelFamily({ model: 'Xenova/all-MiniLM-L6-v2', dtype: 'q8' })).toBe(
      'Xenova/all-MiniLM-L6-v2@q8',
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
    expect(plan).toMatchObject({
      state: 'found',
      modelId: 'BAAI/bge-small-en-v1.5@fp32+cls',
      family: 'BAAI/bge-small-en-v1.5@fp32',
    });
  });
});
