import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createSqliteStore } from '@nellie/storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  cleanEnv,
  createSampleRepo,
  fetchJson,
  jsonRequest,
  killAllServers,
  makeTempDir,
  removeTempDirs,
  runCli,
  startServer,
  waitFor,
  type RunningServer,
} from './helpers.ts';

// The security boundary of indexing, through the real server: MCP over Streamable HTTP with the
// SDK client, REST over HTTP, and the CLI. Only directories below the allowed roots are indexed;
// system directories, the data directory (with the API keys in its config.json) and files named
// like secrets never are.

/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-explicit-any */
type Structured = Record<string, any>;

interface ToolResult {
  isError?: boolean;
  content?: { type: string; text?: string }[];
  structuredContent?: Structured;
}

const adminSecret = 'datadir-admin-secret-0123456789';
const envMarker = 'envfilemarker7c1';
const keyMarker = 'privatekeymarker9d2';
const outsideMarker = 'outsidemarker4e5';

let server: RunningServer;
let client: Client;
let allowed: string;
let repo: string;
let outside: string;
let dataDir: string;
const auth = { authorization: `Bearer ${adminSecret}` };

function textOf(result: ToolResult): string {
  return (result.content ?? []).map((part) => part.text ?? '').join('\n');
}

async function call(name: string, args: Record<string, unknown>): Promise<ToolResult> {
  return (await client.callTool({ name, arguments: args })) as ToolResult;
}

async function search(query: string): Promise<{ path: string; content: string }[]> {
  const result = await call('search_code', {
    query,
    limit: 20,
    groupBy: 'chunk',
    includeContent: true,
  });
  expect(result.isError, textOf(result)).toBeFalsy();
  return result.structuredContent?.hits as { path: string; content: string }[];
}

async function searchPaths(query: string): Promise<string[]> {
  return (await search(query)).map((hit) => hit.path);
}

/** Search finds no chunk holding the text (keyword search may still return other chunks). */
async function expectNotFound(text: string): Promise<void> {
  const hits = await search(text);
  expect(hits.filter((hit) => hit.content.includes(text))).toEqual([]);
}

/** Paths that must be refused, with a word the refusal must name. */
function refusedPaths(): [string, string][] {
  return [
    ['/etc', 'system directory'],
    ['/proc/self', 'system directory'],
    ['/', 'system directory'],
    [dataDir, "Nellie's data directory"],
    [path.join(dataDir, '..', path.basename(dataDir)), "Nellie's data directory"],
    [`${repo}/../../${path.basename(outside)}`, '--allow-root'],
    [path.join(repo, 'escape'), '--allow-root'],
    [outside, 'NELLIE_ALLOW_ROOTS'],
  ];
}

beforeAll(async () => {
  const workspace = makeTempDir('nellie-roots-');
  allowed = path.join(workspace, 'allowed');
  repo = createSampleRepo(path.join(allowed, 'repo'));
  writeFileSync(path.join(repo, '.env'), `API_TOKEN=${envMarker}\n`);
  writeFileSync(path.join(repo, '.env.example'), 'API_TOKEN=replace-me\n');
  mkdirSync(path.join(repo, 'deploy'));
  writeFileSync(
    path.join(repo, 'deploy', 'id_ed25519'),
    `-----BEGIN OPENSSH PRIVATE KEY-----\n${keyMarker}\n-----END OPENSSH PRIVATE KEY-----\n`,
  );
  outside = path.join(workspace, 'outside');
  mkdirSync(outside);
  writeFileSync(path.join(outside, 'notes.txt'), `${outsideMarker} private notes\n`);
  symlinkSync(outside, path.join(repo, 'escape'));
  dataDir = path.join(workspace, 'data');
  mkdirSync(dataDir);
  // The key lives in the data directory's config.json, which the server reads by default.
  writeFileSync(
    path.join(dataDir, 'config.json'),
    JSON.stringify({ apiKeys: [`admin:${adminSecret}`] }),
  );

  server = await startServer({
    dataDir,
    args: ['--model', 'none', '--allow-root', allowed],
  });
  client = new Client({ name: 'roots-e2e', version: '1.0.0' });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(`${server.url}/mcp`), {
      requestInit: { headers: auth },
    }),
  );
});

afterAll(async () => {
  await client?.close();
  await server?.stop();
  await killAllServers();
  removeTempDirs();
});

