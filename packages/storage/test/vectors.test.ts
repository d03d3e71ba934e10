import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { createFakeEmbedder } from '@nellie/test-utils';
import { describe, expect, it } from 'vitest';
import { createSqliteStore, type SqliteStore, type SqliteStoreOptions } from '../src/index.ts';
import { useTempDir } from './helpers.ts';

const tempDir = useTempDir();
const dimensions = 16;
const embedder = createFakeEmbedder({ dimensions });
const embedding = { modelId: embedder.modelId, dimensions };

const words = [
  'alpha',
  'bravo',
  'charlie',
  'delta',
  'echo',
  'foxtrot',
  'golf',
  'hotel',
  'india',
  'juliet',
  'kilo',
  'lima',
];

/** Distinct code-like contents: three words out of a dozen, so similar chunks share words. */
function contentFor(index: number): string {
  const pick = (offset: number) => words[(index * 7 + offset * 5) % words.length]!;
  return `function ${pick(0)}${index}() { return ${pick(1)}(${pick(2)}, ${index}); }`;
}

async function open(path: string, options: Partial<SqliteStoreOptions> = {}): Promise<SqliteStore> {
  return createSqliteStore({ path, embedding, vectorIndex: { exactThreshold: 0 }, ...options });
}

async function writeChunks(
  store: SqliteStore,
  repository: string,
  count: number,
  start = 0,
): Promise<void> {
  const repo = await store.upsertRepository({ rootPath: `/work/${repository}` });
  for (let index = start; index < start + count; index += 1) {
    await store.writeFile(
      repo.id,
      {
        path: `src/file-${index}.ts`,
        language: 'typescript',
        size: 1,
        mtimeMs: 1,
        contentHash: `h${index}`,
      },
      [{ startLine: 1, endLine: 1, content: contentFor(index), symbolName: `fn${index}` }],
    );
  }
}

async function embedAll(store: SqliteStore): Promise<number> {
  let total = 0;
  for (;;) {
    const pending = await store.pendingEmbeddings(200);
    if (pending.length === 0) return total;
    const vectors = await embedder.embed(pending.map((item) => item.text));
    await store.putEmbeddings(
      pending.map((item, index) => ({ contentHash: item.contentHash, vector: vectors[index]! })),
    );
    total += pending.length;
  }
}

/** Exact top-k by cosine over the given texts, computed in the test. */
async function exactTop(
  texts: Map<string, string>,
  query: Float32Array,
  k: number,
): Promise<string[]> {
  const entries = [...texts];
  const vectors = await embedder.embed(entries.map(([, text]) => text));
  return entries
    .map(([path], index) => ({
      path,
      score: vectors[index]!.reduce((sum, value, position) => sum + value * query[position]!, 0),
    }))
    .sort((a, b) => b.score - a.score)
    .slice(0, k)
    .map((entry) => entry.path);
}

