/* eslint-disable @typescript-eslint/no-unsafe-assignment -- vitest's asymmetric matchers (expect.stringContaining…) are typed any */
import { describe, expect, it } from 'vitest';
import { createLocalEmbedder } from './local-embedder.ts';
import { createOpenAiEmbedder } from './openai-embedder.ts';

describe('createLocalEmbedder options', () => {
  it.each([
    [{ threads: 0 }, 'threads'],
    [{ dtype: 'q3' }, 'dtype'],
    [{ maxTokens: 2 }, 'maxTokens'],
    [{ model: '../../etc' }, 'model'],
    [{ pooling: 'max' }, 'pooling'],
    [{ hubUrl: 'ftp://example.com' }, 'hubUrl'],
  ])('rejects %j with INVALID_OPTIONS naming the field', async (options, field) => {
    await expect(createLocalEmbedder(options as never)).rejects.toMatchObject({
      code: 'INVALID_OPTIONS',
      message: expect.stringContaining(field),
    });
  });

  it('reports the failure through onStatusChange', async () => {
    const states: string[] = [];
    await expect(
      createLocalEmbedder({ onStatusChange: (status) => states.push(status.state) }),
    ).rejects.toMatchObject({ code: 'MODEL_NOT_FOUND' });
    expect(states).toEqual(['loading', 'failed']);
  });
});

describe('createOpenAiEmbedder options', () => {
  it('requires a base URL, a model and the vector width', () => {
    expect(() => createOpenAiEmbedder({} as never)).toThrowError(
      expect.objectContaining({
        code: 'INVALID_OPTIONS',
        message: expect.stringMatching(/baseUrl[\s\S]*model[\s\S]*dimensions/),
      }),
    );
  });

  it('names the model and width in its model id', () => {
    const embedder = createOpenAiEmbedder({
      baseUrl: 'http://127.0.0.1:9/v1',
      model: 'nomic-embed-text',
      dimensions: 768,
    });
    expect(embedder.modelId).toBe('nomic-embed-text@768');
    expect(embedder.dimensions).toBe(768);
    expect(embedder.status()).toMatchObject({
      state: 'ready',
      source: 'http://127.0.0.1:9/v1/embeddings',
    });
  });
});
