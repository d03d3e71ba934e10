import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { noopLogger, type Logger } from '@nellie/core';
import { afterAll, describe, expect, it } from 'vitest';
import { createPostgresStore, type PostgresStore } from '../src/index.ts';
import { inMemoryVectorStore, randomVectors } from './generated-vectors.ts';
import { freshSchema } from './pglite-server.ts';

const dimensions = 16;
const directories: string[] = [];

afterAll(() => {
  for (const directory of directories) rmSync(directory, { recursive: true, force: true });
});

function tempDirectory(): string {
  const directory = mkdtempSync(join(tmpdir(), 'nellie-hnsw-'));
  directories.push(directory);
  return directory;
}

function vectors(count: number, seed: number): Float32Array[] {
  return randomVectors(count, seed, dimensions);
}

/** `files` one-file-per-call writes of 20 chunks each into `repository`, all embedded. */
async function writeFiles(
  store: PostgresStore,
  repository: string,
  names: readonly string[],
  seed: number,
): Promise<void> {
  const { id } = await store.upsertRepository({
    rootPath: `/work/${repository}`,
    name: repository,
  });
  for (const name of names) {
    await store.writeFile(
      id,
      {
        path: name,
        contentHash: `${repository}-${name}`,
        language: 'typescript',
        size: 1,
        mtimeMs: 1,
      },
      Array.from({ length: 20 }, (_, chunk) => ({
        startLine: chunk + 1,
        endLine: chunk + 1,
        content: `${repository} ${name} chunk ${chunk}`,
      })),
    );
  }
  const pending = await store.pendingEmbeddings(1000);
  const generated = vectors(pending.length, seed);
  await store.putEmbeddings(
    pending.map((item, index) => ({ contentHash: item.contentHash, vector: generated[index]! })),
  );
}

function recordingLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const record = (_fields: Record<string, unknown>, message: string) => void lines.push(message);
  return { logger: { ...noopLogger, info: record, warn: record }, lines };
}

async function topIds(store: PostgresStore, queries: readonly Float32Array[]): Promise<number[][]> {
  const result: number[][] = [];
  for (const queryVector of queries) {
    const hits = await store.searchCode({ query: '', queryVector, limit: 10 });
    result.push(hits.map((hit) => hit.chunkId));
  }
  return result;
}

const names = (prefix: string, count: number) =>
  Array.from({ length: count }, (_, index) => `src/${prefix}-${index}.ts`);

