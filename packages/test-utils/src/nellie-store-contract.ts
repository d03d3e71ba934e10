import type { ChunkInput, EmbeddingModelInfo, NellieStore } from '@nellie/core';
import { afterEach, describe, expect, it } from 'vitest';
import { checkpointCodeCases } from './checkpoint-code-cases.ts';
import { createFakeEmbedder } from './fake-embedder.ts';

export interface NellieStoreContractOptions {
  /**
   * Opens a new, empty store. `embedding` null means lexical only (vectors disabled).
   * The suite closes every store it opens.
   */
  create(embedding: EmbeddingModelInfo | null): Promise<NellieStore>;
  /**
   * Whether checkpoints record their code (git position, named files) and report `changesSince`
   * (default true). The in-memory fake does not, which core's contract allows (the fields are
   * optional); every real store must.
   */
  checkpointCode?: boolean;
}

const dimensions = 16;

function chunk(content: string, extra: Partial<ChunkInput> = {}): ChunkInput {
  const lines = content.split('\n').length;
  return { startLine: 1, endLine: lines, content, ...extra };
}

function file(path: string, language = 'typescript') {
  return { path, language, size: 100, mtimeMs: 1_700_000_000_000, contentHash: `hash-of-${path}` };
}

/**
 * The behaviour every NellieStore must show. Run it from an implementation's tests:
 * `nellieStoreContract('sqlite (temp file)', { create: (embedding) => createSqliteStore(...) })`.
 */
