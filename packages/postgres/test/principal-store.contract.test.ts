import { principalStoreContract } from '@nellie/test-utils';
import { inject } from 'vitest';
import { createPostgresStore } from '../src/index.ts';
import { freshSchema } from './pglite-server.ts';

principalStoreContract('PostgreSQL store', {
  create: () =>
    createPostgresStore({
      connectionString: inject('postgresWithoutPgvector'),
      schema: freshSchema(),
      maxConnections: 2,
    }),
  reopen: (store) =>
    createPostgresStore({
      connectionString: inject('postgresWithoutPgvector'),
      schema: store.schema,
      maxConnections: 2,
    }),
});
