import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { copyStore, NellieError } from '@nellie/core';
import { createFakeEmbedder } from '@nellie/test-utils';
import { describe, expect, it } from 'vitest';
import { createSqliteStore, type SqliteStore } from '../src/index.ts';
import { useTempDir } from './helpers.ts';

const tempDir = useTempDir();
const embedder = createFakeEmbedder({ dimensions: 8 });
const model = { modelId: embedder.modelId, dimensions: 8 };

const retry =
  'export async function retryUpload(file: Blob) {\n  for (let attempt = 0; attempt < 3; attempt += 1) {\n    if (await send(file)) return;\n  }\n}';

async function seeded(path: string): Promise<SqliteStore> {
  const store = await createSqliteStore({ path, embedding: model });
  const root = join(tempDir(), 'shop');
  mkdirSync(join(root, 'src'), { recursive: true });
  writeFileSync(join(root, 'src/retry.ts'), retry);
  const repo = await store.upsertRepository({ rootPath: root, name: 'shop' });
  await store.writeFile(
    repo.id,
    { path: 'src/retry.ts', language: null, size: retry.length, mtimeMs: 1, contentHash: 'h' },
    [{ startLine: 1, endLine: 5, content: retry, symbolName: 'retryUpload' }],
  );
  await store.addLesson({
    title: 'Retry uploads at most three times',
    content: 'The CDN bans clients that retry too often.',
    repository: 'shop',
    anchors: [{ repository: 'shop', path: 'src/retry.ts', symbol: 'retryUpload' }],
  });
  await store.addCheckpoint({
    agent: 'claude',
    workingOn: 'retryUpload backoff',
    state: {},
    anchors: [{ repository: 'shop', path: 'src/retry.ts', symbol: 'retryUpload' }],
  });
  const pending = await store.pendingEmbeddings(10);
  const vectors = await embedder.embed(pending.map((item) => item.text));
  await store.putEmbeddings(
    pending.map((item, index) => ({ contentHash: item.contentHash, vector: vectors[index]! })),
  );
  return store;
}

describe('SQLite store transfer', () => {
  it('copies into another SQLite store with anchors, checkpoint code links and vectors', async () => {
    const dir = tempDir();
    await using source = await seeded(join(dir, 'a.db'));
    await using target = await createSqliteStore({ path: join(dir, 'b.db'), embedding: model });
    expect(await target.transfer.importState()).toBe('empty');

    const report = await copyStore(source.transfer, target.transfer, { batchSize: 1 });
    expect(report.verified).toBe(true);
    for (const table of ['anchors', 'checkpoint_anchors']) {
      expect(report.tables.find((entry) => entry.table === table)).toMatchObject({
        source: 1,
        target: 1,
      });
    }
    const [lesson] = (await source.listLessons()).items;
    expect(await target.getLesson(lesson!.id)).toEqual(lesson);
    const checkpoints = await source.getRecentCheckpoints({ limit: 5 });
    expect(checkpoints[0]?.anchors).toHaveLength(1);
    expect(await target.getRecentCheckpoints({ limit: 5 })).toEqual(checkpoints);
    const [queryVector] = await embedder.embed(['retry upload']);
    const search = (store: SqliteStore) =>
      store.searchCode({ query: 'retry upload', queryVector, limit: 5 });
    expect(await search(target)).toEqual(await search(source));
    expect(await target.pendingEmbeddings(10)).toEqual([]);
    // A lesson search finds it through the rebuilt full-text index.
    expect((await target.searchLessons({ query: 'CDN bans' })).map((hit) => hit.lesson.id)).toEqual(
      [lesson!.id],
    );
  });

  it('refuses vectors of another width and a target opened without a model', async () => {
    const dir = tempDir();
    await using source = await seeded(join(dir, 'a.db'));
    await using narrow = await createSqliteStore({
      path: join(dir, 'narrow.db'),
      embedding: { modelId: model.modelId, dimensions: 4 },
    });
    const [vectors] = [await source.transfer.exportRows('embeddings', { after: null, limit: 1 })];
    const mismatch = await narrow.transfer
      .importRows('embeddings', vectors.rows)
      .catch((error: unknown) => error);
    expect(NellieError.is(mismatch) && mismatch.code).toBe('DIMENSION_MISMATCH');
    await using none = await createSqliteStore({ path: join(dir, 'none.db') });
    await expect(none.transfer.importRows('embeddings', vectors.rows)).rejects.toThrow(
      /opened without an embedding model/,
    );
    expect(await narrow.transfer.countRows('embeddings')).toBe(0);
  });
});
