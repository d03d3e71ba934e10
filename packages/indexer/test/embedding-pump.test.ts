import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { NellieError, type Embedder, type Logger } from '@nellie/core';
import { createFakeEmbedder, createMemoryStore } from '@nellie/test-utils';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createEmbeddingPump, createIndexer } from '../src/index.ts';
import { makeTempDir, removeDir, waitFor, writeTree } from './support/fixtures.ts';

const model = { modelId: 'fake-hash-16', dimensions: 16 };
let root: string;

beforeEach(async () => {
  root = await makeTempDir();
  await writeTree(root, {
    'src/math.ts': 'export function add(a: number, b: number) {\n  return a + b;\n}\n',
    'src/strings.py': 'def shout(text):\n    return text.upper()\n',
  });
});

afterEach(async () => {
  await removeDir(root);
});

function failingFor(inner: Embedder, fails: (texts: readonly string[]) => boolean): Embedder {
  return {
    modelId: inner.modelId,
    dimensions: inner.dimensions,
    embed(texts, options) {
      if (fails(texts))
        return Promise.reject(new NellieError('EMBEDDING_FAILED', 'worker crashed'));
      return inner.embed(texts, options);
    },
    close: () => inner.close(),
  };
}

describe('createEmbeddingPump', () => {
  it('embeds lessons and checkpoints as well as code, without an indexer', async () => {
    const store = createMemoryStore({ embedding: model });
    await store.addLesson({ title: 'Batch lookups', content: 'Never query in a loop.' });
    await store.addCheckpoint({ agent: 'agent-1', workingOn: 'Migrating billing' });
    await using pump = createEmbeddingPump({ store, embedder: createFakeEmbedder() });
    await pump.waitForIdle();
    expect(await store.pendingEmbeddings(10)).toEqual([]);
    expect(pump.backlog).toBe(0);

    await store.addLesson({ title: 'Close handles', content: 'Leaked handles hang tests.' });
    pump.wake();
    await pump.waitForIdle();
    expect(await store.pendingEmbeddings(10)).toEqual([]);
  });

  it('tells listeners which hashes got vectors and when nothing is left', async () => {
    const store = createMemoryStore({ embedding: model });
    const lesson = await store.addLesson({ title: 'Prefer named exports', content: 'Always.' });
    const [pending] = await store.pendingEmbeddings(1);
    const embedded: string[] = [];
    let drained = 0;
    await using pump = createEmbeddingPump({ store, embedder: createFakeEmbedder() });
    const unsubscribe = pump.subscribe({
      embedded: (hashes) => embedded.push(...hashes),
      drained: () => (drained += 1),
    });
    await pump.waitForIdle();
    expect(embedded).toEqual([pending!.contentHash]);
    expect(drained).toBeGreaterThan(0);
    unsubscribe();
    await store.updateLesson(lesson.id, { content: 'Always, in index.ts.' });
    pump.wake();
    await pump.waitForIdle();
    expect(embedded).toHaveLength(1);
  });

  it('is disabled, and writes nothing, when the store holds another model', async () => {
    const store = createMemoryStore({ embedding: { modelId: 'other-model', dimensions: 16 } });
    await store.addLesson({ title: 'a', content: 'b' });
    const errors: string[] = [];
    const logger: Logger = {
      debug: () => {},
      info: () => {},
      warn: () => {},
      error: (_fields, message) => errors.push(message),
    };
    await using pump = createEmbeddingPump({ store, embedder: createFakeEmbedder(), logger });
    expect(pump.enabled).toBe(false);
    await pump.waitForIdle();
    expect(await store.pendingEmbeddings(10)).toHaveLength(1);
    expect(errors.join('\n')).toContain('other-model');
  });

  it('is disabled for a store without vectors', async () => {
    const store = createMemoryStore();
    await using pump = createEmbeddingPump({ store, embedder: createFakeEmbedder() });
    expect(pump.enabled).toBe(false);
    expect(pump.backlog).toBe(0);
    await pump.waitForIdle();
  });

  it('refuses bad options and waiting once closed', async () => {
    const store = createMemoryStore({ embedding: model });
    const embedder = createFakeEmbedder();
    expect(() => createEmbeddingPump({ store, embedder, batchSize: 0 })).toThrowError(
      expect.objectContaining({ code: 'INVALID_OPTIONS' }),
    );
    expect(() => createEmbeddingPump({ store: {} as never, embedder })).toThrowError(
      expect.objectContaining({ code: 'INVALID_OPTIONS' }),
    );
    expect(() => createEmbeddingPump({ store, embedder: undefined as never })).toThrowError(
      expect.objectContaining({ code: 'INVALID_OPTIONS' }),
    );
    const pump = createEmbeddingPump({ store, embedder });
    await pump.close();
    await expect(pump.waitForIdle()).rejects.toMatchObject({ code: 'STORE_CLOSED' });
  });

  it('backs off while the embedder fails and catches up when it recovers', async () => {
    const store = createMemoryStore({ embedding: model });
    await store.addLesson({ title: 'Retry', content: 'with backoff' });
    let failures = 3;
    let calls = 0;
    const embedder = failingFor(createFakeEmbedder(), () => {
      calls += 1;
      if (failures === 0) return false;
      failures -= 1;
      return true;
    });
    await using pump = createEmbeddingPump({ store, embedder, retryMs: 20 });
    await waitFor(
      async () => (await store.pendingEmbeddings(1)).length === 0,
      'vectors after recovery',
    );
    // A handful of attempts, not a busy loop.
    expect(calls).toBeLessThan(40);
    await pump.waitForIdle();
  });

  it('sets aside a text that fails on its own so the rest is embedded', async () => {
    const store = createMemoryStore({ embedding: model });
    await store.addLesson({ title: 'Fine', content: 'This one embeds.' });
    await store.addLesson({ title: 'Poison', content: 'This one cannot be embedded.' });
    const embedder = failingFor(createFakeEmbedder(), (texts) =>
      texts.some((text) => text.includes('Poison')),
    );
    await using pump = createEmbeddingPump({ store, embedder, retryMs: 20 });
    await pump.waitForIdle();
    const pending = await store.pendingEmbeddings(10);
    expect(pending).toHaveLength(1);
    expect(pending[0]!.text).toContain('Poison');
  });
});

