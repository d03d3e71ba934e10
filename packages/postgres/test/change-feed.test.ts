import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { createPostgresStore, type PostgresStore } from '../src/index.ts';
import { inMemoryVectorStore, serverWithoutPgvector } from './generated-vectors.ts';
import { freshSchema } from './pglite-server.ts';

const dimensions = 8;

/** A vector pointing along one axis (plus a small offset so no two are alike). */
function axis(index: number): Float32Array {
  const vector = new Float32Array(dimensions).fill(0.01 * (index + 1));
  vector[index % dimensions] = 1;
  return vector;
}

/** Writes `count` one-chunk files and returns their content hashes in order, still unembedded. */
async function unembeddedChunks(store: PostgresStore, count: number): Promise<string[]> {
  const repository = await store.upsertRepository({ rootPath: '/work/feed', name: 'feed' });
  const hashes: string[] = [];
  for (let file = 0; file < count; file += 1) {
    await store.writeFile(
      repository.id,
      {
        path: `src/f${file}.ts`,
        contentHash: `f${file}`,
        language: 'typescript',
        size: 1,
        mtimeMs: 1,
      },
      [{ startLine: 1, endLine: 1, content: `feed chunk ${file}` }],
    );
    const pending = (await store.pendingEmbeddings(10)).find(
      (item) => !hashes.includes(item.contentHash),
    );
    hashes.push(pending!.contentHash);
    // Embedded at once (an arbitrary vector), so the next file's chunk is the only one pending.
    if (file < count - 2)
      await store.putEmbeddings([{ contentHash: pending!.contentHash, vector: axis(file) }]);
  }
  return hashes;
}

/** A connection of its own, as another server's transaction. */
async function connection(): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: serverWithoutPgvector });
  await client.connect();
  return client;
}

async function nearestPath(
  store: PostgresStore,
  vector: Float32Array,
): Promise<string | undefined> {
  const [first] = await store.searchCode({ query: '', queryVector: vector, limit: 1 });
  return first?.scores.vector && first.scores.vector.similarity > 0.99 ? first.path : undefined;
}

/**
 * Per mode: the index settings, and the change-feed lag reported while the lower id is
 * uncommitted and once it committed. Held vectors apply the higher row at once; the HNSW index
 * takes only settled rows (searches scan the others exactly), so it counts them as lag.
 */
for (const [mode, memoryIndex, lagWhileOpen, lagOnceCommitted] of [
  ['vectors held in memory', { exactThreshold: 10_000 }, 0, 1],
  ['an in-process HNSW index', { exactThreshold: 4 }, 1, 2],
] as const) {
  describe(`PostgreSQL change feed, with ${mode}`, () => {
    it('delivers a row whose transaction took a lower id but committed after a higher one was read', async () => {
      const schema = freshSchema();
      const options = inMemoryVectorStore(schema, dimensions, memoryIndex);
      await using writer = await createPostgresStore(options);
      const [early, late] = (await unembeddedChunks(writer, 8)).slice(-2);
      await using reader = await createPostgresStore(options);
      await reader.syncVectorIndex();

      const first = await connection();
      const second = await connection();
      try {
        const insert = `INSERT INTO "${schema}".embeddings (content_hash, kind, vector) VALUES ($1, 0, $2::real[])`;
        await first.query('BEGIN');
        await first.query(insert, [early, `{${axis(6).join(',')}}`]);
        await second.query('BEGIN');
        await second.query(insert, [late, `{${axis(7).join(',')}}`]);
        await second.query('COMMIT');
        // The reader catches up while the lower id is still uncommitted.
        expect(await nearestPath(reader, axis(7))).toBe('src/f7.ts');
        expect(await reader.syncVectorIndex()).toMatchObject({ backlog: lagWhileOpen });
        await first.query('COMMIT');
      } finally {
        await Promise.all([first.end(), second.end()]);
      }

      expect(await reader.vectorIndexStatus()).toMatchObject({ backlog: lagOnceCommitted });
      expect(await nearestPath(reader, axis(6))).toBe('src/f6.ts');
      expect(await reader.syncVectorIndex()).toMatchObject({ indexed: 8, backlog: 0 });
    });

    it('delivers a tombstone whose transaction took a lower sequence number but committed after a higher one was read', async () => {
      const schema = freshSchema();
      const options = inMemoryVectorStore(schema, dimensions, memoryIndex);
      await using writer = await createPostgresStore(options);
      const hashes = await unembeddedChunks(writer, 8);
      const [early, late] = hashes.slice(-2);
      await writer.putEmbeddings([
        { contentHash: early!, vector: axis(6) },
        { contentHash: late!, vector: axis(7) },
      ]);
      await using reader = await createPostgresStore(options);
      expect(await reader.syncVectorIndex()).toMatchObject({ indexed: 8, backlog: 0 });

      const first = await connection();
      const second = await connection();
      try {
        const drop = `WITH gone AS (DELETE FROM "${schema}".embeddings WHERE content_hash = $1 RETURNING id)
          INSERT INTO "${schema}".embedding_tombstones (embedding_id) SELECT id FROM gone`;
        await first.query('BEGIN');
        await first.query(drop, [early]);
        await second.query('BEGIN');
        await second.query(drop, [late]);
        await second.query('COMMIT');
        expect(await reader.syncVectorIndex()).toMatchObject({ indexed: 7 });
        await first.query('COMMIT');
      } finally {
        await Promise.all([first.end(), second.end()]);
      }

      expect(await reader.vectorIndexStatus()).toMatchObject({ backlog: 1 });
      expect(await reader.syncVectorIndex()).toMatchObject({ indexed: 6, backlog: 0 });
      expect(await nearestPath(reader, axis(6))).toBeUndefined();
    });
  });
}
