import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { scopeStore, type NellieStore } from '@nellie/core';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { nellieToolNames, registerNellieTools } from '@nellie/mcp-tools';
import { createPostgresStore } from '@nellie/postgres';
import { createSqliteStore } from '@nellie/storage';
import {
  createFakeEmbedder,
  createFakeIndexer,
  seedRepository,
  startPostgresServer,
  type PostgresServer,
} from '@nellie/test-utils';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { routeScopes } from '../src/internal/route-scopes.ts';
import { createTestApp } from './support/harness.ts';
import { serveOnLoopback } from './support/serve.ts';

/*
 * A key limited to repository "alpharepo" calls every REST route and every MCP tool while
 * "betarepo" is indexed with lessons, checkpoints, an index job and an agent of its own (and
 * "betagone" has lost its root). Nothing of beta may show: no name, root, path, text, id or
 * count. A request naming one of beta's things must answer exactly as the same request naming
 * something that does not exist, so no answer confirms that beta exists.
 */

const alphaCode = 'export function computeTotal() { return "ALPHAMARK"; }\n';
const betaCode = 'export function computeTotal() { return "BETAMARK"; }\n';

interface Target {
  repo: string;
  root: string;
  lesson: string;
  checkpoint: string;
  job: string;
  agent: string;
}

interface Fixture {
  directory: string;
  store: NellieStore;
  /** Beta's things; `ghost` names things of the same shape that do not exist. */
  beta: Target;
  ghost: Target;
  alphaLesson: string;
  /** An alpha lesson anchored to alpha's and beta's code (SQLite only). */
  crossLesson: string;
  markers: string[];
}

const engines: {
  name: string;
  open: (directory: string) => Promise<NellieStore>;
}[] = [
  {
    name: 'SQLite',
    open: (directory) => createSqliteStore({ path: join(directory, 'nellie.db') }),
  },
  {
    name: 'PostgreSQL',
    open: async () =>
      createPostgresStore({
        connectionString: postgres!.connectionString,
        schema: `scoped_${Math.random().toString(36).slice(2, 10)}`,
        maxConnections: 2,
      }),
  },
];

let postgres: PostgresServer | undefined;
beforeAll(async () => {
  postgres = await startPostgresServer();
}, 120_000);
afterAll(async () => {
  await postgres?.destroy();
});

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

function root(directory: string, name: string, files: Record<string, string> = {}): string {
  const path = join(directory, name);
  mkdirSync(path, { recursive: true });
  for (const [file, text] of Object.entries(files)) writeFileSync(join(path, file), text);
  return path;
}

async function seed(
  store: NellieStore,
  directory: string,
): Promise<
  Omit<Fixture, 'store' | 'directory' | 'beta' | 'ghost' | 'markers'> & {
    beta: Omit<Target, 'job'>;
  }
> {
  const alphaRoot = root(directory, 'alpharepo', { 'alpha.ts': alphaCode });
  const betaRoot = root(directory, 'betarepo', { 'beta-only.ts': betaCode });
  await seedRepository(store, alphaRoot, { 'alpha.ts': alphaCode }, { name: 'alpharepo' });
  const beta = await seedRepository(
    store,
    betaRoot,
    { 'beta-only.ts': betaCode },
    { name: 'betarepo' },
  );
  await seedRepository(
    store,
    root(directory, 'betagone'),
    { 'gone.ts': betaCode },
    {
      name: 'betagone',
    },
  );
  rmSync(join(directory, 'betagone'), { recursive: true });

  const alphaLesson = await store.addLesson({
    title: 'Totals round late',
    content: 'ALPHAMARK totals',
    repository: 'alpharepo',
    agent: 'agent-alpha',
    autoAnchor: false,
  });
  const betaLesson = await store.addLesson({
    title: 'Totals round early',
    content: 'BETAMARK totals',
    repository: 'betarepo',
    agent: 'agent-beta',
    autoAnchor: false,
    anchors: [{ repository: 'betarepo', path: 'beta-only.ts' }],
  });
  const crossLesson = (
    await store.addLesson({
      title: 'Totals agree across services',
      content: 'ALPHAMARK totals',
      repository: 'alpharepo',
      autoAnchor: false,
      anchors: [
        { repository: 'alpharepo', path: 'alpha.ts' },
        { repository: 'betarepo', path: 'beta-only.ts' },
      ],
    })
  ).id;
  // Beta's code changes: its anchors turn `changed`, alpha's stay `current`.
  const changed = `${betaCode}// BETAMARK again\n`;
  await seedRepository(store, betaRoot, { 'beta-only.ts': changed }, { name: 'betarepo' });
  await store.refreshAnchors(beta.id, ['beta-only.ts']);
  await store.addCheckpoint({
    agent: 'agent-alpha',
    workingOn: 'totals ALPHAMARK',
    repository: 'alpharepo',
  });
  const betaCheckpoint = await store.addCheckpoint({
    agent: 'agent-beta',
    workingOn: 'totals BETAMARK in beta-only.ts',
    repository: 'betarepo',
  });
  return {
    alphaLesson: alphaLesson.id,
    crossLesson,
    beta: {
      repo: 'betarepo',
      root: betaRoot,
      lesson: betaLesson.id,
      checkpoint: betaCheckpoint.id,
      agent: 'agent-beta',
    },
  };
}

