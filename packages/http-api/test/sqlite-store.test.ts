import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type {
  AgentStatus,
  AuditEntry,
  Checkpoint,
  CodeSearchHit,
  Embedder,
  IndexJob,
  Lesson,
  NellieStore,
} from '@nellie/core';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { nellieToolNames, registerNellieTools } from '@nellie/mcp-tools';
import { createSqliteStore } from '@nellie/storage';
import { createFakeEmbedder, createFakeIndexer, seedRepository } from '@nellie/test-utils';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { HttpAppOptions, McpSessionContext } from '../src/index.ts';
import { createTestApp, type TestApp } from './support/harness.ts';
import { serveOnLoopback } from './support/serve.ts';

let directory: string;
let store: NellieStore;
let embedder: Embedder;
const cleanup: (() => Promise<void>)[] = [];

beforeEach(async () => {
  directory = mkdtempSync(join(tmpdir(), 'nellie-http-'));
  embedder = createFakeEmbedder({ dimensions: 16 });
  store = await createSqliteStore({
    path: join(directory, 'nellie.db'),
    embedding: { modelId: embedder.modelId, dimensions: embedder.dimensions },
  });
});
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
  await store.close();
  rmSync(directory, { recursive: true, force: true });
});

async function serveApp(
  overrides: Partial<HttpAppOptions> = {},
): Promise<{ t: TestApp; url: string }> {
  const t = createTestApp({
    store,
    embedder,
    modelStatus: () => ({ state: 'ready', modelId: embedder.modelId, dimensions: 16 }),
    ...overrides,
  });
  const server = await serveOnLoopback(t.app);
  cleanup.push(
    () => server.close(),
    () => t.close(),
  );
  return { t, url: server.url };
}

