import { join } from 'node:path';
import { seededRandom } from '@nellie/core';
import { afterEach, describe, expect, it } from 'vitest';
import { createSqliteStore, type SqliteStore } from '../src/index.ts';
import { sha256 } from '../src/internal/code-input.ts';
import { useTempDir } from './helpers.ts';

/**
 * Vector search inside a path-glob scope, with the ANN index active: a small scope is scanned
 * exactly over its members, a larger one filters the ANN candidates by membership. Either way
 * only chunks under the glob come back, and they are the scope's nearest vectors.
 */

const dimensions = 8;
const tempDir = useTempDir();
const opened: SqliteStore[] = [];
afterEach(async () => {
  for (const store of opened.splice(0)) await store.close();
});

const next = seededRandom(5);
const randomVector = (): Float32Array =>
  Float32Array.from({ length: dimensions }, () => next() - 0.5);

const directories = ['a', 'b', 'c', 'd'];
const files = directories.flatMap((directory) =>
  Array.from({ length: 10 }, (_, file) => ({
    path: `${directory}/file${file}.ts`,
    chunks: Array.from({ length: 20 }, (_, line) => ({
      content: `const ${directory}${file}x${line} = 1;`,
      vector: randomVector(),
    })),
  })),
);

async function storeWith(only: (path: string) => boolean, exactScopeLimit: number) {
  const store = await createSqliteStore({
    path: join(tempDir(), 'nellie.db'),
    embedding: { modelId: 'test-model', dimensions },
    vectorIndex: { exactThreshold: 0, exactScopeLimit },
  });
  opened.push(store);
  const repository = await store.upsertRepository({ rootPath: '/work/repo' });
  for (const file of files.filter((candidate) => only(candidate.path))) {
    await store.writeFile(
      repository.id,
      { path: file.path, language: 'typescript', size: 1, mtimeMs: 1, contentHash: file.path },
      file.chunks.map((chunk, line) => ({
        startLine: line + 1,
        endLine: line + 1,
        content: chunk.content,
      })),
    );
    await store.putEmbeddings(
      file.chunks.map((chunk) => ({ contentHash: sha256(chunk.content), vector: chunk.vector })),
    );
  }
  return store;
}

describe.each([
  { mode: 'exact over the scope', exactScopeLimit: 1000 },
  { mode: 'ANN filtered by membership', exactScopeLimit: 0 },
])('vector search in a path-glob scope ($mode)', ({ exactScopeLimit }) => {
  it('ranks as if only the files under the glob were indexed', async () => {
    const everything = await storeWith(() => true, exactScopeLimit);
    const alone = await storeWith((path) => path.startsWith('b/'), exactScopeLimit);
    for (let query = 0; query < 5; query += 1) {
      const request = { query: '', queryVector: randomVector(), limit: 10, pathGlob: 'b/**' };
      const found = (await everything.searchCode(request)).map(
        (hit) => `${hit.path}:${hit.startLine}`,
      );
      const expected = (await alone.searchCode(request)).map(
        (hit) => `${hit.path}:${hit.startLine}`,
      );
      expect(found).toHaveLength(10);
      for (const key of found) expect(key.startsWith('b/')).toBe(true);
      if (exactScopeLimit > 0) expect(found).toEqual(expected);
      else {
        // Approximate search: nearly the same hits.
        const overlap = found.filter((key) => expected.includes(key)).length;
        expect(overlap, `query ${query}`).toBeGreaterThanOrEqual(9);
      }
    }
  });
});
