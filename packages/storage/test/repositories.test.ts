import { mkdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createFakeEmbedder } from '@nellie/test-utils';
import { describe, expect, it } from 'vitest';
import { createSqliteStore, type SqliteStore } from '../src/index.ts';
import { useTempDir } from './helpers.ts';

const tempDir = useTempDir();
const dimensions = 16;
const embedder = createFakeEmbedder({ dimensions });

async function open(path: string): Promise<SqliteStore> {
  return createSqliteStore({
    path,
    embedding: { modelId: embedder.modelId, dimensions },
    vectorIndex: { exactThreshold: 0 },
  });
}

async function embedAll(store: SqliteStore): Promise<void> {
  for (;;) {
    const pending = await store.pendingEmbeddings(200);
    if (pending.length === 0) return;
    const vectors = await embedder.embed(pending.map((item) => item.text));
    await store.putEmbeddings(
      pending.map((item, index) => ({ contentHash: item.contentHash, vector: vectors[index]! })),
    );
  }
}

/** Writes a real file under `root` and indexes it as one chunk per line. */
async function indexFile(
  store: SqliteStore,
  repositoryId: number,
  root: string,
  path: string,
  content: string,
): Promise<void> {
  const absolute = join(root, ...path.split('/'));
  mkdirSync(join(absolute, '..'), { recursive: true });
  writeFileSync(absolute, content);
  const info = statSync(absolute);
  const lines = content.split('\n');
  await store.writeFile(
    repositoryId,
    { path, language: 'typescript', size: info.size, mtimeMs: info.mtimeMs, contentHash: path },
    lines.map((line, index) => ({ startLine: index + 1, endLine: index + 1, content: line })),
  );
}

/** Awaits a rejection with this error code whose message contains `text`. */
async function expectFailure(promise: Promise<unknown>, code: string, text: string) {
  const error = await promise.then(
    () => null,
    (reason: unknown) => reason as { code?: string; message?: string },
  );
  expect(error?.code).toBe(code);
  expect(error?.message).toContain(text);
}