function client(url: string, headers: Record<string, string> = {}) {
  return async (method: string, path: string, json?: unknown): Promise<Response> =>
    fetch(`${url}${path}`, {
      method,
      headers: {
        ...headers,
        ...(json === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: json === undefined ? undefined : JSON.stringify(json),
    });
}

/** Writes pending vectors the way the indexer's embedding pump does. */
async function embedPending(): Promise<void> {
  for (;;) {
    const pending = await store.pendingEmbeddings(100);
    if (pending.length === 0) return;
    const vectors = await embedder.embed(pending.map((item) => item.text));
    await store.putEmbeddings(
      pending.map((item, index) => ({ contentHash: item.contentHash, vector: vectors[index]! })),
    );
  }
}

describe('REST over HTTP with the SQLite store', () => {
  it('round-trips every route', async () => {
    const indexer = createFakeIndexer();
    const { url } = await serveApp({
      indexer,
      apiKeys: [{ id: 'ops', key: 'ops-secret-0123456789' }],
    });
    const call = client(url, { authorization: 'Bearer ops-secret-0123456789' });

    const created = (await (
      await call('POST', '/api/v1/lessons', {
        title: 'WAL needs a busy timeout',
        content:
          'Two processes on one SQLite file need busy_timeout or writes fail with SQLITE_BUSY.',
        tags: ['sqlite', 'concurrency'],
        severity: 'critical',
      })
    ).json()) as Lesson;
    expect(created).toMatchObject({ severity: 'critical', tags: ['sqlite', 'concurrency'] });
    expect(await (await call('GET', `/api/v1/lessons/${created.id}`)).json()).toEqual(created);
    const page = (await (
      await call('GET', '/api/v1/lessons?tags=sqlite&severity=critical&limit=5&offset=0')
    ).json()) as { items: Lesson[]; total: number };
    expect(page.total).toBe(1);
    const patched = (await (
      await call('PATCH', `/api/v1/lessons/${created.id}`, { tags: ['sqlite'] })
    ).json()) as Lesson;
    expect(patched.tags).toEqual(['sqlite']);

    await embedPending();
    const lessonSearch = (await (
      await call('POST', '/api/v1/lessons/search', { query: 'busy timeout SQLite', limit: 3 })
    ).json()) as { mode: string; hits: { lesson: Lesson }[] };
    expect(lessonSearch.mode).toBe('hybrid');
    expect(lessonSearch.hits[0]?.lesson.id).toBe(created.id);

    const checkpoint = (await (
      await call('POST', '/api/v1/checkpoints', {
        agent: 'indexer-bot',
        workingOn: 'Reindexing the monorepo',
        state: { done: 3, total: 7 },
      })
    ).json()) as Checkpoint;
    expect(checkpoint.state).toEqual({ done: 3, total: 7 });
    expect(await (await call('GET', `/api/v1/checkpoints/${checkpoint.id}`)).json()).toEqual(
      checkpoint,
    );
    const recent = (await (
      await call('GET', '/api/v1/checkpoints/recent?agent=indexer-bot&limit=2')
    ).json()) as Checkpoint[];
    expect(recent.map((item) => item.id)).toEqual([checkpoint.id]);
    const checkpointSearch = (await (
      await call('POST', '/api/v1/checkpoints/search', { query: 'reindexing monorepo' })
    ).json()) as { hits: { checkpoint: Checkpoint }[] };
    expect(checkpointSearch.hits[0]?.checkpoint.id).toBe(checkpoint.id);
    expect(
      (await (await call('GET', '/api/v1/agents/indexer-bot/status')).json()) as AgentStatus,
    ).toMatchObject({ status: 'in_progress', currentTask: 'Reindexing the monorepo' });
    expect(
      ((await (await call('GET', '/api/v1/agents')).json()) as AgentStatus[]).map((a) => a.agent),
    ).toEqual(['indexer-bot']);

    const job = (await (
      await call('POST', '/api/v1/index/jobs', { path: directory, mode: 'incremental' })
    ).json()) as IndexJob;
    expect(((await (await call('GET', '/api/v1/index/jobs')).json()) as IndexJob[])[0]?.id).toBe(
      job.id,
    );
    expect((await call('GET', `/api/v1/index/jobs/${job.id}`)).status).toBe(200);
    expect((await call('DELETE', `/api/v1/index/jobs/${job.id}`)).status).toBe(200);

    const status = (await (await call('GET', '/api/v1/status')).json()) as {
      store: { lessons: number; checkpoints: number };
      semanticSearch: string;
    };
    expect(status).toMatchObject({ semanticSearch: 'on', store: { lessons: 1, checkpoints: 1 } });

    expect((await call('DELETE', `/api/v1/lessons/${created.id}`)).status).toBe(204);
    expect((await call('GET', `/api/v1/lessons/${created.id}`)).status).toBe(404);

    const audit = (await (await call('GET', '/api/v1/audit?actor=ops')).json()) as AuditEntry[];
    expect(audit.map((entry) => entry.action)).toEqual([
      'lesson.delete',
      'index.cancel',
      'index.start',
      'checkpoint.create',
      'lesson.update',
      'lesson.create',
    ]);
    expect(audit.every((entry) => entry.channel === 'http')).toBe(true);
    const onlyCreates = (await (
      await call('GET', '/api/v1/audit?action=lesson.create&limit=1')
    ).json()) as AuditEntry[];
    expect(onlyCreates.map((entry) => entry.target)).toEqual([created.id]);

    const health = await fetch(`${url}/health`);
    expect(await health.json()).toEqual({ status: 'healthy', version: '1.2.3', database: 'ok' });
    const ready = (await (await call('GET', '/ready')).json()) as Record<string, unknown>;
    expect(ready).toMatchObject({
      status: 'ready',
      semanticSearch: 'on',
      database: { status: 'ok' },
    });
    const openapi = (await (await call('GET', '/api/v1/openapi.json')).json()) as {
      openapi: string;
    };
    expect(openapi.openapi).toBe('3.1.0');
  });

  it('searches indexed code with the query vector and reports freshness', async () => {
    const repository = await store.upsertRepository({ rootPath: directory, name: 'demo' });
    const content = 'export function retryWithBackoff(task: () => Promise<void>) {\n  // retry\n}';
    await store.writeFile(
      repository.id,
      {
        path: 'src/retry.ts',
        language: 'typescript',
        size: content.length,
        mtimeMs: Date.now(),
        contentHash: 'f'.repeat(64),
      },
      [
        {
          startLine: 1,
          endLine: 3,
          content,
          symbolName: 'retryWithBackoff',
          symbolKind: 'function',
          language: 'typescript',
        },
      ],
    );
    await embedPending();
    const { url } = await serveApp();
    const call = client(url);
    const result = (await (
      await call('POST', '/api/v1/search/code', {
        query: 'retry with backoff',
        repository: 'demo',
        pathGlob: 'src/**/*.ts',
      })
    ).json()) as { mode: string; hits: CodeSearchHit[] };
    expect(result.mode).toBe('hybrid');
    expect(result.hits).toHaveLength(1);
    expect(result.hits[0]).toMatchObject({
      repository: 'demo',
      path: 'src/retry.ts',
      startLine: 1,
      endLine: 3,
      symbolName: 'retryWithBackoff',
    });
    expect(result.hits[0]?.scores.vector).toBeDefined();

    const metrics = await (await call('GET', '/metrics')).text();
    expect(metrics).toMatch(/^nellie_chunks_total 1$/m);
    expect(metrics).toMatch(/^nellie_files_total 1$/m);
    expect(metrics).toMatch(/^nellie_repositories_missing 0$/m);
  });

  it('reports a repository whose root is gone in status, readiness and metrics', async () => {
    const gone = join(directory, 'deleted-checkout');
    mkdirSync(gone);
    await store.upsertRepository({ rootPath: gone, name: 'deleted-checkout' });
    await store.upsertRepository({ rootPath: directory, name: 'present' });
    rmSync(gone, { recursive: true });
    const { url } = await serveApp();
    const call = client(url);
    const missing = [{ name: 'deleted-checkout', rootPath: gone }];

    const status = (await (await call('GET', '/api/v1/status')).json()) as Record<string, unknown>;
    expect(status.missingRepositories).toEqual(missing);
    const ready = await call('GET', '/ready');
    // Still ready: the rest of the index serves as before.
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: 'ready', missingRepositories: missing });
    expect(await (await call('GET', '/metrics')).text()).toMatch(
      /^nellie_repositories_missing 1$/m,
    );
  });
});

