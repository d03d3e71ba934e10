import type {
  AuditEntry,
  Checkpoint,
  CodeSearchHit,
  Embedder,
  IndexJob,
  Lesson,
} from '@nellie/core';
import { NellieError } from '@nellie/core';
import { afterEach, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../test/support/harness.ts';
import {
  createFakeEmbedder,
  createFakeIndexer,
  createMemoryStore,
  seedRepository,
  type MemoryStoreOptions,
} from '@nellie/test-utils';

let current: TestApp | undefined;
function setup(...args: Parameters<typeof createTestApp>): TestApp {
  current = createTestApp(...args);
  return current;
}
afterEach(async () => {
  await current?.close();
  current = undefined;
});

/** A store holding two indexed TypeScript files of the repository `demo`. */
async function storeWithCode(options: MemoryStoreOptions = {}) {
  const store = createMemoryStore(options);
  await seedRepository(store, '/nonexistent/nellie-test/demo', {
    'src/config.ts': 'export function parseConfig(text: string) {\n  return JSON.parse(text);\n}',
    'src/server.ts': 'export function startServer(port: number) {\n  listen(port);\n}',
  });
  return store;
}

describe('lessons', () => {
  it('create, get, list, update, search and delete round trip', async () => {
    const t = setup();
    const created = await t.call('POST', '/api/v1/lessons', {
      json: {
        title: 'Close the database in tests',
        content: 'Leaked handles hang vitest; call close() in afterEach.',
        tags: ['testing', 'sqlite'],
        severity: 'warning',
        repository: 'nellie',
      },
    });
    expect(created.status).toBe(201);
    const lesson = (await created.json()) as Lesson;
    expect(lesson).toMatchObject({ title: 'Close the database in tests', severity: 'warning' });
    expect(lesson.tags).toEqual(['testing', 'sqlite']);

    await t.call('POST', '/api/v1/lessons', {
      json: { title: 'Prefer small PRs', content: 'Reviews go faster.', tags: ['process'] },
    });

    const fetched = await t.call('GET', `/api/v1/lessons/${lesson.id}`);
    expect(fetched.status).toBe(200);
    expect(await fetched.json()).toEqual(lesson);

    const all = (await (await t.call('GET', '/api/v1/lessons')).json()) as {
      items: Lesson[];
      total: number;
    };
    expect(all.total).toBe(2);
    expect(all.items.map((item) => item.title)).toEqual([
      'Prefer small PRs',
      'Close the database in tests',
    ]);

    const filtered = (await (
      await t.call('GET', '/api/v1/lessons?tags=testing,sqlite&severity=warning')
    ).json()) as { items: Lesson[]; total: number };
    expect(filtered.items.map((item) => item.id)).toEqual([lesson.id]);
    const repeated = (await (
      await t.call('GET', '/api/v1/lessons?tags=testing&tags=process')
    ).json()) as { total: number };
    expect(repeated.total).toBe(0);
    const paged = (await (await t.call('GET', '/api/v1/lessons?limit=1&offset=1')).json()) as {
      items: Lesson[];
      total: number;
    };
    expect(paged).toMatchObject({ total: 2 });
    expect(paged.items.map((item) => item.id)).toEqual([lesson.id]);

    const patched = await t.call('PATCH', `/api/v1/lessons/${lesson.id}`, {
      json: { severity: 'critical', tags: ['testing'] },
    });
    expect(patched.status).toBe(200);
    expect(await patched.json()).toMatchObject({
      id: lesson.id,
      severity: 'critical',
      tags: ['testing'],
      title: lesson.title,
    });

    const search = await t.call('POST', '/api/v1/lessons/search', {
      json: { query: 'database handles', limit: 5 },
    });
    expect(search.status).toBe(200);
    const found = (await search.json()) as {
      mode: string;
      notice?: string;
      hits: { lesson: Lesson }[];
    };
    expect(found.mode).toBe('keyword');
    expect(found.notice).toContain('nellie model pull');
    expect(found.hits.map((hit) => hit.lesson.id)).toEqual([lesson.id]);

    const deleted = await t.call('DELETE', `/api/v1/lessons/${lesson.id}`);
    expect(deleted.status).toBe(204);
    expect(await deleted.text()).toBe('');
    const gone = await t.call('GET', `/api/v1/lessons/${lesson.id}`);
    expect(gone.status).toBe(404);
    expect(await gone.json()).toEqual({
      error: { code: 'NOT_FOUND', message: `No lesson with id ${lesson.id}.` },
    });
    expect((await t.call('DELETE', `/api/v1/lessons/${lesson.id}`)).status).toBe(404);
    expect((await t.call('PATCH', '/api/v1/lessons/nope', { json: { title: 'x' } })).status).toBe(
      404,
    );
  });

  it('rejects an empty patch and unknown fields, naming them', async () => {
    const t = setup();
    const { id } = (await (
      await t.call('POST', '/api/v1/lessons', { json: { title: 'a', content: 'b' } })
    ).json()) as Lesson;
    const empty = await t.call('PATCH', `/api/v1/lessons/${id}`, { json: {} });
    expect(empty.status).toBe(400);
    expect(((await empty.json()) as { error: { message: string } }).error.message).toContain(
      'at least one field',
    );
    const unknown = await t.call('POST', '/api/v1/lessons', {
      json: { title: 'a', content: 'b', sevrity: 'info' },
    });
    expect(unknown.status).toBe(400);
    expect(((await unknown.json()) as { error: { message: string } }).error.message).toContain(
      'sevrity',
    );
  });
});

describe('checkpoints and agents', () => {
  it('saves checkpoints, lists recent ones, searches them and follows agent status', async () => {
    const t = setup();
    const first = await t.call('POST', '/api/v1/checkpoints', {
      json: {
        agent: 'builder',
        workingOn: 'Migrating the config loader',
        state: { step: 2, files: ['config.ts'] },
        repository: 'nellie',
        sessionId: 's-1',
      },
    });
    expect(first.status).toBe(201);
    const checkpoint = (await first.json()) as Checkpoint;
    expect(checkpoint).toMatchObject({
      agent: 'builder',
      status: 'in_progress',
      state: { step: 2, files: ['config.ts'] },
      sessionId: 's-1',
    });
    await t.call('POST', '/api/v1/checkpoints', {
      json: { agent: 'reviewer', workingOn: 'Reviewing the storage layer' },
    });

    const status = await t.call('GET', '/api/v1/agents/builder/status');
    expect(await status.json()).toMatchObject({
      agent: 'builder',
      status: 'in_progress',
      currentTask: 'Migrating the config loader',
      lastCheckpointId: checkpoint.id,
    });

    const recent = (await (
      await t.call('GET', '/api/v1/checkpoints/recent?agent=builder&limit=5')
    ).json()) as Checkpoint[];
    expect(recent.map((item) => item.id)).toEqual([checkpoint.id]);
    const latest = (await (
      await t.call('GET', '/api/v1/checkpoints/recent?limit=1')
    ).json()) as Checkpoint[];
    expect(latest.map((item) => item.agent)).toEqual(['reviewer']);

    const fetched = await t.call('GET', `/api/v1/checkpoints/${checkpoint.id}`);
    expect(await fetched.json()).toEqual(checkpoint);
    expect((await t.call('GET', '/api/v1/checkpoints/unknown')).status).toBe(404);

    const search = (await (
      await t.call('POST', '/api/v1/checkpoints/search', {
        json: { query: 'config loader', agent: 'builder' },
      })
    ).json()) as { mode: string; hits: { checkpoint: Checkpoint }[] };
    expect(search.mode).toBe('keyword');
    expect(search.hits.map((hit) => hit.checkpoint.id)).toEqual([checkpoint.id]);

    await t.call('POST', '/api/v1/checkpoints', {
      json: { agent: 'builder', workingOn: 'Config loader migrated', status: 'done' },
    });
    expect(await (await t.call('GET', '/api/v1/agents/builder/status')).json()).toMatchObject({
      status: 'idle',
    });
    const agents = (await (await t.call('GET', '/api/v1/agents')).json()) as { agent: string }[];
    expect(agents.map((agent) => agent.agent).sort()).toEqual(['builder', 'reviewer']);
    expect(await (await t.call('GET', '/api/v1/agents/nobody/status')).json()).toEqual({
      agent: 'nobody',
      status: 'idle',
      currentTask: null,
      lastCheckpointId: null,
      updatedAt: null,
    });
  });

  it('names the field when a checkpoint has the wrong types', async () => {
    const t = setup();
    const response = await t.call('POST', '/api/v1/checkpoints', {
      json: { agent: 'a', workingOn: 'x', state: 'not an object', status: 'paused' },
    });
    expect(response.status).toBe(400);
    const { error } = (await response.json()) as { error: { code: string; message: string } };
    expect(error.code).toBe('INVALID_INPUT');
    expect(error.message).toMatch(/^Invalid request body: /);
    expect(error.message).toContain('state:');
    expect(error.message).toContain('status:');
  });
});

describe('code search', () => {
  it('answers with keyword matches and says why when semantic search is off', async () => {
    const t = setup({ store: await storeWithCode() });
    const response = await t.call('POST', '/api/v1/search/code', {
      json: { query: 'parseConfig', limit: 5, language: 'typescript' },
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { mode: string; notice: string; hits: CodeSearchHit[] };
    expect(body.mode).toBe('keyword');
    expect(body.notice).toContain('nellie model pull');
    expect(body.hits.map((hit) => `${hit.path}:${hit.startLine}-${hit.endLine}`)).toEqual([
      'src/config.ts:1-3',
    ]);
    // The repository is not on disk, so its files count as changed since they were indexed.
    expect(body.hits[0]?.freshness).toEqual({
      indexedAt: expect.any(String) as string,
      changedSinceIndexed: true,
    });
  });

  it('embeds the query with query priority when the model is ready', async () => {
    const embedder = createFakeEmbedder({ dimensions: 8 });
    const store = await storeWithCode({
      embedding: { modelId: embedder.modelId, dimensions: 8 },
    });
    const priorities: (string | undefined)[] = [];
    const spying: Embedder = {
      ...embedder,
      embed(texts, options) {
        priorities.push(options?.priority);
        return embedder.embed(texts, options);
      },
    };
    const t = setup({
      store,
      embedder: spying,
      modelStatus: () => ({ state: 'ready', modelId: embedder.modelId, dimensions: 8 }),
    });
    const body = (await (
      await t.call('POST', '/api/v1/search/code', { json: { query: 'start the server' } })
    ).json()) as { mode: string; notice?: string };
    expect(body).toEqual(expect.objectContaining({ mode: 'hybrid' }));
    expect(body.notice).toBeUndefined();
    expect(priorities).toEqual(['query']);
    expect(store.callsTo('searchCode')[0]?.[0].queryVector).toHaveLength(8);
  });

  it('falls back to keywords when embedding the query fails', async () => {
    const store = await storeWithCode({ embedding: { modelId: 'm', dimensions: 4 } });
    const failing: Embedder = {
      modelId: 'm',
      dimensions: 4,
      embed: () => Promise.reject(new NellieError('EMBEDDING_FAILED', 'worker crashed')),
      close: () => Promise.resolve(),
    };
    const t = setup({
      store,
      embedder: failing,
      modelStatus: () => ({ state: 'ready', modelId: 'm' }),
    });
    const response = await t.call('POST', '/api/v1/search/code', {
      json: { query: 'parseConfig' },
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { mode: string; notice: string; hits: unknown[] };
    expect(body.mode).toBe('keyword');
    expect(body.notice).toContain('EMBEDDING_FAILED');
    expect(body.hits).toHaveLength(1);
  });

  it('groups by file on request: one entry per file, limit counting files', async () => {
    const store = createMemoryStore();
    const named = { symbolName: 'parseConfig', symbolKind: 'function' } as const;
    await seedRepository(store, '/nonexistent/nellie-test/demo', {
      'src/config.ts': {
        chunks: [
          { startLine: 1, endLine: 3, content: 'parseConfig one', ...named },
          { startLine: 9, endLine: 12, content: 'parseConfig three', ...named },
        ],
      },
      'src/server.ts': 'parseConfig two',
      'src/extra.ts': 'parseConfig four',
    });
    const t = setup({ store });
    const response = await t.call('POST', '/api/v1/search/code', {
      json: { query: 'parseConfig', groupBy: 'file', limit: 2 },
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as {
      groupBy: string;
      hits: { path: string; chunks: CodeSearchHit[] }[];
    };
    expect(body.groupBy).toBe('file');
    expect(body.hits).toHaveLength(2);
    expect(body.hits[0]!.path).toBe('src/config.ts');
    expect(body.hits[0]!.chunks.map((hit) => hit.startLine)).toEqual([1, 9]);
    expect(body.hits[1]!.chunks).toHaveLength(1);
    expect(['src/server.ts', 'src/extra.ts']).toContain(body.hits[1]!.path);
    const chunks = await t.call('POST', '/api/v1/search/code', { json: { query: 'parseConfig' } });
    expect(((await chunks.json()) as { groupBy: string }).groupBy).toBe('chunk');
  });

  it('takes mode keyword, and the deprecated lexical, without embedding or a notice', async () => {
    const embedder = createFakeEmbedder({ dimensions: 8 });
    let embedded = 0;
    const counting = {
      ...embedder,
      embed: (texts: readonly string[]) => ((embedded += 1), embedder.embed(texts)),
    };
    const t = setup({
      store: await storeWithCode({ embedding: { modelId: embedder.modelId, dimensions: 8 } }),
      embedder: counting,
      modelStatus: () => ({ state: 'ready', modelId: embedder.modelId, dimensions: 8 }),
    });
    for (const mode of ['keyword', 'lexical']) {
      const response = await t.call('POST', '/api/v1/search/code', {
        json: { query: 'parseConfig', mode },
      });
      expect(response.status).toBe(200);
      const body = (await response.json()) as Record<string, unknown>;
      expect(body).toMatchObject({ query: 'parseConfig', mode: 'keyword' });
      expect(body).not.toHaveProperty('notice');
    }
    expect(embedded).toBe(0);
    const auto = await t.call('POST', '/api/v1/search/code', { json: { query: 'parseConfig' } });
    expect(((await auto.json()) as { mode: string }).mode).toBe('hybrid');
    expect(embedded).toBe(1);
  });

  it('answers 404 naming the indexed repositories for an unknown repository', async () => {
    const t = setup({ store: await storeWithCode() });
    const response = await t.call('POST', '/api/v1/search/code', {
      json: { query: 'parseConfig', repository: 'elsewhere' },
    });
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({
      error: {
        code: 'NOT_FOUND',
        message: 'No repository is named or rooted at "elsewhere". Indexed repositories: demo.',
      },
    });
  });

  it('filters lessons by repository, and by the deprecated repo', async () => {
    const t = setup();
    for (const repo of ['api', 'web']) {
      await t.call('POST', '/api/v1/lessons', {
        json: { title: `Retry flaky tests in ${repo}`, content: 'Retry once.', repo },
      });
    }
    for (const filter of [{ repository: 'api' }, { repo: 'api' }]) {
      const response = await t.call('POST', '/api/v1/lessons/search', {
        json: { query: 'retry', ...filter },
      });
      expect(response.status).toBe(200);
      const body = (await response.json()) as { query: string; hits: { lesson: Lesson }[] };
      expect(body.query).toBe('retry');
      expect(body.hits.map((hit) => hit.lesson.repository)).toEqual(['api']);
    }
    const both = await t.call('POST', '/api/v1/lessons/search', {
      json: { query: 'retry', repository: 'api', repo: 'web' },
    });
    expect(both.status).toBe(400);
  });

  it('anchors lessons to code, shows them on code hits, filters by staleness and confirms', async () => {
    const store = await storeWithCode();
    const t = setup({ store });
    const created = await t.call('POST', '/api/v1/lessons', {
      json: {
        title: 'Config must be JSON',
        content: 'YAML was tried and broke deploys.',
        severity: 'warning',
        anchors: [{ repository: 'demo', path: 'src/config.ts', startLine: 1, endLine: 3 }],
        autoAnchor: false,
      },
    });
    expect(created.status).toBe(201);
    const lesson = (await created.json()) as Lesson;
    expect(lesson).toMatchObject({
      staleness: 'current',
      anchors: [
        { repository: 'demo', path: 'src/config.ts', state: 'current', origin: 'explicit' },
      ],
    });
    const automatic = (await (
      await t.call('POST', '/api/v1/lessons', {
        json: { title: 'startServer binds loopback', content: 'Never 0.0.0.0.' },
      })
    ).json()) as Lesson;
    expect(automatic.anchors).toMatchObject([{ path: 'src/server.ts', symbol: 'startServer' }]);

    const code = await t.call('POST', '/api/v1/search/code', { json: { query: 'parseConfig' } });
    const hits = ((await code.json()) as { hits: CodeSearchHit[] }).hits;
    expect(hits[0]).toMatchObject({
      path: 'src/config.ts',
      memories: {
        count: 1,
        severities: { critical: 0, warning: 1, info: 0 },
        lessons: [{ id: lesson.id, title: 'Config must be JSON', staleness: 'current' }],
      },
    });

    const repository = (await store.getRepository('demo'))!;
    await seedRepository(store, repository.rootPath, {
      'src/config.ts':
        'export function parseConfig(text: string) {\n  return JSON.parse(text.trim());\n}',
    });
    await store.refreshAnchors(repository.id, ['src/config.ts']);
    const changed = await t.call('GET', '/api/v1/lessons?staleness=changed');
    expect(await changed.json()).toMatchObject({ total: 1, items: [{ id: lesson.id }] });
    const search = await t.call('POST', '/api/v1/lessons/search', {
      json: { query: 'config', staleness: ['current'] },
    });
    expect(((await search.json()) as { hits: unknown[] }).hits).toEqual([]);
    const metrics = await (await t.call('GET', '/metrics')).text();
    expect(metrics).toMatch(/^nellie_memories\{state="changed"\} 1$/m);
    expect(metrics).toMatch(/^nellie_memories\{state="current"\} 1$/m);

    const confirmed = await t.call('POST', `/api/v1/lessons/${lesson.id}/confirm`);
    expect(confirmed.status).toBe(200);
    expect(await confirmed.json()).toMatchObject({ staleness: 'current' });
    expect((await t.call('POST', '/api/v1/lessons/nope/confirm')).status).toBe(404);

    const refused = await t.call('POST', '/api/v1/lessons', {
      json: { title: 't', content: 'c', anchors: [{ repository: 'demo', path: 'src/nope.ts' }] },
    });
    expect(refused.status).toBe(400);
    expect(await refused.text()).toContain('Cannot anchor to src/nope.ts');
    expect((await t.call('GET', '/api/v1/lessons?staleness=stale')).status).toBe(400);
  });

  it('confirms an anchored checkpoint whose code changed', async () => {
    const store = await storeWithCode();
    const t = setup({ store });
    const created = await t.call('POST', '/api/v1/checkpoints', {
      json: {
        agent: 'claude',
        workingOn: 'Config parsing',
        repository: 'demo',
        anchors: [{ repository: 'demo', path: 'src/config.ts', symbol: 'parseConfig' }],
      },
    });
    expect(created.status).toBe(201);
    const checkpoint = (await created.json()) as Checkpoint;
    const repository = (await store.getRepository('demo'))!;
    await seedRepository(store, repository.rootPath, {
      'src/config.ts':
        'export function parseConfig(text: string) {\n  return JSON.parse(text.trim());\n}',
    });
    await store.refreshAnchors(repository.id, ['src/config.ts']);
    const stale = await t.call('GET', `/api/v1/checkpoints/${checkpoint.id}`);
    expect(await stale.json()).toMatchObject({ staleness: 'changed' });

    const confirmed = await t.call('POST', `/api/v1/checkpoints/${checkpoint.id}/confirm`);
    expect(confirmed.status).toBe(200);
    expect(await confirmed.json()).toMatchObject({
      id: checkpoint.id,
      staleness: 'current',
      anchors: [{ path: 'src/config.ts', state: 'current', change: null }],
    });
    expect(await store.listAudit({ action: 'checkpoint.confirm' })).toMatchObject([
      { target: checkpoint.id, channel: 'http', details: { anchors: 1 } },
    ]);
    const missing = await t.call('POST', '/api/v1/checkpoints/nope/confirm');
    expect(missing.status).toBe(404);
    expect(await missing.text()).toContain('No checkpoint with id nope');
  });

  it('writes, lists and recent checkpoints take the deprecated repo for repository', async () => {
    const t = setup();
    const created = await t.call('POST', '/api/v1/lessons', {
      json: { title: 'Retry once', content: 'Then fail.', repo: 'api' },
    });
    const lesson = (await created.json()) as Record<string, unknown>;
    expect(lesson).toMatchObject({ repository: 'api' });
    expect(lesson).not.toHaveProperty('repo');

    const listed = await t.call('GET', '/api/v1/lessons?repo=api');
    expect(await listed.json()).toMatchObject({ total: 1, items: [{ id: lesson.id }] });
    expect(await (await t.call('GET', '/api/v1/lessons?repository=web')).json()).toMatchObject({
      total: 0,
    });

    const cleared = await t.call('PATCH', `/api/v1/lessons/${String(lesson.id)}`, {
      json: { repo: null },
    });
    expect(await cleared.json()).toMatchObject({ repository: null });

    await t.call('POST', '/api/v1/checkpoints', {
      json: { agent: 'builder', workingOn: 'Retries', repo: 'api' },
    });
    const recent = await t.call('GET', '/api/v1/checkpoints/recent?repo=api');
    expect(await recent.json()).toMatchObject([{ repository: 'api' }]);

    for (const [method, path, json] of [
      ['POST', '/api/v1/lessons', { title: 't', content: 'c', repo: 'a', repository: 'b' }],
      ['PATCH', `/api/v1/lessons/${String(lesson.id)}`, { repo: 'a', repository: null }],
      ['POST', '/api/v1/checkpoints', { agent: 'a', workingOn: 'w', repo: 'a', repository: 'b' }],
    ] as const) {
      const response = await t.call(method, path, { json });
      expect(response.status, path).toBe(400);
      expect(await response.text(), path).toContain('Give repository and repo once');
    }
    const conflictingQuery = await t.call('GET', '/api/v1/lessons?repo=a&repository=b');
    expect(conflictingQuery.status).toBe(400);
  });

  it('rejects a missing query and a limit of the wrong type, naming the field', async () => {
    const t = setup();
    const missing = await t.call('POST', '/api/v1/search/code', { json: { limit: 3 } });
    expect(missing.status).toBe(400);
    expect(((await missing.json()) as { error: { message: string } }).error.message).toContain(
      'query:',
    );
    const wrongType = await t.call('POST', '/api/v1/search/code', {
      json: { query: 'x', limit: 'ten' },
    });
    expect(wrongType.status).toBe(400);
    expect(await wrongType.json()).toEqual({
      error: {
        code: 'INVALID_INPUT',
        message: 'Invalid request body: limit: limit must be a number',
      },
    });
  });
});

describe('index jobs', () => {
  it('starts, lists, gets and cancels jobs', async () => {
    const indexer = createFakeIndexer();
    const t = setup({ indexer });
    const started = await t.call('POST', '/api/v1/index/jobs', {
      json: { path: '/srv/repos/demo', mode: 'full' },
    });
    expect(started.status).toBe(202);
    const job = (await started.json()) as IndexJob;
    expect(job).toMatchObject({ rootPath: '/srv/repos/demo', mode: 'full', state: 'queued' });

    const again = (await (
      await t.call('POST', '/api/v1/index/jobs', { json: { path: '/srv/repos/demo' } })
    ).json()) as IndexJob;
    expect(again.id).toBe(job.id);

    indexer.advance(job.id, { filesSeen: 3 });
    const list = (await (await t.call('GET', '/api/v1/index/jobs')).json()) as IndexJob[];
    expect(list.map((item) => item.id)).toEqual([job.id]);
    expect(await (await t.call('GET', `/api/v1/index/jobs/${job.id}`)).json()).toMatchObject({
      id: job.id,
      state: 'running',
      progress: { filesSeen: 3 },
    });
    const cancelled = await t.call('DELETE', `/api/v1/index/jobs/${job.id}`);
    expect(cancelled.status).toBe(200);
    expect(await cancelled.json()).toMatchObject({ id: job.id, state: 'cancelled' });

    expect((await t.call('GET', '/api/v1/index/jobs/job_404')).status).toBe(404);
    expect((await t.call('DELETE', '/api/v1/index/jobs/job_404')).status).toBe(404);
  });

  it('rejects relative paths and unreadable directories', async () => {
    const t = setup({ indexer: createFakeIndexer() });
    const relative = await t.call('POST', '/api/v1/index/jobs', { json: { path: 'repos/demo' } });
    expect(relative.status).toBe(400);
    expect(((await relative.json()) as { error: { message: string } }).error.message).toContain(
      'path: Must be an absolute path',
    );
    const badMode = await t.call('POST', '/api/v1/index/jobs', {
      json: { path: '/srv/x', mode: 'quick' },
    });
    expect(((await badMode.json()) as { error: { message: string } }).error.message).toContain(
      'mode:',
    );
    const missing = await t.call('POST', '/api/v1/index/jobs', { json: { path: '/srv/missing' } });
    expect(missing.status).toBe(400);
    expect(await missing.json()).toEqual({
      error: { code: 'INVALID_INPUT', message: '/srv/missing is not a readable directory.' },
    });
  });

  it('answers 403 PATH_NOT_ALLOWED for a directory the indexer refuses, and audits nothing', async () => {
    const indexer = createFakeIndexer();
    const t = setup({ indexer });
    const refused = await t.call('POST', '/api/v1/index/jobs', { json: { path: '/etc' } });
    expect(refused.status).toBe(403);
    expect(await refused.json()).toEqual({
      error: {
        code: 'PATH_NOT_ALLOWED',
        message:
          'Nellie does not index /etc: it is a system directory. Add a root with --allow-root.',
      },
    });
    expect(indexer.jobs).toEqual([]);
  });

  it('answers 503 with a clear error when the server has no indexer', async () => {
    const t = setup();
    for (const [method, path, json] of [
      ['POST', '/api/v1/index/jobs', { path: '/srv/repos/demo' }],
      ['GET', '/api/v1/index/jobs', undefined],
      ['GET', '/api/v1/index/jobs/job_1', undefined],
      ['DELETE', '/api/v1/index/jobs/job_1', undefined],
    ] as const) {
      const response = await t.call(method, path, { json });
      expect(response.status).toBe(503);
      const { error } = (await response.json()) as { error: { code: string; message: string } };
      expect(error.code).toBe('UNAVAILABLE');
      expect(error.message).toContain('without an indexer');
    }
  });
});

describe('status and audit', () => {
  it('reports counts, model state, indexer figures and version', async () => {
    const t = setup({ indexer: createFakeIndexer({ embeddingBacklog: 7, indexLagSeconds: 2.5 }) });
    await t.call('POST', '/api/v1/lessons', { json: { title: 'a', content: 'b' } });
    const status = (await (await t.call('GET', '/api/v1/status')).json()) as Record<
      string,
      unknown
    >;
    expect(status).toMatchObject({
      version: '1.2.3',
      semanticSearch: 'off',
      model: { state: 'disabled' },
      store: { lessons: 1, checkpoints: 0, schemaVersion: 1 },
      indexer: { embeddingBacklog: 7, indexLagSeconds: 2.5 },
      embeddingQueueDepth: 0,
      mcpSessions: { streamableHttp: 0, sse: 0 },
    });
    expect(status.message).toContain('nellie model pull');
  });

  it('records every write with the actor and lets operators filter the log', async () => {
    const t = setup({ indexer: createFakeIndexer() });
    const lesson = (await (
      await t.call('POST', '/api/v1/lessons', { json: { title: 't', content: 'secret body' } })
    ).json()) as Lesson;
    await t.call('PATCH', `/api/v1/lessons/${lesson.id}`, { json: { title: 'u' } });
    await t.call('DELETE', `/api/v1/lessons/${lesson.id}`);
    const checkpoint = (await (
      await t.call('POST', '/api/v1/checkpoints', { json: { agent: 'a', workingOn: 'w' } })
    ).json()) as Checkpoint;
    const job = (await (
      await t.call('POST', '/api/v1/index/jobs', { json: { path: '/srv/demo' } })
    ).json()) as IndexJob;
    await t.call('DELETE', `/api/v1/index/jobs/${job.id}`);
    // Reads are not audited.
    await t.call('GET', '/api/v1/lessons');

    const entries = (await (await t.call('GET', '/api/v1/audit')).json()) as AuditEntry[];
    expect(entries.map((entry) => [entry.action, entry.target])).toEqual([
      ['index.cancel', '/srv/demo'],
      ['index.start', '/srv/demo'],
      ['checkpoint.create', checkpoint.id],
      ['lesson.delete', lesson.id],
      ['lesson.update', lesson.id],
      ['lesson.create', lesson.id],
    ]);
    expect(new Set(entries.map((entry) => `${entry.actor}/${entry.channel}`))).toEqual(
      new Set(['anonymous/http']),
    );
    expect(JSON.stringify(entries)).not.toContain('secret body');
    expect(entries.find((entry) => entry.action === 'lesson.update')?.details).toEqual({
      fields: ['title'],
    });

    const filtered = (await (
      await t.call('GET', '/api/v1/audit?action=lesson.create&actor=anonymous&limit=5')
    ).json()) as AuditEntry[];
    expect(filtered.map((entry) => entry.action)).toEqual(['lesson.create']);
    const since = (await (
      await t.call('GET', `/api/v1/audit?since=${encodeURIComponent('2999-01-01T00:00:00Z')}`)
    ).json()) as AuditEntry[];
    expect(since).toEqual([]);
    const bad = await t.call('GET', '/api/v1/audit?since=yesterday&limit=5000');
    expect(bad.status).toBe(400);
    const message = ((await bad.json()) as { error: { message: string } }).error.message;
    expect(message).toContain('since:');
    expect(message).toContain('limit:');
  });

  it('keeps the write when recording the audit entry fails', async () => {
    const store = createMemoryStore();
    store.failWith(new Error('audit table locked'), 'recordAudit');
    const t = setup({ store });
    const response = await t.call('POST', '/api/v1/lessons', {
      json: { title: 'a', content: 'b' },
    });
    expect(response.status).toBe(201);
    expect((await store.listLessons()).total).toBe(1);
  });
});