describe('repository summaries and renaming', () => {
  it('lists counts, roots and a missing root, including auto-named duplicates', async () => {
    const base = tempDir();
    const store = await open(join(base, 'nellie.db'));
    try {
      const first = join(base, 'a', 'chalk');
      const second = join(base, 'b', 'chalk');
      mkdirSync(first, { recursive: true });
      mkdirSync(second, { recursive: true });
      const one = await store.upsertRepository({ rootPath: first });
      const two = await store.upsertRepository({ rootPath: second });
      await indexFile(store, one.id, first, 'src/a.ts', 'const a = 1;\nconst b = 2;');
      await embedAll(store);
      await indexFile(store, one.id, first, 'src/c.ts', 'const c = 3;');
      rmSync(second, { recursive: true });

      const summaries = await store.listRepositorySummaries();
      expect(
        summaries.map(({ name, rootPath, files, chunks, chunksWithVectors, state }) => ({
          name,
          rootPath,
          files,
          chunks,
          chunksWithVectors,
          state,
        })),
      ).toEqual([
        { name: 'chalk', rootPath: first, files: 2, chunks: 3, chunksWithVectors: 2, state: 'ok' },
        {
          name: 'chalk-2',
          rootPath: second,
          files: 0,
          chunks: 0,
          chunksWithVectors: 0,
          state: 'missing',
        },
      ]);
      expect(two.name).toBe('chalk-2');
    } finally {
      await store.close();
    }
  });

  it('renames by name or root, and refuses unknown names and names in use', async () => {
    const base = tempDir();
    const store = await open(join(base, 'nellie.db'));
    try {
      await store.upsertRepository({ rootPath: join(base, 'a', 'chalk') });
      await store.upsertRepository({ rootPath: join(base, 'b', 'chalk') });
      expect((await store.renameRepository('chalk-2', 'chalk-fork')).name).toBe('chalk-fork');
      expect((await store.renameRepository(join(base, 'a', 'chalk'), 'chalk-main')).name).toBe(
        'chalk-main',
      );
      expect((await store.listRepositories()).map((item) => item.name)).toEqual([
        'chalk-fork',
        'chalk-main',
      ]);
      await expectFailure(
        store.renameRepository('nope', 'x'),
        'NOT_FOUND',
        'Indexed repositories: chalk-fork, chalk-main',
      );
      await expectFailure(
        store.renameRepository('chalk-fork', 'chalk-main'),
        'CONFLICT',
        'already used by',
      );
      await expectFailure(
        store.renameRepository('chalk-fork', '  '),
        'INVALID_INPUT',
        'name must not be empty',
      );
    } finally {
      await store.close();
    }
  });

  it('removing a repository drops its rows, full text and the vectors nothing else uses', async () => {
    const base = tempDir();
    const store = await open(join(base, 'nellie.db'));
    try {
      const gone = await store.upsertRepository({ rootPath: join(base, 'gone') });
      const kept = await store.upsertRepository({ rootPath: join(base, 'kept') });
      await indexFile(store, gone.id, join(base, 'gone'), 'a.ts', 'zebraUnique();\nsharedLine();');
      await indexFile(store, kept.id, join(base, 'kept'), 'b.ts', 'sharedLine();\nkeptOnly();');
      await embedAll(store);
      await store.syncVectorIndex();
      expect((await store.stats()).chunksWithVectors).toBe(4);
      expect(await store.vectorIndexStatus()).toMatchObject({ indexed: 3 });

      await store.deleteRepository(gone.id);

      expect(await store.searchCode({ query: 'zebraUnique' })).toEqual([]);
      const [shared] = await embedder.embed(['a.ts\nsharedLine();']);
      const hits = await store.searchCode({ query: 'sharedLine', queryVector: shared, limit: 5 });
      expect(hits.every((hit) => hit.repository === 'kept')).toBe(true);
      expect((await store.stats()).chunksWithVectors).toBe(2);
      // zebraUnique's vector went; sharedLine's is still used by "kept".
      expect(await store.syncVectorIndex()).toMatchObject({ indexed: 2 });
      expect(await store.pendingEmbeddings(10)).toEqual([]);
    } finally {
      await store.close();
    }
  });

  it('search hits carry the repository root and the absolute path', async () => {
    const base = tempDir();
    const store = await open(join(base, 'nellie.db'));
    try {
      const root = join(base, 'fastify');
      const repo = await store.upsertRepository({ rootPath: root });
      await indexFile(store, repo.id, root, 'lib/handle-request.js', 'function handleRequest() {}');
      const [hit] = await store.searchCode({ query: 'handleRequest' });
      expect(hit).toMatchObject({
        repository: 'fastify',
        rootPath: root,
        path: 'lib/handle-request.js',
        absolutePath: join(root, 'lib', 'handle-request.js'),
      });
    } finally {
      await store.close();
    }
  });
});