describe('MCP with the real Nellie tools', () => {
  const createServer = (context: McpSessionContext): McpServer => {
    const server = new McpServer({ name: 'nellie', version: '1.2.3' });
    registerNellieTools(server, {
      store,
      embedder,
      modelStatus: () => ({ state: 'ready', modelId: embedder.modelId, dimensions: 16 }),
      version: '1.2.3',
      actor: context.actor,
    });
    return server;
  };

  it('serves every tool over Streamable HTTP and audits writes under the key id', async () => {
    const { url } = await serveApp({
      createMcpServer: createServer,
      apiKeys: [{ id: 'agent-7', key: 'agent-7-secret-0123456789' }],
    });
    const headers = { 'x-api-key': 'agent-7-secret-0123456789' };
    const mcp = new Client({ name: 'agent', version: '1.0.0' });
    await mcp.connect(
      new StreamableHTTPClientTransport(new URL(`${url}/mcp`), { requestInit: { headers } }),
    );
    cleanup.push(() => mcp.close());
    const tools = await mcp.listTools();
    expect(tools.tools.map((tool) => tool.name).sort()).toEqual([...nellieToolNames].sort());

    const added = await mcp.callTool({
      name: 'add_lesson',
      arguments: {
        title: 'Pin the model revision',
        content: 'Unpinned models drift.',
        tags: ['ml'],
      },
    });
    expect(added.isError).toBeFalsy();
    const lessons = (await (await fetch(`${url}/api/v1/lessons?tags=ml`, { headers })).json()) as {
      items: Lesson[];
    };
    expect(lessons.items.map((lesson) => lesson.title)).toEqual(['Pin the model revision']);
    const audit = (await (
      await fetch(`${url}/api/v1/audit?action=lesson.create`, { headers })
    ).json()) as AuditEntry[];
    expect(audit.map((entry) => `${entry.actor}/${entry.channel}`)).toEqual(['agent-7/mcp']);
  });

  it('serves the tools over legacy SSE with the anonymous actor when auth is off', async () => {
    const { url } = await serveApp({ createMcpServer: createServer });
    const mcp = new Client({ name: 'legacy', version: '1.0.0' });
    await mcp.connect(new SSEClientTransport(new URL(`${url}/sse`)));
    cleanup.push(() => mcp.close());
    const result = await mcp.callTool({
      name: 'add_checkpoint',
      arguments: { agent: 'old-client', working_on: 'Testing SSE' },
    });
    expect(result.isError).toBeFalsy();
    const status = await mcp.callTool({ name: 'get_status', arguments: {} });
    expect(status.isError).toBeFalsy();
    const audit = await store.listAudit({ action: 'checkpoint.create' });
    expect(audit.map((entry) => entry.actor)).toEqual(['anonymous']);
  });

  it('answers keyword-only, saying why, for a repository whose chunks are not embedded yet', async () => {
    const writeRepository = async (name: string, hash: string): Promise<void> => {
      const root = join(directory, name);
      mkdirSync(root);
      const repository = await store.upsertRepository({ rootPath: root, name });
      const content = `export function parseInvoice${name}(text: string) {\n  return text;\n}`;
      await store.writeFile(
        repository.id,
        {
          path: 'src/invoice.ts',
          language: 'typescript',
          size: content.length,
          mtimeMs: Date.now(),
          contentHash: hash.repeat(64),
        },
        [{ startLine: 1, endLine: 3, content, language: 'typescript' }],
      );
    };
    await writeRepository('billing', 'b');
    await embedPending();
    // Just added: the embedding model has not reached it yet.
    await writeRepository('shipping', 'c');

    const { url } = await serveApp({ createMcpServer: createServer });
    const call = client(url);
    const search = async (body: Record<string, unknown>) =>
      (await (await call('POST', '/api/v1/search/code', body)).json()) as {
        mode: string;
        notice?: string;
        hits: CodeSearchHit[];
      };
    const notice =
      `Keyword results only: nothing in repository "shipping" is embedded with ` +
      `${embedder.modelId} yet (its embeddings may still be in progress).`;

    const fresh = await search({ query: 'parse invoice', repository: 'shipping' });
    expect(fresh).toMatchObject({ mode: 'keyword', notice });
    expect(fresh.hits.map((hit) => hit.repository)).toEqual(['shipping']);
    const ready = await search({ query: 'parse invoice', repository: 'billing' });
    expect(ready.mode).toBe('hybrid');
    expect(ready).not.toHaveProperty('notice');
    expect(await search({ query: 'parse invoice' })).toMatchObject({ mode: 'hybrid' });
    // The language filter narrows the scope as well; an explicit keyword search has no notice.
    const byLanguage = await search({
      query: 'parse invoice',
      repository: 'shipping',
      language: 'typescript',
    });
    expect(byLanguage.mode).toBe('keyword');
    expect(byLanguage.notice).toContain('nothing in the typescript files of repository "shipping"');
    expect(
      await search({ query: 'parse invoice', repository: 'shipping', mode: 'keyword' }),
    ).not.toHaveProperty('notice');

    const mcp = new Client({ name: 'agent', version: '1.0.0' });
    await mcp.connect(new StreamableHTTPClientTransport(new URL(`${url}/mcp`)));
    cleanup.push(() => mcp.close());
    const tool = async (args: Record<string, unknown>) =>
      (await mcp.callTool({ name: 'search_code', arguments: args })) as {
        isError?: boolean;
        structuredContent?: Record<string, unknown>;
      };
    const fromMcp = await tool({ query: 'parse invoice', repository: 'shipping' });
    expect(fromMcp.isError).toBeFalsy();
    expect(fromMcp.structuredContent).toMatchObject({ mode: 'keyword', notice });
    const readyFromMcp = await tool({ query: 'parse invoice', repository: 'billing' });
    expect(readyFromMcp.structuredContent).toMatchObject({ mode: 'hybrid' });
    expect(readyFromMcp.structuredContent).not.toHaveProperty('notice');
  });
});

