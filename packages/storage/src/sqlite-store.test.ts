import { nellieStoreContract } from '@nellie/test-utils';
import { describe, expect, it } from 'vitest';
import { createSqliteStore } from './sqlite-store.ts';

nellieStoreContract('SQLite store in memory', {
  create: (embedding) => createSqliteStore({ path: ':memory:', embedding }),
});

describe('createSqliteStore options', () => {
  it('rejects invalid options with INVALID_OPTIONS', async () => {
    for (const options of [
      { path: '' },
      { path: ':memory:', embedding: { modelId: 'm', dimensions: 0 } },
      { path: ':memory:', vectorIndex: { connectivity: 1 } },
      { path: ':memory:', busyTimeoutMs: -1 },
    ]) {
      await expect(createSqliteStore(options)).rejects.toMatchObject({ code: 'INVALID_OPTIONS' });
    }
  });
});