describe('createIndexer with an embedding pump', () => {
  it('fills in vectors for every chunk and reports the backlog per job', async () => {
    const store = createMemoryStore({ embedding: model });
    const embedder = createFakeEmbedder({ dimensions: 16 });
    await using embeddingPump = createEmbeddingPump({ store, embedder });
    await using indexer = createIndexer({ store, embeddingPump });
    const job = await indexer.waitForJob((await indexer.startJob({ rootPath: root })).id);
    await indexer.waitForEmbeddings();
    const chunks = store.paths().flatMap((path) => store.chunksOf(path));
    expect(chunks.length).toBeGreaterThan(0);
    for (const chunk of chunks) expect(store.vectorOf(chunk.contentHash)).toHaveLength(16);
    expect(indexer.getJob(job.id)!.progress.chunksPendingEmbedding).toBe(0);
    expect(indexer.status().embeddingBacklog).toBe(0);

    // Unchanged content is not embedded again.
    const texts = embedder.embeddedTexts;
    await writeFile(
      join(root, 'copy.ts'),
      'export function add(a: number, b: number) {\n  return a + b;\n}\n',
    );
    await indexer.waitForJob((await indexer.startJob({ rootPath: root })).id);
    await indexer.waitForEmbeddings();
    expect(embedder.embeddedTexts).toBe(texts);
  });

  it('leaves chunks pending without a pump', async () => {
    const store = createMemoryStore({ embedding: model });
    await using indexer = createIndexer({ store });
    const job = await indexer.waitForJob((await indexer.startJob({ rootPath: root })).id);
    expect(job.progress.chunksPendingEmbedding).toBe(job.progress.chunksWritten);
    await indexer.waitForEmbeddings();
    expect((await store.stats()).chunksWithVectors).toBe(0);
    expect((await store.pendingEmbeddings(100)).length).toBeGreaterThan(0);
    expect(indexer.status().embeddingBacklog).toBe(0);
  });

  it('leaves the pump running when the indexer closes', async () => {
    const store = createMemoryStore({ embedding: model });
    await using embeddingPump = createEmbeddingPump({ store, embedder: createFakeEmbedder() });
    const indexer = createIndexer({ store, embeddingPump });
    await indexer.close();
    await store.addCheckpoint({ agent: 'agent-1', workingOn: 'Writing docs' });
    embeddingPump.wake();
    await embeddingPump.waitForIdle();
    expect(await store.pendingEmbeddings(10)).toEqual([]);
  });

  it('refuses an embedder given to the indexer, naming the pump', () => {
    const store = createMemoryStore({ embedding: model });
    expect(() => createIndexer({ store, embedder: createFakeEmbedder() } as never)).toThrowError(
      /createEmbeddingPump/,
    );
    expect(() => createIndexer({ store, embeddingPump: {} as never })).toThrowError(
      expect.objectContaining({ code: 'INVALID_OPTIONS' }),
    );
  });
});
