import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPostgresStore, type PostgresStore } from '../src/index.ts';
import { randomVectors } from './generated-vectors.ts';
import { freshSchema, startPgliteServer, type PgliteServer } from './pglite-server.ts';

const dimensions = 16;
const model = { modelId: 'generated-vectors', dimensions };
const chunksPerFile = 10;

let server: PgliteServer;
beforeAll(async () => {
  // A fresh engine, so its transaction ids are still below 1,000 when the test starts.
  server = await startPgliteServer({ pgvector: false });
});
afterAll(async () => {
  await server?.stop();
});

async function writeEmbeddedFiles(store: PostgresStore, files: number, seed: number) {
  const repository = await store.upsertRepository({ rootPath: '/work/app', name: 'app' });
  const generated = randomVectors(files * chunksPerFile, seed, dimensions);
  for (let file = 0; file < files; file += 1) {
    await store.writeFile(
      repository.id,
      {
        path: `src/s${seed}-${file}.ts`,
        contentHash: `s${seed}-${file}`,
        language: 'typescript',
        size: 1,
        mtimeMs: 1,
      },
      Array.from({ length: chunksPerFile }, (_, chunk) => ({
        startLine: chunk + 1,
        endLine: chunk + 1,
        content: `seed ${seed} file ${file} chunk ${chunk}`,
      })),
    );
    const pending = await store.pendingEmbeddings(1000);
    // Each file's vectors in a transaction of their own, so they carry increasing ids.
    await store.putEmbeddings(
      pending.map((item, index) => ({
        contentHash: item.contentHash,
        vector: generated[file * chunksPerFile + index]!,
      })),
    );
  }
}

async function currentTransactionId(client: pg.Client): Promise<number> {
  const { rows } = await client.query<{ id: string }>('SELECT pg_current_xact_id()::text AS id');
  return Number(rows[0]!.id);
}

describe('PostgreSQL store without pgvector: the vector change feed', () => {
  it('follows transaction ids numerically when they gain a digit (999 → 1000)', async () => {
    const schema = freshSchema();
    const client = new pg.Client({ connectionString: server.connectionString });
    await client.connect();
    try {
      await using writer = await createPostgresStore({
        connectionString: server.connectionString,
        schema,
        embedding: model,
        vectorIndex: 'memory',
      });
      await writeEmbeddedFiles(writer, 3, 1);
      const before = await currentTransactionId(client);
      expect(before).toBeLessThan(1000);
      // Autocommitted statements that each take a transaction id, up to the next digit.
      while ((await currentTransactionId(client)) < 1000);
      await writeEmbeddedFiles(writer, 6, 2);

      await using reader = await createPostgresStore({
        connectionString: server.connectionString,
        schema,
        embedding: model,
        vectorIndex: 'memory',
        // Read in small steps, as a large store is: the first step must start at the oldest.
        memoryIndex: { exactThreshold: 10, catchUpBatch: 20 },
      });
      await reader.searchCode({
        query: '',
        queryVector: randomVectors(1, 3, dimensions)[0]!,
        limit: 5,
      });
      expect(await reader.syncVectorIndex()).toEqual({ mode: 'ann', indexed: 90, backlog: 0 });
    } finally {
      await client.end();
    }
  });
});
