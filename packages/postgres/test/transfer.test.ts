import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { copyStore, NellieError, type NellieStore, type StoreTransfer } from '@nellie/core';
import { createSqliteStore, type SqliteStore } from '@nellie/storage';
import { createFakeEmbedder } from '@nellie/test-utils';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { createPostgresStore, type PostgresStore } from '../src/index.ts';
import { freshSchema } from './pglite-server.ts';

const embedder = createFakeEmbedder({ dimensions: 8 });
const model = { modelId: embedder.modelId, dimensions: 8 };
const root = mkdtempSync(join(tmpdir(), 'nellie-transfer-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const sources: Record<string, string> = {
  'src/users.ts':
    'export function getUserById(id: string) {\n  return db.users.find(id);\n}\n\nexport function deleteUser(id: string) {\n  return db.users.remove(id);\n}',
  'src/retry.ts':
    'export async function retryUpload(file: Blob) {\n  for (let attempt = 0; attempt < 3; attempt += 1) {\n    if (await send(file)) return;\n  }\n}',
  'lib/math.py': 'def factorial(n):\n    return 1 if n < 2 else n * factorial(n - 1)',
};

let counter = 0;
function sqlitePath(): string {
  counter += 1;
  return join(root, `store-${counter}.db`);
}

/** A SQLite store with two repositories, vectors, anchored lessons, checkpoints, keys, audit. */
async function seed(): Promise<{ store: SqliteStore; secret: string }> {
  const store = await createSqliteStore({ path: sqlitePath(), embedding: model });
  for (const name of ['shop', 'billing']) {
    const repoRoot = join(root, name);
    const repo = await store.upsertRepository({ rootPath: repoRoot, name });
    for (const [path, content] of Object.entries(sources)) {
      mkdirSync(join(repoRoot, path, '..'), { recursive: true });
      writeFileSync(join(repoRoot, path), content);
      await store.writeFile(
        repo.id,
        { path, language: null, size: content.length, mtimeMs: 1, contentHash: `${name}:${path}` },
        content.split('\n\n').map((part, index) => ({
          startLine: index * 10 + 1,
          endLine: index * 10 + part.split('\n').length,
          content: part,
          symbolName: /function (\w+)|def (\w+)/.exec(part)?.slice(1).find(Boolean) ?? null,
        })),
      );
    }
  }
  await store.addLesson({
    title: 'Retry uploads at most three times',
    content: 'The CDN bans clients that retry too often.',
    tags: ['upload', 'cdn'],
    severity: 'critical',
    repository: 'shop',
    anchors: [{ repository: 'shop', path: 'src/retry.ts', symbol: 'retryUpload' }],
  });
  await store.addLesson({
    title: 'Users are cached',
    content: 'For one minute.',
    autoAnchor: false,
  });
  await store.addCheckpoint({
    agent: 'claude',
    workingOn: 'Speed up factorial',
    state: { step: 'half' },
  });
  // Checkpoints know their code: the repository and the indexed files they name move too.
  await store.addCheckpoint({
    agent: 'gemini',
    repository: 'shop',
    workingOn: 'Retries in src/retry.ts',
    state: {},
    anchors: [{ repository: 'shop', path: 'src/retry.ts', symbol: 'retryUpload' }],
  });
  await store.addCheckpoint({ agent: 'codex', workingOn: 'User cache', state: {}, status: 'done' });
  await store.recordAudit({
    actor: 'ops',
    channel: 'cli',
    action: 'key.create',
    target: 'k',
    details: { scope: 'admin' },
  });
  const { secret } = await store.principals.createApiKey({
    principal: 'ops',
    scope: 'write',
    repositories: ['shop'],
  });
  for (;;) {
    const pending = await store.pendingEmbeddings(100);
    if (pending.length === 0) break;
    const vectors = await embedder.embed(pending.map((item) => item.text));
    await store.putEmbeddings(
      pending.map((item, index) => ({ contentHash: item.contentHash, vector: vectors[index]! })),
    );
  }
  return { store, secret };
}

async function everyRow(transfer: StoreTransfer, table: (typeof transfer.tables)[number]) {
  const rows = [];
  let after: string | number | null = null;
  for (;;) {
    const page = await transfer.exportRows(table, { after, limit: 3 });
    rows.push(...page.rows);
    if (page.next === null) return rows;
    after = page.next;
  }
}

/** What searches, lists and key checks answer, comparable across engines. */
async function answers(store: NellieStore, secret: string) {
  const [queryVector] = await embedder.embed(['get user by id']);
  const code = await store.searchCode({ query: 'get user by id', queryVector, limit: 10 });
  const keyword = await store.searchCode({ query: 'factorial', limit: 10 });
  const lessons = await store.listLessons({ limit: 50 });
  return {
    code: code.map((hit) => `${hit.repository}/${hit.path}:${hit.startLine}`),
    keyword: keyword.map((hit) => `${hit.repository}/${hit.path}:${hit.startLine}`),
    lessons: lessons.items,
    lessonHits: (await store.searchLessons({ query: 'retry cdn' })).map((hit) => hit.lesson.id),
    checkpoints: await store.getRecentCheckpoints({ limit: 10 }),
    anchoredAt: await store.lessonsAnchoredAt([
      { repository: 'shop', path: 'src/retry.ts', startLine: 1, endLine: 1 },
    ]),
    agents: await store.listAgents(),
    key: (await store.principals!.verifyApiKey(secret))?.principal ?? null,
    audit: (await store.listAudit({ limit: 10 })).map(({ id: _id, ...entry }) => entry),
  };
}

describe.each([
  ['native PostgreSQL (vectors in memory)', 'postgresWithoutPgvector'],
  ['PGlite with pgvector', 'postgresWithPgvector'],
] as const)('moving a SQLite store to %s and back', (_name, engine) => {
  function openPostgres(schema: string): Promise<PostgresStore> {
    return createPostgresStore({
      connectionString: inject(engine),
      schema,
      embedding: model,
      maxConnections: 2,
    });
  }

  it('keeps every row, vector, anchor and answer', async () => {
    const { store: sqlite, secret } = await seed();
    await using _sqlite = sqlite;
    await using postgres = await openPostgres(freshSchema());
    const before = await answers(sqlite, secret);
    expect(before.code.length).toBeGreaterThan(0);
    expect(before.keyword.length).toBeGreaterThan(0);
    expect(before.lessonHits.length).toBeGreaterThan(0);
    expect(before.key).toBe('ops');

    expect(before.lessons.find((lesson) => lesson.anchors.length > 0)).toMatchObject({
      staleness: 'current',
      anchors: [{ repository: 'shop', path: 'src/retry.ts', symbol: 'retryUpload' }],
    });
    expect(before.anchoredAt[0]).toHaveLength(1);

    const report = await copyStore(sqlite.transfer, postgres.transfer, { batchSize: 4 });
    expect(report.verified).toBe(true);
    const moved = await postgres.getRecentCheckpoints({ agent: 'gemini' });
    expect(moved[0]).toMatchObject({
      repository: 'shop',
      files: [{ path: 'src/retry.ts' }],
    });
    for (const table of ['anchors', 'checkpoint_anchors']) {
      expect(report.tables.find((entry) => entry.table === table)).toEqual({
        table,
        source: 1,
        target: 1,
        droppedColumns: [],
      });
    }
    expect(report.tables.find((entry) => entry.table === 'chunks')?.target).toBe(8);
    // Vectors arrive bit for bit: nothing needs embedding again.
    expect(await everyRow(postgres.transfer, 'embeddings')).toEqual(
      await everyRow(sqlite.transfer, 'embeddings'),
    );
    expect(await postgres.pendingEmbeddings(10)).toEqual([]);
    expect(await answers(postgres, secret)).toEqual(before);

    // New rows continue after the imported keys.
    const lesson = await postgres.addLesson({ title: 'After the move', content: 'works' });
    expect(lesson.id).toBeTruthy();
    const repo = await postgres.upsertRepository({ rootPath: join(root, 'new'), name: 'new' });
    expect(repo.id).toBe(3);

    await using back = await createSqliteStore({ path: sqlitePath(), embedding: model });
    await postgres.deleteLesson(lesson.id);
    await postgres.deleteRepository(repo.id);
    const returned = await copyStore(postgres.transfer, back.transfer, { batchSize: 5 });
    expect(returned.verified).toBe(true);
    expect(await everyRow(back.transfer, 'embeddings')).toEqual(
      await everyRow(sqlite.transfer, 'embeddings'),
    );
    expect(await answers(back, secret)).toEqual(before);

    // Moved anchors follow the code on PostgreSQL as they did on SQLite.
    const shop = (await postgres.getRepository('shop'))!;
    await postgres.writeFile(
      shop.id,
      { path: 'src/retry.ts', language: null, size: 1, mtimeMs: 2, contentHash: 'changed' },
      [
        {
          startLine: 1,
          endLine: 2,
          content: 'export async function retryUpload(file: Blob, times = 3) {\n}',
          symbolName: 'retryUpload',
        },
      ],
    );
    expect(await postgres.refreshAnchors(shop.id, ['src/retry.ts'])).toBe(2);
    expect((await postgres.getRecentCheckpoints({ agent: 'gemini' }))[0]?.staleness).toBe(
      'changed',
    );
    const [anchored] = await postgres
      .listLessons({ staleness: ['changed'] })
      .then((page) => page.items);
    expect(anchored?.title).toBe('Retry uploads at most three times');
  });

  it('refuses a target that holds data, replaces it when asked, and resumes an interrupted copy', async () => {
    const { store: sqlite } = await seed();
    await using _sqlite = sqlite;
    const schema = freshSchema();
    await using postgres = await openPostgres(schema);
    await postgres.addLesson({ title: 'Already here', content: 'x' });
    const refused = await copyStore(sqlite.transfer, postgres.transfer).catch(
      (error: unknown) => error,
    );
    expect(NellieError.is(refused) && refused.code).toBe('CONFLICT');
    expect((await postgres.listLessons()).total).toBe(1);

    // Interrupted after the first batch of chunks: the target says so, and a re-run continues.
    const controller = new AbortController();
    await expect(
      copyStore(sqlite.transfer, postgres.transfer, {
        batchSize: 3,
        replaceTarget: true,
        signal: controller.signal,
        onProgress: ({ table, copied }) => {
          if (table === 'chunks' && copied > 0) controller.abort();
        },
      }),
    ).rejects.toThrow(/cancelled/);
    expect(await postgres.transfer.importState()).toBe('partial');
    expect(await postgres.transfer.countRows('chunks')).toBe(3);
    const resumed = await copyStore(sqlite.transfer, postgres.transfer, { batchSize: 3 });
    expect(resumed).toMatchObject({ resumed: true, verified: true });
    expect(await postgres.transfer.importState()).toBe('filled');
    expect((await postgres.listLessons()).items.map((item) => item.title).sort()).toEqual([
      'Retry uploads at most three times',
      'Users are cached',
    ]);
  });
});
