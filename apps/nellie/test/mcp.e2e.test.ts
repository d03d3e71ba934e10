import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  cleanEnv,
  cliPath,
  createSampleRepo,
  fetchJson,
  killAllServers,
  makeTempDir,
  parseLogs,
  removeTempDirs,
  sampleReposRoot,
  startServer,
  waitFor,
  type RunningServer,
} from './helpers.ts';

const allTools = [
  'add_checkpoint',
  'add_lesson',
  'confirm_checkpoint',
  'delete_lesson',
  'get_agent_status',
  'get_checkpoint',
  'get_index_status',
  'get_lesson',
  'get_recent_checkpoints',
  'get_status',
  'index_repo',
  'list_lessons',
  'list_repositories',
  'read_file',
  'remove_repository',
  'rename_repository',
  'search_checkpoints',
  'search_code',
  'search_lessons',
  'update_lesson',
];

/*
 * Tool results are checked field by field against the live server, so their structured content
 * is read loosely here; the assertions, not the types, say what each field must be.
 */
/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-return, @typescript-eslint/no-explicit-any */
type Structured = Record<string, any>;

interface ToolResult {
  isError?: boolean;
  content?: { type: string; text?: string }[];
  structuredContent?: Structured;
}

function textOf(result: ToolResult): string {
  return (result.content ?? []).map((part) => part.text ?? '').join('\n');
}

const finished = new Set(['succeeded', 'failed', 'cancelled']);

