import { codeRanking } from '@nellie/storage/store-kit';
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { createPostgresStore } from '../src/index.ts';
import { fileInfo } from './file-info.ts';
import { freshSchema } from './pglite-server.ts';

const servers = [
  { engine: 'PostgreSQL', connectionString: inject('postgresWithoutPgvector') },
  { engine: 'PGlite', connectionString: inject('postgresWithPgvector') },
];

describe.each(servers)('loose full-text levels on $engine', ({ connectionString }) => {
  const scoredMatchLimit = codeRanking.scoredMatchLimit;
  beforeEach(() => {
    codeRanking.scoredMatchLimit = 20;
  });
  afterEach(() => {
    codeRanking.scoredMatchLimit = scoredMatchLimit;
  });

  it('finds older chunks by a rare query word when a common one matches more than a level scores', async () => {
    await using store = await createPostgresStore({ connectionString, schema: freshSchema() });
    const repo = await store.upsertRepository({ rootPath: '/work/projects/app' });
    await store.writeFile(repo.id, fileInfo('src/accounts/balance.ts'), [
      {
        startLine: 1,
        endLine: 3,
        symbolName: 'settle',
        content: 'export function settle(book) {\n  return book.ledger.close();\n}',
      },
    ]);
    // Written later, so newer: 30 chunks with only the common word.
    for (let index = 0; index < 3; index += 1) {
      await store.writeFile(
        repo.id,
        fileInfo(`src/ui/panel-${index}.ts`),
        Array.from({ length: 10 }, (_, line) => ({
          startLine: line * 3 + 1,
          endLine: line * 3 + 3,
          content: `// widget ${index}.${line}\nrender(widget);`,
        })),
      );
    }
    const hits = await store.searchCode({ query: 'widget ledger totals', limit: 40 });
    expect(hits.map((hit) => hit.path)).toContain('src/accounts/balance.ts');
  });
});
