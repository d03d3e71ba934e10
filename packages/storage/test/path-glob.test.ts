import { join } from 'node:path';
import { limits } from '@nellie/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSqliteStore, type SqliteStore } from '../src/index.ts';
import { useTempDir } from './helpers.ts';

const tempDir = useTempDir();
let store: SqliteStore;

beforeEach(async () => {
  store = await createSqliteStore({ path: join(tempDir(), 'nellie.db') });
  const repo = await store.upsertRepository({ rootPath: '/work/projects/app' });
  const files = [
    'src/events/subscribe.ts',
    `src/${'a'.repeat(60)}/subscribe.ts`,
    `deep/${'segment/'.repeat(200)}subscribe.js`,
  ];
  for (const path of files) {
    await store.writeFile(
      repo.id,
      { path, language: 'typescript', size: 1, mtimeMs: 1, contentHash: String(path.length) },
      [{ startLine: 1, endLine: 1, content: 'export function subscribe() {}' }],
    );
  }
});
afterEach(async () => {
  await store.close();
});

const search = (pathGlob: string) => store.searchCode({ query: 'subscribe', pathGlob });

describe('pathGlob', () => {
  it('rejects extglobs, which a backtracking matcher takes exponential time on', async () => {
    await expect(search('+(*?)Q')).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    await expect(search('+(*?)Q')).rejects.toThrow(
      /extglob "\+\(" is not supported.*Use `\*`, `\*\*`/,
    );
  });

  it('runs the worst allowed pattern over long paths and filters as before', async () => {
    const hostile = `${'*?'.repeat(limits.globWildcards / 2)}Q`;
    // Matching no indexed path is NOT_FOUND, reached in linear time.
    await expect(search(hostile)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(search(`**/${'{a,*}'.repeat(10)}Q`)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect((await search('src/**/*.ts')).map((hit) => hit.path).sort()).toEqual([
      `src/${'a'.repeat(60)}/subscribe.ts`,
      'src/events/subscribe.ts',
    ]);
    expect((await search('*.js')).map((hit) => hit.path)).toEqual([
      `deep/${'segment/'.repeat(200)}subscribe.js`,
    ]);
  });

  it('rejects a pattern over the length limit, naming the limit', async () => {
    const tooLong = '*'.repeat(limits.globLength + 1);
    await expect(search(tooLong)).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    await expect(search(tooLong)).rejects.toThrow(`at most ${limits.globLength}`);
  });
});