/** Lists the tools and calls every one of them, checking each answer. */
async function exerciseAllTools(client: Client, repo: string, tag: string): Promise<void> {
  const { tools } = await client.listTools();
  expect(tools.map((tool) => tool.name).sort()).toEqual(allTools);
  for (const tool of tools) {
    expect(tool.description?.length, tool.name).toBeGreaterThan(20);
    expect(tool.inputSchema.type).toBe('object');
  }

  const called = new Set<string>();
  const call = async (name: string, args: Record<string, unknown> = {}): Promise<Structured> => {
    const result = (await client.callTool({ name, arguments: args })) as ToolResult;
    called.add(name);
    expect(result.isError, `${name}: ${textOf(result)}`).toBeFalsy();
    expect(textOf(result).length, name).toBeGreaterThan(0);
    return result.structuredContent ?? {};
  };
  const waitForJob = (jobId: string) =>
    waitFor(
      async () => {
        const status = await call('get_index_status', { job_id: jobId });
        const job = (status.jobs as Structured[]).find((entry) => entry.id === jobId);
        return job && finished.has(job.state as string) ? job : undefined;
      },
      { what: `index job ${jobId}`, intervalMs: 150 },
    );

  // Code.
  const indexed = await call('index_repo', { path: repo });
  expect((await waitForJob(indexed.job.id as string)).state).toBe('succeeded');
  const diff = await call('index_repo', { path: repo, mode: 'diff' });
  expect(diff.diff.added).toEqual([]);
  expect(diff.diff.changed).toEqual([]);
  const incremental = await call('index_repo', { path: repo });
  expect((await waitForJob(incremental.job.id as string)).state).toBe('succeeded');
  const full = await call('index_repo', { path: repo, mode: 'full' });
  expect(full.job.mode).toBe('full');
  expect((await waitForJob(full.job.id as string)).state).toBe('succeeded');
  const search = await call('search_code', { query: 'factorial recursively', limit: 5 });
  expect(search.mode).toBe('keyword');
  expect(search.groupBy).toBe('file');
  expect((search.hits as Structured[]).map((file) => file.path)).toContain('src/math.ts');
  const math = (search.hits as Structured[]).find((hit) => hit.path === 'src/math.ts')!;
  expect(math.absolutePath).toBe(path.join(math.rootPath as string, 'src', 'math.ts'));
  const read = await call('read_file', {
    repository: math.repository,
    path: 'src/math.ts',
    startLine: 1,
    endLine: 2,
  });
  expect(read).toMatchObject({ startLine: 1, endLine: 2, truncated: false });
  expect(read.content).toContain('addNumbers');

  // Repositories: a throwaway one is indexed, renamed and removed.
  const scratch = mkdtempSync(path.join(sampleReposRoot(), `scratch-${tag}-`));
  writeFileSync(path.join(scratch, 'notes.md'), '# Scratch\n');
  const scratchJob = await call('index_repo', { path: scratch });
  expect((await waitForJob(scratchJob.job.id as string)).state).toBe('succeeded');
  const repositories = (await call('list_repositories')).repositories as Structured[];
  const scratchEntry = repositories.find((entry) => entry.rootPath === scratch)!;
  expect(scratchEntry).toMatchObject({ files: 1, state: 'ok' });
  const renamed = await call('rename_repository', {
    repository: scratchEntry.name,
    name: `scratch-${tag}`,
  });
  expect(renamed.name).toBe(`scratch-${tag}`);
  const removed = await call('remove_repository', { repository: `scratch-${tag}` });
  expect(removed.removed).toMatchObject({ rootPath: scratch, files: 1 });

  // Lessons.
  const lesson = (
    await call('add_lesson', {
      title: `${tag}: close the store in tests`,
      content: 'Leaked database handles keep vitest from exiting; close them in afterAll.',
      tags: [tag, 'tests'],
      severity: 'warning',
    })
  ).lesson as Structured;
  const foundLessons = await call('search_lessons', {
    query: 'leaked database handles',
    tags: [tag],
  });
  expect((foundLessons.hits as Structured[]).map((hit) => hit.lesson.id)).toContain(lesson.id);
  const listed = await call('list_lessons', { tags: [tag] });
  expect(listed.total).toBe(1);
  expect((await call('get_lesson', { id: lesson.id })).lesson.title).toBe(lesson.title);
  expect(
    (await call('update_lesson', { id: lesson.id, severity: 'critical' })).lesson.severity,
  ).toBe('critical');

  // Checkpoints.
  const agent = `agent-${tag}`;
  const checkpoint = await call('add_checkpoint', {
    agent,
    working_on: `Migrating the ${tag} settings page`,
    state: { step: 3, files: ['settings.ts'] },
    session_id: `session-${tag}`,
  });
  expect(checkpoint.agentStatus.status).toBe('in_progress');
  const recent = await call('get_recent_checkpoints', { agent });
  expect((recent.checkpoints as Structured[]).map((entry) => entry.id)).toEqual([
    checkpoint.checkpoint.id,
  ]);
  expect((await call('get_checkpoint', { id: checkpoint.checkpoint.id })).checkpoint.state).toEqual(
    {
      step: 3,
      files: ['settings.ts'],
    },
  );
  // A checkpoint without anchors confirms as it is.
  const confirmed = await call('confirm_checkpoint', { id: checkpoint.checkpoint.id });
  expect(confirmed.checkpoint.id).toBe(checkpoint.checkpoint.id);
  expect(confirmed.checkpoint.workingOn).toBe(`Migrating the ${tag} settings page`);
  const foundCheckpoints = await call('search_checkpoints', { query: 'settings page', agent });
  expect(foundCheckpoints.hits[0].checkpoint.id).toBe(checkpoint.checkpoint.id);
  const agentStatus = await call('get_agent_status', { agent });
  expect(agentStatus.agents[0]).toMatchObject({ agent, status: 'in_progress' });

  const status = await call('get_status');
  expect(status.counts.repositories).toBeGreaterThanOrEqual(1);
  expect(status.counts.lessons).toBeGreaterThanOrEqual(1);
  expect(status.semanticSearch.enabled).toBe(false);
  expect(status.semanticSearch.message).toContain('Semantic search is off');
  expect((await call('delete_lesson', { id: lesson.id })).deleted).toBe(true);

  expect([...called].sort()).toEqual(allTools);

  // Bad calls are errors the caller can act on, and the server keeps working.
  const wrongType = (await client.callTool({
    name: 'search_code',
    arguments: { query: 42 },
  })) as ToolResult;
  expect(wrongType.isError).toBe(true);
  expect(textOf(wrongType)).toContain('query');
  const missing = (await client.callTool({
    name: 'get_lesson',
    arguments: { id: 'no-such-id' },
  })) as ToolResult;
  expect(missing.isError).toBe(true);
  expect(textOf(missing)).toMatch(/no-such-id|not found|No lesson/i);
  const unknown = await client.callTool({ name: 'no_such_tool', arguments: {} }).then(
    (result) => textOf(result as ToolResult),
    (error: Error) => error.message,
  );
  expect(unknown).toContain('no_such_tool');
  expect((await call('get_status')).version).toEqual(expect.any(String));
}

