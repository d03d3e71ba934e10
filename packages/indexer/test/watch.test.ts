import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createMemoryStore } from '@nellie/test-utils';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createIndexer, watchDirectory, type IndexerStore, type WatchBatch } from '../src/index.ts';
import { git, gitInit, makeTempDir, removeDir, waitFor, writeTree } from './support/fixtures.ts';

let root: string;

beforeEach(async () => {
  root = await makeTempDir();
});

afterEach(async () => {
  await removeDir(root);
});

async function watched(store: IndexerStore) {
  const indexer = createIndexer({ store, debounceMs: 100 });
  await indexer.watch(root);
  return indexer;
}

describe('watchDirectory', () => {
  it('delivers debounced batches of relative paths and follows the root being recreated', async () => {
    const batches: WatchBatch[] = [];
    await using watch = await watchDirectory(root, {
      debounceMs: 50,
      healthCheckMs: 100,
      ignoreDirectories: ['node_modules'],
      onBatch: (batch) => {
        batches.push(batch);
      },
    });
    expect(watch.mode).toBe('native');
    await writeTree(root, { 'a.ts': 'x', 'sub/b.ts': 'y', 'node_modules/c.js': 'z' });
    await waitFor(
      () =>
        batches.some((batch) => batch.paths.has('a.ts')) &&
        batches.some((batch) => batch.paths.has('sub/b.ts')),
      'events for new files',
    );
    expect(
      batches.some((batch) => [...batch.paths].some((path) => path.includes('node_modules/'))),
    ).toBe(false);

    await rm(root, { recursive: true, force: true });
    await waitFor(
      () => batches.some((batch) => batch.rootMissing),
      'the root to be reported missing',
    );
    expect(watch.mode).toBe('missing');
    await mkdir(root);
    await waitFor(() => batches.at(-1)?.rescan === true, 'a rescan once the root is back');
    expect(watch.mode).toBe('native');
    await writeFile(join(root, 'again.ts'), 'x');
    await waitFor(
      () => batches.some((batch) => batch.paths.has('again.ts')),
      'events after recreation',
    );
  });
});

