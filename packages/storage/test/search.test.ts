import { join } from 'node:path';
import type { ChunkInput } from '@nellie/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSqliteStore, type SqliteStore } from '../src/index.ts';
import { codeRanking } from '../src/internal/ranking/settings.ts';
import { useTempDir } from './helpers.ts';

const tempDir = useTempDir();
let store: SqliteStore;

beforeEach(async () => {
  store = await createSqliteStore({ path: join(tempDir(), 'nellie.db') });
});
afterEach(async () => {
  await store.close();
});

async function write(path: string, chunks: ChunkInput[], language = 'typescript'): Promise<void> {
  const repo = await store.upsertRepository({ rootPath: '/work/projects/app' });
  await store.writeFile(
    repo.id,
    { path, language, size: 1, mtimeMs: 1, contentHash: path },
    chunks,
  );
}

function fn(name: string, body: string, extra: Partial<ChunkInput> = {}): ChunkInput {
  return {
    startLine: 1,
    endLine: 3,
    content: body,
    symbolName: name,
    symbolKind: 'function',
    ...extra,
  };
}

async function paths(query: string, options: { limit?: number } = {}): Promise<string[]> {
  return (await store.searchCode({ query, limit: options.limit ?? 10 })).map((hit) => hit.path);
}

// Large indexes take a second path for words found in very many chunks: their matches are
// fetched unscored and ranked in JS. Forcing every word to count as common runs it here.
describe.each([
  { mode: 'full-text scoring', commonWordDocuments: codeRanking.commonWordDocuments },
  { mode: 'every word common (scored in JS)', commonWordDocuments: 0 },
])('lexical ranking, $mode', ({ commonWordDocuments }) => {
  const saved = codeRanking.commonWordDocuments;
  beforeEach(() => {
    codeRanking.commonWordDocuments = commonWordDocuments;
  });
  afterEach(() => {
    codeRanking.commonWordDocuments = saved;
  });

  it('ranks the definition of a named symbol above the places that call it', async () => {
    for (let index = 0; index < 5; index += 1) {
      await write(`src/callers/caller-${index}.ts`, [
        {
          startLine: 1,
          endLine: 4,
          content: `const config = parseConfig(raw${index});\nparseConfig(other);\nreturn parseConfig(x);`,
        },
      ]);
    }
    await write('src/config/parse-config.ts', [
      fn(
        'parseConfig',
        'export function parseConfig(text: string): Config {\n  return JSON.parse(text);\n}',
      ),
    ]);
    for (const query of ['parseConfig', 'parse_config', 'parse config', 'ParseConfig']) {
      expect((await paths(query))[0], query).toBe('src/config/parse-config.ts');
    }
  });

  it('finds identifiers that only appear inside code, by their parts', async () => {
    await write('src/profile.ts', [
      {
        startLine: 10,
        endLine: 12,
        content: 'const profile = await fetchUserProfile(session.userId);',
      },
    ]);
    await write('src/other.ts', [{ startLine: 1, endLine: 1, content: 'const user = load();' }]);
    expect((await paths('fetch user profile'))[0]).toBe('src/profile.ts');
    expect((await paths('FETCH_USER_PROFILE'))[0]).toBe('src/profile.ts');
    expect((await paths('userProfile'))[0]).toBe('src/profile.ts');
  });

  it('answers natural-language questions: stop words ignored, all words before some words', async () => {
    await write('src/http/retry.ts', [
      fn(
        'retryFailedRequests',
        '// Retries failed HTTP requests with exponential backoff.\nexport async function retryFailedRequests() {}',
      ),
    ]);
    await write('src/http/client.ts', [
      {
        startLine: 1,
        endLine: 3,
        content: 'requests requests requests requests // many requests, nothing else',
      },
    ]);
    await write('src/http/backoff.ts', [
      fn('backoff', 'export const backoff = (attempt) => 2 ** attempt * 100;'),
    ]);
    const results = await paths('how do we retry the failed requests?');
    expect(results[0]).toBe('src/http/retry.ts');
    expect(results).toContain('src/http/client.ts');
    // A query made only of stop words still searches for them.
    await write('src/misc.ts', [{ startLine: 1, endLine: 1, content: 'const where = "the";' }]);
    expect(await paths('where the')).toContain('src/misc.ts');
  });

  it('prefers source files over tests unless the query asks for tests', async () => {
    await write('src/auth/token.ts', [
      fn('refreshToken', 'export function refreshToken(token) { return sign(token); }'),
    ]);
    await write('test/auth/token.test.ts', [
      {
        startLine: 1,
        endLine: 3,
        content:
          'it("refreshToken refreshes", () => { refreshToken(token); refreshToken(token); });',
      },
    ]);
    expect((await paths('refresh token'))[0]).toBe('src/auth/token.ts');
    expect((await paths('refresh token test'))[0]).toBe('test/auth/token.test.ts');
  });

  it('takes files named after a query word as candidates, however many chunks match better', async () => {
    // 60 chunks with every query word fill the candidate pool; the file named after one of
    // them matches only by its name.
    for (let file = 0; file < 3; file += 1) {
      await write(
        `src/report/writer-${file}.ts`,
        Array.from({ length: 20 }, (_, index) => ({
          startLine: index * 3 + 1,
          endLine: index * 3 + 3,
          content: `// pdf output generated by writer ${file}.${index}\nwrite(pdfOutput, generated);`,
        })),
      );
    }
    await write('src/pdf.ts', [
      fn('render', 'export function render(document) {\n  return latex(document);\n}'),
    ]);
    expect(await paths('pdf output generated')).toContain('src/pdf.ts');
  });

  it('finds older chunks by a rare query word when a common one matches more than a level scores', async () => {
    const scoredMatchLimit = codeRanking.scoredMatchLimit;
    codeRanking.scoredMatchLimit = 20;
    try {
      await write('src/accounts/balance.ts', [
        fn('settle', 'export function settle(book) {\n  return book.ledger.close();\n}'),
      ]);
      // Written later, so newer: 30 chunks with only the common word.
      for (let file = 0; file < 3; file += 1) {
        await write(
          `src/ui/panel-${file}.ts`,
          Array.from({ length: 10 }, (_, index) => ({
            startLine: index * 3 + 1,
            endLine: index * 3 + 3,
            content: `// widget ${file}.${index}\nrender(widget);`,
          })),
        );
      }
      expect(await paths('widget ledger totals', { limit: 40 })).toContain(
        'src/accounts/balance.ts',
      );
    } finally {
      codeRanking.scoredMatchLimit = scoredMatchLimit;
    }
  });

  it('matches words regardless of case and diacritics', async () => {
    await write('src/i18n.ts', [
      { startLine: 1, endLine: 1, content: 'const Größe = berechneGröße(ÉLAN);' },
    ]);
    expect(await paths('grosse')).toEqual([]);
    expect((await paths('größe'))[0]).toBe('src/i18n.ts');
    expect((await paths('berechne grösse'))[0]).toBe('src/i18n.ts');
    expect((await paths('elan'))[0]).toBe('src/i18n.ts');
  });

  it('treats full-text syntax in queries as plain words', async () => {
    await write('src/near.ts', [
      { startLine: 1, endLine: 1, content: 'function near(a, b) { return a NOT b; }' },
    ]);
    for (const query of [
      '"unterminated',
      'near AND (b',
      'NEAR(a b)',
      '*',
      '-near',
      '^near',
      'symbol:near',
      'a OR',
      "'; DROP TABLE chunks; --",
    ]) {
      await expect(store.searchCode({ query }), query).resolves.toBeInstanceOf(Array);
    }
    expect((await paths('NEAR(a b)'))[0]).toBe('src/near.ts');
    expect((await store.stats()).chunks).toBe(1);
  });

  it('rejects an over-long query and uses only the first words of a very wordy one', async () => {
    await write('src/a.ts', [fn('alphaHandler', 'export function alphaHandler() {}')]);
    const error = await store
      .searchCode({ query: 'alpha '.repeat(1000) })
      .catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'INVALID_INPUT' });
    expect((error as Error).message).toContain('at most 4096');
    const wordy = ['alpha', ...Array.from({ length: 200 }, (_, index) => `filler${index}`)].join(
      ' ',
    );
    expect((await paths(wordy))[0]).toBe('src/a.ts');
    const tail = [
      ...Array.from({ length: 40 }, (_, index) => `filler${index}`),
      'alphaHandler',
    ].join(' ');
    expect(await paths(tail)).toEqual([]);
  });
});
