import type { Embedder, EmbedOptions } from '@nellie/core';
import { NellieError } from '@nellie/core';
import {
  type FakeIndexer,
  type MemoryStore,
  createFakeEmbedder,
  createFakeIndexer,
  createMemoryStore,
  seedRepository,
} from '@nellie/test-utils';
import {
  addRepository,
  answerCodeSearches,
  auditOf,
  codeHit,
  requestsTo,
} from '../../test/support/store.ts';
import { afterEach, describe, expect, it } from 'vitest';
import {
  connect,
  createRecordingLogger,
  disabledModel,
  readyModel,
  textOf,
  type Harness,
} from '../../test/support/harness.ts';
import type { NellieToolsDeps } from '../register-tools-options.ts';

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

/** A fake embedder that records the options of every call, and can be told to fail. */
function recordingEmbedder(dimensions = 16) {
  const inner = createFakeEmbedder({ dimensions });
  const calls: { texts: readonly string[]; options: EmbedOptions | undefined }[] = [];
  const embedder: Embedder & { calls: typeof calls; fail: Error | null } = {
    modelId: inner.modelId,
    dimensions: inner.dimensions,
    calls,
    fail: null,
    embed(texts, options) {
      calls.push({ texts, options });
      return embedder.fail === null ? inner.embed(texts, options) : Promise.reject(embedder.fail);
    },
    close: () => inner.close(),
  };
  return embedder;
}

async function start(overrides: Partial<NellieToolsDeps> & { store?: MemoryStore } = {}) {
  const store = overrides.store ?? createMemoryStore();
  const indexer = createFakeIndexer();
  const logger = createRecordingLogger();
  harness = await connect({
    store,
    indexer,
    modelStatus: disabledModel,
    version: '1.0.0',
    logger,
    ...overrides,
  });
  return { harness, store, indexer: (overrides.indexer ?? indexer) as FakeIndexer, logger };
}

