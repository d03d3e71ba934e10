import { mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSqliteStore, type SqliteStore } from '@nellie/storage';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestApp } from './support/harness.ts';
import { serveOnLoopback } from './support/serve.ts';

// Repository routes over real HTTP on a loopback port, with the SQLite store and real files.

let directory: string;
let store: SqliteStore;
let url: string;
const cleanup: (() => Promise<void>)[] = [];

beforeEach(async () => {
  directory = mkdtempSync(join(tmpdir(), 'nellie-http-repos-'));
  store = await createSqliteStore({ path: join(directory, 'nellie.db') });
  const t = createTestApp({ store });
  const server = await serveOnLoopback(t.app);
  url = server.url;
  cleanup.push(
    () => server.close(),
    () => t.close(),
  );
});

afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
  await store.close();
  rmSync(directory, { recursive: true, force: true });
});

async function call(method: string, path: string, json?: unknown) {
  const response = await fetch(`${url}/api/v1${path}`, {
    method,
    headers: json === undefined ? {} : { 'content-type': 'application/json' },
    body: json === undefined ? undefined : JSON.stringify(json),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

async function indexFile(repositoryId: number, root: string, path: string, content: string) {
  const absolute = join(root, ...path.split('/'));
  mkdirSync(join(absolute, '..'), { recursive: true });
  writeFileSync(absolute, content);
  const info = statSync(absolute);
  await store.writeFile(
    repositoryId,
    { path, language: 'javascript', size: info.size, mtimeMs: info.mtimeMs, contentHash: path },
    [{ startLine: 1, endLine: content.split('\n').length, content }],
  );
}

describe('/api/v1/repositories', () => {
  it('lists, renames and removes repositories; unknown names are 404 listing what exists', async () => {
    const first = join(directory, 'a', 'chalk');
    const second = join(directory, 'b', 'chalk');
    const one = await store.upsertRepository({ rootPath: first });
    await store.upsertRepository({ rootPath: second });
    await indexFile(one.id, first, 'index.js', 'export default chalk;');

    const listed = await call('GET', '/repositories');
    expect(listed.status).toBe(200);
    expect(listed.body.repositories).toEqual([
      expect.objectContaining({ name: 'chalk', rootPath: first, files: 1, chunks: 1, state: 'ok' }),
      expect.objectContaining({ name: 'chalk-2', rootPath: second, files: 0, state: 'missing' }),
    ]);

    const renamed = await call('PATCH', '/repositories/chalk-2', { name: 'chalk-fork' });
    expect(renamed).toEqual({
      status: 200,
      body: { name: 'chalk-fork', rootPath: second, previousName: 'chalk-2' },
    });
    const clash = await call('PATCH', '/repositories/chalk-fork', { name: 'chalk' });
    expect(clash.status).toBe(409);

    const unknown = await call('DELETE', '/repositories/nope');
    expect(unknown).toEqual({
      status: 404,
      body: {
        error: {
          code: 'NOT_FOUND',
          message:
            'No repository is named or rooted at "nope". Indexed repositories: chalk, chalk-fork.',
        },
      },
    });
    expect((await call('PATCH', '/repositories/nope', { name: 'x' })).status).toBe(404);

    const removed = await call('DELETE', '/repositories/chalk');
    expect(removed.status).toBe(200);
    expect(removed.body).toMatchObject({ name: 'chalk', rootPath: first, files: 1, chunks: 1 });
    expect(await store.searchCode({ query: 'chalk' })).toEqual([]);
    const after = await call('GET', '/repositories');
    expect((after.body.repositories as { name: string }[]).map((item) => item.name)).toEqual([
      'chalk-fork',
    ]);
  });
});

describe('/api/v1/repositories/:name/files', () => {
  let root: string;

  beforeEach(async () => {
    root = join(directory, 'fastify');
    const outside = join(directory, 'outside');
    mkdirSync(outside);
    writeFileSync(join(outside, 'id_rsa'), 'PRIVATE KEY');
    const repo = await store.upsertRepository({ rootPath: root });
    const lines = Array.from({ length: 500 }, (_, index) => `// line ${index + 1}`);
    await indexFile(repo.id, root, 'lib/handle-request.js', lines.join('\n'));
    await indexFile(repo.id, root, 'lib/escape.js', 'harmless');
    rmSync(join(root, 'lib', 'escape.js'));
    symlinkSync(join(outside, 'id_rsa'), join(root, 'lib', 'escape.js'));
    writeFileSync(join(root, '.env'), 'SECRET=1');
  });

  it('returns a bounded line range with the total line count', async () => {
    const range = await call(
      'GET',
      '/repositories/fastify/files?path=lib/handle-request.js&start=55&end=56',
    );
    expect(range).toEqual({
      status: 200,
      body: {
        repository: 'fastify',
        rootPath: root,
        path: 'lib/handle-request.js',
        absolutePath: join(root, 'lib', 'handle-request.js'),
        startLine: 55,
        endLine: 56,
        totalLines: 500,
        truncated: false,
        changedSinceIndexed: false,
        content: '// line 55\n// line 56',
      },
    });
    const page = await call('GET', '/repositories/fastify/files?path=lib/handle-request.js');
    expect(page.body).toMatchObject({
      startLine: 1,
      endLine: 400,
      truncated: true,
      totalLines: 500,
    });
  });

  it('refuses .., absolute paths, NUL bytes, symlinks out of the root and files not indexed', async () => {
    const refusals: [string, number, string][] = [
      ['../outside/id_rsa', 400, 'relative to the repository root'],
      [join(directory, 'outside', 'id_rsa'), 400, 'relative to the repository root'],
      ['lib/handle-request.js\0', 400, 'relative to the repository root'],
      ['lib/escape.js', 400, 'resolves outside the repository root'],
      ['.env', 404, '.env is not indexed in repository fastify'],
    ];
    for (const [path, status, message] of refusals) {
      const result = await call(
        'GET',
        `/repositories/fastify/files?path=${encodeURIComponent(path)}`,
      );
      expect(result.status, path).toBe(status);
      expect(JSON.stringify(result.body), path).toContain(message);
      expect(JSON.stringify(result.body)).not.toContain('PRIVATE KEY');
    }
    const badRange = await call('GET', '/repositories/fastify/files?path=lib/escape.js&start=0');
    expect(badRange.status).toBe(400);
    const unknown = await call('GET', '/repositories/nope/files?path=a.js');
    expect(unknown.status).toBe(404);
  });
});
