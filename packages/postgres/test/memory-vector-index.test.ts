import { describe, expect, it } from 'vitest';
import { createPostgresStore, type PostgresStore } from '../src/index.ts';
import { randomVectors, serverWithoutPgvector } from './generated-vectors.ts';
import { freshSchema } from './pglite-server.ts';

const dimensions = 16;
const model = { modelId: 'generated-vectors', dimensions };
const connectionString = serverWithoutPgvector;

function vectors(count: number, seed: number): Float32Array[] {
  return randomVectors(count, seed, dimensions);
}

function typescriptFile(path: string, contentHash: string) {
  return { path, contentHash, language: 'typescript', size: 1, mtimeMs: 1 };
}

const filesPerRepository = 15;
const chunksPerFile = 20;

/** Two repositories of generated chunks, every chunk embedded with a generated vector. */
async function fill(store: PostgresStore): Promise<void> {
  const generated = vectors(2 * filesPerRepository * chunksPerFile, 7);
  let next = 0;
  for (const name of ['alpha', 'beta']) {
    const repository = await store.upsertRepository({ rootPath: `/work/${name}`, name });
    for (let file = 0; file < filesPerRepository; file += 1) {
      await store.writeFile(
        repository.id,
        typescriptFile(`src/file-${file}.ts`, `${name}-${file}`),
        Array.from({ length: chunksPerFile }, (_, chunk) => ({
          startLine: chunk + 1,
          endLine: chunk + 1,
          content: `${name} file ${file} chunk ${chunk}`,
        })),
      );
    }
  }
  const pending = await store.pendingEmbeddings(1000);
  await store.putEmbeddings(
    pending.map((item) => ({ contentHash: item.contentHash, vector: generated[next++]! })),
  );
}

async function topIds(
  store: PostgresStore,
  queryVector: Float32Array,
  repository?: string,
): Promise<number[]> {
  const hits = await store.searchCode({ query: '', queryVector, limit: 10, repository });
  return hits.map((hit) => hit.chunkId);
}

function overlap(a: readonly number[], b: readonly number[]): number {
  const wanted = new Set(b);
  return a.filter((id) => wanted.has(id)).length;
}

describe('PostgreSQL store without pgvector: in-process HNSW index', () => {
  it('serves code vectors from the ANN index above the threshold, finding what an exact scan finds', async () => {
    const schema = freshSchema();
    await using exact = await createPostgresStore({
      connectionString,
      schema,
      embedding: model,
      vectorIndex: 'memory',
    });
    await fill(exact);
    await using ann = await createPostgresStore({
      connectionString,
      schema,
      embedding: model,
      vectorIndex: 'memory',
      // Large scopes (one repository here) oversample the index instead of scanning.
      memoryIndex: { exactThreshold: 100, exactScopeLimit: 50 },
    });
    expect(await ann.syncVectorIndex()).toEqual({ mode: 'ann', indexed: 600, backlog: 0 });
    expect(await exact.syncVectorIndex()).toEqual({ mode: 'memory', indexed: 600, backlog: 0 });

    let found = 0;
    let foundInScope = 0;
    const queries = vectors(20, 99);
    for (const queryVector of queries) {
      const truth = await topIds(exact, queryVector);
      expect(truth).toHaveLength(10);
      found += overlap(await topIds(ann, queryVector), truth);
      const scopedTruth = await topIds(exact, queryVector, 'beta');
      expect(scopedTruth).toHaveLength(10);
      foundInScope += overlap(await topIds(ann, queryVector, 'beta'), scopedTruth);
    }
    // Recall@10 of the approximate index against the exact scan.
    expect(found / (10 * queries.length)).toBeGreaterThanOrEqual(0.9);
    expect(foundInScope / (10 * queries.length)).toBeGreaterThanOrEqual(0.9);
  });

  it("applies another store's writes and deletions to its index", async () => {
    const schema = freshSchema();
    const options = {
      connectionString,
      schema,
      embedding: model,
      vectorIndex: 'memory' as const,
      memoryIndex: { exactThreshold: 100 },
    };
    await using writer = await createPostgresStore(options);
    await fill(writer);
    await using reader = await createPostgresStore(options);
    expect(await reader.syncVectorIndex()).toMatchObject({ mode: 'ann', indexed: 600 });

    const repository = (await writer.getRepository('alpha'))!;
    await writer.writeFile(repository.id, typescriptFile('src/new.ts', 'new'), [
      { startLine: 1, endLine: 1, content: 'a chunk written by another server' },
    ]);
    const [pending] = await writer.pendingEmbeddings(10);
    const [added] = vectors(1, 12345);
    await writer.putEmbeddings([{ contentHash: pending!.contentHash, vector: added! }]);
    expect(await reader.vectorIndexStatus()).toEqual({ mode: 'ann', indexed: 601, backlog: 1 });
    const [first] = await reader.searchCode({ query: '', queryVector: added! });
    expect(first?.path).toBe('src/new.ts');
    expect(first?.scores.vector?.similarity).toBeGreaterThan(0.99);

    await writer.deleteFiles(repository.id, ['src/new.ts']);
    const after = await reader.searchCode({ query: '', queryVector: added!, limit: 50 });
    expect(after.map((hit) => hit.path)).not.toContain('src/new.ts');
    expect(await reader.vectorIndexStatus()).toEqual({ mode: 'ann', indexed: 600, backlog: 0 });
  });
});