describe('search_code', () => {
  it('groups by file by default: location, symbol, score and three lines per chunk', async () => {
    const store = createMemoryStore();
    const long = Array.from({ length: 30 }, (_, line) => `    const user${line} = find(user);`);
    answerCodeSearches(store, [
      codeHit(),
      codeHit({
        chunkId: 2,
        path: 'src/user-service.ts',
        startLine: 3,
        endLine: 40,
        symbolName: 'findUser',
        symbolKind: 'method',
        enclosingSymbol: 'UserService',
        score: 0.0164,
        content: long.join('\n'),
        freshness: { indexedAt: '2025-01-01T00:00:00.000Z', changedSinceIndexed: true },
      }),
      codeHit({ chunkId: 3, startLine: 30, endLine: 31, symbolName: 'saveUser', score: 0.01 }),
    ]);
    const { harness } = await start({ store });

    const result = await harness.call('search_code', { query: 'find user' });
    const text = textOf(result);

    expect(result.isError).toBeFalsy();
    expect(text).toContain('2 files for "find user" (keyword):');
    expect(text).toContain('1. api:src/user.ts score 0.82');
    expect(text).toContain('   10-24 getUserById (function)');
    expect(text).toContain('   30-31 saveUser (function)');
    expect(text).toContain(
      '2. api:src/user-service.ts score 0.016\n   3-40 UserService.findUser (method) (changed on disk since indexed)',
    );
    expect(text).toContain('   const user0 = find(user);');
    expect(text).toContain('… 27 more lines');
    expect(text).not.toContain('user29');

    const data = result.structuredContent as {
      mode: string;
      groupBy: string;
      hits: { path: string; score: number; chunks: Record<string, unknown>[] }[];
    };
    expect(data).toMatchObject({ query: 'find user', mode: 'keyword', groupBy: 'file' });
    expect(data.hits.map((file) => [file.path, file.chunks.length])).toEqual([
      ['src/user.ts', 2],
      ['src/user-service.ts', 1],
    ]);
    expect(data.hits[0]!.chunks[0]).toMatchObject({
      rootPath: '/work/api',
      absolutePath: '/work/api/src/user.ts',
      symbolName: 'getUserById',
      freshness: { indexedAt: '2025-01-01T00:00:00.000Z', changedSinceIndexed: false },
    });
    // Content only on request.
    expect(data.hits[0]!.chunks[0]).not.toHaveProperty('content');
  });

  it('answers chunks with full content on request', async () => {
    const store = createMemoryStore();
    const content = Array.from({ length: 30 }, (_, line) => `const user${line} = 1;`).join('\n');
    answerCodeSearches(store, [codeHit({ content }), codeHit({ chunkId: 2, repository: 'web' })]);
    const { harness } = await start({ store });
    const result = await harness.call('search_code', {
      query: 'user',
      groupBy: 'chunk',
      includeContent: true,
    });
    const text = textOf(result);
    expect(text).toContain('2 results for "user" (keyword):');
    expect(text).toContain('1. api:src/user.ts:10-24 getUserById (function) score 0.82');
    expect(text).toContain('2. web:src/user.ts:10-24 getUserById');
    expect(text).toContain('user29');
    const data = result.structuredContent as { groupBy: string; hits: { content: string }[] };
    expect(data.groupBy).toBe('chunk');
    expect(data.hits[0]!.content).toContain('user29');
  });

  it('passes limit and filters to the store, under current and deprecated names', async () => {
    const store = createMemoryStore();
    await seedRepository(store, '/home/me/api', { 'src/user.ts': 'export const user = 1;' });
    const { harness } = await start({ store });
    const filters = { language: 'typescript', groupBy: 'chunk', limit: 3 };
    await harness.call('search_code', {
      query: 'user',
      repository: 'api',
      pathGlob: 'src/**/*.ts',
      ...filters,
    });
    await harness.call('search_code', {
      query: 'user',
      repo: 'api',
      path_glob: 'src/**/*.ts',
      ...filters,
    });
    for (const request of requestsTo(store, 'searchCode')) {
      expect(request).toMatchObject({
        query: 'user',
        limit: 3,
        repository: 'api',
        pathGlob: 'src/**/*.ts',
        language: 'typescript',
      });
    }
    expect(requestsTo(store, 'searchCode')).toHaveLength(2);
    // Grouping by file asks for more chunks than files.
    await harness.call('search_code', { query: 'user', limit: 3 });
    expect(requestsTo(store, 'searchCode')[2]!.limit).toBe(9);
  });

  it('refuses unknown arguments, and a deprecated name that disagrees with the current one', async () => {
    const { harness } = await start();
    const unknown = await harness.call('search_code', { query: 'user', path: 'src/**' });
    expect(unknown.isError).toBe(true);
    expect(textOf(unknown)).toContain('Unknown argument "path"');
    const both = await harness.call('search_code', { query: 'u', repo: 'a', repository: 'b' });
    expect(both.isError).toBe(true);
    expect(textOf(both)).toContain('Give repository and repo once');
  });

  it('says so when nothing matched', async () => {
    const { harness } = await start();
    const result = await harness.call('search_code', { query: 'nothing here' });
    expect(result.isError).toBeFalsy();
    expect(textOf(result)).toMatch(/^No code matched "nothing here"\./);
    expect(result.structuredContent).toMatchObject({ hits: [] });
  });

  it('is an error naming the indexed repositories when the repository matches none', async () => {
    const store = createMemoryStore();
    await addRepository(store, 'api', '/home/me/api');
    await addRepository(store, 'web', '/home/me/web');
    const { harness } = await start({ store });
    const unknown = await harness.call('search_code', { query: 'user', repository: 'mobile' });
    expect(unknown.isError).toBe(true);
    expect(textOf(unknown)).toBe(
      'NOT_FOUND: No repository is named or rooted at "mobile". Indexed repositories: api, web.',
    );
    expect(unknown.structuredContent).toEqual({
      error: { code: 'NOT_FOUND', message: expect.stringContaining('api, web') as string },
    });
  });

  it('embeds the query with query priority and searches hybrid when the model is ready', async () => {
    const embedder = recordingEmbedder();
    const store = createMemoryStore({
      embedding: { modelId: embedder.modelId, dimensions: 16 },
    });
    answerCodeSearches(store, [codeHit()]);
    const { harness } = await start({
      store,
      embedder,
      modelStatus: readyModel(embedder.modelId, 16),
    });

    const result = await harness.call('search_code', { query: 'user lookup' });

    expect(embedder.calls).toHaveLength(1);
    expect(embedder.calls[0]!.texts).toEqual(['user lookup']);
    expect(embedder.calls[0]!.options?.priority).toBe('query');
    expect(requestsTo(store, 'searchCode')[0]!.queryVector).toBeInstanceOf(Float32Array);
    expect(requestsTo(store, 'searchCode')[0]!.queryVector).toHaveLength(16);
    expect(result.structuredContent).toMatchObject({ mode: 'hybrid' });
    expect(result.structuredContent).not.toHaveProperty('notice');
    expect(textOf(result)).toContain('(keyword + semantic)');

    // mode keyword (and its deprecated spelling lexical) skips the embedding, without a notice.
    for (const mode of ['keyword', 'lexical']) {
      const keyword = await harness.call('search_code', { query: 'user lookup', mode });
      expect(keyword.structuredContent).toMatchObject({ mode: 'keyword' });
      expect(keyword.structuredContent).not.toHaveProperty('notice');
    }
    expect(embedder.calls).toHaveLength(1);
  });

  it('falls back to keyword results, says so and logs, when embedding the query fails', async () => {
    const embedder = recordingEmbedder();
    embedder.fail = new NellieError('EMBEDDING_FAILED', 'The embedding worker crashed.');
    const store = createMemoryStore({
      embedding: { modelId: embedder.modelId, dimensions: 16 },
    });
    answerCodeSearches(store, [codeHit()]);
    const { harness, logger } = await start({
      store,
      embedder,
      modelStatus: readyModel(embedder.modelId, 16),
    });

    const result = await harness.call('search_code', { query: 'user' });

    expect(result.isError).toBeFalsy();
    expect(requestsTo(store, 'searchCode')[0]!.queryVector).toBeUndefined();
    expect(result.structuredContent).toMatchObject({
      mode: 'keyword',
      notice:
        'Keyword results only: embedding the query failed (EMBEDDING_FAILED: The embedding worker crashed.).',
    });
    expect(textOf(result)).toContain('embedding the query failed');
    expect(logger.records.find((record) => record.level === 'warn')?.fields).toMatchObject({
      code: 'EMBEDDING_FAILED',
    });
  });

  it('does not embed while the model is loading or disabled', async () => {
    const embedder = recordingEmbedder();
    const store = createMemoryStore({
      embedding: { modelId: embedder.modelId, dimensions: 16 },
    });
    const { harness } = await start({
      store,
      embedder,
      modelStatus: () => ({ state: 'loading', modelId: embedder.modelId }),
    });

    const result = await harness.call('search_code', { query: 'user' });

    expect(embedder.calls).toEqual([]);
    expect(result.structuredContent).toMatchObject({
      mode: 'keyword',
      notice: 'Keyword results only: the embedding model is still loading.',
    });
  });

  it('does not send a vector of another model than the one the store holds', async () => {
    const embedder = recordingEmbedder();
    const store = createMemoryStore({ embedding: { modelId: 'other-model', dimensions: 16 } });
    const { harness } = await start({
      store,
      embedder,
      modelStatus: readyModel(embedder.modelId, 16),
    });

    const result = await harness.call('search_code', { query: 'user' });

    expect(embedder.calls).toEqual([]);
    expect(requestsTo(store, 'searchCode')[0]!.queryVector).toBeUndefined();
    expect((result.structuredContent as { notice: string }).notice).toMatch(/other-model/);
  });
});