describe('vector search with the HNSW index', () => {
  it('serves kNN from the ANN index and agrees with exact search', async () => {
    const path = join(tempDir(), 'nellie.db');
    const store = await open(path);
    try {
      await writeChunks(store, 'shop', 300);
      await embedAll(store);
      const status = await store.syncVectorIndex();
      expect(status).toEqual({ mode: 'ann', indexed: 300, backlog: 0 });

      const texts = new Map<string, string>();
      for (let index = 0; index < 300; index += 1) {
        texts.set(`src/file-${index}.ts`, `src/file-${index}.ts fn${index}\n${contentFor(index)}`);
      }
      for (const probe of [3, 77, 151, 299]) {
        const [queryVector] = await embedder.embed([texts.get(`src/file-${probe}.ts`)!]);
        const hits = await store.searchCode({ query: '', queryVector, limit: 5 });
        expect(hits[0]?.path).toBe(`src/file-${probe}.ts`);
        expect(hits[0]?.scores.vector?.similarity).toBeCloseTo(1, 4);
        const expected = await exactTop(texts, queryVector!, 5);
        expect(hits.map((hit) => hit.path)).toEqual(expected);
      }
    } finally {
      await store.close();
    }
  });

  it('post-filters ANN candidates for large scopes and scans small scopes exactly', async () => {
    const path = join(tempDir(), 'nellie.db');
    const store = await open(path, { vectorIndex: { exactThreshold: 0, exactScopeLimit: 40 } });
    try {
      await writeChunks(store, 'big', 200, 0);
      await writeChunks(store, 'small', 20, 1000);
      await embedAll(store);
      await store.syncVectorIndex();
      const [queryVector] = await embedder.embed(['alpha bravo charlie']);
      for (const repository of ['big', 'small']) {
        const hits = await store.searchCode({ query: '', queryVector, repository, limit: 10 });
        expect(hits).toHaveLength(10);
        expect(hits.every((hit) => hit.repository === repository)).toBe(true);
        const texts = new Map<string, string>();
        const range = repository === 'big' ? [0, 200] : [1000, 1020];
        for (let index = range[0]!; index < range[1]!; index += 1) {
          texts.set(
            `src/file-${index}.ts`,
            `src/file-${index}.ts fn${index}\n${contentFor(index)}`,
          );
        }
        expect(hits[0]?.path).toBe((await exactTop(texts, queryVector!, 1))[0]);
      }
    } finally {
      await store.close();
    }
  });

  it('sees vectors and deletions written by another store instance on the same file', async () => {
    const path = join(tempDir(), 'nellie.db');
    const writer = await open(path);
    const reader = await open(path);
    try {
      await writeChunks(writer, 'shop', 50);
      await embedAll(writer);
      const [queryVector] = await embedder.embed([`src/file-42.ts fn42\n${contentFor(42)}`]);
      // The reader's ANN index catches up with rows it has never seen before answering.
      const first = await reader.searchCode({ query: '', queryVector, limit: 3 });
      expect(first[0]?.path).toBe('src/file-42.ts');
      expect(await reader.vectorIndexStatus()).toMatchObject({ mode: 'ann', indexed: 50 });

      const repo = await writer.getRepository('shop');
      await writer.deleteFiles(repo!.id, ['src/file-42.ts']);
      const after = await reader.searchCode({ query: '', queryVector, limit: 3 });
      expect(after.map((hit) => hit.path)).not.toContain('src/file-42.ts');
      expect(await reader.vectorIndexStatus()).toMatchObject({ indexed: 49 });

      await writeChunks(writer, 'shop', 1, 42);
      await embedAll(writer);
      const back = await reader.searchCode({ query: '', queryVector, limit: 3 });
      expect(back[0]?.path).toBe('src/file-42.ts');
    } finally {
      await writer.close();
      await reader.close();
    }
  });

  it('saves the index next to the database and loads it on the next open', async () => {
    const directory = tempDir();
    const path = join(directory, 'nellie.db');
    const store = await open(path);
    await writeChunks(store, 'shop', 120);
    await embedAll(store);
    await store.syncVectorIndex();
    await store.close();
    const saved = readdirSync(directory).filter((name) => name.startsWith('nellie.db-hnsw-'));
    expect(saved).toHaveLength(1);

    // With one vector added per step, a rebuild could not hold 120 vectors right after opening.
    const reopened = await open(path, { vectorIndex: { exactThreshold: 0, catchUpBatch: 1 } });
    try {
      expect(await reopened.vectorIndexStatus()).toMatchObject({
        mode: 'ann',
        indexed: 120,
        backlog: 0,
      });
      const [queryVector] = await embedder.embed([`src/file-7.ts fn7\n${contentFor(7)}`]);
      expect((await reopened.searchCode({ query: '', queryVector }))[0]?.path).toBe(
        'src/file-7.ts',
      );
      // A backlog beyond one step is still searchable: the tail is scanned exactly.
      await writeChunks(reopened, 'shop', 10, 500);
      await embedAll(reopened);
      const [fresh] = await embedder.embed([`src/file-505.ts fn505\n${contentFor(505)}`]);
      expect((await reopened.searchCode({ query: '', queryVector: fresh }))[0]?.path).toBe(
        'src/file-505.ts',
      );
    } finally {
      await reopened.close();
    }
  });

  it('stays exact below the threshold', async () => {
    const store = await open(join(tempDir(), 'nellie.db'), {
      vectorIndex: { exactThreshold: 1000 },
    });
    try {
      await writeChunks(store, 'shop', 30);
      await embedAll(store);
      expect(await store.syncVectorIndex()).toEqual({ mode: 'exact', indexed: 0, backlog: 0 });
      const [queryVector] = await embedder.embed([`src/file-9.ts fn9\n${contentFor(9)}`]);
      expect((await store.searchCode({ query: '', queryVector }))[0]?.path).toBe('src/file-9.ts');
    } finally {
      await store.close();
    }
  });
});

describe('hasChunkVectors', () => {
  it('tells whether a repository or language has any embedded chunk yet', async () => {
    const store = await open(join(tempDir(), 'nellie.db'));
    try {
      expect(await store.hasChunkVectors({})).toBe(false);
      await writeChunks(store, 'shop', 5);
      await embedAll(store);
      // Added after the embedding pass: nothing of it is embedded yet.
      await writeChunks(store, 'blog', 5, 100);
      expect(await store.hasChunkVectors({})).toBe(true);
      expect(await store.hasChunkVectors({ repository: 'shop' })).toBe(true);
      expect(await store.hasChunkVectors({ repository: 'blog' })).toBe(false);
      expect(await store.hasChunkVectors({ repository: '/work/blog' })).toBe(false);
      expect(await store.hasChunkVectors({ repository: 'shop', language: ' TypeScript' })).toBe(
        true,
      );
      expect(await store.hasChunkVectors({ language: 'python' })).toBe(false);
      expect(await store.hasChunkVectors({ repository: 'unknown' })).toBe(false);
      await embedAll(store);
      expect(await store.hasChunkVectors({ repository: 'blog' })).toBe(true);
    } finally {
      await store.close();
    }
  });

  it('is false for a store opened without vectors', async () => {
    const path = join(tempDir(), 'nellie.db');
    const store = await open(path);
    await writeChunks(store, 'shop', 3);
    await embedAll(store);
    await store.close();
    const keywordOnly = await createSqliteStore({ path });
    try {
      expect(await keywordOnly.hasChunkVectors({ repository: 'shop' })).toBe(false);
    } finally {
      await keywordOnly.close();
    }
  });
});