/** Makes a fixture, serves it over HTTP with REST and MCP, and returns a key per access. */
async function serve(engine: (typeof engines)[number]) {
  const directory = mkdtempSync(join(tmpdir(), 'nellie-scoped-'));
  const store = await engine.open(directory);
  cleanup.push(async () => {
    await store.close();
    rmSync(directory, { recursive: true, force: true });
  });
  const seeded = await seed(store, directory);
  const indexer = createFakeIndexer();
  const betaJob = await indexer.startJob({ rootPath: seeded.beta.root });
  indexer.advance(betaJob.id);
  const alphaJob = await indexer.startJob({ rootPath: join(directory, 'alpharepo') });
  indexer.advance(alphaJob.id);
  const ghostRoot = root(directory, 'ghostrepo', { 'beta-only.ts': betaCode });
  const fixture: Fixture = {
    directory,
    store,
    alphaLesson: seeded.alphaLesson,
    crossLesson: seeded.crossLesson,
    beta: { ...seeded.beta, job: betaJob.id },
    ghost: {
      repo: 'ghostrepo',
      root: ghostRoot,
      lesson: randomUUID(),
      checkpoint: randomUUID(),
      job: 'job_99',
      agent: 'agent-ghost',
    },
    markers: [
      'BETAMARK',
      'betarepo',
      'betagone',
      'beta-only',
      'agent-beta',
      seeded.beta.lesson,
      seeded.beta.checkpoint,
      `"${betaJob.id}"`,
    ],
  };
  const modelStatus = () => ({ state: 'disabled', modelId: 'none', message: 'off' }) as const;
  const t = createTestApp({
    store,
    embedder: createFakeEmbedder({ dimensions: 16 }),
    modelStatus,
    indexer,
    apiKeys: [{ id: 'operator', key: 'operator-secret-0123456789' }],
    createMcpServer: (context) => {
      const server = new McpServer({ name: 'nellie', version: '1.2.3' });
      registerNellieTools(server, {
        store,
        indexer,
        modelStatus,
        version: '1.2.3',
        actor: context.actor,
      });
      return server;
    },
  });
  const server = await serveOnLoopback(t.app);
  cleanup.push(
    () => server.close(),
    () => t.close(),
  );
  const principals = store.principals!;
  const keys = {
    full: 'operator-secret-0123456789',
    alphaAdmin: (
      await principals.createApiKey({
        principal: 'alice',
        scope: 'admin',
        repositories: ['alpharepo'],
      })
    ).secret,
    alphaReader: (
      await principals.createApiKey({
        principal: 'rita',
        scope: 'read',
        repositories: ['alpharepo'],
      })
    ).secret,
    reader: (await principals.createApiKey({ principal: 'rob', scope: 'read' })).secret,
  };
  return { fixture, url: server.url, keys, indexer };
}

