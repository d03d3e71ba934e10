import { createFakeEmbedder } from '@nellie/test-utils';
import pg from 'pg';
import { describe, expect, inject, it } from 'vitest';
import { createPostgresStore } from '../src/index.ts';
import { checkpointCodeMigration } from '../src/internal/migrations/checkpoint-code.ts';
import { migrations } from '../src/internal/schema.ts';
import { freshSchema } from './pglite-server.ts';

const embedder = createFakeEmbedder({ dimensions: 8 });
const model = { modelId: embedder.modelId, dimensions: 8 };

const withPgvector = { connectionString: inject('postgresWithPgvector') };
const withoutPgvector = { connectionString: inject('postgresWithoutPgvector') };

async function seedAndEmbed(store: Awaited<ReturnType<typeof createPostgresStore>>) {
  const repo = await store.upsertRepository({ rootPath: '/work/projects/shop' });
  await store.writeFile(
    repo.id,
    { path: 'src/retry.ts', language: 'typescript', size: 1, mtimeMs: 1, contentHash: 'a' },
    [{ startLine: 1, endLine: 1, content: 'export function retryUpload() {}' }],
  );
  const pending = await store.pendingEmbeddings(10);
  const vectors = await embedder.embed(pending.map((item) => item.text));
  await store.putEmbeddings(
    pending.map((item, index) => ({ contentHash: item.contentHash, vector: vectors[index]! })),
  );
}

