import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Embedder, NellieStore, PrincipalStore } from '@nellie/core';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { registerNellieTools } from '@nellie/mcp-tools';
import { createSqliteStore } from '@nellie/storage';
import { createFakeEmbedder, createFakeIndexer, seedRepository } from '@nellie/test-utils';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { HttpAppOptions, McpSessionContext } from '../src/index.ts';
import { createTestApp } from './support/harness.ts';
import { serveOnLoopback } from './support/serve.ts';

// Every item of repository "beta" carries BETAMARK, every item of "alpha" ALPHAMARK; a key
// limited to alpha must never be shown the first.
const alphaCode = 'export function computeInvoiceTotal() { return "ALPHAMARK"; }\n';
const betaCode = 'export function computeInvoiceTotal() { return "BETAMARK"; }\n';

let directory: string;
let store: NellieStore;
let principals: PrincipalStore;
let embedder: Embedder;
const cleanup: (() => Promise<void>)[] = [];
const ids: { alphaLesson: string; betaLesson: string; betaCheckpoint: string } = {
  alphaLesson: '',
  betaLesson: '',
  betaCheckpoint: '',
};
const staticKey = 'operator-secret-0123456789';

function repositoryOnDisk(name: string, code: string): string {
  const root = join(directory, name);
  mkdirSync(root, { recursive: true });
  writeFileSync(join(root, 'invoice.ts'), code);
  return root;
}

beforeEach(async () => {
  directory = mkdtempSync(join(tmpdir(), 'nellie-keys-'));
  embedder = createFakeEmbedder({ dimensions: 16 });
  store = await createSqliteStore({ path: join(directory, 'nellie.db') });
  principals = store.principals!;
  await seedRepository(
    store,
    repositoryOnDisk('alpha', alphaCode),
    { 'invoice.ts': alphaCode },
    {
      name: 'alpha',
    },
  );
  await seedRepository(
    store,
    repositoryOnDisk('beta', betaCode),
    { 'invoice.ts': betaCode },
    {
      name: 'beta',
    },
  );
  ids.alphaLesson = (
    await store.addLesson({
      title: 'Invoice totals round late',
      content: 'ALPHAMARK',
      repository: 'alpha',
      autoAnchor: false,
    })
  ).id;
  ids.betaLesson = (
    await store.addLesson({
      title: 'Invoice totals round early',
      content: 'BETAMARK',
      repository: 'beta',
      autoAnchor: false,
    })
  ).id;
  await store.addCheckpoint({
    agent: 'agent-a',
    workingOn: 'invoice ALPHAMARK',
    repository: 'alpha',
  });
  ids.betaCheckpoint = (
    await store.addCheckpoint({
      agent: 'agent-b',
      workingOn: 'invoice BETAMARK',
      repository: 'beta',
    })
  ).id;
});
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
  await store.close();
  rmSync(directory, { recursive: true, force: true });
});

const modelStatus = () => ({ state: 'disabled', modelId: 'none', message: 'off' }) as const;

function createServer(context: McpSessionContext): McpServer {
  const server = new McpServer({ name: 'nellie', version: '1.2.3' });
  registerNellieTools(server, { store, modelStatus, version: '1.2.3', actor: context.actor });
  return server;
}

async function serveApp(overrides: Partial<HttpAppOptions> = {}): Promise<string> {
  const t = createTestApp({
    store,
    embedder,
    modelStatus,
    indexer: createFakeIndexer(),
    createMcpServer: createServer,
    apiKeys: [{ id: 'operator', key: staticKey }],
    ...overrides,
  });
  const server = await serveOnLoopback(t.app);
  cleanup.push(
    () => server.close(),
    () => t.close(),
  );
  return server.url;
}

async function newKey(input: Parameters<PrincipalStore['createApiKey']>[0]): Promise<string> {
  return (await principals.createApiKey(input)).secret;
}

function client(url: string, secret: string) {
  const headers = { authorization: `Bearer ${secret}` };
  const request = async (method: string, path: string, json?: unknown) => {
    const response = await fetch(`${url}/api/v1${path}`, {
      method,
      headers: json === undefined ? headers : { ...headers, 'content-type': 'application/json' },
      body: json === undefined ? undefined : JSON.stringify(json),
    });
    const text = await response.text();
    return { status: response.status, text, body: text ? (JSON.parse(text) as unknown) : null };
  };
  return { request };
}

