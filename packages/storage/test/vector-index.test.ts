import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { noopLogger, seededRandom } from '@nellie/core';
import { afterEach, describe, expect, it } from 'vitest';
import { createSqliteStore } from '../src/index.ts';
import { sqliteStoreOptionsSchema } from '../src/internal/sqlite-store-options.ts';
import { sha256 } from '../src/internal/code-input.ts';
import { openDatabase } from '../src/internal/database.ts';
import { VectorIndex } from '../src/internal/vector-index.ts';

const dimensions = 8;
const embedding = { modelId: 'test-model', dimensions };
const directories: string[] = [];
afterEach(() => {
  for (const directory of directories.splice(0))
    rmSync(directory, { recursive: true, force: true });
});

/** A database file holding `count` code vectors. */
async function storeWithVectors(count: number): Promise<string> {
  const directory = mkdtempSync(join(tmpdir(), 'nellie-vector-index-'));
  directories.push(directory);
  const path = join(directory, 'nellie.db');
  const store = await createSqliteStore({ path, embedding, vectorIndex: { exactThreshold: 1e6 } });
  const repository = await store.upsertRepository({ rootPath: '/work/repo' });
  const next = seededRandom(3);
  const contents = Array.from({ length: count }, (_, index) => `const value${index} = ${index};`);
  await store.writeFile(
    repository.id,
    { path: 'src/values.ts', language: 'typescript', size: 1, mtimeMs: 1, contentHash: 'f' },
    contents.map((content, index) => ({ startLine: index + 1, endLine: index + 1, content })),
  );
  await store.putEmbeddings(
    contents.map((content) => ({
      contentHash: sha256(content),
      vector: Float32Array.from({ length: dimensions }, () => next() - 0.5),
    })),
  );
  await store.close();
  return path;
}

async function openIndex(path: string): Promise<{ index: VectorIndex; close: () => void }> {
  const options = sqliteStoreOptionsSchema.parse({
    path,
    embedding,
    vectorIndex: { exactThreshold: 0 },
  });
  const opened = openDatabase({ ...options, logger: noopLogger });
  const index = new VectorIndex({
    db: opened.db,
    file: opened.file,
    dimensions,
    options: options.vectorIndex,
    logger: noopLogger,
    readonly: false,
    usearch: await import('usearch'),
  });
  return {
    index,
    close: () => {
      index.close();
      opened.db.close();
    },
  };
}

describe('VectorIndex.syncAll', () => {
  it('adds at most the vectors asked for, so a long build can be saved and resumed in steps', async () => {
    const path = await storeWithVectors(300);
    const first = await openIndex(path);
    expect(first.index.syncAll(100)).toMatchObject({ mode: 'ann', indexed: 100, backlog: 200 });
    first.index.save();
    first.close();
    expect(readdirSync(join(path, '..')).filter((name) => name.endsWith('.usearch'))).toHaveLength(
      1,
    );

    const resumed = await openIndex(path);
    // The saved 100 are loaded, not added again.
    expect(resumed.index.syncAll(50)).toMatchObject({ indexed: 150, backlog: 150 });
    expect(resumed.index.syncAll()).toMatchObject({ indexed: 300, backlog: 0 });
    resumed.close();
  });
});
