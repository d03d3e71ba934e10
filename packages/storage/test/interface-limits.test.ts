import { join } from 'node:path';
import { limitCases, type LimitCase } from '@nellie/test-utils';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSqliteStore, type SqliteStore } from '../src/index.ts';
import { useTempDir } from './helpers.ts';

// The store enforces the same limits as the REST API and the MCP tools (see their
// interface-limits tests, which run this same table).

const tempDir = useTempDir();
let store: SqliteStore;

beforeEach(async () => {
  store = await createSqliteStore({ path: join(tempDir(), 'nellie.db') });
});
afterEach(async () => {
  await store.close();
});

function call(limitCase: LimitCase, value: unknown): Promise<unknown> {
  const request = { ...limitCase.base, [limitCase.field]: value } as never;
  switch (limitCase.operation) {
    case 'addLesson':
      return store.addLesson(request);
    case 'listLessons':
      return store.listLessons(request);
    case 'searchCode':
      return store.searchCode(request);
    case 'searchLessons':
      return store.searchLessons(request);
    case 'addCheckpoint':
      return store.addCheckpoint(request);
    case 'getRecentCheckpoints':
      return store.getRecentCheckpoints(request);
    case 'searchCheckpoints':
      return store.searchCheckpoints(request);
  }
}

describe('store limits', () => {
  it.each(limitCases)('$name: accepts the limit, refuses one more', async (limitCase) => {
    const accepted = call(limitCase, limitCase.accepted);
    if (limitCase.acceptedFindsNothing) {
      await expect(accepted).rejects.toMatchObject({ code: 'NOT_FOUND' });
    } else {
      await expect(accepted).resolves.toBeDefined();
    }
    const refused = call(limitCase, limitCase.refused);
    await expect(refused).rejects.toMatchObject({ code: 'INVALID_INPUT' });
  });
});