async function mcpClient(url: string, secret: string): Promise<Client> {
  const mcp = new Client({ name: 'agent', version: '1.0.0' });
  await mcp.connect(
    new StreamableHTTPClientTransport(new URL(`${url}/mcp`), {
      requestInit: { headers: { authorization: `Bearer ${secret}` } },
    }),
  );
  cleanup.push(() => mcp.close());
  return mcp;
}

describe('API keys over REST', () => {
  it('a read-only key reads but cannot write anything', async () => {
    const url = await serveApp();
    const reader = client(url, await newKey({ principal: 'reader', scope: 'read' }));
    expect((await reader.request('GET', '/lessons')).status).toBe(200);
    expect((await reader.request('POST', '/search/code', { query: 'invoice' })).status).toBe(200);
    const writes: [string, string, unknown?][] = [
      ['POST', '/lessons', { title: 'T', content: 'C', repository: 'alpha' }],
      ['PATCH', `/lessons/${ids.alphaLesson}`, { title: 'Changed' }],
      ['DELETE', `/lessons/${ids.alphaLesson}`],
      ['POST', `/lessons/${ids.alphaLesson}/confirm`],
      ['POST', '/checkpoints', { agent: 'a', workingOn: 'w', repository: 'alpha' }],
      ['POST', '/checkpoints/any/confirm'],
      ['POST', '/index/jobs', { path: join(directory, 'alpha') }],
      ['PATCH', '/repositories/alpha', { name: 'gamma' }],
      ['DELETE', '/repositories/alpha'],
      ['GET', '/audit'],
    ];
    for (const [method, path, json] of writes) {
      const answer = await reader.request(method, path, json);
      expect(answer.status, `${method} ${path}`).toBe(403);
      expect(answer.body).toMatchObject({ error: { code: 'FORBIDDEN' } });
      expect((answer.body as { error: { message: string } }).error.message).toMatch(
        /needs the "(write|admin)" scope; the key of reader has "read"/,
      );
    }
    expect(await store.getLesson(ids.alphaLesson)).toMatchObject({
      title: 'Invoice totals round late',
    });
    expect((await store.listRepositories()).map((repository) => repository.name)).toEqual([
      'alpha',
      'beta',
    ]);
  });

  it('a key limited to repository alpha never sees beta’s code, lessons or checkpoints', async () => {
    const url = await serveApp();
    const scoped = client(
      url,
      await newKey({ principal: 'alice', scope: 'write', repositories: ['alpha'] }),
    );
    const reads: [string, string, unknown?][] = [
      ['POST', '/search/code', { query: 'computeInvoiceTotal' }],
      ['POST', '/search/code', { query: 'computeInvoiceTotal', groupBy: 'file' }],
      ['POST', '/lessons/search', { query: 'invoice totals' }],
      ['GET', '/lessons'],
      ['GET', '/checkpoints/recent'],
      ['POST', '/checkpoints/search', { query: 'invoice' }],
      ['GET', '/repositories'],
      ['GET', '/agents'],
      ['GET', '/agents/agent-b/status'],
      ['GET', '/status'],
    ];
    for (const [method, path, json] of reads) {
      const answer = await scoped.request(method, path, json);
      expect(answer.status, `${method} ${path}: ${answer.text}`).toBe(200);
      expect(answer.text, `${method} ${path}`).not.toMatch(/BETAMARK|"beta"/);
    }
    expect(
      (await scoped.request('POST', '/search/code', { query: 'computeInvoiceTotal' })).text,
    ).toContain('ALPHAMARK');
    expect((await scoped.request('GET', '/lessons')).body).toMatchObject({ total: 1 });
    expect((await scoped.request('GET', '/repositories')).text).toContain('"alpha"');

    const hidden: [string, string, unknown?][] = [
      ['POST', '/search/code', { query: 'computeInvoiceTotal', repository: 'beta' }],
      ['GET', `/lessons/${ids.betaLesson}`],
      ['GET', `/checkpoints/${ids.betaCheckpoint}`],
      ['GET', '/repositories/beta/files?path=invoice.ts'],
      ['PATCH', `/lessons/${ids.betaLesson}`, { title: 'Taken over' }],
    ];
    for (const [method, path, json] of hidden) {
      const answer = await scoped.request(method, path, json);
      expect(answer.status, `${method} ${path}`).toBe(404);
      expect(answer.text).not.toContain('BETAMARK');
      expect(answer.text).not.toContain('"beta"');
    }
    expect((await scoped.request('DELETE', `/lessons/${ids.betaLesson}`)).status).toBe(404);
    expect(await store.getLesson(ids.betaLesson)).not.toBeNull();
    const file = await scoped.request('GET', '/repositories/alpha/files?path=invoice.ts');
    expect(file.status).toBe(200);
    expect(file.text).toContain('ALPHAMARK');

    const otherRepository = await scoped.request('POST', '/lessons', {
      title: 'T',
      content: 'C',
      repository: 'beta',
    });
    expect(otherRepository.status).toBe(403);
    expect(otherRepository.body).toMatchObject({ error: { code: 'FORBIDDEN' } });
    expect((otherRepository.body as { error: { message: string } }).error.message).toContain(
      'may not write to repository "beta"',
    );
    expect((await scoped.request('POST', '/lessons', { title: 'T', content: 'C' })).status).toBe(
      403,
    );
    expect(
      (
        await scoped.request('POST', '/checkpoints', {
          agent: 'x',
          workingOn: 'w',
          repository: 'beta',
        })
      ).status,
    ).toBe(403);
    expect(
      (await scoped.request('PATCH', `/lessons/${ids.alphaLesson}`, { repository: 'beta' })).status,
    ).toBe(403);
    // Indexing a new directory needs admin over every repository.
    expect(
      (await scoped.request('POST', '/index/jobs', { path: join(directory, 'gamma') })).status,
    ).toBe(403);
    expect(
      (await scoped.request('POST', '/index/jobs', { path: join(directory, 'alpha') })).status,
    ).toBe(202);

    const created = await scoped.request('POST', '/lessons', {
      title: 'Round at the end',
      content: 'ALPHAMARK',
      repository: 'alpha',
    });
    expect(created.status).toBe(201);
    const operator = client(url, staticKey);
    const audit = await operator.request('GET', '/audit?action=lesson.create');
    expect(audit.body).toMatchObject([{ actor: 'alice', channel: 'http' }]);
    // Configured keys keep full access.
    expect((await operator.request('GET', '/lessons')).body).toMatchObject({ total: 3 });
  });

  it('a key over two repositories gets both, merged, and nothing else', async () => {
    await seedRepository(
      store,
      repositoryOnDisk('gamma', 'export const GAMMAMARK = 1;\n'),
      {
        'invoice.ts': 'export function computeInvoiceTotal() { return "GAMMAMARK"; }\n',
      },
      { name: 'gamma' },
    );
    const url = await serveApp();
    const scoped = client(
      url,
      await newKey({ principal: 'bob', scope: 'read', repositories: ['alpha', 'gamma'] }),
    );
    const search = await scoped.request('POST', '/search/code', { query: 'computeInvoiceTotal' });
    expect(search.text).toContain('ALPHAMARK');
    expect(search.text).toContain('GAMMAMARK');
    expect(search.text).not.toContain('BETAMARK');
    const lessons = await scoped.request('GET', '/lessons?limit=1&offset=0');
    expect(lessons.body).toMatchObject({ total: 1, items: [{ id: ids.alphaLesson }] });
  });

  it('refuses a revoked key at once, on this server and on another one on the same database', async () => {
    const secret = await newKey({ principal: 'carol', scope: 'read' });
    const url = await serveApp();
    const second = await createSqliteStore({ path: join(directory, 'nellie.db') });
    cleanup.push(() => second.close());
    const otherUrl = await serveApp({ store: second });
    for (const base of [url, otherUrl]) {
      expect((await client(base, secret).request('GET', '/lessons')).status).toBe(200);
    }
    const [id] = (await principals.listApiKeys()).map((key) => key.id);
    await principals.revokeApiKey(id!);
    for (const base of [url, otherUrl]) {
      const answer = await client(base, secret).request('GET', '/lessons');
      expect(answer.status).toBe(401);
      expect(answer.body).toMatchObject({ error: { code: 'UNAUTHORIZED' } });
    }
  });

  it('stored keys turn authentication on without configured keys, and stay on after revoking', async () => {
    const url = await serveApp({ apiKeys: [] });
    expect((await fetch(`${url}/api/v1/lessons`)).status).toBe(200);
    const created = await principals.createApiKey({ principal: 'dave', scope: 'admin' });
    expect((await fetch(`${url}/api/v1/lessons`)).status).toBe(401);
    expect((await client(url, created.secret).request('GET', '/lessons')).status).toBe(200);
    await principals.revokeApiKey(created.key.id);
    expect((await fetch(`${url}/api/v1/lessons`)).status).toBe(401);
  });
});

