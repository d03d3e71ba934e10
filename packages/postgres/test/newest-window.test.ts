import { codeRanking } from '@nellie/storage/store-kit';
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { createPostgresStore } from '../src/index.ts';
import { postgresFullText } from '../src/internal/code-search.ts';
import { fileInfo } from './file-info.ts';
import { freshSchema } from './pglite-server.ts';

const servers = [
  { engine: 'PostgreSQL', connectionString: inject('postgresWithoutPgvector') },
  { engine: 'PGlite', connectionString: inject('postgresWithPgvector') },
];

describe.each(servers)(
  'selective levels asking for their newest matches first on $engine',
  ({ connectionString }) => {
    const saved = {
      scored: codeRanking.scoredMatchLimit,
      factor: postgresFullText.newestWindowFactor,
      idCost: postgresFullText.newestWindowIdCost,
    };
    beforeEach(() => {
      // Levels keep their 4 newest matches, and every level that keeps fewer than its matches
      // asks first for those in a window expected to hold exactly 4, however small the store.
      codeRanking.scoredMatchLimit = 4;
      postgresFullText.newestWindowIdCost = 0;
    });
    afterEach(() => {
      codeRanking.scoredMatchLimit = saved.scored;
      postgresFullText.newestWindowFactor = saved.factor;
      postgresFullText.newestWindowIdCost = saved.idCost;
    });

    it('answers as reading every match, whether the newest ids hold enough matches or not', async () => {
      await using store = await createPostgresStore({ connectionString, schema: freshSchema() });
      const repo = await store.upsertRepository({ rootPath: '/work/projects/shop' });
      const write = (path: string, content: string) =>
        store.writeFile(repo.id, fileInfo(path), [{ startLine: 1, endLine: 1, content }]);
      // "upload" in 24 older chunks, none of the 12 newest; "retry" spread over all of them.
      for (let index = 0; index < 36; index += 1) {
        const words = [index < 24 ? 'upload' : 'render', index % 3 === 0 ? 'retry' : 'cache'];
        await write(
          `src/handler${index}.ts`,
          `export function handle${index}() { ${words.join(' ')}(); }`,
        );
      }
      const queries = ['upload', 'retry', 'upload retry', 'retry handler'];
      const search = () =>
        Promise.all(
          queries.map(async (query) =>
            (await store.searchCode({ query, limit: 10 })).map((hit) => [hit.chunkId, hit.score]),
          ),
        );
      // A window as large as the store is never tried.
      postgresFullText.newestWindowFactor = Number.POSITIVE_INFINITY;
      const everyMatch = await search();
      postgresFullText.newestWindowFactor = 1;
      const windowFirst = await search();
      expect(windowFirst).toEqual(everyMatch);
      // The window above the 12 newest ids holds no "upload": the level still finds 4 of them.
      expect(everyMatch[0]).toHaveLength(4);
      expect(everyMatch[1]).toHaveLength(4);
    });
  },
);