describe('reading indexed files', () => {
  async function setUp() {
    const base = tempDir();
    const root = join(base, 'repo');
    const outside = join(base, 'outside');
    mkdirSync(outside, { recursive: true });
    writeFileSync(join(outside, 'secret.txt'), 'TOP SECRET');
    const store = await open(join(base, 'nellie.db'));
    const repo = await store.upsertRepository({ rootPath: root, name: 'repo' });
    const lines = Array.from({ length: 1000 }, (_, index) => `line ${index + 1}`);
    await indexFile(store, repo.id, root, 'src/big.ts', `${lines.join('\n')}\n`);
    mkdirSync(join(root, 'docs'));
    writeFileSync(join(root, '.env'), 'TOKEN=abc');
    return { base, root, outside, store, repoId: repo.id };
  }

  it('returns a line range with the total so callers can page, bounded to 400 lines', async () => {
    const { store, root } = await setUp();
    try {
      const excerpt = await store.readIndexedFile({
        repository: 'repo',
        path: 'src/big.ts',
        startLine: 10,
        endLine: 12,
      });
      expect(excerpt).toEqual({
        repository: 'repo',
        rootPath: root,
        path: 'src/big.ts',
        absolutePath: join(root, 'src', 'big.ts'),
        startLine: 10,
        endLine: 12,
        totalLines: 1000,
        truncated: false,
        content: 'line 10\nline 11\nline 12',
        changedSinceIndexed: false,
      });
      const page = await store.readIndexedFile({ repository: 'repo', path: 'src/big.ts' });
      expect(page).toMatchObject({ startLine: 1, endLine: 400, truncated: true, totalLines: 1000 });
      expect(page.content.split('\n')).toHaveLength(400);
      await expectFailure(
        store.readIndexedFile({ repository: 'repo', path: 'src/big.ts', startLine: 1001 }),
        'INVALID_INPUT',
        'which has 1000 lines',
      );
    } finally {
      await store.close();
    }
  });

  it('stops at 64 KB, returning the start of an over-long line', async () => {
    const { store, repoId, root } = await setUp();
    try {
      await indexFile(store, repoId, root, 'wide.ts', `${'x'.repeat(200_000)}\nshort`);
      const excerpt = await store.readIndexedFile({ repository: 'repo', path: 'wide.ts' });
      expect(excerpt).toMatchObject({ startLine: 1, endLine: 1, truncated: true, totalLines: 2 });
      expect(excerpt.content).toHaveLength(64 * 1024);
    } finally {
      await store.close();
    }
  });

  it('refuses .., absolute paths, NUL bytes, files not indexed and unknown repositories', async () => {
    const { store, root } = await setUp();
    try {
      for (const path of [
        '../outside/secret.txt',
        'src/../../outside/secret.txt',
        join(root, 'src/big.ts'),
        'src/big.ts\0',
      ]) {
        await expectFailure(
          store.readIndexedFile({ repository: 'repo', path }),
          'INVALID_INPUT',
          'relative to the repository root',
        );
      }
      await expectFailure(
        store.readIndexedFile({ repository: 'repo', path: '.env' }),
        'NOT_FOUND',
        '.env is not indexed in repository repo',
      );
      await expectFailure(
        store.readIndexedFile({ repository: 'other', path: 'src/big.ts' }),
        'NOT_FOUND',
        'Indexed repositories: repo.',
      );
      await expectFailure(
        store.readIndexedFile({ repository: 'repo', path: 'src/big.ts', startLine: 5, endLine: 2 }),
        'INVALID_INPUT',
        'endLine must not be before startLine',
      );
    } finally {
      await store.close();
    }
  });

  it('refuses an indexed path that a symlink now leads out of the root', async () => {
    const { store, root, outside, repoId } = await setUp();
    try {
      await indexFile(store, repoId, root, 'docs/link.txt', 'harmless');
      await indexFile(store, repoId, root, 'dirlink/secret.txt', 'harmless');
      // Swapped for symlinks after indexing: one to a file, one through a directory.
      rmSync(join(root, 'docs', 'link.txt'));
      symlinkSync(join(outside, 'secret.txt'), join(root, 'docs', 'link.txt'));
      rmSync(join(root, 'dirlink'), { recursive: true });
      symlinkSync(outside, join(root, 'dirlink'));
      for (const path of ['docs/link.txt', 'dirlink/secret.txt']) {
        await expectFailure(
          store.readIndexedFile({ repository: 'repo', path }),
          'INVALID_INPUT',
          'outside the repository root',
        );
      }
    } finally {
      await store.close();
    }
  });

  it('follows symlinks that stay inside, and a root reached through a symlink', async () => {
    const { store, root, base } = await setUp();
    try {
      const linkedRoot = join(base, 'linked-repo');
      symlinkSync(root, linkedRoot);
      const linked = await store.upsertRepository({ rootPath: linkedRoot, name: 'linked' });
      await indexFile(store, linked.id, linkedRoot, 'inner.ts', 'inside');
      symlinkSync(join(root, 'src', 'big.ts'), join(root, 'alias.ts'));
      await indexFile(store, linked.id, linkedRoot, 'other.ts', 'x');
      await store.writeFile(
        linked.id,
        { path: 'alias.ts', language: null, size: 1, mtimeMs: 1, contentHash: 'alias' },
        [],
      );
      expect(
        (await store.readIndexedFile({ repository: 'linked', path: 'inner.ts' })).content,
      ).toBe('inside');
      const alias = await store.readIndexedFile({
        repository: 'linked',
        path: 'alias.ts',
        startLine: 2,
        endLine: 2,
      });
      expect(alias).toMatchObject({ content: 'line 2', changedSinceIndexed: true });
    } finally {
      await store.close();
    }
  });
});
