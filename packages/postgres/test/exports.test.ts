import { exportSurface } from '@nellie/test-utils';
import { expect, it } from 'vitest';
import * as api from '../src/index.ts';

// Adding, removing or renaming an export is an API decision: update this list on purpose.
it('exports exactly its public API', () => {
  expect(exportSurface(api, new URL('../src/index.ts', import.meta.url))).toEqual({
    values: ['createPostgresStore', 'postgresStoreOptionsSchema'],
    types: ['PoolStatus', 'PostgresStore', 'PostgresStoreOptions', 'VectorIndexStatus'],
  });
});
