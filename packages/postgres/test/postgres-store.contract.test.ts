import { nellieStoreContract } from '@nellie/test-utils';
import { afterAll, beforeAll } from 'vitest';
import { createPostgresStore } from '../src/index.ts';
import { startPgliteServer, type PgliteServer } from './pglite-server.ts';

let withPgvector: PgliteServer;
let withoutPgvector: PgliteServer;

beforeAll(async () => {
  [withPgvector, withoutPgvector] = await Promise.all([
    startPgliteServer({ pgvector: true }),
    startPgliteServer({ pgvector: false }),
  ]);
}, 60_000);

afterAll(async () => {
  await Promise.all([withPgvector?.stop(), withoutPgvector?.stop()]);
});

nellieStoreContract('PostgreSQL with pgvector (HNSW index)', {
  create: (embedding) =>
    createPostgresStore({
      connectionString: withPgvector.connectionString,
      schema: withPgvector.nextSchema(),
      embedding,
      vectorIndex: embedding ? 'pgvector' : 'auto',
      maxConnections: 2,
    }),
});

nellieStoreContract('PostgreSQL without pgvector (in-memory vector index)', {
  create: (embedding) =>
    createPostgresStore({
      connectionString: withoutPgvector.connectionString,
      schema: withoutPgvector.nextSchema(),
      embedding,
      maxConnections: 2,
    }),
});