describe('checkpoints that know their code, over REST', () => {
  it('record the git commit and named files; recent ones say what changed since', async () => {
    const root = join(directory, 'shop');
    mkdirSync(root);
    const git = (...args: string[]) =>
      execFileSync('git', ['-C', root, ...args], {
        encoding: 'utf8',
        env: {
          ...process.env,
          GIT_AUTHOR_NAME: 'T',
          GIT_AUTHOR_EMAIL: 't@example.com',
          GIT_COMMITTER_NAME: 'T',
          GIT_COMMITTER_EMAIL: 't@example.com',
        },
      }).trim();
    git('init', '--quiet', '-b', 'main');
    git('commit', '--quiet', '--allow-empty', '-m', 'start');
    const repository = await store.upsertRepository({ name: 'shop', rootPath: root });
    const indexFile = (hash: string) =>
      store.writeFile(
        repository.id,
        { path: 'src/cart.ts', language: 'typescript', size: 1, mtimeMs: 1, contentHash: hash },
        [{ startLine: 1, endLine: 1, content: `// cart ${hash}` }],
      );
    await indexFile('one');
    const { url } = await serveApp();
    const call = client(url);

    const saved = (await (
      await call('POST', '/api/v1/checkpoints', {
        agent: 'bot',
        workingOn: 'Totals in src/cart.ts',
        repository: 'shop',
      })
    ).json()) as Checkpoint;
    expect(saved).toMatchObject({
      git: { branch: 'main', commit: git('rev-parse', 'HEAD') },
      files: [{ path: 'src/cart.ts', contentHash: 'one' }],
    });

    git('commit', '--quiet', '--allow-empty', '-m', 'next');
    await indexFile('two');
    const [recent] = (await (
      await call('GET', '/api/v1/checkpoints/recent?repository=shop')
    ).json()) as Checkpoint[];
    expect(recent!.changesSince).toEqual({
      files: [{ path: 'src/cart.ts', change: 'changed' }],
      unchangedFiles: 0,
      git: { branch: 'main', commit: git('rev-parse', 'HEAD') },
      commitsSince: 1,
    });
  });

  it('take explicit anchors, whose staleness reads show as the code changes and goes', async () => {
    const upload = (body: string) => ({
      chunks: [
        {
          startLine: 1,
          endLine: 3,
          content: `export function retryUpload(file: Blob) {\n  ${body}\n}`,
          symbolName: 'retryUpload',
          symbolKind: 'function',
        },
      ],
    });
    const repository = await seedRepository(
      store,
      join(directory, 'shop'),
      { 'src/upload.ts': upload('return send(file);') },
      { name: 'shop' },
    );
    const { url } = await serveApp();
    const call = client(url);

    const created = await call('POST', '/api/v1/checkpoints', {
      agent: 'bot',
      workingOn: 'Uploads give up after three tries',
      repository: 'shop',
      anchors: [{ repository: 'shop', path: 'src/upload.ts', symbol: 'retryUpload' }],
    });
    expect(created.status).toBe(201);
    const saved = (await created.json()) as Checkpoint;
    expect(saved).toMatchObject({
      staleness: 'current',
      anchors: [{ repository: 'shop', path: 'src/upload.ts', symbol: 'retryUpload' }],
    });

    await seedRepository(store, join(directory, 'shop'), {
      'src/upload.ts': upload('return send(file, { retries: 3 });'),
    });
    await store.refreshAnchors(repository.id, ['src/upload.ts']);
    const read = (await (
      await call('GET', `/api/v1/checkpoints/${saved.id}`)
    ).json()) as Checkpoint;
    expect(read).toMatchObject({ staleness: 'changed', anchors: [{ state: 'changed' }] });
    const recent = (await (
      await call('GET', '/api/v1/checkpoints/recent?agent=bot')
    ).json()) as Checkpoint[];
    expect(recent[0]).toMatchObject({ id: saved.id, staleness: 'changed' });

    await store.deleteFiles(repository.id, ['src/upload.ts']);
    await store.refreshAnchors(repository.id, ['src/upload.ts']);
    const found = (await (
      await call('POST', '/api/v1/checkpoints/search', { query: 'uploads give up' })
    ).json()) as { hits: { checkpoint: Checkpoint }[] };
    expect(found.hits[0]?.checkpoint).toMatchObject({ id: saved.id, staleness: 'gone' });

    const refused = await call('POST', '/api/v1/checkpoints', {
      agent: 'bot',
      workingOn: 'Anchored to nothing',
      anchors: [{ repository: 'shop', path: 'src/upload.ts' }],
    });
    expect(refused.status).toBe(400);
    expect(await refused.text()).toContain('no such indexed file');
  });
});
