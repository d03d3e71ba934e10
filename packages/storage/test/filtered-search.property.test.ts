import { join } from 'node:path';
import { seededRandom, type ChunkInput, type CodeSearchRequest } from '@nellie/core';
import picomatch from 'picomatch';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createSqliteStore, type SqliteStore } from '../src/index.ts';
import { codeRanking } from '../src/internal/ranking/settings.ts';
import { useTempDir } from './helpers.ts';

/**
 * A filtered search must rank as if its scope were the only thing indexed: the same query and
 * filter over a data directory of many repositories and over one holding only what passes the
 * filter return the same top 10.
 */

// Seeded, so a failure can be replayed.
const random = seededRandom;

const vocabulary = [
  'parse', 'config', 'user', 'command', 'name', 'suggest', 'similar', 'email', 'validate',
  'regex', 'request', 'retry', 'timeout', 'stream', 'buffer', 'token', 'cache', 'route',
  'schema', 'error', 'handler', 'option', 'value', 'plugin', 'hook', 'color', 'style', 'header',
  'cookie', 'session', 'queue', 'worker', 'lock', 'file', 'path', 'glob', 'match', 'string',
  'number', 'array', 'object', 'merge', 'clone', 'deep', 'format', 'date', 'locale', 'encode',
]; // prettier-ignore

interface FileSpec {
  repository: string;
  path: string;
  language: string;
  chunks: ChunkInput[];
}

function camel(parts: readonly string[]): string {
  return parts
    .map((part, index) => (index === 0 ? part : part[0]!.toUpperCase() + part.slice(1)))
    .join('');
}

