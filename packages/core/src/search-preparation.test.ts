import { describe, expect, it } from 'vitest';
import type { Embedder, ModelStatus } from './embedder.ts';
import { NellieError } from './errors.ts';
import { prepareSearch, semanticSearchState } from './search-preparation.ts';

const model = { modelId: 'model-a', dimensions: 2 };
const ready: ModelStatus = { state: 'ready', ...model };

function embedder(embed: Embedder['embed'] = () => Promise.resolve([new Float32Array([1, 0])])) {
  return { ...model, embed, close: () => Promise.resolve() } satisfies Embedder;
}

describe('prepareSearch', () => {
  it('embeds the query with query priority when semantic search is on', async () => {
    const calls: unknown[] = [];
    const prepared = await prepareSearch(
      {
        store: { embeddingModel: model },
        embedder: embedder((texts, options) => {
          calls.push([texts, options?.priority]);
          return Promise.resolve([new Float32Array([1, 0])]);
        }),
        modelStatus: () => ready,
      },
      'find users',
    );
    expect(prepared.mode).toBe('hybrid');
    expect(prepared.queryVector).toEqual(new Float32Array([1, 0]));
    expect(prepared.notice).toBeUndefined();
    expect(calls).toEqual([[['find users'], 'query']]);
  });

  it('falls back to keyword with a notice saying why', async () => {
    const cases: [Parameters<typeof prepareSearch>[0], RegExp][] = [
      [
        {
          store: { embeddingModel: model },
          embedder: embedder(),
          modelStatus: () => ({ state: 'loading', modelId: 'model-a' }),
        },
        /still loading/,
      ],
      [
        {
          store: { embeddingModel: model },
          modelStatus: () => ({
            state: 'disabled',
            modelId: 'model-a',
            message: 'Run `nellie model pull`.',
          }),
        },
        /semantic search is off\. Run `nellie model pull`\.$/,
      ],
      [
        { store: { embeddingModel: null }, embedder: embedder(), modelStatus: () => ready },
        /keeps no vectors/,
      ],
      [
        {
          store: { embeddingModel: { modelId: 'model-b', dimensions: 2 } },
          embedder: embedder(),
          modelStatus: () => ready,
        },
        /vectors of model-b, not of model-a/,
      ],
      [
        {
          store: { embeddingModel: model },
          embedder: embedder(() => Promise.reject(new NellieError('EMBEDDING_FAILED', 'crashed'))),
          modelStatus: () => ready,
        },
        /embedding the query failed \(EMBEDDING_FAILED: crashed\)/,
      ],
    ];
    for (const [deps, reason] of cases) {
      const prepared = await prepareSearch(deps, 'find users');
      expect(prepared.mode).toBe('keyword');
      expect(prepared.queryVector).toBeUndefined();
      expect(prepared.notice).toMatch(/^Keyword results only: /);
      expect(prepared.notice).toMatch(reason);
    }
  });

  it('does not embed the query when nothing in the searched scope is embedded yet', async () => {
    let embedded = 0;
    const deps = {
      store: { embeddingModel: model },
      embedder: embedder(() => {
        embedded += 1;
        return Promise.resolve([new Float32Array([1, 0])]);
      }),
      modelStatus: () => ready,
    };
    const empty = await prepareSearch(deps, 'find users', {
      vectors: { scope: 'repository "api"', present: () => Promise.resolve(false) },
    });
    expect(empty).toEqual({
      mode: 'keyword',
      notice:
        'Keyword results only: nothing in repository "api" is embedded with model-a yet ' +
        '(its embeddings may still be in progress).',
    });
    expect(embedded).toBe(0);
    const filled = await prepareSearch(deps, 'find users', {
      vectors: { scope: 'repository "api"', present: () => Promise.resolve(true) },
    });
    expect(filled.mode).toBe('hybrid');
    expect(embedded).toBe(1);
  });

  it('skips the embedding, without a notice, when keyword search is asked for', async () => {
    const prepared = await prepareSearch(
      {
        store: { embeddingModel: model },
        embedder: embedder(() => Promise.reject(new Error('must not embed'))),
        modelStatus: () => ready,
      },
      'find users',
      { mode: 'keyword' },
    );
    expect(prepared).toEqual({ mode: 'keyword' });
  });

  it('passes a cancellation on instead of falling back', async () => {
    const controller = new AbortController();
    controller.abort();
    const cancelled = new NellieError('ABORTED', 'cancelled');
    await expect(
      prepareSearch(
        {
          store: { embeddingModel: model },
          embedder: embedder(() => Promise.reject(cancelled)),
          modelStatus: () => ready,
        },
        'find users',
        { signal: controller.signal },
      ),
    ).rejects.toBe(cancelled);
  });
});

describe('semanticSearchState', () => {
  it('says semantic search is on, naming the model', () => {
    expect(
      semanticSearchState({
        store: { embeddingModel: model },
        embedder: embedder(),
        modelStatus: () => ready,
      }),
    ).toEqual({ enabled: true, message: 'Semantic search is on: model-a (2 dimensions).' });
  });
});
