import { codeRanking } from '@nellie/storage/store-kit';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { createPostgresStore } from '../src/index.ts';
import { postgresFullText } from '../src/internal/code-search.ts';
import { randomVectors } from './generated-vectors.ts';
import { freshSchema } from './pglite-server.ts';

type Store = Awaited<ReturnType<typeof createPostgresStore>>;

const servers = [
  { engine: 'PostgreSQL', connectionString: inject('postgresWithoutPgvector') },
  { engine: 'PGlite', connectionString: inject('postgresWithPgvector') },
];

const file = (path: string, contentHash = path) => ({
  path,
  language: path.endsWith('.py') ? 'python' : 'typescript',
  size: 1,
  mtimeMs: 1,
  contentHash,
});

/** Rows of term_documents that differ from a count over the chunks themselves. */
async function termCountErrors(
  connectionString: string,
  schema: string,
): Promise<Record<string, unknown>[]> {
  const client = new pg.Client({ connectionString });
  await client.connect();
  try {
    const counted = `SELECT lexeme AS token, repository_id, coalesce(language, '') AS language,
        count(*)::bigint AS documents
      FROM "${schema}".chunks, unnest(tsvector_to_array(tokens)) AS lexeme GROUP BY 1, 2, 3`;
    const kept = `SELECT token::text, repository_id, language, documents
      FROM "${schema}".term_documents`;
    const { rows } = await client.query<Record<string, unknown>>(
      `(SELECT 'missing' AS error, * FROM (${counted} EXCEPT ${kept}) a)
       UNION ALL
       (SELECT 'extra', * FROM (${kept} EXCEPT ${counted}) b)
       ORDER BY 2, 3, 4`,
    );
    return rows;
  } finally {
    await client.end();
  }
}

async function countTerms(connectionString: string, schema: string): Promise<number> {
  const client = new pg.Client({ connectionString });
  await client.connect();
  try {
    const { rows } = await client.query<{ n: string }>(
      `SELECT count(*) AS n FROM "${schema}".term_documents`,
    );
    return Number(rows[0]!.n);
  } finally {
    await client.end();
  }
}