describe('API keys over MCP', () => {
  const text = (result: unknown): string => JSON.stringify(result);

  it('a read-only key cannot write through tools', async () => {
    const url = await serveApp();
    const mcp = await mcpClient(url, await newKey({ principal: 'reader', scope: 'read' }));
    const search = await mcp.callTool({ name: 'search_lessons', arguments: { query: 'invoice' } });
    expect(search.isError).toBeFalsy();
    for (const [name, args] of [
      ['add_lesson', { title: 'T', content: 'C', repository: 'alpha' }],
      ['update_lesson', { id: ids.alphaLesson, title: 'Changed' }],
      ['delete_lesson', { id: ids.alphaLesson }],
      ['add_checkpoint', { agent: 'a', working_on: 'w', repository: 'alpha' }],
      ['remove_repository', { repository: 'alpha' }],
      ['index_repo', { path: join(directory, 'alpha') }],
    ] as const) {
      const result = await mcp.callTool({ name, arguments: args });
      expect(result.isError, name).toBe(true);
      expect(result.structuredContent, name).toMatchObject({ error: { code: 'FORBIDDEN' } });
    }
    expect(await store.getLesson(ids.alphaLesson)).toMatchObject({
      title: 'Invoice totals round late',
    });
  });

  it('a key limited to alpha never sees beta through tools, and cannot write to it', async () => {
    const url = await serveApp();
    const mcp = await mcpClient(
      url,
      await newKey({ principal: 'alice', scope: 'write', repositories: ['alpha'] }),
    );
    const reads = [
      ['search_code', { query: 'computeInvoiceTotal' }],
      ['search_code', { query: 'computeInvoiceTotal', groupBy: 'chunk' }],
      ['list_repositories', {}],
      ['search_lessons', { query: 'invoice totals' }],
      ['list_lessons', {}],
      ['get_recent_checkpoints', {}],
      ['search_checkpoints', { query: 'invoice' }],
      ['get_agent_status', { agent: 'agent-b' }],
      ['get_status', {}],
      ['get_index_status', {}],
    ] as const;
    for (const [name, args] of reads) {
      const result = await mcp.callTool({ name, arguments: args });
      expect(result.isError, `${name}: ${text(result)}`).toBeFalsy();
      expect(text(result), name).not.toMatch(/BETAMARK|\\"beta\\"|"beta"/);
    }
    expect(
      text(
        await mcp.callTool({ name: 'search_code', arguments: { query: 'computeInvoiceTotal' } }),
      ),
    ).toContain('ALPHAMARK');
    for (const [name, args] of [
      ['read_file', { repository: 'beta', path: 'invoice.ts' }],
      ['get_lesson', { id: ids.betaLesson }],
      ['get_checkpoint', { id: ids.betaCheckpoint }],
      ['search_code', { query: 'computeInvoiceTotal', repository: 'beta' }],
    ] as const) {
      const result = await mcp.callTool({ name, arguments: args });
      expect(result.isError, name).toBe(true);
      expect(result.structuredContent, name).toMatchObject({ error: { code: 'NOT_FOUND' } });
      expect(text(result)).not.toContain('BETAMARK');
    }
    const refused = await mcp.callTool({
      name: 'add_lesson',
      arguments: { title: 'T', content: 'C', repository: 'beta' },
    });
    expect(refused.isError).toBe(true);
    expect(refused.structuredContent).toMatchObject({ error: { code: 'FORBIDDEN' } });
    const added = await mcp.callTool({
      name: 'add_lesson',
      arguments: { title: 'T', content: 'C', repository: 'alpha' },
    });
    expect(added.isError).toBeFalsy();
    expect(await store.listAudit({ action: 'lesson.create' })).toMatchObject([
      { actor: 'alice', channel: 'mcp' },
    ]);
  });
});
