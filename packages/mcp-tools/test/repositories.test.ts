import { mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSqliteStore, type SqliteStore } from '@nellie/storage';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createFakeIndexer, type FakeIndexer } from './support/fake-indexer.ts';
import { connect, disabledModel, textOf, type Harness } from './support/harness.ts';

// Repository tools and read_file against the real SQLite store and real files, through the SDK
// client.

let directory: string;
let store: SqliteStore;
let indexer: FakeIndexer;
let harness: Harness;

beforeEach(async () => {
  directory = mkdtempSync(join(tmpdir(), 'nellie-mcp-repos-'));
  store = await createSqliteStore({ path: join(directory, 'nellie.db') });
  indexer = createFakeIndexer();
  harness = await connect({ store, indexer, modelStatus: disabledModel, version: '1.0.0' });
});

afterEach(async () => {
  await harness.close();
  await store.close();
  rmSync(directory, { recursive: true, force: true });
});

async function indexFile(repositoryId: number, root: string, path: string, content: string) {
  const absolute = join(root, ...path.split('/'));
  mkdirSync(join(absolute, '..'), { recursive: true });
  writeFileSync(absolute, content);
  const info = statSync(absolute);
  await store.writeFile(
    repositoryId,
    { path, language: 'javascript', size: info.size, mtimeMs: info.mtimeMs, contentHash: path },
    [{ startLine: 1, endLine: content.split('\n').length, content, symbolName: null }],
  );
}

describe('list_repositories', () => {
  it('lists names, roots, counts, watched and missing roots, auto-named duplicates included', async () => {
    const first = join(directory, 'a', 'chalk');
    const second = join(directory, 'b', 'chalk');
    const one = await store.upsertRepository({ rootPath: first });
    await store.upsertRepository({ rootPath: second });
    await indexFile(one.id, first, 'index.js', 'export default chalk;');
    await indexer.watch(first);
    // `second` was never created on disk: its root is missing.

    const result = await harness.call('list_repositories');
    expect(result.isError).toBeFalsy();
    const text = textOf(result);
    expect(text).toContain(
      `- chalk (${first}): 1 file, 1 chunk (0 with vectors), never indexed, watched`,
    );
    expect(text).toContain(`- chalk-2 (${second}): 0 files, 0 chunks`);
    expect(text).toContain('MISSING: root directory is gone');
    expect(result.structuredContent).toEqual({
      repositories: [
        {
          name: 'chalk',
          rootPath: first,
          files: 1,
          chunks: 1,
          chunksWithVectors: 0,
          lastIndexedAt: null,
          watched: true,
          state: 'ok',
        },
        {
          name: 'chalk-2',
          rootPath: second,
          files: 0,
          chunks: 0,
          chunksWithVectors: 0,
          lastIndexedAt: null,
          watched: false,
          state: 'missing',
        },
      ],
    });
  });
});

describe('get_status', () => {
  it('marks a repository whose root is gone as missing', async () => {
    const gone = join(directory, 'deleted-checkout');
    mkdirSync(gone);
    await store.upsertRepository({ rootPath: gone });
    rmSync(gone, { recursive: true });
    const result = await harness.call('get_status');
    expect(textOf(result)).toContain(
      `- deleted-checkout (${gone}): not indexed yet — MISSING: root directory is gone`,
    );
    expect(result.structuredContent).toMatchObject({
      repositories: [{ name: 'deleted-checkout', state: 'missing' }],
    });
  });
});

