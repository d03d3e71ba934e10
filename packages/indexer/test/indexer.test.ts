import { rename, rm, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { IndexJob } from '@nellie/core';
import { createMemoryStore } from '@nellie/test-utils';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createIndexer } from '../src/index.ts';
import { makeTempDir, removeDir, waitFor, writeTree } from './support/fixtures.ts';

let root: string;

beforeEach(async () => {
  root = await makeTempDir();
  await writeTree(root, {
    'src/math.ts': 'export function add(a: number, b: number) {\n  return a + b;\n}\n',
    'src/strings.py': 'def shout(text):\n    return text.upper()\n',
    'README.md': '# Demo\n\nA tiny repository.\n',
    'node_modules/dep/index.js': 'module.exports = 1;',
    '.gitignore': 'secret.txt\n',
    'secret.txt': 'hunter2',
  });
});

afterEach(async () => {
  await removeDir(root);
});

async function run(
  indexer: ReturnType<typeof createIndexer>,
  mode: 'incremental' | 'full' = 'incremental',
): Promise<IndexJob> {
  const job = await indexer.startJob({ rootPath: root, mode });
  return indexer.waitForJob(job.id);
}

describe('createIndexer: incremental indexing', () => {
  it('indexes a repository, honouring ignore rules, and finds nothing to do the second time', async () => {
    const store = createMemoryStore();
    await using indexer = createIndexer({ store });
    const first = await run(indexer);
    expect(first).toMatchObject({ state: 'succeeded', mode: 'incremental', error: null });
    expect(first.progress).toMatchObject({
      filesSeen: 4,
      filesIndexed: 4,
      filesFailed: 0,
      // node_modules/ is passed over by a built-in pattern, and reported with it.
      filesSkippedExcluded: 1,
      excludedBy: { 'node_modules/': 1 },
    });
    expect(store.paths()).toEqual(['.gitignore', 'README.md', 'src/math.ts', 'src/strings.py']);
    expect((await store.listFiles(1)).find((file) => file.path === 'src/math.ts')).toMatchObject({
      language: 'typescript',
    });
    expect(store.chunksOf('src/math.ts')[0]).toMatchObject({
      startLine: 1,
      endLine: 3,
      symbolName: 'add',
      symbolKind: 'function',
    });
    expect((await store.listRepositories())[0]!.lastIndexedAt).not.toBeNull();

    const writes = store.callsTo('writeFile').length;
    const second = await run(indexer);
    expect(second.progress).toMatchObject({ filesSeen: 4, filesUnchanged: 4, filesIndexed: 0 });
    expect(store.callsTo('writeFile').length).toBe(writes);
    expect(store.callsTo('touchFile').length).toBe(0);
  });

  it('only touches a file whose mtime changed but not its content, and rewrites a changed one', async () => {
    const store = createMemoryStore();
    await using indexer = createIndexer({ store });
    await run(indexer);
    const writes = store.callsTo('writeFile').length;
    const later = new Date(Date.now() + 60_000);
    await utimes(join(root, 'src/math.ts'), later, later);
    await writeFile(join(root, 'src/strings.py'), 'def whisper(text):\n    return text.lower()\n');
    const job = await run(indexer);
    expect(job.progress).toMatchObject({ filesIndexed: 1, filesUnchanged: 3 });
    expect(store.callsTo('touchFile').length).toBe(1);
    expect(store.callsTo('writeFile').length).toBe(writes + 1);
    expect(store.pathsContaining('whisper')).toEqual(['src/strings.py']);
    expect(store.pathsContaining('shout')).toEqual([]);
    const { stat } = await import('node:fs/promises');
    expect((await store.listFiles(1)).find((file) => file.path === 'src/math.ts')!.mtimeMs).toBe(
      (await stat(join(root, 'src/math.ts'))).mtimeMs,
    );
  });

  it('removes deleted and renamed files, and files that became ignored', async () => {
    const store = createMemoryStore();
    await using indexer = createIndexer({ store });
    await run(indexer);
    await rm(join(root, 'README.md'));
    await rename(join(root, 'src/strings.py'), join(root, 'src/text.py'));
    await writeFile(join(root, '.gitignore'), 'secret.txt\n*.ts\n');
    const job = await run(indexer);
    expect(job.progress.filesDeleted).toBe(3);
    expect(store.paths()).toEqual(['.gitignore', 'src/text.py']);
    expect(store.pathsContaining('shout')).toEqual(['src/text.py']);
  });

  it('reconciles what changed while no indexer was running', async () => {
    const store = createMemoryStore();
    {
      await using indexer = createIndexer({ store });
      await run(indexer);
    }
    await writeTree(root, { 'src/added.go': 'package main\n\nfunc Added() {}\n' });
    await writeFile(
      join(root, 'src/math.ts'),
      'export const subtract = (a: number, b: number) => a - b;\n',
    );
    await rm(join(root, 'README.md'));
    await using indexer = createIndexer({ store });
    const diff = await indexer.diff(root);
    expect(diff).toMatchObject({
      added: ['src/added.go'],
      changed: ['src/math.ts'],
      deleted: ['README.md'],
      unchanged: 2,
    });
    // diff() writes nothing.
    expect(store.paths()).toContain('README.md');
    const job = await run(indexer);
    expect(job.progress).toMatchObject({ filesIndexed: 2, filesDeleted: 1, filesUnchanged: 2 });
    expect(store.paths()).toEqual(['.gitignore', 'src/added.go', 'src/math.ts', 'src/strings.py']);
    expect(store.pathsContaining('subtract')).toEqual(['src/math.ts']);
  });

  it('re-reads and re-chunks every file in full mode', async () => {
    const store = createMemoryStore();
    await using indexer = createIndexer({ store });
    await run(indexer);
    const writes = store.callsTo('writeFile').length;
    const job = await run(indexer, 'full');
    expect(job.progress.filesIndexed).toBe(4);
    expect(store.callsTo('writeFile').length).toBe(writes + 4);
  });

  it('skips binary and minified files and drops them from the index', async () => {
    const store = createMemoryStore();
    await using indexer = createIndexer({ store });
    await run(indexer);
    await writeTree(root, {
      'src/math.ts': new Uint8Array([0x00, 0x01, 0x02, 0x03]),
      'src/bundle.js': `var a=${'1+'.repeat(3000)}1;`,
      'src/gen.go': '// Code generated by protoc. DO NOT EDIT.\npackage gen\n',
    });
    const job = await run(indexer);
    expect(job.progress.filesSkipped).toBe(3);
    expect(store.paths()).toEqual(['.gitignore', 'README.md', 'src/strings.py']);
    // Skipped files are remembered: an unchanged one is not read again.
    const again = await run(indexer);
    expect(again.progress).toMatchObject({ filesSkipped: 3, filesIndexed: 0 });
    expect((await indexer.diff(root)).added).toEqual([]);
  });

  it('uses per-repository include and exclude globs', async () => {
    const store = createMemoryStore();
    await using indexer = createIndexer({
      store,
      exclude: ['**/*.md'],
      repositories: { [root]: { include: ['src/**'], exclude: ['**/*.py'] } },
    });
    await run(indexer);
    expect(store.paths()).toEqual(['src/math.ts']);
  });

  it('keeps the index consistent with a file that changes while it is indexed', async () => {
    const store = createMemoryStore();
    await using indexer = createIndexer({ store });
    const target = join(root, 'src/churn.ts');
    await writeFile(target, 'export const version = 0;\n');
    let writing = true;
    let version = 0;
    const writer = (async () => {
      while (writing) {
        version += 1;
        await writeFile(
          target,
          `export const version = ${version};\n${'// pad\n'.repeat(version % 7)}`,
        );
        await new Promise((resolve) => setImmediate(resolve));
      }
    })();
    for (let round = 0; round < 5; round += 1) await run(indexer);
    writing = false;
    await writer;
    await run(indexer);
    expect(store.pathsContaining(`version = ${version};`)).toEqual(['src/churn.ts']);
    expect(await indexer.diff(root)).toMatchObject({ added: [], changed: [], deleted: [] });
  });
});