describe('PostgreSQL store', () => {
  it('anchors written through one server are followed by another on the same database', async () => {
    const options = { ...withoutPgvector, schema: freshSchema(), maxConnections: 2 };
    await using first = await createPostgresStore(options);
    await using second = await createPostgresStore(options);
    const retry = (content: string, endLine: number) => [
      { startLine: 1, endLine, content, symbolName: 'retryUpload' },
    ];
    const file = { path: 'src/retry.ts', language: 'typescript', size: 1, mtimeMs: 1 };
    const repo = await first.upsertRepository({ rootPath: '/work/projects/shop', name: 'shop' });
    await first.writeFile(
      repo.id,
      { ...file, contentHash: 'a' },
      retry('export function retryUpload() {}', 1),
    );
    const anchors = [{ repository: 'shop', path: 'src/retry.ts', symbol: 'retryUpload' }];
    const lesson = await first.addLesson({ title: 'Retry uploads', content: 'c', anchors });
    const checkpoint = await first.addCheckpoint({ agent: 'a', workingOn: 'w', anchors });
    expect(await second.getLesson(lesson.id)).toMatchObject({ staleness: 'current' });

    // The other server re-indexes the file: both stores see the anchors change.
    await second.writeFile(
      repo.id,
      { ...file, contentHash: 'b' },
      retry('export function retryUpload(times: number) {\n  return times;\n}', 3),
    );
    expect(await second.refreshAnchors(repo.id, ['src/retry.ts'])).toBe(2);
    expect(await first.getLesson(lesson.id)).toMatchObject({
      staleness: 'changed',
      anchors: [{ startLine: 1, endLine: 3, change: { signatureChanged: true } }],
    });
    expect(await first.getCheckpoint(checkpoint.id)).toMatchObject({ staleness: 'changed' });
    expect((await first.listLessons({ staleness: ['changed'] })).total).toBe(1);
    expect(await first.confirmLesson(lesson.id)).toMatchObject({ staleness: 'current' });
    expect(await second.countLessonsByStaleness()).toEqual({
      current: 1,
      changed: 0,
      moved: 0,
      gone: 0,
    });

    // Anchors go with their lesson, checkpoint and repository.
    expect(await second.deleteCheckpoint(checkpoint.id)).toBe(true);
    await second.deleteRepository(repo.id);
    expect(await first.getLesson(lesson.id)).toMatchObject({ anchors: [], staleness: null });
    const counts = new pg.Client({ connectionString: options.connectionString });
    await counts.connect();
    try {
      const { rows } = await counts.query<{ anchors: string; checkpoint_anchors: string }>(
        `SELECT (SELECT count(*) FROM "${options.schema}".anchors) AS anchors,
           (SELECT count(*) FROM "${options.schema}".checkpoint_anchors) AS checkpoint_anchors`,
      );
      expect(rows[0]).toEqual({ anchors: '0', checkpoint_anchors: '0' });
    } finally {
      await counts.end();
    }
  });

  it('uses pgvector when the extension is available and says so', async () => {
    await using store = await createPostgresStore({
      connectionString: withPgvector.connectionString,
      schema: freshSchema(),
      embedding: model,
    });
    await seedAndEmbed(store);
    expect(await store.vectorIndexStatus()).toEqual({ mode: 'pgvector', indexed: 1, backlog: 0 });
  });

  it('falls back to an in-memory index loaded from PostgreSQL without pgvector', async () => {
    const schema = freshSchema();
    const options = {
      connectionString: withoutPgvector.connectionString,
      schema,
      embedding: model,
    };
    await using writer = await createPostgresStore(options);
    await using reader = await createPostgresStore(options);
    expect(await reader.vectorIndexStatus()).toEqual({ mode: 'memory', indexed: 0, backlog: 0 });
    await seedAndEmbed(writer);
    // Another store on the same schema (another server) sees the new vector, then its deletion;
    // the backlog is what it had not applied yet when asked (the change-feed lag).
    expect(await reader.vectorIndexStatus()).toEqual({ mode: 'memory', indexed: 1, backlog: 1 });
    expect(await reader.vectorIndexStatus()).toEqual({ mode: 'memory', indexed: 1, backlog: 0 });
    const [queryVector] = await embedder.embed(['retry upload']);
    expect((await reader.searchCode({ query: '', queryVector }))[0]?.path).toBe('src/retry.ts');
    const repo = await writer.getRepository('shop');
    await writer.deleteFiles(repo!.id, ['src/retry.ts']);
    expect(await reader.vectorIndexStatus()).toEqual({ mode: 'memory', indexed: 0, backlog: 1 });
    expect(await reader.searchCode({ query: '', queryVector })).toEqual([]);
  });

  it('refuses vectorIndex "pgvector" where the extension cannot be created', async () => {
    await expect(
      createPostgresStore({
        connectionString: withoutPgvector.connectionString,
        schema: freshSchema(),
        embedding: model,
        vectorIndex: 'pgvector',
      }),
    ).rejects.toMatchObject({ code: 'INVALID_OPTIONS', message: /vector extension/ });
  });

  it('records each migration once and reopens an existing schema', async () => {
    const schema = freshSchema();
    const options = { connectionString: withPgvector.connectionString, schema, embedding: model };
    const first = await createPostgresStore(options);
    await first.addLesson({ title: 'Kept', content: 'across reopening' });
    await first.close();
    await using second = await createPostgresStore(options);
    expect((await second.listLessons()).total).toBe(1);
    expect((await second.stats()).schemaVersion).toBe(migrations.length);
    const client = new pg.Client({ connectionString: withPgvector.connectionString });
    await client.connect();
    try {
      const { rows } = await client.query(`SELECT version FROM "${schema}".schema_migrations`);
      expect(rows).toEqual(migrations.map((_, index) => ({ version: index + 1 })));
      await client.query(`INSERT INTO "${schema}".schema_migrations (version) VALUES (99)`);
    } finally {
      await client.end();
    }
    await expect(createPostgresStore(options)).rejects.toMatchObject({ code: 'SCHEMA_TOO_NEW' });
  });

  it('takes files named after a query word as candidates, however many chunks match better', async () => {
    await using store = await createPostgresStore({ ...withoutPgvector, schema: freshSchema() });
    const repo = await store.upsertRepository({ rootPath: '/work/projects/report' });
    const write = (
      path: string,
      chunks: { startLine: number; endLine: number; content: string }[],
    ) =>
      store.writeFile(
        repo.id,
        { path, language: 'typescript', size: 1, mtimeMs: 1, contentHash: path },
        chunks,
      );
    // 60 chunks with every query word fill the candidate pool; the file named after one of
    // them matches only by its name.
    for (let file = 0; file < 3; file += 1) {
      await write(
        `src/report/writer-${file}.ts`,
        Array.from({ length: 20 }, (_, index) => ({
          startLine: index * 3 + 1,
          endLine: index * 3 + 3,
          content: `// pdf output generated by writer ${file}.${index}\nwrite(pdfOutput, generated);`,
        })),
      );
    }
    await write('src/pdf.ts', [
      {
        startLine: 1,
        endLine: 3,
        content: 'export function render(document) {\n  return latex(document);\n}',
      },
    ]);
    const hits = await store.searchCode({ query: 'pdf output generated', limit: 10 });
    expect(hits.map((hit) => hit.path)).toContain('src/pdf.ts');
  });

  it('keeps checkpoints saved before they recorded their code, without code', async () => {
    const schema = freshSchema();
    const client = new pg.Client({ connectionString: withoutPgvector.connectionString });
    await client.connect();
    try {
      // The schema as it was before checkpoints recorded their code, holding one checkpoint.
      const before = migrations.indexOf(checkpointCodeMigration);
      await client.query(`CREATE SCHEMA "${schema}"`);
      await client.query(
        `CREATE TABLE "${schema}".schema_migrations (version integer PRIMARY KEY,
           applied_at timestamptz NOT NULL DEFAULT now())`,
      );
      for (const [index, migration] of migrations.slice(0, before).entries()) {
        await client.query(migration(`"${schema}"`, schema));
        await client.query(`INSERT INTO "${schema}".schema_migrations (version) VALUES ($1)`, [
          index + 1,
        ]);
      }
      await client.query(
        `INSERT INTO "${schema}".checkpoints (id, agent, repo, working_on, state, status,
           created_at, content_hash, tokens)
         VALUES ('old', 'agent-1', 'shop', 'Editing src/upload.ts', '{}', 'in_progress',
           '2026-01-01T00:00:00.000Z', 'h', ''::tsvector)`,
      );
    } finally {
      await client.end();
    }
    await using store = await createPostgresStore({ ...withoutPgvector, schema });
    await store.upsertRepository({ rootPath: '/work/projects/shop', name: 'shop' });
    const [old] = await store.getRecentCheckpoints();
    expect(old).toMatchObject({ id: 'old', workingOn: 'Editing src/upload.ts' });
    for (const field of ['files', 'git', 'changesSince']) expect(old).not.toHaveProperty(field);
  });

  it('rejects another model than the stored vectors were made with', async () => {
    const schema = freshSchema();
    const base = { connectionString: withPgvector.connectionString, schema };
    await (await createPostgresStore({ ...base, embedding: model })).close();
    await expect(
      createPostgresStore({ ...base, embedding: { modelId: model.modelId, dimensions: 16 } }),
    ).rejects.toMatchObject({ code: 'DIMENSION_MISMATCH' });
  });

  it('re-embeds in the background when the same model is read with other input settings', async () => {
    for (const connectionString of [
      withPgvector.connectionString,
      withoutPgvector.connectionString,
    ]) {
      const base = { connectionString, schema: freshSchema() };
      const before = await createPostgresStore({ ...base, embedding: model });
      await seedAndEmbed(before);
      expect((await before.stats()).chunksWithVectors).toBe(1);
      await before.close();

      const upgraded = {
        modelId: `${model.modelId}+split-identifiers`,
        dimensions: 8,
        family: model.modelId,
      };
      await using store = await createPostgresStore({ ...base, embedding: upgraded });
      expect((await store.stats()).chunksWithVectors).toBe(0);
      const pending = await store.pendingEmbeddings(10);
      expect(pending).toHaveLength(1);
      expect((await store.searchCode({ query: 'retryUpload' }))[0]?.path).toBe('src/retry.ts');
      const vectors = await embedder.embed(pending.map((item) => item.text));
      await store.putEmbeddings([{ contentHash: pending[0]!.contentHash, vector: vectors[0]! }]);
      expect((await store.stats()).chunksWithVectors).toBe(1);
      const hits = await store.searchCode({ query: 'retry upload', queryVector: vectors[0]! });
      expect(hits[0]?.path).toBe('src/retry.ts');
      await expect(
        createPostgresStore({
          ...base,
          embedding: { modelId: 'other/model@q8', dimensions: 8, family: 'other/model@q8' },
        }),
      ).rejects.toMatchObject({ code: 'DIMENSION_MISMATCH' });
    }
  });

  it('validates its options and explains an unreachable server', async () => {
    await expect(createPostgresStore({ schema: 'nellie' })).rejects.toMatchObject({
      code: 'INVALID_OPTIONS',
    });
    await expect(
      createPostgresStore({ connectionString: withPgvector.connectionString, schema: 'Bad-Name' }),
    ).rejects.toMatchObject({ code: 'INVALID_OPTIONS' });
    await expect(
      createPostgresStore({ connectionString: 'postgres://nobody@127.0.0.1:1/none' }),
    ).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE', message: /127\.0\.0\.1:1\/none/ });
  });

  it('leaves backups to the database tools, with a clear error', async () => {
    await using store = await createPostgresStore({
      connectionString: withPgvector.connectionString,
      schema: freshSchema(),
    });
    await expect(store.backup('/tmp/x.db')).rejects.toMatchObject({
      code: 'INVALID_INPUT',
      message: /pg_dump/,
    });
  });
});