describe('index_repo', () => {
  it('index_repo starts a background job and returns its id and progress at once', async () => {
    const { harness, indexer, store } = await start();

    const result = await harness.call('index_repo', { path: '/home/me/api/' });

    expect(result.isError).toBeFalsy();
    expect(indexer.jobs).toHaveLength(1);
    const job = indexer.jobs[0]!;
    expect(job.rootPath).toBe('/home/me/api');
    expect(textOf(result)).toContain(
      `Started incremental index job ${job.id} for api (/home/me/api)`,
    );
    expect(textOf(result)).toContain(`get_index_status {"job_id": "${job.id}"}`);
    expect(result.structuredContent).toMatchObject({
      alreadyRunning: false,
      job: { id: job.id, state: 'queued', progress: { filesSeen: 0 } },
    });
    expect(await auditOf(store)).toHaveLength(1);
    expect((await auditOf(store))[0]).toMatchObject({
      actor: 'local',
      channel: 'mcp',
      action: 'index.start',
      target: '/home/me/api',
      details: { jobId: job.id, alreadyRunning: false },
    });
  });

  it('returns the active job instead of starting a second one', async () => {
    const { harness, indexer } = await start();
    await harness.call('index_repo', { path: '/home/me/api' });
    const second = await harness.call('index_repo', { path: '/home/me/api' });

    expect(indexer.jobs).toHaveLength(1);
    expect(second.structuredContent).toMatchObject({ alreadyRunning: true });
    expect(textOf(second)).toMatch(/already queued, so no new job was started/);
  });

  it('passes the indexer’s INVALID_INPUT for a path that is not a directory', async () => {
    const { harness, store } = await start();
    const result = await harness.call('index_repo', { path: '/home/me/missing' });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toBe('INVALID_INPUT: /home/me/missing is not a readable directory.');
    expect(await auditOf(store)).toEqual([]);
  });

  it('passes the indexer’s PATH_NOT_ALLOWED as an error result naming the setting', async () => {
    const { harness, store } = await start();
    const result = await harness.call('index_repo', { path: '/etc' });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toBe(
      'PATH_NOT_ALLOWED: Nellie does not index /etc: it is a system directory. Add a root with --allow-root.',
    );
    expect(await auditOf(store)).toEqual([]);
  });

  it('resolves a repository name and starts an incremental job', async () => {
    const store = createMemoryStore();
    await addRepository(store, 'api', '/home/me/api');
    const { harness, indexer } = await start({ store });

    const result = await harness.call('index_repo', { path: 'api' });

    expect(result.isError).toBeFalsy();
    expect(indexer.jobs[0]).toMatchObject({ rootPath: '/home/me/api', mode: 'incremental' });
  });

  it('mode full starts a full job, and reports an incremental job already running', async () => {
    const store = createMemoryStore();
    await addRepository(store, 'api', '/home/me/api');
    const { harness, indexer } = await start({ store });

    await harness.call('index_repo', { path: '/home/me/api' });
    const busy = await harness.call('index_repo', { path: 'api', mode: 'full' });
    expect(busy.structuredContent).toMatchObject({
      alreadyRunning: true,
      job: { mode: 'incremental' },
    });
    expect(textOf(busy)).toContain(
      'An incremental index job for api (/home/me/api) is already queued, so no new job was started',
    );
    expect(textOf(busy)).toContain(
      'It is an incremental job, not full: call again once it has finished.',
    );

    indexer.finish(indexer.jobs[0]!.id);
    const full = await harness.call('index_repo', { path: 'api', mode: 'full' });
    expect(full.structuredContent).toMatchObject({ alreadyRunning: false, job: { mode: 'full' } });
  });

  it('answers NOT_FOUND, listing known repositories, for an unknown repository', async () => {
    const store = createMemoryStore();
    await addRepository(store, 'api', '/home/me/api');
    const { harness, indexer } = await start({ store });

    const byName = await harness.call('index_repo', { path: 'webapp' });
    expect(byName.isError).toBe(true);
    expect(textOf(byName)).toBe(
      'NOT_FOUND: No indexed repository is named "webapp". Indexed repositories: api (/home/me/api). ' +
        'To index a new directory, pass its absolute path to index_repo.',
    );

    const byPath = await harness.call('index_repo', { path: '/home/me/web', mode: 'diff' });
    expect(textOf(byPath)).toMatch(
      /^NOT_FOUND: \/home\/me\/web is not an indexed repository; index it first with index_repo/,
    );
    expect(indexer.jobs).toEqual([]);
  });

  it('says clearly that indexing is not available without an indexer', async () => {
    const { harness, store } = await start({ indexer: undefined });
    for (const mode of ['incremental', 'full', 'diff']) {
      const result = await harness.call('index_repo', { path: '/home/me/api', mode });
      expect(result.isError, mode).toBe(true);
      expect(textOf(result), mode).toMatch(/Indexing is not available in this process/);
    }
    expect(await auditOf(store)).toEqual([]);
  });
});