describe('createIndexer: jobs', () => {
  it('returns the queued or running job instead of starting a second one', async () => {
    const store = createMemoryStore();
    await using indexer = createIndexer({ store });
    const [a, b] = await Promise.all([
      indexer.startJob({ rootPath: root }),
      indexer.startJob({ rootPath: join(root, 'src', '..') }),
    ]);
    expect(b.id).toBe(a.id);
    expect(['queued', 'running']).toContain(a.state);
    const done = await indexer.waitForJob(a.id);
    expect(done.state).toBe('succeeded');
    const next = await indexer.startJob({ rootPath: root });
    expect(next.id).not.toBe(a.id);
    await indexer.waitForJob(next.id);
    expect(indexer.listJobs().map((job) => job.id)).toEqual([next.id, a.id]);
    expect(indexer.getJob(a.id)).toMatchObject({
      state: 'succeeded',
      repository: root.split('/').pop(),
    });
    expect(indexer.getJob('nope')).toBeNull();
  });

  it('cancels a queued job and a running one', async () => {
    const other = await makeTempDir();
    try {
      await writeTree(
        other,
        Object.fromEntries(
          Array.from({ length: 300 }, (_, index) => [
            `f${index}.ts`,
            `export const v${index} = ${index};\n`,
          ]),
        ),
      );
      const store = createMemoryStore();
      await using indexer = createIndexer({ store });
      const running = await indexer.startJob({ rootPath: other });
      const queued = await indexer.startJob({ rootPath: root });
      expect(indexer.cancelJob(queued.id).state).toBe('cancelled');
      await waitFor(() => indexer.getJob(running.id)!.state === 'running', 'the job to start');
      indexer.cancelJob(running.id);
      const finished = await indexer.waitForJob(running.id);
      expect(finished.state).toBe('cancelled');
      expect(finished.progress.filesIndexed).toBeLessThan(300);
      expect((await indexer.waitForJob(queued.id)).state).toBe('cancelled');
      expect(indexer.cancelJob(running.id).state).toBe('cancelled');
      expect(() => indexer.cancelJob('missing')).toThrowError(
        expect.objectContaining({ code: 'NOT_FOUND' }) as Error,
      );
      // A cancelled job leaves the index usable: the next job completes it.
      const rest = await indexer.waitForJob((await indexer.startJob({ rootPath: other })).id);
      expect(rest.state).toBe('succeeded');
      expect(store.paths(1)).toHaveLength(300);
    } finally {
      await removeDir(other);
    }
  });

  it('reports progress and failures', async () => {
    const store = createMemoryStore();
    const seen: IndexJob[] = [];
    await using indexer = createIndexer({ store, onProgress: (job) => seen.push(job) });
    store.failWith(new Error('disk full'), 'writeFile');
    const job = await run(indexer);
    expect(job.state).toBe('failed');
    expect(job.error).toContain('disk full');
    expect(seen.map((entry) => entry.state)).toEqual(
      expect.arrayContaining(['queued', 'running', 'failed']),
    );
    store.failWith(null, 'writeFile');
    expect((await run(indexer)).state).toBe('succeeded');
  });

  it('rejects bad input and bad options with typed errors', async () => {
    const store = createMemoryStore();
    expect(() => createIndexer({ store, debounceMs: -5 })).toThrowError(
      expect.objectContaining({ code: 'INVALID_OPTIONS' }) as Error,
    );
    const indexer = createIndexer({ store });
    await expect(indexer.startJob({ rootPath: join(root, 'missing') })).rejects.toMatchObject({
      code: 'INVALID_INPUT',
    });
    await expect(indexer.startJob({ rootPath: join(root, 'README.md') })).rejects.toMatchObject({
      code: 'INVALID_INPUT',
    });
    await expect(
      indexer.startJob({ rootPath: root, mode: 'sometimes' as 'full' }),
    ).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    await expect(indexer.waitForJob('missing')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await indexer.close();
    await expect(indexer.startJob({ rootPath: root })).rejects.toMatchObject({
      code: 'STORE_CLOSED',
    });
    expect(store.paths()).toEqual([]);
  });

  it('stops waiting when the signal fires', async () => {
    const store = createMemoryStore();
    await using indexer = createIndexer({ store });
    const job = await indexer.startJob({ rootPath: root });
    const controller = new AbortController();
    controller.abort();
    await expect(indexer.waitForJob(job.id, { signal: controller.signal })).rejects.toMatchObject({
      code: 'ABORTED',
    });
    await indexer.waitForJob(job.id);
  });
});
