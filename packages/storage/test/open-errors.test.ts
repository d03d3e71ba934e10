import { randomBytes } from 'node:crypto';
import {
  closeSync,
  mkdirSync,
  openSync,
  readFileSync,
  readdirSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { createFakeEmbedder } from '@nellie/test-utils';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { createSqliteStore, resetEmbeddings, type SqliteStore } from '../src/index.ts';
import { useTempDir } from './helpers.ts';

const tempDir = useTempDir();
const modelA = { modelId: 'model-a', dimensions: 16 };
const modelB = { modelId: 'model-b', dimensions: 8 };

async function seeded(path: string, embedding = modelA): Promise<SqliteStore> {
  const store = await createSqliteStore({ path, embedding });
  const repo = await store.upsertRepository({ rootPath: '/work/projects/shop' });
  for (let index = 0; index < 40; index += 1) {
    await store.writeFile(
      repo.id,
      {
        path: `src/file-${index}.ts`,
        language: 'typescript',
        size: 1,
        mtimeMs: 1,
        contentHash: `h${index}`,
      },
      [
        {
          startLine: 1,
          endLine: 1,
          content: `export function handler${index}() { return ${index}; }\n`.repeat(20),
        },
      ],
    );
  }
  return store;
}

async function embedAll(store: SqliteStore, dimensions: number): Promise<void> {
  const embedder = createFakeEmbedder({ dimensions });
  for (;;) {
    const pending = await store.pendingEmbeddings(100);
    if (pending.length === 0) return;
    const vectors = await embedder.embed(pending.map((item) => item.text));
    await store.putEmbeddings(
      pending.map((item, index) => ({ contentHash: item.contentHash, vector: vectors[index]! })),
    );
  }
}

describe('opening a store', () => {
  it('explains a missing directory, and creates nothing', async () => {
    const directory = join(tempDir(), 'does-not-exist');
    const error = await createSqliteStore({ path: join(directory, 'nellie.db') }).catch(
      (caught: unknown) => caught,
    );
    expect(error).toMatchObject({ code: 'STORE_UNAVAILABLE' });
    expect((error as Error).message).toContain(directory);
    expect((error as Error).message).toContain('does not exist');
  });

  it('explains a path whose parent is a regular file', async () => {
    const blocker = join(tempDir(), 'plain-file');
    writeFileSync(blocker, 'not a directory');
    const error = await createSqliteStore({ path: join(blocker, 'nellie.db') }).catch(
      (caught: unknown) => caught,
    );
    expect(error).toMatchObject({ code: 'STORE_UNAVAILABLE' });
    expect((error as Error).message).toContain('is not a directory');
  });

  it('refuses a directory where the database file should be', async () => {
    const path = join(tempDir(), 'nellie.db');
    mkdirSync(path);
    await expect(createSqliteStore({ path })).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
  });

  it('reports a directory nobody can create files in (procfs, even for root)', async () => {
    await expect(createSqliteStore({ path: '/proc/nellie-test.db' })).rejects.toMatchObject({
      code: 'STORE_UNAVAILABLE',
    });
  });

  it('refuses a file that is not SQLite, and leaves it untouched', async () => {
    for (const bytes of [Buffer.from('just some notes, not a database\n'), randomBytes(8192)]) {
      const path = join(tempDir(), 'nellie.db');
      writeFileSync(path, bytes);
      const error = await createSqliteStore({ path }).catch((caught: unknown) => caught);
      expect(error).toMatchObject({ code: 'STORE_CORRUPT' });
      expect((error as Error).message).toContain('is not a SQLite database');
      expect(readFileSync(path).equals(bytes)).toBe(true);
    }
  });

  it('refuses a SQLite database that belongs to something else', async () => {
    const path = join(tempDir(), 'other.db');
    const foreign = new Database(path);
    foreign.exec(`CREATE TABLE people (name TEXT); INSERT INTO people VALUES ('Ada');`);
    foreign.close();
    const before = readFileSync(path);
    const error = await createSqliteStore({ path }).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'STORE_CORRUPT' });
    expect((error as Error).message).toContain('not a Nellie database');
    expect((error as Error).message).toContain('people');
    expect(readFileSync(path).equals(before)).toBe(true);
  });

  it('refuses a damaged schema page with STORE_CORRUPT', async () => {
    const path = join(tempDir(), 'nellie.db');
    await (await seeded(path)).close();
    const descriptor = openSync(path, 'r+');
    writeSync(descriptor, randomBytes(4000), 0, 4000, 100);
    closeSync(descriptor);
    const error = await createSqliteStore({ path }).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'STORE_CORRUPT' });
    expect((error as Error).message).toContain(path);
  });

  it('reports damaged data pages through integrityCheck and typed errors, never a crash', async () => {
    const path = join(tempDir(), 'nellie.db');
    await (await seeded(path)).close();
    const descriptor = openSync(path, 'r+');
    writeSync(descriptor, randomBytes(8192 * 20), 0, 8192 * 20, 8192 * 2);
    closeSync(descriptor);
    const store = await createSqliteStore({ path });
    try {
      const report = await store.integrityCheck();
      expect(report.ok).toBe(false);
      expect(report.problems.length).toBeGreaterThan(0);
      await expect(store.searchCode({ query: 'handler3' })).rejects.toMatchObject({
        code: 'STORE_CORRUPT',
      });
      const maintenance = await store.maintenance();
      expect(maintenance).toMatchObject({
        analyzed: false,
        vacuumed: false,
        integrity: { ok: false },
      });
    } finally {
      await store.close();
    }
  });

  it('refuses a database written by a newer schema, without changing it', async () => {
    const path = join(tempDir(), 'nellie.db');
    await (await seeded(path)).close();
    const raw = new Database(path);
    raw.pragma('user_version = 99');
    raw.close();
    const error = await createSqliteStore({ path }).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'SCHEMA_TOO_NEW' });
    expect((error as Error).message).toContain('schema version 99');
    const check = new Database(path, { readonly: true });
    expect(check.pragma('user_version', { simple: true })).toBe(99);
    expect(check.prepare('SELECT count(*) FROM chunks').pluck().get()).toBe(40);
    check.close();
  });

  it('opens read-only: reads work, writes are refused, a missing file is reported', async () => {
    const path = join(tempDir(), 'nellie.db');
    await (await seeded(path)).close();
    const store = await createSqliteStore({ path, readonly: true, embedding: modelA });
    try {
      expect((await store.searchCode({ query: 'handler7' }))[0]?.path).toBe('src/file-7.ts');
      await expect(store.addLesson({ title: 'x', content: 'y' })).rejects.toMatchObject({
        code: 'STORE_UNAVAILABLE',
      });
      expect((await store.stats()).chunks).toBe(40);
    } finally {
      await store.close();
    }
    await expect(
      createSqliteStore({ path: join(tempDir(), 'absent.db'), readonly: true }),
    ).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
  });
});

