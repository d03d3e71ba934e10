import { join } from 'node:path';
import { nellieStoreContract } from '@nellie/test-utils';
import { createSqliteStore } from '../src/index.ts';
import { useTempDir } from './helpers.ts';

const tempDir = useTempDir();

nellieStoreContract('SQLite store on a temp file (exact vector search)', {
  create: (embedding) => createSqliteStore({ path: join(tempDir(), 'nellie.db'), embedding }),
});

nellieStoreContract('SQLite store on a temp file (HNSW index, filters applied to its hits)', {
  create: (embedding) =>
    createSqliteStore({
      path: join(tempDir(), 'nellie.db'),
      embedding,
      vectorIndex: { exactThreshold: 0, exactScopeLimit: 0 },
    }),
});