describe('index_repo mode diff', () => {
  it('reports what changed and starts an incremental job', async () => {
    const store = createMemoryStore();
    await addRepository(store, 'api', '/home/me/api');
    const { harness, indexer } = await start({ store });
    indexer.diffs.set('/home/me/api', {
      repository: 'api',
      rootPath: '/home/me/api',
      added: Array.from({ length: 12 }, (_, index) => `src/new-${index}.ts`),
      changed: ['src/user.ts'],
      deleted: ['src/old.ts'],
      unchanged: 40,
    });

    const result = await harness.call('index_repo', { path: 'api', mode: 'diff' });
    const text = textOf(result);

    expect(text).toContain(
      'api (/home/me/api) differs from its index: 12 added, 1 changed, 1 deleted, 40 unchanged.',
    );
    expect(text).toContain('Added: src/new-0.ts, src/new-1.ts');
    expect(text).toContain('… 2 more');
    expect(text).toContain('Changed: src/user.ts');
    expect(text).toContain('Deleted: src/old.ts');
    expect(indexer.jobs).toHaveLength(1);
    expect(indexer.jobs[0]!.mode).toBe('incremental');
    expect(result.structuredContent).toMatchObject({
      diff: { counts: { added: 12, changed: 1, deleted: 1, unchanged: 40 }, truncated: false },
      job: { id: indexer.jobs[0]!.id },
      alreadyRunning: false,
    });
    expect((await auditOf(store)).map((entry) => entry.action)).toEqual(['index.start']);
  });

  it('starts nothing when the index is up to date', async () => {
    const store = createMemoryStore();
    await addRepository(store, 'api', '/home/me/api');
    const { harness, indexer } = await start({ store });
    indexer.diffs.set('/home/me/api', {
      repository: 'api',
      rootPath: '/home/me/api',
      added: [],
      changed: [],
      deleted: [],
      unchanged: 40,
    });

    const result = await harness.call('index_repo', { path: '/home/me/api', mode: 'diff' });

    expect(textOf(result)).toBe(
      'api (/home/me/api) is up to date: 40 files unchanged since indexing. No job was started.',
    );
    expect(result.structuredContent).toMatchObject({ job: null, alreadyRunning: false });
    expect(indexer.jobs).toEqual([]);
    expect(await auditOf(store)).toEqual([]);
  });
});

