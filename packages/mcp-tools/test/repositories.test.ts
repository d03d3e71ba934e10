import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { createSqliteStore, type SqliteStore } from '@nellie/storage';
import {
  createFakeIndexer,
  repositoryOperationsContract,
  writeIndexedFile,
  type FakeIndexer,
  type InterfaceOutcome,
} from '@nellie/test-utils';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { connect, disabledModel, textOf, type Harness } from './support/harness.ts';

// Repository tools and read_file against the real SQLite store and real files, through the SDK
// client (which checks every answer against the tool's output schema).

/** MCP answers its data as structured content and an error as `isError` text `CODE: message`. */
function outcome(result: CallToolResult, data = (content: unknown) => content): InterfaceOutcome {
  if (result.isError !== true) return { data: data(result.structuredContent) };
  const [code = '', ...message] = textOf(result).split(': ');
  return { error: { code, message: message.join(': ') } };
}

repositoryOperationsContract('MCP', {
  async open(directory) {
    const sqlite = await createSqliteStore({ path: join(directory, 'nellie.db') });
    const mcp = await connect({
      store: sqlite,
      indexer: createFakeIndexer(),
      modelStatus: disabledModel,
      version: '1.0.0',
    });
    return {
      store: sqlite,
      unwatched: false,
      close: async () => {
        await mcp.close();
        await sqlite.close();
      },
      operations: {
        list: async () => outcome(await mcp.call('list_repositories')),
        remove: async (repository) =>
          outcome(
            await mcp.call('remove_repository', { repository }),
            (content) => (content as { removed: unknown }).removed,
          ),
        rename: async (repository, name) =>
          outcome(await mcp.call('rename_repository', { repository, name })),
        readFile: async (request) => outcome(await mcp.call('read_file', request)),
      },
    };
  },
});

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

const indexFile = (repositoryId: number, root: string, path: string, content: string) =>
  writeIndexedFile(store, repositoryId, root, path, content);

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
    expect(result.structuredContent).toMatchObject({
      repositories: [
        { name: 'chalk', watched: true },
        { name: 'chalk-2', watched: false },
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

  it('answers in text: the rename, and an error as CODE: message', async () => {
    await store.upsertRepository({ rootPath: join(directory, 'a', 'chalk') });
    await store.upsertRepository({ rootPath: join(directory, 'b', 'chalk') });
    const renamed = await harness.call('rename_repository', {
      repository: 'chalk-2',
      name: 'chalk-fork',
    });
    expect(textOf(renamed)).toBe(
      `Renamed repository chalk-2 to chalk-fork (${join(directory, 'b', 'chalk')}).`,
    );
    const unknown = await harness.call('remove_repository', { repository: 'nope' });
    expect(unknown.isError).toBe(true);
    expect(textOf(unknown)).toBe(
      'NOT_FOUND: No repository is named or rooted at "nope". Indexed repositories: chalk, chalk-fork.',
    );
  });
});

describe('read_file', () => {
  it('answers a header with the location and the total line count, then the lines', async () => {
    const root = join(directory, 'fastify');
    const repo = await store.upsertRepository({ rootPath: root });
    const lines = Array.from({ length: 100 }, (_, index) => `// line ${index + 1}`);
    await indexFile(repo.id, root, 'lib/handle-request.js', lines.join('\n'));
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
  });
});