export function nellieStoreContract(name: string, options: NellieStoreContractOptions): void {
  describe(`NellieStore contract: ${name}`, () => {
    const opened: NellieStore[] = [];
    const embedder = createFakeEmbedder({ dimensions });
    const model = { modelId: embedder.modelId, dimensions };

    async function open(embedding: EmbeddingModelInfo | null = model): Promise<NellieStore> {
      const store = await options.create(embedding);
      opened.push(store);
      return store;
    }

    afterEach(async () => {
      await Promise.all(opened.splice(0).map((store) => store.close()));
    });

    /** Embeds every pending item with the fake embedder, like the indexer's pump. */
    async function embedPending(store: NellieStore): Promise<number> {
      let total = 0;
      for (;;) {
        const pending = await store.pendingEmbeddings(100);
        if (pending.length === 0) return total;
        const vectors = await embedder.embed(pending.map((item) => item.text));
        await store.putEmbeddings(
          pending.map((item, index) => ({
            contentHash: item.contentHash,
            vector: vectors[index]!,
          })),
        );
        total += pending.length;
      }
    }

    async function seed(store: NellieStore) {
      const repo = await store.upsertRepository({ rootPath: '/work/projects/shop', name: 'shop' });
      await store.writeFile(repo.id, file('src/users/user-service.ts'), [
        chunk('export function getUserById(id: string) {\n  return db.users.find(id);\n}', {
          symbolName: 'getUserById',
          symbolKind: 'function',
          enclosingSymbol: 'UserService',
        }),
        chunk('export function listUsers() {\n  return db.users.all();\n}', {
          startLine: 5,
          endLine: 7,
          symbolName: 'listUsers',
          symbolKind: 'function',
        }),
      ]);
      await store.writeFile(repo.id, file('src/orders/orders.py', 'python'), [
        chunk('def load_order(order_id):\n    return ORDERS[order_id]', {
          symbolName: 'load_order',
          symbolKind: 'function',
        }),
      ]);
      await store.writeFile(repo.id, file('src/billing/invoice.ts'), [
        chunk('const total = invoice.lines.reduce((sum, line) => sum + line.amount, 0);'),
      ]);
      return repo;
    }

    describe('repositories and files', () => {
      it('upserts, finds by name or path, lists and renames repositories', async () => {
        const store = await open();
        const repo = await store.upsertRepository({ rootPath: '/work/projects/shop' });
        expect(repo).toMatchObject({
          name: 'shop',
          rootPath: '/work/projects/shop',
          lastIndexedAt: null,
        });
        expect(await store.upsertRepository({ rootPath: '/work/projects/shop' })).toEqual(repo);
        expect(await store.getRepository('shop')).toEqual(repo);
        expect(await store.getRepository('/work/projects/shop')).toEqual(repo);
        expect(await store.getRepository('nope')).toBeNull();
        const other = await store.upsertRepository({ rootPath: '/elsewhere/shop' });
        expect(other.name).not.toBe('shop');
        const renamed = await store.upsertRepository({
          rootPath: '/elsewhere/shop',
          name: 'shop-two',
        });
        expect(renamed.name).toBe('shop-two');
        await expect(
          store.upsertRepository({ rootPath: '/elsewhere/shop', name: 'shop' }),
        ).rejects.toMatchObject({ code: 'CONFLICT' });
        expect((await store.listRepositories()).map((entry) => entry.name)).toEqual([
          'shop',
          'shop-two',
        ]);
        await store.markRepositoryIndexed(repo.id, new Date('2030-01-02T03:04:05.000Z'));
        expect((await store.getRepository('shop'))?.lastIndexedAt).toBe('2030-01-02T03:04:05.000Z');
      });

      it('rejects a relative root path and unknown repository ids', async () => {
        const store = await open();
        await expect(store.upsertRepository({ rootPath: 'relative/dir' })).rejects.toMatchObject({
          code: 'INVALID_INPUT',
        });
        await expect(store.listFiles(999)).rejects.toMatchObject({ code: 'NOT_FOUND' });
        await expect(store.writeFile(999, file('a.ts'), [])).rejects.toMatchObject({
          code: 'NOT_FOUND',
        });
        await expect(store.deleteRepository(999)).rejects.toMatchObject({ code: 'NOT_FOUND' });
      });

      it('writes, replaces, touches and deletes files with their chunks', async () => {
        const store = await open();
        const repo = await seed(store);
        const files = await store.listFiles(repo.id);
        expect(files.map((entry) => entry.path)).toEqual([
          'src/billing/invoice.ts',
          'src/orders/orders.py',
          'src/users/user-service.ts',
        ]);
        expect(files[2]).toMatchObject({
          repositoryId: repo.id,
          language: 'typescript',
          size: 100,
        });

        const [hit] = await store.searchCode({ query: 'getUserById' });
        const stored = await store.getChunk(hit!.chunkId);
        expect(stored).toMatchObject({
          path: 'src/users/user-service.ts',
          symbolName: 'getUserById',
          enclosingSymbol: 'UserService',
          repositoryId: repo.id,
        });
        expect(stored?.contentHash).toMatch(/^[0-9a-f]{64}$/);

        await store.writeFile(repo.id, file('src/users/user-service.ts'), [
          chunk('export function findCustomer(email: string) {}', { symbolName: 'findCustomer' }),
        ]);
        expect(await store.getChunk(hit!.chunkId)).toBeNull();
        const symbols = async (query: string) =>
          (await store.searchCode({ query })).map((entry) => entry.symbolName);
        expect(await symbols('getUserById')).not.toContain('getUserById');
        expect((await symbols('findCustomer'))[0]).toBe('findCustomer');

        await store.touchFile(repo.id, 'src/users/user-service.ts', { size: 7, mtimeMs: 42 });
        const touched = (await store.listFiles(repo.id)).find((entry) =>
          entry.path.endsWith('user-service.ts'),
        );
        expect(touched).toMatchObject({ size: 7, mtimeMs: 42 });
        await expect(
          store.touchFile(repo.id, 'src/missing.ts', { size: 1, mtimeMs: 1 }),
        ).rejects.toMatchObject({ code: 'NOT_FOUND' });

        expect(
          await store.deleteFiles(repo.id, ['src/users/user-service.ts', 'src/missing.ts']),
        ).toBe(1);
        expect(await symbols('findCustomer')).not.toContain('findCustomer');
        expect((await store.listFiles(repo.id)).length).toBe(2);
      });

      it('rejects paths that leave the repository and malformed chunks', async () => {
        const store = await open();
        const repo = await store.upsertRepository({ rootPath: '/work/projects/shop' });
        for (const path of ['../etc/passwd', '/abs/file.ts', 'a/./b.ts', 'a\\b.ts', '']) {
          await expect(store.writeFile(repo.id, file(path), [])).rejects.toMatchObject({
            code: 'INVALID_INPUT',
          });
        }
        await expect(
          store.writeFile(repo.id, file('a.ts'), [{ startLine: 5, endLine: 2, content: 'x' }]),
        ).rejects.toMatchObject({ code: 'INVALID_INPUT' });
        expect(await store.listFiles(repo.id)).toEqual([]);
      });

      it('deleting a repository removes its files and search entries', async () => {
        const store = await open();
        const repo = await seed(store);
        await store.deleteRepository(repo.id);
        expect(await store.listRepositories()).toEqual([]);
        expect(await store.searchCode({ query: 'getUserById' })).toEqual([]);
        expect((await store.stats()).chunks).toBe(0);
      });
    });

    describe('code search', () => {
      it('finds identifiers whole and by parts in every naming style', async () => {
        const store = await open();
        await seed(store);
        for (const query of [
          'getUserById',
          'get_user_by_id',
          'GetUserByID',
          'get user by id',
          'get-user-by-id',
          'UserById',
        ]) {
          const hits = await store.searchCode({ query });
          expect(hits[0]?.symbolName, query).toBe('getUserById');
        }
        expect((await store.searchCode({ query: 'loadOrder' }))[0]?.symbolName).toBe('load_order');
      });

      it('returns hits with location, symbol, scores and freshness', async () => {
        const store = await open();
        await seed(store);
        const [hit] = await store.searchCode({ query: 'listUsers' });
        expect(hit).toMatchObject({
          repository: 'shop',
          path: 'src/users/user-service.ts',
          startLine: 5,
          endLine: 7,
          symbolName: 'listUsers',
          symbolKind: 'function',
          language: 'typescript',
          content: 'export function listUsers() {\n  return db.users.all();\n}',
        });
        expect(hit!.score).toBeGreaterThan(0);
        expect(hit!.scores.fused).toBe(hit!.score);
        expect(hit!.scores.lexical?.rank).toBe(1);
        expect(hit!.scores.vector).toBeUndefined();
        expect(Date.parse(hit!.freshness.indexedAt)).not.toBeNaN();
        // The repository root does not exist on disk, so the file counts as changed.
        expect(hit!.freshness.changedSinceIndexed).toBe(true);
      });

      it('filters by repository, language and path glob', async () => {
        const store = await open();
        await seed(store);
        const other = await store.upsertRepository({ rootPath: '/work/projects/admin' });
        await store.writeFile(other.id, file('src/admin-users.ts'), [
          chunk('function listUsers() { return admins; }', { symbolName: 'listUsers' }),
        ]);
        const all = await store.searchCode({ query: 'users' });
        expect(new Set(all.map((hit) => hit.repository))).toEqual(new Set(['shop', 'admin']));
        const admin = await store.searchCode({ query: 'users', repository: 'admin' });
        expect(admin.map((hit) => hit.repository)).toEqual(['admin']);
        const byPath = await store.searchCode({
          query: 'users',
          repository: '/work/projects/admin',
        });
        expect(byPath.map((hit) => hit.repository)).toEqual(['admin']);
        // A filter that matches nothing is an error naming what exists, never an empty answer.
        const unknownRepository = store.searchCode({ query: 'users', repository: 'unknown' });
        await expect(unknownRepository).rejects.toMatchObject({ code: 'NOT_FOUND' });
        await expect(unknownRepository).rejects.toThrow(/admin, shop/);

        const python = await store.searchCode({ query: 'order', language: 'python' });
        expect(python.map((hit) => hit.path)).toEqual(['src/orders/orders.py']);
        const rust = store.searchCode({ query: 'order', language: 'rust' });
        await expect(rust).rejects.toMatchObject({ code: 'NOT_FOUND' });
        await expect(rust).rejects.toThrow(/Languages indexed: python, typescript/);
        // Within one repository, a language indexed only elsewhere matches nothing there.
        await expect(
          store.searchCode({ query: 'order', repository: 'admin', language: 'python' }),
        ).rejects.toMatchObject({ code: 'NOT_FOUND' });
        const noPath = store.searchCode({ query: 'users', pathGlob: 'lib/**' });
        await expect(noPath).rejects.toMatchObject({ code: 'NOT_FOUND' });
        await expect(noPath).rejects.toThrow(/No indexed path matches the glob "lib\/\*\*"/);
        // Filters that each match but not together still answer (empty).
        expect(
          await store.searchCode({ query: 'order', language: 'typescript', pathGlob: '*.py' }),
        ).toEqual([]);

        const glob = await store.searchCode({ query: 'users', pathGlob: 'src/users/**' });
        expect(glob.every((hit) => hit.path.startsWith('src/users/'))).toBe(true);
        expect(glob.length).toBeGreaterThan(0);
        const base = await store.searchCode({ query: 'order', pathGlob: '*.py' });
        expect(base.map((hit) => hit.path)).toEqual(['src/orders/orders.py']);
      });

      it('treats quotes and SQL in filters and queries as plain values', async () => {
        const store = await open();
        await seed(store);
        const hostile = [
          `x' OR '1'='1`,
          `"; DROP TABLE chunks; --`,
          `') OR 1=1 --`,
          'NEAR(a b) OR *',
        ];
        for (const value of hostile) {
          for (const filter of ['language', 'repository', 'pathGlob']) {
            await expect(
              store.searchCode({ query: 'users', [filter]: value }),
            ).rejects.toMatchObject({ code: 'NOT_FOUND' });
          }
          await expect(store.searchCode({ query: value })).resolves.toBeInstanceOf(Array);
        }
        expect((await store.searchCode({ query: 'getUserById' })).length).toBeGreaterThan(0);
        expect((await store.stats()).chunks).toBe(4);
      });

      it('validates requests with actionable errors', async () => {
        const store = await open();
        await seed(store);
        const invalid = [
          { query: '' },
          { query: '   ' },
          { query: 'users', limit: 0 },
          { query: 'users', limit: 101 },
          { query: 'users', limit: 2.5 },
          { query: 'users', queryVector: new Float32Array(dimensions + 1).fill(0.1) },
          { query: 'users', queryVector: new Float32Array(dimensions).fill(Number.NaN) },
          { query: 'users', queryVector: new Float32Array(dimensions) },
          { query: 'users', lang: 'python' },
          { query: 'x'.repeat(1_000_000) },
        ];
        for (const request of invalid) {
          await expect(
            store.searchCode(request as Parameters<NellieStore['searchCode']>[0]),
          ).rejects.toMatchObject({ code: 'INVALID_INPUT' });
        }
        // Words that are all punctuation simply match nothing.
        expect(await store.searchCode({ query: '?!' })).toEqual([]);
      });

      it('searches lexically before any vector exists, and without a model', async () => {
        const lexicalOnly = await open(null);
        await seed(lexicalOnly);
        expect(lexicalOnly.embeddingModel).toBeNull();
        expect(await lexicalOnly.pendingEmbeddings(10)).toEqual([]);
        expect((await lexicalOnly.searchCode({ query: 'listUsers' }))[0]?.symbolName).toBe(
          'listUsers',
        );
        await expect(
          lexicalOnly.searchCode({
            query: 'users',
            queryVector: new Float32Array(dimensions).fill(0.25),
          }),
        ).rejects.toMatchObject({ code: 'INVALID_INPUT' });

        const withModel = await open();
        await seed(withModel);
        const [queryVector] = await embedder.embed(['users']);
        const hits = await withModel.searchCode({ query: 'listUsers', queryVector });
        expect(hits[0]?.symbolName).toBe('listUsers');
        expect(hits.every((hit) => hit.scores.vector === undefined)).toBe(true);
      });

      it('fuses lexical and vector ranks once vectors exist', async () => {
        const store = await open();
        await seed(store);
        await embedPending(store);
        const [queryVector] = await embedder.embed(['invoice lines amount total']);
        const vectorOnly = await store.searchCode({ query: '', queryVector, limit: 3 });
        expect(vectorOnly[0]?.path).toBe('src/billing/invoice.ts');
        expect(vectorOnly[0]?.scores.vector?.rank).toBe(1);
        expect(vectorOnly[0]?.scores.vector?.similarity).toBeGreaterThan(0);
        expect(vectorOnly[0]?.scores.lexical).toBeUndefined();

        const hybrid = await store.searchCode({ query: 'invoice', queryVector, limit: 4 });
        expect(hybrid[0]?.path).toBe('src/billing/invoice.ts');
        expect(hybrid[0]?.scores.lexical?.rank).toBe(1);
        expect(hybrid[0]?.scores.vector?.rank).toBe(1);
        expect(hybrid[0]!.score).toBeGreaterThan(hybrid[1]!.score);
        const scores = hybrid.map((hit) => hit.score);
        expect(scores).toEqual([...scores].sort((a, b) => b - a));
        const filtered = await store.searchCode({ query: '', queryVector, language: 'python' });
        expect(filtered.map((hit) => hit.path)).toEqual(['src/orders/orders.py']);
      });

      it('honours limit and an aborted signal', async () => {
        const store = await open();
        await seed(store);
        expect(await store.searchCode({ query: 'users orders invoice', limit: 1 })).toHaveLength(1);
        const controller = new AbortController();
        controller.abort();
        await expect(
          store.searchCode({ query: 'users', signal: controller.signal }),
        ).rejects.toMatchObject({ code: 'ABORTED' });
      });
    });

    describe('embeddings', () => {
      it('lists chunks, lessons and checkpoints without vectors and embeds identical content once', async () => {
        const store = await open();
        const repo = await seed(store);
        await store.writeFile(repo.id, file('src/copy-of-users.ts'), [
          chunk('export function listUsers() {\n  return db.users.all();\n}', {
            symbolName: 'listUsers',
          }),
        ]);
        await store.addLesson({
          title: 'Batch user lookups',
          content: 'Never call getUserById in a loop.',
        });
        await store.addCheckpoint({ agent: 'agent-1', workingOn: 'refactoring user lookups' });
        const pending = await store.pendingEmbeddings(100);
        // 5 chunks, one a copy of another, plus a lesson and a checkpoint.
        expect(pending).toHaveLength(6);
        expect(new Set(pending.map((item) => item.contentHash)).size).toBe(6);
        expect(pending.some((item) => item.text.includes('getUserById'))).toBe(true);
        expect(pending.some((item) => item.text.startsWith('Batch user lookups'))).toBe(true);
        expect(pending.some((item) => item.text.startsWith('refactoring user lookups'))).toBe(true);
        expect(await store.pendingEmbeddings(2)).toHaveLength(2);

        expect(await embedPending(store)).toBe(6);
        expect(await store.pendingEmbeddings(100)).toEqual([]);
        const stats = await store.stats();
        expect(stats).toMatchObject({ chunks: 5, chunksWithVectors: 5, chunksPendingEmbedding: 0 });

        // A re-index with the same content needs no new vectors.
        await store.writeFile(repo.id, file('src/users/user-service.ts'), [
          chunk('export function listUsers() {\n  return db.users.all();\n}', {
            symbolName: 'listUsers',
          }),
        ]);
        expect(await store.pendingEmbeddings(100)).toEqual([]);
        await store.writeFile(repo.id, file('src/new.ts'), [chunk('const fresh = 1;')]);
        expect((await store.pendingEmbeddings(100)).map((item) => item.text)).toEqual([
          'src/new.ts\nconst fresh = 1;',
        ]);
      });

      it('rejects a bad batch as a whole', async () => {
        const store = await open();
        await seed(store);
        const pending = await store.pendingEmbeddings(100);
        const good = pending.map((item) => ({
          contentHash: item.contentHash,
          vector: new Float32Array(dimensions).fill(0.25),
        }));
        const wrongWidth = [
          ...good.slice(1),
          { contentHash: pending[0]!.contentHash, vector: new Float32Array(3).fill(1) },
        ];
        await expect(store.putEmbeddings(wrongWidth)).rejects.toMatchObject({
          code: 'DIMENSION_MISMATCH',
        });
        const nan = new Float32Array(dimensions).fill(0.25);
        nan[3] = Number.NaN;
        await expect(
          store.putEmbeddings([
            ...good.slice(1),
            { contentHash: pending[0]!.contentHash, vector: nan },
          ]),
        ).rejects.toMatchObject({ code: 'INVALID_INPUT' });
        await expect(
          store.putEmbeddings([
            { contentHash: 'not-a-hash', vector: new Float32Array(dimensions).fill(1) },
          ]),
        ).rejects.toMatchObject({ code: 'INVALID_INPUT' });
        expect(await store.pendingEmbeddings(100)).toHaveLength(pending.length);
        await store.putEmbeddings(good);
        expect(await store.pendingEmbeddings(100)).toEqual([]);
        await expect(store.pendingEmbeddings(0)).rejects.toMatchObject({ code: 'INVALID_INPUT' });
      });

      it('keeps a vector shared by two chunks until the last one goes', async () => {
        const store = await open();
        const repo = await store.upsertRepository({ rootPath: '/work/projects/shop' });
        const shared = chunk('export const retries = 3;');
        await store.writeFile(repo.id, file('a.ts'), [shared]);
        await store.writeFile(repo.id, file('b.ts'), [shared]);
        expect(await embedPending(store)).toBe(1);
        await store.deleteFiles(repo.id, ['a.ts']);
        expect(await store.pendingEmbeddings(10)).toEqual([]);
        const [queryVector] = await embedder.embed(['retries']);
        expect((await store.searchCode({ query: '', queryVector }))[0]?.path).toBe('b.ts');
        await store.deleteFiles(repo.id, ['b.ts']);
        // The orphaned vector is gone: the same content written again must be embedded again.
        await store.writeFile(repo.id, file('c.ts'), [shared]);
        expect(await store.pendingEmbeddings(10)).toHaveLength(1);
      });
    });

    describe('lessons', () => {
      it('adds, reads, updates, lists, filters and deletes lessons', async () => {
        const store = await open();
        const first = await store.addLesson({
          title: 'Close database handles in tests',
          content: 'Leaked better-sqlite3 handles keep vitest from exiting.',
          tags: ['testing', 'sqlite', 'Testing'],
          severity: 'warning',
          repository: 'shop',
          agent: 'agent-1',
        });
        expect(first).toMatchObject({
          severity: 'warning',
          tags: ['testing', 'sqlite'],
          repository: 'shop',
        });
        expect(first.createdAt).toBe(first.updatedAt);
        const second = await store.addLesson({
          title: 'Prefer named exports',
          content: 'Explicit exports in index.ts.',
        });
        expect(second).toMatchObject({ severity: 'info', tags: [], repository: null, agent: null });
        expect(await store.getLesson(first.id)).toEqual(first);
        expect(await store.getLesson('missing')).toBeNull();

        const page = await store.listLessons();
        expect(page.total).toBe(2);
        expect(page.items.map((lesson) => lesson.id)).toEqual([second.id, first.id]);
        expect(
          (await store.listLessons({ tags: ['SQLite'] })).items.map((lesson) => lesson.id),
        ).toEqual([first.id]);
        expect((await store.listLessons({ tags: ['sqlite', 'other'] })).total).toBe(0);
        expect(
          (await store.listLessons({ severity: 'warning', agent: 'agent-1', repository: 'shop' }))
            .total,
        ).toBe(1);
        expect(
          (await store.listLessons({ limit: 1, offset: 1 })).items.map((lesson) => lesson.id),
        ).toEqual([first.id]);

        const updated = await store.updateLesson(first.id, {
          severity: 'critical',
          tags: ['sqlite'],
        });
        expect(updated).toMatchObject({
          id: first.id,
          severity: 'critical',
          tags: ['sqlite'],
          title: first.title,
        });
        expect(await store.getLesson(first.id)).toEqual(updated);
        await expect(store.updateLesson('missing', { title: 'x' })).rejects.toMatchObject({
          code: 'NOT_FOUND',
        });
        await expect(store.addLesson({ title: '', content: 'x' })).rejects.toMatchObject({
          code: 'INVALID_INPUT',
        });
        await expect(
          store.addLesson({ title: 'x', content: 'y', severity: 'fatal' as never }),
        ).rejects.toMatchObject({ code: 'INVALID_INPUT' });

        expect(await store.deleteLesson(first.id)).toBe(true);
        expect(await store.deleteLesson(first.id)).toBe(false);
        expect((await store.listLessons()).total).toBe(1);
      });

      it('searches lessons lexically and by vector, with filters', async () => {
        const store = await open();
        const sqlite = await store.addLesson({
          title: 'SQLite busy errors',
          content: 'Set busy_timeout so concurrent writers wait instead of failing.',
          tags: ['sqlite'],
          severity: 'critical',
        });
        await store.addLesson({
          title: 'Prettier width',
          content: 'Lines wrap at 100 characters.',
          tags: ['style'],
        });
        const [hit] = await store.searchLessons({ query: 'busy timeout' });
        expect(hit?.lesson.id).toBe(sqlite.id);
        expect(hit?.scores.lexical?.rank).toBe(1);
        expect(await store.searchLessons({ query: 'busy timeout', severity: 'info' })).toEqual([]);
        expect(await store.searchLessons({ query: 'busy timeout', tags: ['style'] })).toEqual([]);

        await embedPending(store);
        const [queryVector] = await embedder.embed(['concurrent writers wait']);
        const [byVector] = await store.searchLessons({ query: '', queryVector });
        expect(byVector?.lesson.id).toBe(sqlite.id);
        expect(byVector?.scores.vector?.rank).toBe(1);
        await expect(store.searchLessons({ query: '' })).rejects.toMatchObject({
          code: 'INVALID_INPUT',
        });

        // An edited lesson needs a new vector.
        await store.updateLesson(sqlite.id, { content: 'Use WAL and busy_timeout.' });
        expect(await store.pendingEmbeddings(10)).toHaveLength(1);
      });
    });

    describe('anchors', () => {
      const upload = [
        'export async function retryUpload(file: Blob) {',
        '  return send(file, { retries: 3 });',
        '}',
      ].join('\n');
      const uploadChanged = [
        'export async function retryUpload(file: Blob, retries = 3) {',
        '  if (retries === 0) throw new Error("gave up");',
        '  return send(file, { retries });',
        '}',
      ].join('\n');
      const helper = 'export function formatSize(bytes: number) {\n  return `${bytes} B`;\n}';

      async function shop(store: NellieStore) {
        const repository = await store.upsertRepository({ rootPath: '/work/shop', name: 'shop' });
        await store.writeFile(repository.id, file('src/upload.ts'), [
          chunk(helper, { symbolName: 'formatSize', symbolKind: 'function' }),
          chunk(upload, { startLine: 5, endLine: 7, symbolName: 'retryUpload' }),
        ]);
        await store.writeFile(repository.id, file('src/a/log.ts'), [
          chunk('export function logLine() {}', { symbolName: 'logLine' }),
        ]);
        await store.writeFile(repository.id, file('src/b/log.ts'), [
          chunk('export function logLine() {}', { symbolName: 'logLine' }),
        ]);
        return repository;
      }

      it('follows an anchored symbol as it changes, moves and disappears', async () => {
        const store = await open();
        const repository = await shop(store);
        const lesson = await store.addLesson({
          title: 'Never retry uploads on 4xx',
          content: 'The CDN bans clients that retry client errors.',
          severity: 'critical',
          anchors: [{ repository: 'shop', path: 'src/upload.ts', symbol: 'retryUpload' }],
        });
        expect(lesson.staleness).toBe('current');
        expect(lesson.anchors).toEqual([
          expect.objectContaining({
            repository: 'shop',
            path: 'src/upload.ts',
            symbol: 'retryUpload',
            startLine: 5,
            endLine: 7,
            state: 'current',
            change: null,
            movedFrom: null,
            origin: 'explicit',
            contentHash: expect.stringMatching(/^[0-9a-f]{64}$/) as string,
          }),
        ]);

        await store.writeFile(repository.id, file('src/upload.ts'), [
          chunk(helper, { symbolName: 'formatSize' }),
          chunk(uploadChanged, { startLine: 6, endLine: 9, symbolName: 'retryUpload' }),
        ]);
        expect(await store.refreshAnchors(repository.id, ['src/upload.ts'])).toBe(1);
        const changed = (await store.getLesson(lesson.id))!;
        expect(changed.staleness).toBe('changed');
        expect(changed.anchors[0]).toMatchObject({
          state: 'changed',
          startLine: 6,
          endLine: 9,
          change: { linesAdded: 3, linesRemoved: 2, signatureChanged: true },
        });

        // Moved to another file: written there first, then removed from the old one.
        await store.writeFile(repository.id, file('src/net/upload.ts'), [
          chunk(upload, { startLine: 1, endLine: 3, symbolName: 'retryUpload' }),
        ]);
        await store.refreshAnchors(repository.id, ['src/net/upload.ts']);
        await store.writeFile(repository.id, file('src/upload.ts'), [
          chunk(helper, { symbolName: 'formatSize' }),
        ]);
        await store.refreshAnchors(repository.id, ['src/upload.ts']);
        const moved = (await store.getLesson(lesson.id))!;
        expect(moved.staleness).toBe('moved');
        expect(moved.anchors[0]).toMatchObject({
          path: 'src/net/upload.ts',
          movedFrom: 'src/upload.ts',
          startLine: 1,
          change: null,
        });

        // Writing the same code again changes nothing.
        await store.writeFile(repository.id, file('src/net/upload.ts'), [
          chunk(upload, { startLine: 1, endLine: 3, symbolName: 'retryUpload' }),
        ]);
        expect(await store.refreshAnchors(repository.id, ['src/net/upload.ts'])).toBe(0);
        expect((await store.getLesson(lesson.id))!.staleness).toBe('moved');

        await store.deleteFiles(repository.id, ['src/net/upload.ts']);
        await store.refreshAnchors(repository.id, ['src/net/upload.ts']);
        expect((await store.getLesson(lesson.id))!.staleness).toBe('gone');
        expect(await store.countLessonsByStaleness()).toEqual({
          current: 0,
          changed: 0,
          moved: 0,
          gone: 1,
        });

        // It comes back: the gone anchor finds it in the file that defines it now.
        await store.writeFile(repository.id, file('src/upload.ts'), [
          chunk(uploadChanged, { startLine: 1, endLine: 4, symbolName: 'retryUpload' }),
        ]);
        await store.refreshAnchors(repository.id, ['src/upload.ts']);
        expect((await store.getLesson(lesson.id))!.anchors[0]).toMatchObject({
          state: 'changed',
          path: 'src/upload.ts',
        });
        const confirmed = await store.confirmLesson(lesson.id);
        expect(confirmed.staleness).toBe('current');
        expect(confirmed.anchors[0]).toMatchObject({ state: 'current', change: null });
        await expect(store.confirmLesson('missing')).rejects.toMatchObject({ code: 'NOT_FOUND' });
      });

      it('anchors automatically to what the text names, only when it is unambiguous', async () => {
        const store = await open();
        await shop(store);
        const lesson = await store.addLesson({
          title: 'retryUpload must not retry 4xx',
          content: 'See `formatSize` too; logLine is defined twice; src/upload.ts is the file.',
        });
        expect(lesson.anchors.map((anchor) => [anchor.path, anchor.symbol, anchor.origin])).toEqual(
          [
            ['src/upload.ts', 'retryUpload', 'automatic'],
            ['src/upload.ts', 'formatSize', 'automatic'],
          ],
        );
        const byPath = await store.addLesson({
          title: 'Log format',
          content: 'Lines in log.ts and a/log.ts must stay JSON; see nowhere.ts.',
        });
        expect(byPath.anchors.map((anchor) => anchor.path)).toEqual(['src/a/log.ts']);
        const off = await store.addLesson({
          title: 'retryUpload again',
          content: 'No anchors wanted.',
          autoAnchor: false,
        });
        expect(off.anchors).toEqual([]);
        expect(off.staleness).toBeNull();
        const elsewhere = await store.addLesson({
          title: 'retryUpload in another repository',
          content: 'x',
          repository: 'not-indexed',
        });
        expect(elsewhere.anchors).toEqual([]);
      });

      it('confirms a checkpoint: changed anchors take the code now, gone ones are dropped', async () => {
        const store = await open();
        const repository = await shop(store);
        const saved = await store.addCheckpoint({
          agent: 'agent-1',
          workingOn: 'Making uploads give up',
          repository: 'shop',
          anchors: [
            { repository: 'shop', path: 'src/upload.ts', symbol: 'retryUpload' },
            { repository: 'shop', path: 'src/a/log.ts' },
          ],
        });
        await store.writeFile(repository.id, file('src/upload.ts'), [
          chunk(helper, { symbolName: 'formatSize' }),
          chunk(uploadChanged, { startLine: 6, endLine: 9, symbolName: 'retryUpload' }),
        ]);
        await store.deleteFiles(repository.id, ['src/a/log.ts']);
        await store.refreshAnchors(repository.id, ['src/upload.ts', 'src/a/log.ts']);
        const stale = (await store.getCheckpoint(saved.id))!;
        expect(stale.anchors!.map((anchor) => anchor.state).sort()).toEqual(['changed', 'gone']);

        const confirmed = await store.confirmCheckpoint(saved.id);
        expect(confirmed).toMatchObject({ id: saved.id, staleness: 'current' });
        expect(confirmed.anchors).toEqual([
          expect.objectContaining({
            path: 'src/upload.ts',
            startLine: 6,
            endLine: 9,
            state: 'current',
            change: null,
          }),
        ]);
        expect(confirmed.anchors![0]!.contentHash).not.toBe(saved.anchors![0]!.contentHash);
        expect(await store.getCheckpoint(saved.id)).toMatchObject({
          staleness: 'current',
          anchors: [{ path: 'src/upload.ts', state: 'current' }],
        });

        // Confirmed code that changes again is stale again, measured from the confirmation.
        await store.writeFile(repository.id, file('src/upload.ts'), [
          chunk(helper, { symbolName: 'formatSize' }),
          chunk(upload, { startLine: 6, endLine: 8, symbolName: 'retryUpload' }),
        ]);
        await store.refreshAnchors(repository.id, ['src/upload.ts']);
        expect((await store.getCheckpoint(saved.id))!.staleness).toBe('changed');
      });

      it('refuses anchors that do not resolve, naming why', async () => {
        const store = await open();
        await shop(store);
        for (const anchor of [
          { repository: 'nope', path: 'src/upload.ts' },
          { repository: 'shop', path: 'src/missing.ts' },
          { repository: 'shop', path: 'src/upload.ts', symbol: 'missingFunction' },
          { repository: 'shop', path: 'src/upload.ts', startLine: 100, endLine: 120 },
        ]) {
          await expect(
            store.addLesson({ title: 't', content: 'c', anchors: [anchor] }),
          ).rejects.toMatchObject({ code: 'INVALID_INPUT' });
        }
        expect((await store.listLessons()).total).toBe(0);
      });

      it('filters and down-ranks stale lessons, and tells code which lessons anchor to it', async () => {
        const store = await open();
        const repository = await shop(store);
        const stale = await store.addLesson({
          title: 'Upload retries',
          content: 'Upload retries stop at three.',
          severity: 'warning',
          anchors: [{ repository: 'shop', path: 'src/upload.ts', symbol: 'retryUpload' }],
        });
        const fresh = await store.addLesson({
          title: 'Upload sizes',
          content: 'Upload retries log the size.',
          anchors: [{ repository: 'shop', path: 'src/upload.ts', symbol: 'formatSize' }],
        });
        const loose = await store.addLesson({
          title: 'Upload notes',
          content: 'Upload retries.',
        });
        await store.writeFile(repository.id, file('src/upload.ts'), [
          chunk(helper, { symbolName: 'formatSize' }),
          chunk(uploadChanged, { startLine: 5, endLine: 8, symbolName: 'retryUpload' }),
        ]);
        await store.refreshAnchors(repository.id, ['src/upload.ts']);

        const ids = (page: { items: { id: string }[] }) => page.items.map((lesson) => lesson.id);
        expect(ids(await store.listLessons({ staleness: ['changed'] }))).toEqual([stale.id]);
        expect(ids(await store.listLessons({ staleness: ['current', 'changed'] }))).toEqual([
          fresh.id,
          stale.id,
        ]);
        expect((await store.listLessons()).items.map((lesson) => lesson.staleness)).toEqual([
          null,
          'current',
          'changed',
        ]);
        const hits = await store.searchLessons({ query: 'upload retries' });
        expect(hits.at(-1)?.lesson.id).toBe(stale.id);
        expect(hits.map((hit) => hit.lesson.id)).toContain(loose.id);
        expect(
          (await store.searchLessons({ query: 'upload', staleness: ['current'] })).map(
            (hit) => hit.lesson.id,
          ),
        ).toEqual([fresh.id]);
        await expect(store.listLessons({ staleness: ['stale' as never] })).rejects.toMatchObject({
          code: 'INVALID_INPUT',
        });

        expect(
          await store.lessonsAnchoredAt([
            { repository: 'shop', path: 'src/upload.ts', startLine: 1, endLine: 8 },
            { repository: 'shop', path: 'src/upload.ts', startLine: 6, endLine: 6 },
            { repository: 'shop', path: 'src/a/log.ts', startLine: 1, endLine: 1 },
          ]),
        ).toEqual([
          [
            { id: stale.id, title: 'Upload retries', severity: 'warning', staleness: 'changed' },
            { id: fresh.id, title: 'Upload sizes', severity: 'info', staleness: 'current' },
          ],
          [{ id: stale.id, title: 'Upload retries', severity: 'warning', staleness: 'changed' }],
          [],
        ]);
        expect(await store.countLessonsByStaleness()).toEqual({
          current: 1,
          changed: 1,
          moved: 0,
          gone: 0,
        });
        await store.deleteRepository(repository.id);
        expect((await store.getLesson(stale.id))!.anchors).toEqual([]);
      });
      it('anchors a checkpoint to code and keeps its staleness like a lesson', async () => {
        const store = await open();
        const repository = await shop(store);
        const saved = await store.addCheckpoint({
          agent: 'agent-1',
          workingOn: 'Making uploads give up',
          repository: 'shop',
          anchors: [{ repository: 'shop', path: 'src/upload.ts', symbol: 'retryUpload' }],
        });
        expect(saved).toMatchObject({
          staleness: 'current',
          anchors: [{ path: 'src/upload.ts', startLine: 5, endLine: 7, origin: 'explicit' }],
        });
        expect(saved.anchors).toHaveLength(1);
        const plain = await store.addCheckpoint({ agent: 'agent-2', workingOn: 'Reading' });
        expect(plain.anchors).toBeUndefined();
        expect(plain.staleness).toBeUndefined();

        await store.writeFile(repository.id, file('src/upload.ts'), [
          chunk(helper, { symbolName: 'formatSize' }),
          chunk(uploadChanged, { startLine: 6, endLine: 9, symbolName: 'retryUpload' }),
        ]);
        expect(await store.refreshAnchors(repository.id, ['src/upload.ts'])).toBe(1);
        const changed = (await store.getCheckpoint(saved.id))!;
        expect(changed.staleness).toBe('changed');
        expect(changed.anchors![0]).toMatchObject({ state: 'changed', startLine: 6, endLine: 9 });
        expect((await store.getRecentCheckpoints({ agent: 'agent-1' }))[0]).toMatchObject({
          staleness: 'changed',
        });
        expect(
          (await store.searchCheckpoints({ query: 'uploads give up' }))[0]?.checkpoint,
        ).toMatchObject({ id: saved.id, staleness: 'changed' });

        await store.deleteFiles(repository.id, ['src/upload.ts']);
        await store.refreshAnchors(repository.id, ['src/upload.ts']);
        expect((await store.getCheckpoint(saved.id))!.staleness).toBe('gone');
        // Checkpoints are not lessons: lesson staleness counts leave them out.
        expect(await store.countLessonsByStaleness()).toEqual({
          current: 0,
          changed: 0,
          moved: 0,
          gone: 0,
        });

        await expect(
          store.addCheckpoint({
            agent: 'agent-1',
            workingOn: 'Anchored to nothing',
            anchors: [{ repository: 'shop', path: 'src/missing.ts' }],
          }),
        ).rejects.toMatchObject({ code: 'INVALID_INPUT' });
        expect(await store.getRecentCheckpoints({ agent: 'agent-1' })).toHaveLength(1);
        expect(await store.deleteCheckpoint(saved.id)).toBe(true);
      });
    });

    describe('checkpoints and agent status', () => {
      it('confirms a checkpoint without anchors as it is, and refuses an unknown id', async () => {
        const store = await open();
        const saved = await store.addCheckpoint({ agent: 'agent-1', workingOn: 'Reading' });
        expect(await store.confirmCheckpoint(saved.id)).toEqual(
          await store.getCheckpoint(saved.id),
        );
        await expect(store.confirmCheckpoint('missing')).rejects.toMatchObject({
          code: 'NOT_FOUND',
        });
      });

      it('saves checkpoints and keeps the agent status in step', async () => {
        const store = await open();
        expect(await store.getAgentStatus('agent-1')).toEqual({
          agent: 'agent-1',
          status: 'idle',
          currentTask: null,
          lastCheckpointId: null,
          updatedAt: null,
        });
        const first = await store.addCheckpoint({
          agent: 'agent-1',
          workingOn: 'Migrating the billing module',
          state: { step: 2, files: ['billing.ts'] },
          repository: 'shop',
          sessionId: 'session-9',
        });
        expect(first).toMatchObject({
          status: 'in_progress',
          state: { step: 2, files: ['billing.ts'] },
          sessionId: 'session-9',
        });
        expect(await store.getAgentStatus('agent-1')).toMatchObject({
          status: 'in_progress',
          currentTask: 'Migrating the billing module',
          lastCheckpointId: first.id,
        });
        const done = await store.addCheckpoint({
          agent: 'agent-1',
          workingOn: 'Billing migrated',
          status: 'done',
        });
        expect(await store.getAgentStatus('agent-1')).toMatchObject({
          status: 'idle',
          currentTask: null,
          lastCheckpointId: done.id,
        });
        await store.addCheckpoint({
          agent: 'agent-2',
          workingOn: 'Writing docs',
          repository: 'docs',
        });

        expect(await store.getCheckpoint(first.id)).toEqual(first);
        expect(await store.getCheckpoint('missing')).toBeNull();
        expect((await store.getRecentCheckpoints()).map((checkpoint) => checkpoint.agent)).toEqual([
          'agent-2',
          'agent-1',
          'agent-1',
        ]);
        expect((await store.getRecentCheckpoints({ agent: 'agent-1', limit: 1 }))[0]?.id).toBe(
          done.id,
        );
        expect(
          (await store.getRecentCheckpoints({ repository: 'shop' })).map(
            (checkpoint) => checkpoint.id,
          ),
        ).toEqual([first.id]);
        if (store.countCheckpoints) {
          expect(await store.countCheckpoints()).toBe(3);
          expect(await store.countCheckpoints({ repository: 'shop' })).toBe(1);
          expect(await store.countCheckpoints({ agent: 'agent-1' })).toBe(2);
          expect(await store.countCheckpoints({ repository: 'nowhere' })).toBe(0);
          await expect(
            store.countCheckpoints({ limit: 1 } as { repository?: string }),
          ).rejects.toMatchObject({ code: 'INVALID_INPUT' });
        }
        expect((await store.listAgents()).map((agent) => agent.agent).sort()).toEqual([
          'agent-1',
          'agent-2',
        ]);

        // Deleting the newest checkpoint hands the status back to the previous one.
        expect(await store.deleteCheckpoint(done.id)).toBe(true);
        expect(await store.getAgentStatus('agent-1')).toMatchObject({
          status: 'in_progress',
          lastCheckpointId: first.id,
        });
        expect(await store.deleteCheckpoint(done.id)).toBe(false);
        await expect(store.addCheckpoint({ agent: '', workingOn: 'x' })).rejects.toMatchObject({
          code: 'INVALID_INPUT',
        });
      });

      it('searches checkpoints by text and vector', async () => {
        const store = await open();
        const billing = await store.addCheckpoint({
          agent: 'agent-1',
          workingOn: 'Migrating the billing module',
          state: { invoices: 'pending' },
        });
        await store.addCheckpoint({ agent: 'agent-2', workingOn: 'Writing the deployment guide' });
        expect((await store.searchCheckpoints({ query: 'invoices' }))[0]?.checkpoint.id).toBe(
          billing.id,
        );
        expect(await store.searchCheckpoints({ query: 'billing', agent: 'agent-2' })).toEqual([]);
        await embedPending(store);
        const [queryVector] = await embedder.embed(['billing module migration']);
        const [hit] = await store.searchCheckpoints({ query: 'billing', queryVector });
        expect(hit?.checkpoint.id).toBe(billing.id);
        expect(hit?.scores.vector).toBeDefined();
      });
    });

    if (options.checkpointCode !== false) checkpointCodeCases(() => open());

    describe('audit log and operations', () => {
      it('records and lists audit entries newest first with filters', async () => {
        const store = await open();
        await store.recordAudit({
          actor: 'local',
          channel: 'cli',
          action: 'index.start',
          target: '/repo',
          details: null,
        });
        await store.recordAudit({
          actor: 'key-1',
          channel: 'http',
          action: 'lesson.create',
          target: 'l-1',
          details: { tags: 2 },
        });
        const entries = await store.listAudit();
        expect(entries.map((entry) => entry.action)).toEqual(['lesson.create', 'index.start']);
        expect(entries[0]).toMatchObject({
          actor: 'key-1',
          channel: 'http',
          target: 'l-1',
          details: { tags: 2 },
        });
        expect(entries[0]!.id).toBeGreaterThan(entries[1]!.id);
        expect((await store.listAudit({ actor: 'local' })).map((entry) => entry.action)).toEqual([
          'index.start',
        ]);
        expect(await store.listAudit({ since: '2999-01-01T00:00:00Z' })).toEqual([]);
        expect(await store.listAudit({ limit: 1 })).toHaveLength(1);
        await expect(store.listAudit({ limit: 1001 })).rejects.toMatchObject({
          code: 'INVALID_INPUT',
        });
        await expect(
          store.recordAudit({
            actor: 'x',
            channel: 'smtp' as never,
            action: 'lesson.create',
            target: null,
            details: null,
          }),
        ).rejects.toMatchObject({ code: 'INVALID_INPUT' });
      });

      it('reports stats and integrity, and refuses use after close', async () => {
        const store = await open();
        await seed(store);
        await store.addLesson({ title: 'a', content: 'b' });
        await store.addCheckpoint({ agent: 'a', workingOn: 'b' });
        expect(await store.stats()).toMatchObject({
          repositories: 1,
          files: 3,
          chunks: 4,
          chunksWithVectors: 0,
          chunksPendingEmbedding: 4,
          lessons: 1,
          checkpoints: 1,
          embeddingModel: model,
        });
        expect(await store.integrityCheck()).toEqual({ ok: true, problems: [] });
        const report = await store.maintenance({ vacuum: 'always' });
        expect(report).toMatchObject({
          integrity: { ok: true },
          analyzed: true,
          ftsOptimized: true,
          vacuumed: true,
        });
        await store.close();
        await store.close();
        await expect(store.stats()).rejects.toMatchObject({ code: 'STORE_CLOSED' });
        await expect(store.searchCode({ query: 'users' })).rejects.toMatchObject({
          code: 'STORE_CLOSED',
        });
      });
    });
  });
}