async function request(
  url: string,
  secret: string,
  method: string,
  path: string,
  json?: unknown,
): Promise<{ status: number; text: string }> {
  const headers: Record<string, string> = { authorization: `Bearer ${secret}` };
  if (json !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${url}${path}`, {
    method,
    headers,
    body: json === undefined ? undefined : JSON.stringify(json),
  });
  return { status: response.status, text: await response.text() };
}

/** The answer with the request's own target values and request ids replaced by placeholders. */
function normalized(text: string, target: Target): string {
  let result = text.replace(/"requestId":"[^"]*"/g, '"requestId":"<id>"');
  result = result.replace(/request [0-9a-f-]{8,}/g, 'request <id>');
  const values = (Object.entries(target) as [string, string][]).sort(
    ([, a], [, b]) => b.length - a.length,
  );
  for (const [name, value] of values) result = result.split(value).join(`<${name}>`);
  return result;
}

function leaked(text: string, markers: readonly string[]): string[] {
  return markers.filter((marker) => text.includes(marker));
}

type RestCall = [method: string, path: string, json?: unknown];

/** Every REST operation once without naming beta; what it needs lies in alpha. */
function restReads(fixture: Fixture): Record<string, RestCall[]> {
  return {
    searchCode: [
      ['POST', '/api/v1/search/code', { query: 'computeTotal' }],
      ['POST', '/api/v1/search/code', { query: 'computeTotal', groupBy: 'file' }],
    ],
    searchLessons: [['POST', '/api/v1/lessons/search', { query: 'totals round' }]],
    listLessons: [
      ['GET', '/api/v1/lessons'],
      ['GET', '/api/v1/lessons?staleness=changed'],
    ],
    getLesson: [['GET', `/api/v1/lessons/${fixture.crossLesson}`]],
    recentCheckpoints: [['GET', '/api/v1/checkpoints/recent']],
    searchCheckpoints: [['POST', '/api/v1/checkpoints/search', { query: 'totals' }]],
    listAgents: [['GET', '/api/v1/agents']],
    listIndexJobs: [['GET', '/api/v1/index/jobs']],
    listRepositories: [['GET', '/api/v1/repositories']],
    getStatus: [['GET', '/api/v1/status']],
    listAudit: [['GET', '/api/v1/audit']],
    readRepositoryFile: [['GET', '/api/v1/repositories/alpharepo/files?path=alpha.ts']],
    runClientHook: [
      [
        'POST',
        '/api/v1/hooks/claude-code/user-prompt-submit',
        { cwd: join(fixture.directory, 'alpharepo'), prompt: 'totals round' },
      ],
    ],
  };
}

/** Every REST operation that can name something of beta, as a function of what it names. */
function restTargeted(fixture: Fixture): Record<string, ((t: Target) => RestCall)[]> {
  return {
    searchCode: [
      (t) => ['POST', '/api/v1/search/code', { query: 'computeTotal', repository: t.repo }],
    ],
    readRepositoryFile: [
      (t) => ['GET', `/api/v1/repositories/${t.repo}/files?path=beta-only.ts`],
      (t) => ['GET', `/api/v1/repositories/${encodeURIComponent(t.root)}/files?path=beta-only.ts`],
    ],
    listRepositories: [],
    removeRepository: [(t) => ['DELETE', `/api/v1/repositories/${t.repo}`]],
    renameRepository: [(t) => ['PATCH', `/api/v1/repositories/${t.repo}`, { name: 'taken' }]],
    startIndexJob: [(t) => ['POST', '/api/v1/index/jobs', { path: t.root }]],
    getIndexJob: [(t) => ['GET', `/api/v1/index/jobs/${t.job}`]],
    cancelIndexJob: [(t) => ['DELETE', `/api/v1/index/jobs/${t.job}`]],
    createLesson: [
      (t) => ['POST', '/api/v1/lessons', { title: 'T', content: 'C', repository: t.repo }],
      (t) => [
        'POST',
        '/api/v1/lessons',
        {
          title: 'T',
          content: 'C',
          repository: 'alpharepo',
          anchors: [{ repository: t.repo, path: 'beta-only.ts' }],
        },
      ],
    ],
    searchLessons: [
      (t) => ['POST', '/api/v1/lessons/search', { query: 'totals', repository: t.repo }],
    ],
    listLessons: [(t) => ['GET', `/api/v1/lessons?repository=${t.repo}`]],
    getLesson: [(t) => ['GET', `/api/v1/lessons/${t.lesson}`]],
    updateLesson: [
      (t) => ['PATCH', `/api/v1/lessons/${t.lesson}`, { title: 'Taken over' }],
      (t) => ['PATCH', `/api/v1/lessons/${fixture.alphaLesson}`, { repository: t.repo }],
      (t) => [
        'PATCH',
        `/api/v1/lessons/${fixture.alphaLesson}`,
        { anchors: [{ repository: t.repo, path: 'beta-only.ts' }] },
      ],
    ],
    confirmLesson: [(t) => ['POST', `/api/v1/lessons/${t.lesson}/confirm`]],
    deleteLesson: [(t) => ['DELETE', `/api/v1/lessons/${t.lesson}`]],
    createCheckpoint: [
      (t) => ['POST', '/api/v1/checkpoints', { agent: 'x', workingOn: 'w', repository: t.repo }],
      (t) => [
        'POST',
        '/api/v1/checkpoints',
        {
          agent: 'x',
          workingOn: 'w',
          repository: 'alpharepo',
          anchors: [{ repository: t.repo, path: 'beta-only.ts' }],
        },
      ],
    ],
    recentCheckpoints: [
      (t) => ['GET', `/api/v1/checkpoints/recent?repository=${t.repo}`],
      (t) => ['GET', `/api/v1/checkpoints/recent?agent=${t.agent}`],
    ],
    getCheckpoint: [(t) => ['GET', `/api/v1/checkpoints/${t.checkpoint}`]],
    confirmCheckpoint: [(t) => ['POST', `/api/v1/checkpoints/${t.checkpoint}/confirm`]],
    searchCheckpoints: [
      (t) => ['POST', '/api/v1/checkpoints/search', { query: 'totals', repository: t.repo }],
    ],
    listAgents: [],
    getAgentStatus: [(t) => ['GET', `/api/v1/agents/${t.agent}/status`]],
    getStatus: [],
    listAudit: [(t) => ['GET', `/api/v1/audit?actor=${t.agent}`]],
    listIndexJobs: [],
    runClientHook: [
      (t) => [
        'POST',
        '/api/v1/hooks/claude-code/user-prompt-submit',
        { cwd: t.root, prompt: 'totals round' },
      ],
      (t) => ['POST', '/api/v1/hooks/claude-code/session-start', { cwd: t.root }],
    ],
  };
}

type ToolCall = [name: string, args: Record<string, unknown>];

function toolReads(fixture: Fixture): ToolCall[] {
  return [
    ['search_code', { query: 'computeTotal' }],
    ['search_code', { query: 'computeTotal', groupBy: 'chunk' }],
    ['read_file', { repository: 'alpharepo', path: 'alpha.ts' }],
    ['list_repositories', {}],
    ['get_index_status', {}],
    ['search_lessons', { query: 'totals round' }],
    ['list_lessons', {}],
    ['get_lesson', { id: fixture.crossLesson }],
    ['get_recent_checkpoints', {}],
    ['search_checkpoints', { query: 'totals' }],
    ['get_agent_status', {}],
    ['get_status', {}],
  ];
}

function toolTargeted(fixture: Fixture): ((t: Target) => ToolCall)[] {
  return [
    (t) => ['search_code', { query: 'computeTotal', repository: t.repo }],
    (t) => ['read_file', { repository: t.repo, path: 'beta-only.ts' }],
    (t) => ['read_file', { repository: t.root, path: 'beta-only.ts' }],
    (t) => ['remove_repository', { repository: t.repo }],
    (t) => ['rename_repository', { repository: t.repo, name: 'taken' }],
    (t) => ['index_repo', { path: t.root }],
    (t) => ['index_repo', { path: t.repo }],
    (t) => ['get_index_status', { job_id: t.job }],
    (t) => ['add_lesson', { title: 'T', content: 'C', repository: t.repo }],
    (t) => [
      'add_lesson',
      { title: 'T', content: 'C', repository: 'alpharepo', anchors: [`${t.repo}:beta-only.ts`] },
    ],
    (t) => ['search_lessons', { query: 'totals', repository: t.repo }],
    (t) => ['list_lessons', { repository: t.repo }],
    (t) => ['get_lesson', { id: t.lesson }],
    (t) => ['update_lesson', { id: t.lesson, title: 'Taken over' }],
    (t) => ['update_lesson', { id: t.lesson, confirm: true }],
    (t) => ['update_lesson', { id: fixture.alphaLesson, repository: t.repo }],
    (t) => ['update_lesson', { id: fixture.alphaLesson, anchors: [`${t.repo}:beta-only.ts`] }],
    (t) => ['delete_lesson', { id: t.lesson }],
    (t) => ['add_checkpoint', { agent: 'x', working_on: 'w', repository: t.repo }],
    (t) => [
      'add_checkpoint',
      { agent: 'x', working_on: 'w', repository: 'alpharepo', anchors: [`${t.repo}:beta-only.ts`] },
    ],
    (t) => ['get_recent_checkpoints', { repository: t.repo }],
    (t) => ['get_recent_checkpoints', { agent: t.agent }],
    (t) => ['get_checkpoint', { id: t.checkpoint }],
    (t) => ['confirm_checkpoint', { id: t.checkpoint }],
    (t) => ['search_checkpoints', { query: 'totals', repository: t.repo }],
    (t) => ['get_agent_status', { agent: t.agent }],
  ];
}

async function mcpClient(url: string, secret: string): Promise<Client> {
  const client = new Client({ name: 'agent', version: '1.0.0' });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(`${url}/mcp`), {
      requestInit: { headers: { authorization: `Bearer ${secret}` } },
    }),
  );
  cleanup.push(() => client.close());
  return client;
}

describe.each(engines)('a key limited to one repository, on $name', (engine) => {
  let served: Awaited<ReturnType<typeof serve>>;
  beforeEach(async () => {
    served = await serve(engine);
  }, 60_000);

  it('the tables cover every REST route and every MCP tool', () => {
    const { fixture } = served;
    const covered = new Set([
      ...Object.keys(restReads(fixture)),
      ...Object.keys(restTargeted(fixture)),
    ]);
    expect([...covered].sort()).toEqual(Object.keys(routeScopes).sort());
    const tools = new Set([
      ...toolReads(fixture).map(([name]) => name),
      ...toolTargeted(fixture).map((call) => call(fixture.ghost)[0]),
    ]);
    expect([...tools].sort()).toEqual([...nellieToolNames].sort());
  });

  it('REST: nothing of beta shows, and naming beta answers as naming nothing', async () => {
    const { fixture, url, keys } = served;
    for (const [operation, calls] of Object.entries(restReads(fixture))) {
      for (const [method, path, json] of calls) {
        const answer = await request(url, keys.alphaAdmin, method, path, json);
        const label = `${operation}: ${method} ${path} → ${answer.status} ${answer.text}`;
        expect(answer.status, label).toBe(operation === 'listAudit' ? 403 : 200);
        expect(leaked(answer.text, fixture.markers), label).toEqual([]);
      }
    }
    for (const [operation, calls] of Object.entries(restTargeted(fixture))) {
      for (const call of calls) {
        const [method, betaPath, betaJson] = call(fixture.beta);
        const [, ghostPath, ghostJson] = call(fixture.ghost);
        const beta = await request(url, keys.alphaAdmin, method, betaPath, betaJson);
        const ghost = await request(url, keys.alphaAdmin, method, ghostPath, ghostJson);
        const label = `${operation}: ${method} ${betaPath} → ${beta.status} ${beta.text}`;
        expect(normalized(beta.text, fixture.beta), label).toBe(
          normalized(ghost.text, fixture.ghost),
        );
        expect(beta.status, label).toBe(ghost.status);
        expect(leaked(normalized(beta.text, fixture.beta), fixture.markers), label).toEqual([]);
      }
    }
    await expectBetaUntouched(fixture, served.indexer);
  });

  it('MCP: nothing of beta shows, and naming beta answers as naming nothing', async () => {
    const { fixture, url, keys } = served;
    const client = await mcpClient(url, keys.alphaAdmin);
    for (const [name, args] of toolReads(fixture)) {
      const result = JSON.stringify(await client.callTool({ name, arguments: args }));
      const label = `${name} ${JSON.stringify(args)} → ${result}`;
      expect(result, label).not.toContain('"isError":true');
      expect(leaked(result, fixture.markers), label).toEqual([]);
    }
    for (const call of toolTargeted(fixture)) {
      const [name, betaArgs] = call(fixture.beta);
      const [, ghostArgs] = call(fixture.ghost);
      const beta = JSON.stringify(await client.callTool({ name, arguments: betaArgs }));
      const ghost = JSON.stringify(await client.callTool({ name, arguments: ghostArgs }));
      const label = `${name} ${JSON.stringify(betaArgs)} → ${beta}`;
      expect(normalized(beta, fixture.beta), label).toBe(normalized(ghost, fixture.ghost));
      expect(leaked(normalized(beta, fixture.beta), fixture.markers), label).toEqual([]);
    }
    await expectBetaUntouched(fixture, served.indexer);
  });

  it('counts cover the key’s repository only: status, lessons by staleness, jobs', async () => {
    const { fixture, url, keys } = served;
    const status = await request(url, keys.alphaReader, 'GET', '/api/v1/status');
    const alphaLessons = 2;
    expect(JSON.parse(status.text)).toMatchObject({
      store: { repositories: 1, files: 1, chunks: 1, lessons: alphaLessons, checkpoints: 1 },
      missingRepositories: [],
      indexer: { jobsRunning: 1, jobsQueued: 0, watchedRoots: [] },
    });
    const client = await mcpClient(url, keys.alphaReader);
    const mcpStatus = await client.callTool({ name: 'get_status', arguments: {} });
    expect(mcpStatus.structuredContent).toMatchObject({
      counts: { repositories: 1, files: 1, chunks: 1, lessons: alphaLessons, checkpoints: 1 },
    });
    const scoped = scopeStore(fixture.store, {
      principal: 'rita',
      scope: 'read',
      repositories: ['alpharepo'],
    });
    expect(await fixture.store.countLessonsByStaleness()).toEqual({
      current: 0,
      changed: 2,
      moved: 0,
      gone: 0,
    });
    // The cross lesson shows alpha's anchor only, which is current.
    expect(await scoped.countLessonsByStaleness()).toEqual({
      current: 1,
      changed: 0,
      moved: 0,
      gone: 0,
    });
    const cross = await scoped.getLesson(fixture.crossLesson);
    expect(cross?.anchors.map((anchor) => anchor.repository)).toEqual(['alpharepo']);
    expect(cross?.staleness).toBe('current');
    expect(await scoped.countCheckpoints!({})).toBe(1);
    expect(await fixture.store.countCheckpoints!({})).toBe(2);
  });

  it('refuses to anchor a checkpoint into another repository: FORBIDDEN, nothing saved', async () => {
    const { fixture, url, keys } = served;
    const body = {
      agent: 'x',
      workingOn: 'w',
      repository: 'alpharepo',
      anchors: [{ repository: 'betarepo', path: 'beta-only.ts' }],
    };
    const answer = await request(url, keys.alphaAdmin, 'POST', '/api/v1/checkpoints', body);
    expect(answer.status).toBe(403);
    const { error } = JSON.parse(answer.text) as { error: { code: string; message: string } };
    expect(error.code).toBe('FORBIDDEN');
    expect(error.message).toContain('Anchoring a checkpoint');
    const client = await mcpClient(url, keys.alphaAdmin);
    const refused = await client.callTool({
      name: 'add_checkpoint',
      arguments: {
        agent: 'x',
        working_on: 'w',
        repository: 'alpharepo',
        anchors: ['betarepo:beta-only.ts'],
      },
    });
    expect(refused.isError).toBe(true);
    expect(await fixture.store.countCheckpoints!({ agent: 'x' })).toBe(0);
  });

  it('shows a checkpoint without its anchors into other repositories', async () => {
    const { fixture, url, keys } = served;
    const cross = await fixture.store.addCheckpoint({
      agent: 'y',
      workingOn: 'w',
      repository: 'alpharepo',
      anchors: [
        { repository: 'alpharepo', path: 'alpha.ts' },
        { repository: 'betarepo', path: 'beta-only.ts' },
      ],
    });
    try {
      expect(cross.anchors?.map((anchor) => anchor.repository)).toEqual(['alpharepo', 'betarepo']);
      const answer = await request(url, keys.alphaAdmin, 'GET', `/api/v1/checkpoints/${cross.id}`);
      const shown = JSON.parse(answer.text) as { anchors?: unknown[] };
      expect(shown).toMatchObject({
        staleness: 'current',
        anchors: [{ repository: 'alpharepo', path: 'alpha.ts' }],
      });
      expect(shown.anchors).toHaveLength(1);
      expect(leaked(answer.text, fixture.markers)).toEqual([]);
      const recent = await request(
        url,
        keys.alphaAdmin,
        'GET',
        '/api/v1/checkpoints/recent?agent=y',
      );
      expect(JSON.parse(recent.text)).toMatchObject([{ id: cross.id, staleness: 'current' }]);
      expect(recent.text).not.toContain('betarepo');
    } finally {
      await fixture.store.deleteCheckpoint(cross.id);
    }
  });

  it('/ready names missing repositories to admin keys only, /metrics needs full access', async () => {
    const { url, keys, fixture } = served;
    const ready = async (secret: string) => {
      const answer = await request(url, secret, 'GET', '/ready');
      expect(answer.status).toBe(200);
      return JSON.parse(answer.text) as Record<string, unknown>;
    };
    const full = await ready(keys.full);
    expect(full).toMatchObject({
      status: 'ready',
      missingRepositoryCount: 1,
      missingRepositories: [{ name: 'betagone', rootPath: join(fixture.directory, 'betagone') }],
    });
    const reader = await ready(keys.reader);
    expect(reader).toMatchObject({ status: 'ready', missingRepositoryCount: 1 });
    expect(reader).not.toHaveProperty('missingRepositories');
    for (const secret of [keys.alphaAdmin, keys.alphaReader]) {
      const limited = await ready(secret);
      expect(limited).toMatchObject({ status: 'ready', missingRepositoryCount: 0 });
      expect(leaked(JSON.stringify(limited), fixture.markers)).toEqual([]);
    }

    expect((await request(url, keys.full, 'GET', '/metrics')).status).toBe(200);
    for (const secret of [keys.alphaAdmin, keys.alphaReader, keys.reader]) {
      const metrics = await request(url, secret, 'GET', '/metrics');
      expect(metrics.status).toBe(403);
      expect(JSON.parse(metrics.text)).toMatchObject({ error: { code: 'FORBIDDEN' } });
    }
  });
});

async function expectBetaUntouched(
  fixture: Fixture,
  indexer: ReturnType<typeof createFakeIndexer>,
): Promise<void> {
  expect(await fixture.store.getLesson(fixture.beta.lesson)).toMatchObject({
    title: 'Totals round early',
    repository: 'betarepo',
  });
  expect(await fixture.store.getCheckpoint(fixture.beta.checkpoint)).not.toBeNull();
  expect((await fixture.store.listRepositories()).map((repository) => repository.name)).toEqual([
    'alpharepo',
    'betagone',
    'betarepo',
  ]);
  expect(indexer.getJob(fixture.beta.job)?.state).toBe('running');
  const alpha = await fixture.store.getLesson(fixture.alphaLesson);
  expect(alpha).toMatchObject({ repository: 'alpharepo', anchors: [] });
  const lessons = await fixture.store.listLessons({ limit: 100 });
  for (const lesson of lessons.items) {
    if (lesson.repository === 'alpharepo' && lesson.id !== fixture.crossLesson) {
      expect(lesson.anchors.filter((anchor) => anchor.repository === 'betarepo')).toEqual([]);
    }
  }
}
