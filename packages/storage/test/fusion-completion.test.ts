import { afterEach, describe, expect, it } from 'vitest';
import { candidatePools, codeFusion } from '../src/internal/ranking/settings.ts';
import { createSqliteStore, type SqliteStore } from '../src/index.ts';
import { useTempDir } from './helpers.ts';

const tempDir = useTempDir();
const embedding = { modelId: 'chosen-vectors', dimensions: 4 };
const query = 'token refresh';
/** The query's vector; a chunk's vector has the cosine given below to it. */
const queryVector = Float32Array.from([1, 0, 0, 0]);

/** Chunks by path: content and cosine similarity to the query. */
const chunks: [path: string, content: string, similarity: number][] = [
  ['src/near-1.ts', 'renew credentials once', 0.95],
  ['src/near-2.ts', 'renew session cookie', 0.9],
  ['src/near-3.ts', 'rotate signing keys', 0.85],
  // Equal full-text matches, neither among the 3 nearest vectors; the later one is newer.
  ['src/x.ts', 'token refresh alpha', 0.6],
  ['src/y.ts', 'token refresh bravo', -0.5],
];

function vectorWithSimilarity(similarity: number): Float32Array {
  return Float32Array.from([similarity, Math.sqrt(1 - similarity ** 2), 0, 0]);
}

async function seeded(): Promise<SqliteStore> {
  const store = await createSqliteStore({ path: `${tempDir()}/store.db`, embedding });
  const repo = await store.upsertRepository({ rootPath: '/work/auth' });
  for (const [path, content] of chunks) {
    await store.writeFile(
      repo.id,
      { path, language: 'typescript', size: 1, mtimeMs: 1, contentHash: path },
      [{ startLine: 1, endLine: 1, content }],
    );
  }
  const pending = await store.pendingEmbeddings(10);
  await store.putEmbeddings(
    pending.map((item) => {
      const [, , similarity] = chunks.find(([path]) => item.text.includes(path))!;
      return { contentHash: item.contentHash, vector: vectorWithSimilarity(similarity) };
    }),
  );
  return store;
}

describe('fusion completed from the stored vectors', () => {
  const saved = { fusion: { ...codeFusion }, pools: { ...candidatePools } };
  afterEach(() => {
    Object.assign(codeFusion, saved.fusion);
    Object.assign(candidatePools, saved.pools);
  });

  it('scores full-text candidates outside the vector pool by their exact similarity', async () => {
    candidatePools.maximum = 3;
    const store = await seeded();
    try {
      const order = async () =>
        (await store.searchCode({ query, queryVector, limit: 10 }))
          .map((hit) => hit.path)
          .filter((path) => path === 'src/x.ts' || path === 'src/y.ts');
      codeFusion.completeVectorSide = false;
      expect(await order()).toEqual(['src/y.ts', 'src/x.ts']);
      codeFusion.completeVectorSide = true;
      codeFusion.vectorCompletionFloor = -1e9;
      expect(await order()).toEqual(['src/x.ts', 'src/y.ts']);
      const hits = await store.searchCode({ query, queryVector, limit: 10 });
      // Completed, not ranked: the vector breakdown stays with the vector list's members.
      expect(hits.find((hit) => hit.path === 'src/x.ts')?.scores).not.toHaveProperty('vector');
    } finally {
      await store.close();
    }
  });
});