describe.each(servers)('full-text statistics and bounds on $engine', ({ connectionString }) => {
  it('keeps document frequencies exact through writes and deletes from two servers', async () => {
    const schema = freshSchema();
    const options = { connectionString, schema, maxConnections: 4 };
    await using first = await createPostgresStore(options);
    await using second = await createPostgresStore(options);
    const shop = await first.upsertRepository({ rootPath: '/work/projects/shop' });
    const blog = await second.upsertRepository({ rootPath: '/work/projects/blog' });
    const chunks = (words: string, count: number) =>
      Array.from({ length: count }, (_, index) => ({
        startLine: index + 1,
        endLine: index + 1,
        symbolName: `handle${index}`,
        content: `export function handle${index}(request) { return ${words} request; }`,
      }));

    // Both servers write files of the same repositories at once, sharing common words.
    await Promise.all(
      Array.from({ length: 12 }, (_, index) => {
        const store = index % 2 === 0 ? first : second;
        const repository = index % 3 === 0 ? blog : shop;
        const path = `src/handler${index}.${index % 4 === 0 ? 'py' : 'ts'}`;
        return store.writeFile(repository.id, file(path), chunks(`parse upload${index}`, 3));
      }),
    );
    expect(await termCountErrors(connectionString, schema)).toEqual([]);

    // Rewrites replace a file's chunks; deletes and a repository's removal cascade.
    await Promise.all([
      first.writeFile(shop.id, file('src/handler1.ts', 'b'), chunks('retry', 1)),
      second.writeFile(shop.id, file('src/handler2.ts', 'b'), chunks('parse parse', 5)),
      second.deleteFiles(shop.id, ['src/handler4.py', 'src/handler5.ts']),
    ]);
    expect(await termCountErrors(connectionString, schema)).toEqual([]);
    // A repository's removal drops its counts whole, next to another repository's writes.
    await Promise.all([
      first.deleteRepository(blog.id),
      second.writeFile(shop.id, file('src/handler13.ts'), chunks('parse retry', 2)),
      second.deleteFiles(shop.id, ['src/handler7.ts']),
    ]);
    expect(await termCountErrors(connectionString, schema)).toEqual([]);
    expect(await first.listRepositories()).toEqual([expect.objectContaining({ id: shop.id })]);
    const before = await countTerms(connectionString, schema);
    await second.deleteFiles(
      shop.id,
      [1, 2, 7, 8, 10, 11, 13].map(
        (index) => `src/handler${index}.${index % 4 === 0 ? 'py' : 'ts'}`,
      ),
    );
    expect(await termCountErrors(connectionString, schema)).toEqual([]);
    expect(before).toBeGreaterThan(0);
    // Words no chunk holds any more leave no row behind.
    expect(await countTerms(connectionString, schema)).toBe(0);
  });

  it('drops the word counts with the chunks when the store is emptied for an import', async () => {
    const schema = freshSchema();
    await using store = await createPostgresStore({ connectionString, schema });
    const shop = await store.upsertRepository({ rootPath: '/work/projects/shop' });
    const chunk = { startLine: 1, endLine: 1, content: 'export function parseUpload() {}' };
    await store.writeFile(shop.id, file('src/upload.ts'), [chunk]);
    expect(await countTerms(connectionString, schema)).toBeGreaterThan(0);
    await store.transfer.clear();
    expect(await countTerms(connectionString, schema)).toBe(0);
    const again = await store.upsertRepository({ rootPath: '/work/projects/shop' });
    await store.writeFile(again.id, file('src/upload.ts'), [chunk]);
    expect(await termCountErrors(connectionString, schema)).toEqual([]);
  });

  describe('with common words and a small scan bound', () => {
    const saved = {
      common: codeRanking.commonWordDocuments,
      scan: postgresFullText.newestScanRows,
      index: postgresFullText.indexMatchLimit,
      commonScans: postgresFullText.commonLevelScans,
    };
    beforeEach(() => {
      codeRanking.commonWordDocuments = 3;
      postgresFullText.newestScanRows = 5;
      postgresFullText.indexMatchLimit = 3;
    });
    afterEach(() => {
      codeRanking.commonWordDocuments = saved.common;
      postgresFullText.newestScanRows = saved.scan;
      postgresFullText.indexMatchLimit = saved.index;
      postgresFullText.commonLevelScans = saved.commonScans;
    });

    async function seed(store: Store) {
      const repo = await store.upsertRepository({ rootPath: '/work/projects/shop' });
      await store.writeFile(repo.id, file('src/headers.ts'), [
        {
          startLine: 1,
          endLine: 3,
          symbolName: 'parseRequestHeaders',
          content: 'export function parseRequestHeaders(request) {\n  return request.headers;\n}',
        },
      ]);
      // Twenty newer handlers, all with the words "parse" and "request".
      for (let index = 0; index < 20; index += 1) {
        await store.writeFile(repo.id, file(`src/handler${index}.ts`), [
          {
            startLine: 1,
            endLine: 1,
            symbolName: `handle${index}`,
            content: `export function handle${index}(request) { return parse(request); }`,
          },
        ]);
      }
      return repo;
    }

    it('finds an old definition through its rare word, past the newest chunks', async () => {
      await using store = await createPostgresStore({ connectionString, schema: freshSchema() });
      await seed(store);
      for (const query of ['parse request headers', 'request headers parser']) {
        const hits = await store.searchCode({ query, limit: 5 });
        expect(hits[0]).toMatchObject({
          path: 'src/headers.ts',
          symbolName: 'parseRequestHeaders',
        });
      }
      const scoped = await store.searchCode({
        query: 'parse request headers',
        limit: 5,
        repository: 'shop',
        language: 'typescript',
      });
      expect(scoped[0]).toMatchObject({ path: 'src/headers.ts' });
    });

    it('weighs words inside a path glob, counting rare ones and estimating common ones', async () => {
      await using store = await createPostgresStore({ connectionString, schema: freshSchema() });
      await seed(store);
      postgresFullText.newestScanRows = 100;
      // "request" is common (21 chunks), "headers" rare: both weighed inside the glob.
      const hits = await store.searchCode({
        query: 'request headers',
        limit: 5,
        pathGlob: 'src/h*.ts',
      });
      expect(hits[0]).toMatchObject({ path: 'src/headers.ts' });
      const inGlob = await store.searchCode({
        query: 'parse request',
        limit: 30,
        pathGlob: 'src/handler1*.ts',
      });
      expect(inGlob.map((hit) => hit.path).sort()).toEqual(
        [1, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19].map((index) => `src/handler${index}.ts`).sort(),
      );
    });

    /** A store on its own pool, counting the newest-chunk scans its searches run. */
    async function countingStore(options: { embedding?: { modelId: string; dimensions: number } }) {
      const pool = new pg.Pool({ connectionString, max: 2 });
      const scans: string[] = [];
      const query = pool.query.bind(pool) as (...args: unknown[]) => unknown;
      (pool as unknown as { query: (...args: unknown[]) => unknown }).query = (...args) => {
        const text = (args[0] as { text?: string }).text ?? String(args[0]);
        if (text.includes('n.tokens @@')) scans.push(text);
        return query(...args);
      };
      const store = await createPostgresStore({ pool, schema: freshSchema(), ...options });
      return {
        store,
        scans,
        async [Symbol.asyncDispose]() {
          await store.close();
          await pool.end();
        },
      };
    }

    it('scans one level of common words only when the newest chunks do not cover the store', async () => {
      postgresFullText.commonLevelScans = 1;
      await using counting = await countingStore({});
      await seed(counting.store);
      // "parse" and "request" are common: the strict level, the loose one and the file-name
      // lookup are all for common words only; the strict level is scanned.
      const hits = await counting.store.searchCode({ query: 'parse request', limit: 10 });
      expect(hits.length).toBeGreaterThan(0);
      expect(counting.scans).toHaveLength(1);
      // A store the scan covers scans all three, as the pool is not full: both levels in one
      // read of the newest chunks, then the file-name lookup.
      postgresFullText.newestScanRows = 100;
      counting.scans.length = 0;
      const covered = await counting.store.searchCode({ query: 'parse request', limit: 10 });
      expect(counting.scans).toHaveLength(2);
      expect(counting.scans[0]).toContain('OVER newest');
      expect(covered.length).toBeGreaterThanOrEqual(hits.length);
    });

    it('scans no level of common words when the vector list fills the pool', async () => {
      const dimensions = 4;
      await using counting = await countingStore({
        embedding: { modelId: 'generated-vectors', dimensions },
      });
      const { store } = counting;
      const repo = await store.upsertRepository({ rootPath: '/work/projects/shop' });
      const chunks = Array.from({ length: 60 }, (_, index) => ({
        startLine: index + 1,
        endLine: index + 1,
        symbolName: `handle${index}`,
        content: `export function handle${index}(request) { return parse(request); }`,
      }));
      await store.writeFile(repo.id, file('src/handlers.ts'), chunks);
      const vectors = randomVectors(60, 7, dimensions);
      const pending = await store.pendingEmbeddings(100);
      expect(pending).toHaveLength(60);
      await store.putEmbeddings(
        pending.map((item, index) => ({ contentHash: item.contentHash, vector: vectors[index]! })),
      );
      await store.syncVectorIndex();
      const queryVector = vectors[3]!;
      const hybrid = await store.searchCode({ query: 'parse request', limit: 10, queryVector });
      expect(hybrid).toHaveLength(10);
      expect(counting.scans).toHaveLength(0);
      // Without vectors both levels are scanned in one read, then the file-name lookup.
      await store.searchCode({ query: 'parse request', limit: 10 });
      expect(counting.scans).toHaveLength(2);
    });

    it('looks for common words among the newest chunks only', async () => {
      await using store = await createPostgresStore({ connectionString, schema: freshSchema() });
      await seed(store);
      const newest = new Set([15, 16, 17, 18, 19].map((index) => `src/handler${index}.ts`));
      const hits = await store.searchCode({ query: 'parse request', limit: 10 });
      expect(hits.length).toBeGreaterThan(0);
      for (const hit of hits) expect(newest).toContain(hit.path);
      // Raised above the store's size, the bound finds every match again.
      postgresFullText.newestScanRows = 100;
      const all = await store.searchCode({ query: 'parse request', limit: 30 });
      expect(all.map((hit) => hit.path)).toContain('src/handler0.ts');
    });
  });
});