describe('embedding model changes', () => {
  it('re-embeds in the background when the same model is read with other input settings', async () => {
    const path = join(tempDir(), 'nellie.db');
    const before = { modelId: 'org/model@q8', dimensions: 16 };
    const store = await seeded(path, before);
    await embedAll(store, before.dimensions);
    await store.close();

    // An upgrade changes how text is prepared for the model: a new id of the same family.
    const upgraded = {
      modelId: 'org/model@q8+split-identifiers',
      dimensions: 16,
      family: 'org/model@q8',
    };
    // A read-only opening (status) neither refuses nor drops anything.
    const reader = await createSqliteStore({ path, embedding: upgraded, readonly: true });
    expect((await reader.stats()).chunksWithVectors).toBe(40);
    await reader.close();

    const reopened = await createSqliteStore({ path, embedding: upgraded });
    try {
      expect(reopened.embeddingModel).toMatchObject({ modelId: upgraded.modelId, dimensions: 16 });
      expect((await reopened.stats()).chunksWithVectors).toBe(0);
      expect(await reopened.pendingEmbeddings(100)).toHaveLength(40);
      // Keyword search works while the vectors are embedded again.
      expect((await reopened.searchCode({ query: 'handler3' }))[0]?.path).toBe('src/file-3.ts');
      await embedAll(reopened, upgraded.dimensions);
      expect((await reopened.stats()).chunksWithVectors).toBe(40);
    } finally {
      await reopened.close();
    }
    const again = await createSqliteStore({ path, embedding: upgraded });
    expect((await again.stats()).chunksWithVectors).toBe(40);
    await again.close();

    // Another model, or the same family at another width, is still refused.
    for (const other of [
      { modelId: 'org/other@q8+split-identifiers', dimensions: 16, family: 'org/other@q8' },
      { modelId: 'org/model@q8+cls', dimensions: 8, family: 'org/model@q8' },
    ]) {
      await expect(createSqliteStore({ path, embedding: other })).rejects.toMatchObject({
        code: 'DIMENSION_MISMATCH',
      });
    }
  });

  it('refuses another model while vectors exist, until resetEmbeddings drops them', async () => {
    const path = join(tempDir(), 'nellie.db');
    const store = await seeded(path, modelA);
    await embedAll(store, modelA.dimensions);
    await store.close();

    const error = await createSqliteStore({ path, embedding: modelB }).catch(
      (caught: unknown) => caught,
    );
    expect(error).toMatchObject({ code: 'DIMENSION_MISMATCH' });
    const message = (error as Error).message;
    expect(message).toContain('model-a (16 dimensions)');
    expect(message).toContain('model-b (8 dimensions)');
    expect(message).toContain('resetEmbeddings');

    // Lexical-only opening still works and keeps the vectors.
    const lexical = await createSqliteStore({ path });
    expect((await lexical.searchCode({ query: 'handler3' }))[0]?.path).toBe('src/file-3.ts');
    await lexical.close();

    expect(await resetEmbeddings(path)).toEqual({ removedVectors: 40 });
    const switched = await createSqliteStore({ path, embedding: modelB });
    try {
      expect(switched.embeddingModel).toEqual(modelB);
      expect(await switched.pendingEmbeddings(100)).toHaveLength(40);
      expect((await switched.searchCode({ query: 'handler3' }))[0]?.path).toBe('src/file-3.ts');
      await embedAll(switched, modelB.dimensions);
      expect((await switched.stats()).chunksWithVectors).toBe(40);
    } finally {
      await switched.close();
    }
    await expect(resetEmbeddings(join(tempDir(), 'missing.db'))).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
  });

  it('refuses vectors from a store whose model was reset by another process', async () => {
    const path = join(tempDir(), 'nellie.db');
    const store = await seeded(path, modelA);
    try {
      await embedAll(store, modelA.dimensions);
      await resetEmbeddings(path);
      const pending = await store.pendingEmbeddings(5);
      expect(pending).toHaveLength(5);
      await expect(
        store.putEmbeddings(
          pending.map((item) => ({
            contentHash: item.contentHash,
            vector: new Float32Array(16).fill(0.5),
          })),
        ),
      ).rejects.toMatchObject({ code: 'DIMENSION_MISMATCH' });
      expect((await store.stats()).chunksWithVectors).toBe(0);
    } finally {
      await store.close();
    }
  });

  it('reports the vectors held, by model, and what waits for them, whatever model it is opened with', async () => {
    const path = join(tempDir(), 'nellie.db');
    const store = await seeded(path, modelA);
    const pending = await store.pendingEmbeddings(10);
    await store.putEmbeddings(
      pending.map((item) => ({
        contentHash: item.contentHash,
        vector: new Float32Array(modelA.dimensions).fill(0.25),
      })),
    );
    await store.close();
    for (const options of [{}, { readonly: true }]) {
      const lexical = await createSqliteStore({ path, ...options });
      try {
        expect(await lexical.stats()).toMatchObject({
          chunks: 40,
          chunksWithVectors: 10,
          chunksPendingEmbedding: 30,
          embeddingModel: modelA,
        });
      } finally {
        await lexical.close();
      }
    }
  });

  it('adopts a new model silently when no vectors were stored yet', async () => {
    const path = join(tempDir(), 'nellie.db');
    await (await seeded(path, modelA)).close();
    const store = await createSqliteStore({ path, embedding: modelB });
    expect(store.embeddingModel).toEqual(modelB);
    await store.close();
    await expect(createSqliteStore({ path, embedding: modelA })).resolves.toBeDefined();
  });

  it('removes saved ANN index files on reset', async () => {
    const directory = tempDir();
    const path = join(directory, 'nellie.db');
    const store = await createSqliteStore({
      path,
      embedding: modelA,
      vectorIndex: { exactThreshold: 0 },
    });
    const repo = await store.upsertRepository({ rootPath: '/r' });
    await store.writeFile(
      repo.id,
      { path: 'a.ts', language: null, size: 1, mtimeMs: 1, contentHash: 'h' },
      [{ startLine: 1, endLine: 1, content: 'const a = 1;' }],
    );
    await embedAll(store, modelA.dimensions);
    await store.syncVectorIndex();
    await store.close();
    expect(readdirSync(directory).some((name) => name.includes('-hnsw-'))).toBe(true);
    await resetEmbeddings(path);
    expect(readdirSync(directory).some((name) => name.includes('-hnsw-'))).toBe(false);
  });
});