describe('indexing through the server', () => {
  it('MCP index_repo refuses system directories, the data directory and paths leaving the roots', async () => {
    for (const [target, reason] of refusedPaths()) {
      const result = await call('index_repo', { path: target });
      expect(result.isError, target).toBe(true);
      expect(textOf(result), target).toMatch(/^PATH_NOT_ALLOWED: Nellie does not index /);
      expect(textOf(result), target).toContain(reason);
    }
    const outsideResult = await call('index_repo', { path: outside });
    expect(textOf(outsideResult)).toContain('--allow-root <dir> or NELLIE_ALLOW_ROOTS');

    // Nothing was registered or started, so nothing of those directories can be found.
    const status = await call('get_index_status', {});
    expect(status.structuredContent?.jobs ?? []).toEqual([]);
    await expectNotFound('root:x:0:0');
    await expectNotFound(adminSecret);
    await expectNotFound(outsideMarker);
  });

  it('REST POST /api/v1/index/jobs answers 403 PATH_NOT_ALLOWED in the one error shape', async () => {
    for (const [target, reason] of refusedPaths()) {
      const response = await fetchJson(
        `${server.url}/api/v1/index/jobs`,
        jsonRequest('POST', { path: target }, auth),
      );
      expect(response.status, target).toBe(403);
      const body = response.body as { error: { code: string; message: string } };
      expect(Object.keys(body)).toEqual(['error']);
      expect(body.error.code, target).toBe('PATH_NOT_ALLOWED');
      expect(body.error.message, target).toContain(reason);
    }
    const jobs = await fetchJson(`${server.url}/api/v1/index/jobs`, { headers: auth });
    expect(jobs.body).toEqual([]);
  });

  it('indexes a repository below an allowed root, without its secret files', async () => {
    const started = await call('index_repo', { path: repo });
    expect(started.isError, textOf(started)).toBeFalsy();
    const jobId = started.structuredContent?.job.id as string;
    const job = await waitFor(
      async () => {
        const status = await call('get_index_status', { job_id: jobId });
        const found = (status.structuredContent?.jobs as Structured[]).find(
          (entry) => entry.id === jobId,
        );
        return found && ['succeeded', 'failed', 'cancelled'].includes(found.state as string)
          ? found
          : undefined;
      },
      { what: 'the index job' },
    );
    expect(job.state).toBe('succeeded');
    // .env and the private key; the link out of the root is skipped, not followed.
    expect(job.progress.filesSkippedSecret).toBe(2);

    expect(await searchPaths('addNumbers')).toContain('src/math.ts');
    const tokenPaths = await searchPaths('API_TOKEN');
    expect(tokenPaths).toContain('.env.example');
    expect(tokenPaths).not.toContain('.env');
    await expectNotFound(envMarker);
    await expectNotFound(keyMarker);
    await expectNotFound(outsideMarker);
    await expectNotFound(adminSecret);

    // Re-indexing the known repository by name works.
    const again = await call('index_repo', { path: 'repo' });
    expect(again.isError, textOf(again)).toBeFalsy();
  });
});

describe('nellie index', () => {
  it('indexes the directory the user gives it, but never the data directory or a system directory', async () => {
    const cliData = makeTempDir('nellie-roots-cli-');
    const env = cleanEnv();
    const common = ['--data-dir', cliData, '--model', 'none'];
    const [ownData, etc, chosen] = await Promise.all([
      runCli(['index', cliData, ...common], { env }),
      runCli(['index', '/etc', ...common], { env }),
      runCli(['index', createSampleRepo(), ...common, '--json'], { env }),
    ]);
    expect(ownData.code, ownData.stderr).toBe(2);
    expect(ownData.stderr).toContain("Nellie's data directory");
    expect(etc.code, etc.stderr).toBe(2);
    expect(etc.stderr).toContain('/etc');
    expect(etc.stderr).toContain('system directory');
    expect(chosen.code, chosen.stderr).toBe(0);
    expect(JSON.parse(chosen.stdout).job.state).toBe('succeeded');
  });
});

describe('repositories indexed before roots were checked', () => {
  it('a repository at /etc in the index is removed when the server starts', async () => {
    const oldData = makeTempDir('nellie-roots-old-');
    const marker = 'etcpasswdmarker3f8';
    const store = await createSqliteStore({ path: path.join(oldData, 'nellie.db') });
    const etc = await store.upsertRepository({ rootPath: '/etc', name: 'etc' });
    const line = `root:x:0:0:${marker}:/root:/bin/bash`;
    await store.writeFile(
      etc.id,
      {
        path: 'passwd',
        language: null,
        size: line.length,
        mtimeMs: 1,
        contentHash: 'e'.repeat(64),
      },
      [
        {
          startLine: 1,
          endLine: 1,
          content: line,
          symbolName: null,
          symbolKind: null,
          enclosingSymbol: null,
          language: null,
        },
      ],
    );
    await store.close();

    const old = await startServer({ dataDir: oldData, args: ['--model', 'none'] });
    try {
      const removed = await old.waitForLog(
        (entry) => entry.msg === 'Removed a repository that may not be indexed from the index',
      );
      expect(removed.rootPath).toBe('/etc');
      const search = await fetchJson(
        `${old.url}/api/v1/search/code`,
        jsonRequest('POST', { query: marker }),
      );
      expect(search.status).toBe(200);
      const hits = (search.body as { hits: { content: string }[] }).hits;
      expect(hits.filter((hit) => hit.content.includes(marker))).toEqual([]);
      const status = await fetchJson(`${old.url}/api/v1/status`);
      expect(JSON.stringify(status.body)).not.toContain('/etc');
    } finally {
      await old.stop();
    }
  });
});
