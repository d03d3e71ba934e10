import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createFakeEmbedder } from '@nellie/test-utils';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { createPostgresStore, type PostgresStore } from '../src/index.ts';
import { freshSchema } from './pglite-server.ts';

const embedder = createFakeEmbedder({ dimensions: 8 });
const model = { modelId: embedder.modelId, dimensions: 8 };
const root = mkdtempSync(join(tmpdir(), 'nellie-pg-repos-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function open(): Promise<PostgresStore> {
  return createPostgresStore({
    connectionString: inject('postgresWithoutPgvector'),
    schema: freshSchema(),
    embedding: model,
    maxConnections: 2,
  });
}

/** Writes a real file under the repository root and indexes it as one chunk per line. */
async function indexFile(store: PostgresStore, id: number, path: string, content: string) {
  const absolute = join(root, path);
  mkdirSync(join(absolute, '..'), { recursive: true });
  writeFileSync(absolute, content);
  const info = statSync(absolute);
  await store.writeFile(
    id,
    { path, language: 'typescript', size: info.size, mtimeMs: info.mtimeMs, contentHash: path },
    content.split('\n').map((line, index) => ({
      startLine: index + 1,
      endLine: index + 1,
      content: line,
    })),
  );
}

describe('PostgreSQL store: repositories as the server uses them', () => {
  it('lists repositories with counts, renames them and reads their indexed files', async () => {
    await using store = await open();
    const repo = await store.upsertRepository({ rootPath: root, name: 'shop' });
    await store.upsertRepository({ rootPath: join(root, 'gone'), name: 'gone' });
    await indexFile(store, repo.id, 'src/retry.ts', 'one\ntwo\nthree');

    expect(await store.listRepositorySummaries()).toMatchObject([
      { name: 'gone', files: 0, chunks: 0, state: 'missing' },
      { name: 'shop', files: 1, chunks: 3, chunksWithVectors: 0, state: 'ok' },
    ]);
    expect(await store.hasChunkVectors({ repository: 'shop' })).toBe(false);
    const pending = await store.pendingEmbeddings(10);
    const vectors = await embedder.embed(pending.map((item) => item.text));
    await store.putEmbeddings(
      pending.map((item, index) => ({ contentHash: item.contentHash, vector: vectors[index]! })),
    );
    expect(await store.hasChunkVectors({ repository: 'shop' })).toBe(true);
    expect(await store.hasChunkVectors({ repository: 'gone' })).toBe(false);
    expect(await store.hasChunkVectors({ language: 'python' })).toBe(false);

    expect(
      await store.readIndexedFile({ repository: 'shop', path: 'src/retry.ts', startLine: 2 }),
    ).toMatchObject({ content: 'two\nthree', startLine: 2, endLine: 3, totalLines: 3 });
    await expect(
      store.readIndexedFile({ repository: 'shop', path: 'src/other.ts' }),
    ).rejects.toMatchObject({ code: 'NOT_FOUND', message: /not indexed in repository shop/ });
    await expect(
      store.readIndexedFile({ repository: 'nowhere', path: 'src/retry.ts' }),
    ).rejects.toMatchObject({ code: 'NOT_FOUND', message: /gone, shop/ });

    expect(await store.renameRepository('shop', 'store')).toMatchObject({ name: 'store' });
    await expect(store.renameRepository('store', 'gone')).rejects.toMatchObject({
      code: 'CONFLICT',
    });
    await expect(store.renameRepository('store', ' ')).rejects.toMatchObject({
      code: 'INVALID_INPUT',
    });
    expect((await store.getRepository('store'))?.rootPath).toBe(root);
  });

  it('reports its pool: open, idle and waiting connections', async () => {
    await using store = await open();
    await store.listRepositories();
    expect(store.poolStatus()).toMatchObject({ waiting: 0, max: 2 });
    expect(store.poolStatus().total).toBeGreaterThanOrEqual(1);
  });

  it('closes a connection left unused for idleConnectionSeconds, and keeps it until then', async () => {
    const connectionString = inject('postgresWithoutPgvector');
    const schema = freshSchema();
    await using closing = await createPostgresStore({
      connectionString,
      schema,
      idleConnectionSeconds: 1,
    });
    await using keeping = await createPostgresStore({ connectionString, schema });
    await Promise.all([closing.listRepositories(), keeping.listRepositories()]);
    expect(closing.poolStatus().total).toBeGreaterThanOrEqual(1);
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(closing.poolStatus().total).toBe(0);
    expect(keeping.poolStatus().total).toBeGreaterThanOrEqual(1);
    await expect(
      createPostgresStore({ connectionString, schema, idleConnectionSeconds: -1 }),
    ).rejects.toMatchObject({ code: 'INVALID_OPTIONS', message: /idleConnectionSeconds/ });
  });
});

describe('PostgreSQL store: leases shared by several servers', () => {
  it('gives a lease to one holder at a time, and to another once it expired or was released', async () => {
    const schema = freshSchema();
    const options = { connectionString: inject('postgresWithoutPgvector'), schema };
    await using first = await createPostgresStore(options);
    await using second = await createPostgresStore(options);
    expect(await first.acquireLease('watch:/repo', 'server-a', 60_000)).toBe(true);
    expect(await second.acquireLease('watch:/repo', 'server-b', 60_000)).toBe(false);
    expect(await first.acquireLease('watch:/repo', 'server-a', 300)).toBe(true);
    expect(await second.acquireLease('watch:/other', 'server-b', 60_000)).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 400));
    // server-a stopped renewing: its lease expired and server-b takes it over.
    expect(await second.acquireLease('watch:/repo', 'server-b', 60_000)).toBe(true);
    expect(await first.acquireLease('watch:/repo', 'server-a', 60_000)).toBe(false);
    await second.releaseLease('watch:/repo', 'server-b');
    expect(await first.acquireLease('watch:/repo', 'server-a', 60_000)).toBe(true);
    await expect(first.acquireLease('', 'server-a', 1000)).rejects.toMatchObject({
      code: 'INVALID_INPUT',
    });
  });
});