/** A loopback port nothing listens on. */
function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

async function connect(transport: Transport): Promise<Client> {
  const client = new Client({ name: 'nellie-e2e', version: '1.0.0' });
  await client.connect(transport);
  return client;
}

describe('MCP clients against nellie', () => {
  let server: RunningServer;
  let repo: string;

  beforeAll(async () => {
    server = await startServer({});
    repo = createSampleRepo();
  });

  afterAll(async () => {
    // Undefined only when beforeAll failed, which is reported already.
    if (server) expect(await server.stop()).toBe(0);
    await killAllServers();
    removeTempDirs();
  });

  it('Streamable HTTP (/mcp): lists the tools and calls every one', async () => {
    const client = await connect(new StreamableHTTPClientTransport(new URL(`${server.url}/mcp`)));
    try {
      await exerciseAllTools(client, repo, 'streamable');
    } finally {
      await client.close();
    }
  });

  it('legacy SSE (/sse): lists the tools and calls every one', async () => {
    const client = await connect(new SSEClientTransport(new URL(`${server.url}/sse`)));
    try {
      await exerciseAllTools(client, repo, 'sse');
    } finally {
      await client.close();
    }
  });

  it('stdio (`nellie mcp`) beside the running server: same data, no watchers, clean stdout', async () => {
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [cliPath, 'mcp', '--data-dir', server.dataDir, '--allow-root', sampleReposRoot()],
      env: cleanEnv(),
      stderr: 'pipe',
    });
    let stderr = '';
    transport.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const client = await connect(transport);
    try {
      // A lesson written over HTTP is visible to the stdio process (same database).
      const viaHttp = await fetchJson(`${server.url}/api/v1/lessons`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ title: 'Shared between processes', content: 'one database file' }),
      });
      expect(viaHttp.status).toBe(201);
      const shared = (await client.callTool({
        name: 'get_lesson',
        arguments: { id: (viaHttp.body as { id: string }).id },
      })) as ToolResult;
      expect(shared.isError).toBeFalsy();

      await exerciseAllTools(client, repo, 'stdio');
    } finally {
      await client.close();
    }
    const logs = parseLogs(stderr);
    const started = logs.find((line) => line.msg === 'Nellie MCP server on stdio');
    expect(started).toMatchObject({ embeddingPump: false });
    expect(logs.some((line) => /watch/i.test(line.msg))).toBe(false);
    // Every stderr line is a JSON log line: nothing else leaked from the process.
    expect(
      stderr
        .trim()
        .split('\n')
        .every((line) => line.startsWith('{')),
    ).toBe(true);
  });

  it('stdio relay (`nellie mcp --url`) to the running server', async () => {
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [cliPath, 'mcp', '--url', `${server.url}/mcp`],
      env: cleanEnv({ NELLIE_DATA_DIR: makeTempDir() }),
      stderr: 'pipe',
    });
    let stderr = '';
    transport.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const client = await connect(transport).catch((error: Error) => {
      throw new Error(`${error.message}\nrelay stderr:\n${stderr}`);
    });
    try {
      await exerciseAllTools(client, repo, 'relay');
    } finally {
      await client.close();
    }
  });

  it('the relay answers requests with an error when the server cannot be reached', async () => {
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [cliPath, 'mcp', '--url', `http://127.0.0.1:${await closedPort()}/mcp`],
      env: cleanEnv(),
      stderr: 'pipe',
    });
    let stderr = '';
    transport.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const client = new Client({ name: 'nellie-e2e', version: '1.0.0' });
    const failure = await client.connect(transport).then(
      () => 'connected',
      (error: Error) => error.message,
    );
    expect(failure, stderr).toContain('did not accept the message');
    await client.close();
  });
});
