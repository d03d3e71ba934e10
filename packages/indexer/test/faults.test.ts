import type * as FsPromises from 'node:fs/promises';
import { createMemoryStore } from '@nellie/test-utils';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createIndexer, scanDirectory } from '../src/index.ts';
import { makeTempDir, removeDir, writeTree } from './support/fixtures.ts';

// Root can read everything, so permission errors and races are injected at the file system.
const faults = vi.hoisted(() => ({
  unreadable: new Set<string>(),
  vanishing: new Set<string>(),
  /** Gone only when opened: deleted after the walk saw it. */
  goneOnOpen: new Set<string>(),
}));

function fail(code: string, path: string): Error {
  return Object.assign(new Error(`${code}: simulated failure, '${path}'`), { code });
}

vi.mock('node:fs/promises', async (importOriginal) => {
  const actual = await importOriginal<typeof FsPromises>();
  const check = (path: unknown): void => {
    const text = String(path);
    for (const suffix of faults.unreadable) if (text.endsWith(suffix)) throw fail('EACCES', text);
    for (const suffix of faults.vanishing) if (text.endsWith(suffix)) throw fail('ENOENT', text);
  };
  const wrapped = {
    ...actual,
    readdir: ((path: string, options: never) => {
      check(path);
      return actual.readdir(path, options);
    }) as typeof actual.readdir,
    stat: ((path: string, options: never) => {
      check(path);
      return actual.stat(path, options);
    }) as typeof actual.stat,
    open: ((path: string, flags: never, mode: never) => {
      check(path);
      for (const suffix of faults.goneOnOpen) {
        if (String(path).endsWith(suffix)) throw fail('ENOENT', String(path));
      }
      return actual.open(path, flags, mode);
    }) as typeof actual.open,
  };
  return { ...wrapped, default: wrapped };
});

let root: string;

beforeEach(async () => {
  root = await makeTempDir();
  faults.unreadable.clear();
  faults.vanishing.clear();
  faults.goneOnOpen.clear();
});

afterEach(async () => {
  await removeDir(root);
});

describe('file system failures', () => {
  it('records unreadable directories and files that vanish during a scan', async () => {
    await writeTree(root, {
      'ok.ts': 'x',
      'locked/secret.ts': 'x',
      'vanishing.ts': 'x',
    });
    faults.unreadable.add('/locked');
    faults.vanishing.add('/vanishing.ts');
    const result = await scanDirectory(root);
    expect(result.files.map((file) => file.path)).toEqual(['ok.ts']);
    expect(result.skipped.map((entry) => `${entry.path}:${entry.reason}`).sort()).toEqual([
      'locked:unreadable',
      'vanishing.ts:vanished',
    ]);
  });

  it('keeps what was indexed from a directory or file that became unreadable', async () => {
    await writeTree(root, {
      'ok.ts': 'export const ok = 1;',
      'locked/secret.ts': 'export const secret = 2;',
      'flaky.ts': 'export const flaky = 3;',
    });
    const store = createMemoryStore();
    const warnings: string[] = [];
    const logger = {
      debug: () => {},
      info: () => {},
      warn: (_fields: Record<string, unknown>, message: string) => warnings.push(message),
      error: () => {},
    };
    await using indexer = createIndexer({ store, logger });
    const first = await indexer.waitForJob((await indexer.startJob({ rootPath: root })).id);
    expect(first.progress.filesIndexed).toBe(3);

    faults.unreadable.add('/locked');
    faults.unreadable.add('/flaky.ts');
    await writeTree(root, { 'flaky.ts': 'export const flaky = 4; // changed' });
    const second = await indexer.waitForJob(
      (await indexer.startJob({ rootPath: root, mode: 'full' })).id,
    );
    expect(second.state).toBe('succeeded');
    expect(second.progress.filesFailed).toBe(2);
    expect(store.paths()).toEqual(['flaky.ts', 'locked/secret.ts', 'ok.ts']);
    expect(store.pathsContaining('flaky = 3')).toEqual(['flaky.ts']);
    expect(warnings.length).toBeGreaterThan(0);

    faults.unreadable.clear();
    const third = await indexer.waitForJob((await indexer.startJob({ rootPath: root })).id);
    expect(third.progress.filesIndexed).toBe(1);
    expect(store.pathsContaining('flaky = 4')).toEqual(['flaky.ts']);
  });

  it('drops a file that vanishes between the scan and the read', async () => {
    await writeTree(root, { 'a.ts': 'export const a = 1;', 'b.ts': 'export const b = 2;' });
    const store = createMemoryStore();
    await using indexer = createIndexer({ store });
    await indexer.waitForJob((await indexer.startJob({ rootPath: root })).id);
    await writeTree(root, { 'b.ts': 'export const b = 3;' });
    // The walk sees b.ts, then opening it fails as if it had just been deleted.
    faults.goneOnOpen.add('/b.ts');
    const job = await indexer.waitForJob((await indexer.startJob({ rootPath: root })).id);
    expect(job.state).toBe('succeeded');
    expect(store.paths()).toEqual(['a.ts']);
  });
});