describe('CodeIndexer.watch', () => {
  it('indexes created, changed, renamed and deleted files, and nothing ignored', async () => {
    await writeTree(root, { 'src/a.ts': 'export const alpha = 1;\n', '.gitignore': 'tmp/\n' });
    const store = createMemoryStore();
    await using indexer = await watched(store);
    expect(indexer.status().watchedRoots).toEqual([root]);
    await waitFor(() => store.pathsContaining('alpha').length === 1, 'the initial index');

    await writeTree(root, {
      'src/b.py': 'def beta():\n    return 2\n',
      'node_modules/pkg/index.js': 'const ignoredDependency = 1;',
      'tmp/scratch.ts': 'const ignoredScratch = 1;',
    });
    await waitFor(() => store.pathsContaining('beta').length === 1, 'a created file');
    await writeFile(join(root, 'src/a.ts'), 'export const gamma = 3;\n');
    await waitFor(() => store.pathsContaining('gamma').length === 1, 'a changed file');
    expect(store.pathsContaining('alpha')).toEqual([]);
    await rename(join(root, 'src/b.py'), join(root, 'src/c.py'));
    await waitFor(
      () => store.paths().includes('src/c.py') && !store.paths().includes('src/b.py'),
      'a rename',
    );
    await rm(join(root, 'src/a.ts'));
    await waitFor(() => !store.paths().includes('src/a.ts'), 'a deletion');
    await mkdir(join(root, 'newdir/deep'), { recursive: true });
    await writeFile(join(root, 'newdir/deep/d.rb'), 'def delta; end\n');
    await waitFor(() => store.pathsContaining('delta').length === 1, 'a file in a new directory');
    await rm(join(root, 'newdir'), { recursive: true });
    await waitFor(() => store.pathsContaining('delta').length === 0, 'a deleted directory');

    expect(store.pathsContaining('ignoredDependency')).toEqual([]);
    expect(store.pathsContaining('ignoredScratch')).toEqual([]);
    await waitFor(() => indexer.status().indexLagSeconds === 0, 'the lag to return to zero');
    await indexer.unwatch(root);
    expect(indexer.status().watchedRoots).toEqual([]);
  });

  it('applies changes to .gitignore files to what is indexed', async () => {
    await writeTree(root, {
      'keep.ts': 'export const kept = 1;\n',
      'lib/drop.py': 'dropped = 1\n',
      'lib/more.py': 'more = 1\n',
    });
    const store = createMemoryStore();
    await using _indexer = await watched(store);
    await waitFor(() => store.paths().length === 3, 'the initial index');
    await writeFile(join(root, 'lib/.gitignore'), '*.py\n!more.py\n');
    await waitFor(
      () =>
        store.pathsContaining('dropped').length === 0 && store.paths().includes('lib/.gitignore'),
      'a new ignore rule to remove a file',
    );
    expect(store.pathsContaining('more = 1')).toEqual(['lib/more.py']);
    await rm(join(root, 'lib/.gitignore'));
    await waitFor(() => store.pathsContaining('dropped').length === 1, 'the file to return');
  });

  it('survives the watched directory being deleted and recreated', async () => {
    await writeTree(root, { 'one.ts': 'export const one = 1;\n' });
    const store = createMemoryStore();
    await using _indexer = await watched(store);
    await waitFor(() => store.pathsContaining('one = 1').length === 1, 'the initial index');
    await rm(root, { recursive: true, force: true });
    await waitFor(() => store.paths().length === 0, 'the index to empty');
    await mkdir(root);
    await writeTree(root, { 'two.ts': 'export const two = 2;\n' });
    await waitFor(
      () => store.pathsContaining('two = 2').length === 1,
      'the recreated directory to be indexed',
    );
    await writeFile(join(root, 'three.ts'), 'export const three = 3;\n');
    await waitFor(() => store.pathsContaining('three = 3').length === 1, 'watching to continue');
  });

  it('follows a branch switch that changes thousands of files', async () => {
    gitInit(root);
    await writeTree(root, {
      '.gitignore': 'build/\n',
      'README.md': '# Project\n',
      ...Object.fromEntries(
        Array.from({ length: 1200 }, (_, index) => [
          `src/main/file${index}.ts`,
          `export const mainValue${index} = ${index};\n`,
        ]),
      ),
    });
    git(root, 'add', '-A');
    git(root, 'commit', '--quiet', '-m', 'main');
    git(root, 'checkout', '--quiet', '-b', 'feature');
    await rm(join(root, 'src/main'), { recursive: true });
    await writeTree(
      root,
      Object.fromEntries(
        Array.from({ length: 2000 }, (_, index) => [
          `src/feature/part${index % 10}/file${index}.py`,
          `FEATURE_VALUE_${index} = ${index}\n`,
        ]),
      ),
    );
    git(root, 'add', '-A');
    git(root, 'commit', '--quiet', '-m', 'feature');
    git(root, 'checkout', '--quiet', 'main');

    const store = createMemoryStore();
    await using indexer = await watched(store);
    const gitFiles = (): string[] => git(root, 'ls-files').split('\n').filter(Boolean).sort();
    await waitFor(() => store.paths().length === 1202, 'the main branch to be indexed', 60_000);
    expect(store.paths()).toEqual(gitFiles());

    git(root, 'checkout', '--quiet', 'feature');
    await writeTree(root, { 'build/out.js': 'ignored build output' });
    const expected = gitFiles();
    expect(expected).toHaveLength(2002);
    await waitFor(
      () =>
        store.paths().length === expected.length &&
        store.pathsContaining('mainValue1 ').length === 0,
      'the feature branch to replace the index',
      60_000,
    );
    expect(store.paths()).toEqual(expected);
    expect(store.pathsContaining('FEATURE_VALUE_1999 ')).toEqual(['src/feature/part9/file1999.py']);

    git(root, 'checkout', '--quiet', 'main');
    await waitFor(() => store.paths().length === 1202, 'switching back', 60_000);
    expect(store.paths()).toEqual(gitFiles());
    expect(await indexer.diff(root)).toMatchObject({ added: [], changed: [], deleted: [] });
  }, 120_000);
});