describe('remove_repository and rename_repository', () => {
  it('removes a repository: unwatches it, cancels its jobs, and its code no longer answers', async () => {
    const root = join(directory, 'fastify');
    const repo = await store.upsertRepository({ rootPath: root });
    await indexFile(repo.id, root, 'lib/route.js', 'function handleRequest() {}');
    await indexer.watch(root);
    const job = await indexer.startJob({ rootPath: root });

    const result = await harness.call('remove_repository', { repository: 'fastify' });
    expect(result.isError).toBeFalsy();
    expect(textOf(result)).toBe(`Removed repository fastify (${root}): 1 file, 1 chunk.`);
    expect(indexer.getJob(job.id)?.state).toBe('cancelled');
    expect(indexer.status().watchedRoots).toEqual([]);
    expect(await store.listRepositories()).toEqual([]);
    expect(await store.searchCode({ query: 'handleRequest' })).toEqual([]);
    const [entry] = await store.listAudit({ limit: 1 });
    expect(entry).toMatchObject({ action: 'repository.remove', target: 'fastify' });
  });

  it('answers an unknown name with NOT_FOUND listing the repositories', async () => {
    await store.upsertRepository({ rootPath: join(directory, 'api') });
    for (const [tool, args] of [
      ['remove_repository', { repository: 'nope' }],
      ['rename_repository', { repository: 'nope', name: 'x' }],
      ['read_file', { repository: 'nope', path: 'a.js' }],
    ] as const) {
      const result = await harness.call(tool, args);
      expect(result.isError, tool).toBe(true);
      expect(textOf(result), tool).toBe(
        'NOT_FOUND: No repository is named or rooted at "nope". Indexed repositories: api.',
      );
    }
  });

  it('renames, and refuses a name in use', async () => {
    await store.upsertRepository({ rootPath: join(directory, 'a', 'chalk') });
    await store.upsertRepository({ rootPath: join(directory, 'b', 'chalk') });
    const renamed = await harness.call('rename_repository', {
      repository: 'chalk-2',
      name: 'chalk-fork',
    });
    expect(textOf(renamed)).toBe(
      `Renamed repository chalk-2 to chalk-fork (${join(directory, 'b', 'chalk')}).`,
    );
    const clash = await harness.call('rename_repository', {
      repository: 'chalk-fork',
      name: 'chalk',
    });
    expect(clash.isError).toBe(true);
    expect(textOf(clash)).toMatch(/^CONFLICT: The repository name "chalk" is already used by /);
  });
});

describe('read_file', () => {
  let root: string;
  let outside: string;

  beforeEach(async () => {
    root = join(directory, 'fastify');
    outside = join(directory, 'outside');
    mkdirSync(outside);
    writeFileSync(join(outside, 'id_rsa'), 'PRIVATE KEY');
    const repo = await store.upsertRepository({ rootPath: root });
    const lines = Array.from({ length: 100 }, (_, index) => `// line ${index + 1}`);
    await indexFile(repo.id, root, 'lib/handle-request.js', lines.join('\n'));
    await indexFile(repo.id, root, 'lib/escape.js', 'harmless');
    rmSync(join(root, 'lib', 'escape.js'));
    symlinkSync(join(outside, 'id_rsa'), join(root, 'lib', 'escape.js'));
    writeFileSync(join(root, '.env'), 'SECRET=1');
  });

  it('returns a line range with the total line count and the full location', async () => {
    const result = await harness.call('read_file', {
      repository: 'fastify',
      path: 'lib/handle-request.js',
      startLine: 55,
      endLine: 57,
    });
    expect(result.isError).toBeFalsy();
    expect(textOf(result)).toBe(
      `fastify:lib/handle-request.js:55-57 of 100 lines (${join(root, 'lib', 'handle-request.js')})\n\n` +
        '// line 55\n// line 56\n// line 57',
    );
    expect(result.structuredContent).toMatchObject({
      rootPath: root,
      totalLines: 100,
      truncated: false,
      changedSinceIndexed: false,
    });
  });

  it('refuses .., absolute paths, NUL bytes, symlinks out of the root and files not indexed', async () => {
    const refusals: [Record<string, unknown>, string][] = [
      [{ path: '../outside/id_rsa' }, 'INVALID_INPUT: Invalid file read request'],
      [{ path: join(outside, 'id_rsa') }, 'INVALID_INPUT: Invalid file read request'],
      [{ path: 'lib/handle-request.js\0' }, 'INVALID_INPUT: Invalid file read request'],
      [
        { path: 'lib/escape.js' },
        'INVALID_INPUT: lib/escape.js resolves outside the repository root',
      ],
      [{ path: '.env' }, 'NOT_FOUND: .env is not indexed in repository fastify'],
    ];
    for (const [args, message] of refusals) {
      const result = await harness.call('read_file', { repository: 'fastify', ...args });
      expect(result.isError, String(args.path)).toBe(true);
      expect(textOf(result), String(args.path)).toContain(message);
      expect(textOf(result)).not.toContain('PRIVATE KEY');
    }
  });
});
