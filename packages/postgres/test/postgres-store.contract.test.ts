import { nellieStoreContract } from '@nellie/test-utils';
import { inject } from 'vitest';
import { createPostgresStore } from '../src/index.ts';
import { freshSchema } from './pglite-server.ts';

nellieStoreContract('PostgreSQL with pgvector (HNSW index)', {
  create: (embedding) =>
    createPostgresStore({
      connectionString: inject('postgresWithPgvector'),
      schema: freshSchema(),
      embedding,
      vectorIndex: embedding ? 'pgvector' : 'auto',
      maxConnections: 2,
    }),
});

nellieStoreContract('PostgreSQL server without pgvector (in-memory vector index)', {
  create: (embedding) =>
    createPostgresStore({
      connectionString: inject('postgresWithoutPgvector'),
      schema: freshSchema(),
      embedding,
      maxConnections: 2,
    }),
});
