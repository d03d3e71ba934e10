import {
  createFakeEmbedder,
  createFakeIndexer,
  createMemoryStore,
  seedRepository,
} from '@nellie/test-utils';
import { addRepository } from '../../test/support/store.ts';
import { afterEach, describe, expect, it } from 'vitest';
import {
  connect,
  disabledModel,
  readyModel,
  textOf,
  type Harness,
} from '../../test/support/harness.ts';

const threeFiles = {
  'src/a.ts': 'export const a = 1;',
  'src/b.ts': 'export const b = 2;',
  'src/c.ts': 'export const c = 3;',
};

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

describe('get_status', () => {
  it('reports counts, repositories, indexer, model and version; says how to enable semantic search', async () => {
    const store = createMemoryStore();
    await addRepository(store, 'api', '/home/me/api', '2025-01-02T03:04:05.000Z');
    await seedRepository(store, '/home/me/api', threeFiles);
    await store.addLesson({ title: 't', content: 'c' });
    harness = await connect({
      store,
      indexer: createFakeIndexer(),
      modelStatus: disabledModel,
      version: '0.4.2',
    });

    const result = await harness.call('get_status');
    const text = textOf(result);

    expect(result.isError).toBeFalsy();
    expect(text).toContain('Nellie 0.4.2');
    expect(text).toContain('Model: disabled, Xenova/all-MiniLM-L6-v2');
    expect(text).toContain(
      'Semantic search is off; keyword search still works. No model found in /data/models. Run `nellie model pull` to enable semantic search.',
    );
    expect(text).toContain('Index: 1 repository, 3 files, 3 chunks (vectors disabled).');
    expect(text).toContain('Memory: 1 lesson, 0 checkpoints.');
    expect(text).toContain('- api (/home/me/api): last indexed 2025-01-02T03:04:05.000Z');
    expect(text).toContain(
      'Indexer: 0 running, 0 queued; 0 items awaiting embeddings; no unindexed changes seen; watching nothing.',
    );
    expect(result.structuredContent).toEqual({
      version: '0.4.2',
      counts: {
        repositories: 1,
        files: 3,
        chunks: 3,
        chunksWithVectors: 0,
        chunksPendingEmbedding: 0,
        lessons: 1,
        checkpoints: 0,
      },
      database: { schemaVersion: 1, bytes: 0, embeddingModel: null },
      model: disabledModel(),
      semanticSearch: {
        enabled: false,
        message:
          'Semantic search is off; keyword search still works. No model found in /data/models. Run `nellie model pull` to enable semantic search.',
      },
      repositories: [
        { name: 'api', rootPath: '/home/me/api', lastIndexedAt: '2025-01-02T03:04:05.000Z' },
      ],
      indexer: {
        jobsRunning: 0,
        jobsQueued: 0,
        watchedRoots: [],
        embeddingBacklog: 0,
        indexLagSeconds: 0,
      },
    });
  });

  it('explains how to enable semantic search when the model gives no message', async () => {
    harness = await connect({
      store: createMemoryStore(),
      modelStatus: () => ({ state: 'failed', modelId: 'Xenova/all-MiniLM-L6-v2' }),
      version: '1.0.0',
    });
    const text = textOf(await harness.call('get_status'));
    expect(text).toContain(
      'Semantic search is off (model Xenova/all-MiniLM-L6-v2 failed to load); keyword search still works.',
    );
    expect(text).toMatch(/To enable it, make an embedding model available/);
    expect(text).toContain('Indexer: not running in this process');
  });

  it('reports semantic search on with a ready model, dropping fields outside the schema', async () => {
    const embedder = createFakeEmbedder({ dimensions: 8 });
    const store = createMemoryStore({
      embedding: { modelId: embedder.modelId, dimensions: 8 },
    });
    await seedRepository(store, '/home/me/api', threeFiles);
    const [first] = await store.pendingEmbeddings(1);
    const [vector] = await embedder.embed([first!.text]);
    await store.putEmbeddings([{ contentHash: first!.contentHash, vector: vector! }]);
    harness = await connect({
      store,
      embedder,
      modelStatus: () => ({ ...readyModel(embedder.modelId, 8)(), internalHandle: 'x' }),
      version: '1.0.0',
    });

    const result = await harness.call('get_status');

    expect(textOf(result)).toContain(`Semantic search is on: ${embedder.modelId} (8 dimensions).`);
    expect(textOf(result)).toContain('1 with vectors, 2 awaiting embeddings');
    expect(result.structuredContent).toMatchObject({
      semanticSearch: { enabled: true },
      model: { state: 'ready', modelId: embedder.modelId, dimensions: 8, source: '/models/test' },
    });
    expect((result.structuredContent as { model: object }).model).not.toHaveProperty(
      'internalHandle',
    );
  });
});