describe('get_index_status', () => {
  it('lists jobs with progress, the indexer state and repositories', async () => {
    const store = createMemoryStore();
    await addRepository(store, 'api', '/home/me/api', '2025-01-02T03:04:05.000Z');
    await addRepository(store, 'web', '/home/me/web');
    const { harness, indexer } = await start({ store });
    await harness.call('index_repo', { path: 'api' });
    const job = indexer.jobs[0]!;
    job.state = 'running';
    job.progress.filesSeen = 120;
    job.progress.filesIndexed = 80;

    const result = await harness.call('get_index_status');
    const text = textOf(result);

    expect(text).toContain('Indexer: 1 running, 0 queued');
    expect(text).toContain(
      `- ${job.id} running incremental api (/home/me/api): 120 files seen, 80 indexed`,
    );
    expect(text).toContain('- api (/home/me/api): last indexed 2025-01-02T03:04:05.000Z');
    expect(text).toContain('- web (/home/me/web): not indexed yet');
    expect(result.structuredContent).toMatchObject({
      indexingAvailable: true,
      indexer: { jobsRunning: 1 },
      jobs: [{ id: job.id, state: 'running' }],
      repositories: [
        { name: 'api', lastIndexedAt: '2025-01-02T03:04:05.000Z' },
        { name: 'web', lastIndexedAt: null },
      ],
    });
  });

  it('reports one job by id, and NOT_FOUND for an unknown id', async () => {
    const { harness, indexer } = await start();
    await harness.call('index_repo', { path: '/home/me/api' });
    const id = indexer.jobs[0]!.id;

    const one = await harness.call('get_index_status', { job_id: id });
    expect(textOf(one)).toMatch(new RegExp(`^${id} queued incremental api`));
    expect(one.structuredContent).toMatchObject({ jobs: [{ id }] });

    const missing = await harness.call('get_index_status', { job_id: 'job-999' });
    expect(missing.isError).toBe(true);
    expect(textOf(missing)).toBe(
      'NOT_FOUND: No index job with id "job-999". Call get_index_status without job_id to list recent jobs.',
    );
  });

  it('without an indexer still answers, saying indexing is not available', async () => {
    const store = createMemoryStore();
    await addRepository(store, 'api', '/home/me/api', '2025-01-02T03:04:05.000Z');
    const { harness } = await start({ store, indexer: undefined });

    const result = await harness.call('get_index_status');

    expect(result.isError).toBeFalsy();
    expect(textOf(result)).toMatch(/^Indexing is not available in this process/);
    expect(result.structuredContent).toMatchObject({
      indexingAvailable: false,
      indexer: null,
      jobs: [],
      repositories: [{ name: 'api' }],
    });
  });
});

describe('query embedding in other searches', () => {
  it('search_lessons and search_checkpoints embed with query priority too', async () => {
    const embedder = recordingEmbedder();
    const store = createMemoryStore({
      embedding: { modelId: embedder.modelId, dimensions: 16 },
    });
    const { harness } = await start({
      store,
      embedder,
      modelStatus: readyModel(embedder.modelId, 16),
    });

    await harness.call('search_lessons', { query: 'sqlite locking' });
    await harness.call('search_checkpoints', { query: 'auth migration' });

    expect(embedder.calls.map((call) => call.options?.priority)).toEqual(['query', 'query']);
    expect(requestsTo(store, 'searchLessons')[0]!.queryVector).toBeInstanceOf(Float32Array);
    expect(requestsTo(store, 'searchCheckpoints')[0]!.queryVector).toBeInstanceOf(Float32Array);
  });
});