describe('PostgreSQL store without pgvector: the in-process HNSW index saved on disk', () => {
  const memoryIndex = { exactThreshold: 100 };

  it('is saved on close, loaded at start and caught up with what other servers wrote meanwhile', async () => {
    const schema = freshSchema();
    const directory = tempDirectory();
    const options = inMemoryVectorStore(schema, dimensions, memoryIndex);
    await using writer = await createPostgresStore(options);
    await writeFiles(writer, 'alpha', names('a', 20), 1);

    const first = recordingLogger();
    const saving = await createPostgresStore({
      ...options,
      vectorIndexDir: directory,
      logger: first.logger,
    });
    expect(await saving.syncVectorIndex()).toEqual({ mode: 'ann', indexed: 400, backlog: 0 });
    await saving.close();
    expect(first.lines).toContain('Saved the vector index');
    expect(readdirSync(directory).sort()).toEqual([
      `nellie-${schema}-hnsw.json`,
      `nellie-${schema}-hnsw.usearch`,
    ]);

    // Meanwhile another server adds files and deletes some.
    await writeFiles(writer, 'beta', names('b', 5), 2);
    const alpha = (await writer.getRepository('alpha'))!;
    await writer.deleteFiles(alpha.id, names('a', 3));

    const second = recordingLogger();
    await using loaded = await createPostgresStore({
      ...options,
      vectorIndexDir: directory,
      logger: second.logger,
    });
    await using fresh = await createPostgresStore(options);
    expect(await loaded.syncVectorIndex()).toEqual({ mode: 'ann', indexed: 440, backlog: 0 });
    expect(await fresh.syncVectorIndex()).toEqual({ mode: 'ann', indexed: 440, backlog: 0 });
    expect(second.lines).toContain('Loaded the saved vector index; catching up from the database');
    const queries = vectors(20, 99);
    expect(await topIds(loaded, queries)).toEqual(await topIds(fresh, queries));
  });

  it('does not load an index saved before the store was cleared for an import', async () => {
    const schema = freshSchema();
    const directory = tempDirectory();
    const options = inMemoryVectorStore(schema, dimensions, memoryIndex);
    const saving = await createPostgresStore({ ...options, vectorIndexDir: directory });
    await writeFiles(saving, 'alpha', names('a', 10), 5);
    expect(await saving.syncVectorIndex()).toMatchObject({ mode: 'ann', indexed: 200 });
    await saving.close();

    await using writer = await createPostgresStore(options);
    await writer.transfer.clear();
    await writeFiles(writer, 'beta', names('b', 6), 6);
    const reopened = recordingLogger();
    await using loaded = await createPostgresStore({
      ...options,
      vectorIndexDir: directory,
      logger: reopened.logger,
    });
    expect(await loaded.syncVectorIndex()).toEqual({ mode: 'ann', indexed: 120, backlog: 0 });
    expect(reopened.lines).toContain(
      'Not using the saved vector index; building it from the database',
    );
  });

  it('rebuilds from the database, never trusting it, an index saved for another schema or damaged', async () => {
    const directory = tempDirectory();
    const theirs = freshSchema();
    await using other = await createPostgresStore({
      ...inMemoryVectorStore(theirs, dimensions, memoryIndex),
      vectorIndexDir: directory,
    });
    await writeFiles(other, 'alpha', names('a', 10), 3);
    await other.syncVectorIndex();
    await other.close();

    const ours = freshSchema();
    await using writer = await createPostgresStore(
      inMemoryVectorStore(ours, dimensions, memoryIndex),
    );
    await writeFiles(writer, 'gamma', names('g', 8), 4);
    const queries = vectors(10, 7);
    const truth = await topIds(writer, queries);

    // Another schema's index under this schema's name.
    for (const extension of ['json', 'usearch']) {
      writeFileSync(
        join(directory, `nellie-${ours}-hnsw.${extension}`),
        readFileSync(join(directory, `nellie-${theirs}-hnsw.${extension}`)),
      );
    }
    const foreign = recordingLogger();
    const misplaced = await createPostgresStore({
      ...inMemoryVectorStore(ours, dimensions, memoryIndex),
      vectorIndexDir: directory,
      logger: foreign.logger,
    });
    expect(await misplaced.syncVectorIndex()).toEqual({ mode: 'ann', indexed: 160, backlog: 0 });
    expect(foreign.lines).toContain(
      'Not using the saved vector index; building it from the database',
    );
    expect(await topIds(misplaced, queries)).toEqual(truth);
    await misplaced.close();

    // This schema's own index (saved by the close above), with bytes flipped in the middle.
    const file = join(directory, `nellie-${ours}-hnsw.usearch`);
    const bytes = readFileSync(file);
    for (let at = bytes.length >> 1; at < (bytes.length >> 1) + 64; at += 1)
      bytes[at] = bytes[at]! ^ 0xff;
    writeFileSync(file, bytes);
    const damaged = recordingLogger();
    await using reopened = await createPostgresStore({
      ...inMemoryVectorStore(ours, dimensions, memoryIndex),
      vectorIndexDir: directory,
      logger: damaged.logger,
    });
    expect(await reopened.syncVectorIndex()).toEqual({ mode: 'ann', indexed: 160, backlog: 0 });
    expect(damaged.lines).toContain(
      'Not using the saved vector index; building it from the database',
    );
    expect(await topIds(reopened, queries)).toEqual(truth);
  });
});
