import { join } from 'node:path';
import { principalStoreContract } from '@nellie/test-utils';
import { createSqliteStore } from '../src/index.ts';
import { useTempDir } from './helpers.ts';

const tempDir = useTempDir();

principalStoreContract('SQLite store on a temp file', {
  create: () => createSqliteStore({ path: join(tempDir(), 'nellie.db') }),
  reopen: (store) => createSqliteStore({ path: store.path }),
});