/** 24 small repositories; each favours its own words, so word statistics differ by scope. */
function generateCorpus(seed: number): FileSpec[] {
  const next = random(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!;
  const files: FileSpec[] = [];
  for (let repo = 0; repo < 24; repo += 1) {
    const theme = Array.from({ length: 6 }, () => pick(vocabulary));
    const word = (): string => (next() < 0.6 ? pick(theme) : pick(vocabulary));
    const fileCount = 3 + Math.floor(next() * 5);
    for (let file = 0; file < fileCount; file += 1) {
      const kind = pick(['typescript', 'typescript', 'python', 'markdown'] as const);
      const directory = pick(['src', 'lib', 'src/util', 'test', 'docs']);
      const stem = camel([word(), word()]);
      const extension = kind === 'typescript' ? 'ts' : kind === 'python' ? 'py' : 'md';
      const chunks: ChunkInput[] = [];
      const chunkCount = 1 + Math.floor(next() * 4);
      for (let chunk = 0; chunk < chunkCount; chunk += 1) {
        const symbol =
          kind === 'markdown'
            ? undefined
            : camel([word(), word(), word()].slice(0, 1 + Math.floor(next() * 3)));
        const body = Array.from({ length: 5 + Math.floor(next() * 30) }, () =>
          next() < 0.3 ? camel([word(), word()]) : word(),
        ).join(' ');
        chunks.push({
          startLine: chunk * 10 + 1,
          endLine: chunk * 10 + 9,
          content: symbol ? `function ${symbol}() {\n  ${body}\n}` : body,
          ...(symbol ? { symbolName: symbol, symbolKind: 'function' } : {}),
        });
      }
      files.push({
        repository: `repo${repo}`,
        path: `${directory}/${stem}${file}.${extension}`,
        language: kind,
        chunks,
      });
    }
  }
  return files;
}

function generateQueries(seed: number, count: number): string[] {
  const next = random(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!;
  return Array.from({ length: count }, () => {
    const words = Array.from({ length: 1 + Math.floor(next() * 4) }, () => pick(vocabulary));
    if (next() < 0.25) return camel(words.slice(0, 2));
    return next() < 0.3 ? `how do we ${words.join(' ')}` : words.join(' ');
  });
}

// Each test writes a few hundred chunks into several stores; a shared CPU can take a while.
vi.setConfig({ testTimeout: 60_000 });

const tempDir = useTempDir();
const opened: SqliteStore[] = [];
afterEach(async () => {
  for (const store of opened.splice(0)) await store.close();
});

async function storeWith(files: readonly FileSpec[]): Promise<SqliteStore> {
  const store = await createSqliteStore({ path: join(tempDir(), 'nellie.db') });
  opened.push(store);
  const ids = new Map<string, number>();
  for (const file of files) {
    let id = ids.get(file.repository);
    if (id === undefined) {
      id = (await store.upsertRepository({ rootPath: `/data/${file.repository}` })).id;
      ids.set(file.repository, id);
    }
    await store.writeFile(
      id,
      {
        path: file.path,
        language: file.language,
        size: 1,
        mtimeMs: 1,
        contentHash: `${file.repository}/${file.path}`,
      },
      file.chunks,
    );
  }
  return store;
}

async function top10(store: SqliteStore, request: CodeSearchRequest): Promise<string[]> {
  const hits = await store.searchCode({ ...request, limit: 10 });
  return hits.map((hit) => `${hit.repository}:${hit.path}:${hit.startLine}`);
}

const corpus = generateCorpus(7);
const queries = generateQueries(11, 40);

describe.each([
  { matchLimit: codeRanking.scoredMatchLimit },
  // A tiny limit makes every level look at a truncated list of matches, as at millions of chunks.
  { matchLimit: 8 },
])(
  'a filtered search ranks as if only its scope were indexed (match limit $matchLimit)',
  ({ matchLimit }) => {
    const saved = codeRanking.scoredMatchLimit;
    beforeAll(() => {
      codeRanking.scoredMatchLimit = matchLimit;
    });
    afterAll(() => {
      codeRanking.scoredMatchLimit = saved;
    });

    it('by repository', async () => {
      expect(new Set(corpus.map((file) => file.repository)).size).toBeGreaterThanOrEqual(20);
      const everything = await storeWith(corpus);
      let nonEmpty = 0;
      for (const repository of ['repo0', 'repo5', 'repo13', 'repo23']) {
        const alone = await storeWith(corpus.filter((file) => file.repository === repository));
        for (const query of queries) {
          const expected = await top10(alone, { query, repository });
          if (expected.length > 0) nonEmpty += 1;
          expect(await top10(everything, { query, repository }), `${repository}: ${query}`).toEqual(
            expected,
          );
        }
      }
      expect(nonEmpty).toBeGreaterThan(queries.length);
    });

    it('by language', async () => {
      const everything = await storeWith(corpus);
      for (const language of ['python', 'markdown']) {
        const alone = await storeWith(corpus.filter((file) => file.language === language));
        for (const query of queries) {
          const expected = await top10(alone, { query, language });
          expect(await top10(everything, { query, language }), `${language}: ${query}`).toEqual(
            expected,
          );
        }
      }
    });
  },
);

describe('a search filtered by path glob ranks as if only matching files were indexed', () => {
  it.each(['src/**/*.ts', 'docs/**', '*.py'])('%s', async (pathGlob) => {
    const matches = picomatch(pathGlob, { dot: true, basename: !pathGlob.includes('/') });
    const passing = corpus.filter((file) => matches(file.path));
    expect(passing.length).toBeGreaterThan(5);
    const everything = await storeWith(corpus);
    const alone = await storeWith(passing);
    for (const query of queries) {
      const expected = await top10(alone, { query, pathGlob });
      expect(await top10(everything, { query, pathGlob }), `${pathGlob}: ${query}`).toEqual(
        expected,
      );
    }
  });
});

describe.each([
  { mode: 'full-text scoring', commonWordDocuments: codeRanking.commonWordDocuments },
  { mode: 'every word common (scored in JS)', commonWordDocuments: 0 },
])('a scope is never crowded out by other repositories ($mode)', ({ commonWordDocuments }) => {
  const saved = { ...codeRanking };
  beforeAll(() => {
    // Few matches per level, as when millions of chunks match the query's words.
    codeRanking.scoredMatchLimit = 20;
    codeRanking.unscoredMatchLimit = 20;
    codeRanking.commonWordDocuments = commonWordDocuments;
  });
  afterAll(() => {
    Object.assign(codeRanking, saved);
  });

  it('finds the definition in the filtered repository when newer repositories match more', async () => {
    const target: FileSpec = {
      repository: 'commander',
      path: 'lib/suggestSimilar.js',
      language: 'javascript',
      chunks: [
        {
          startLine: 1,
          endLine: 20,
          symbolName: 'suggestSimilar',
          symbolKind: 'function',
          content:
            'function suggestSimilar(word, candidates) {\n  // the closest command name by edit distance\n}',
        },
      ],
    };
    const crowd: FileSpec[] = [];
    for (const repository of ['chalk', 'axios', 'fastify', 'zod']) {
      for (let file = 0; file < 30; file += 1) {
        crowd.push({
          repository,
          path: `src/command${file}.js`,
          language: 'javascript',
          chunks: [
            {
              startLine: 1,
              endLine: 5,
              content: `similar command name suggest user ${file}: the command name when the user mistypes`,
            },
          ],
        });
      }
    }
    const store = await storeWith([target, ...crowd]);
    const query = 'suggest a similar command name when the user mistypes a subcommand';
    const hits = await store.searchCode({ query, repository: 'commander', limit: 5 });
    expect(hits.map((hit) => hit.path)).toEqual(['lib/suggestSimilar.js']);
    const byLanguage = await store.searchCode({
      query: 'suggestSimilar',
      language: 'javascript',
      limit: 3,
    });
    expect(byLanguage[0]?.path).toBe('lib/suggestSimilar.js');
  });
});
