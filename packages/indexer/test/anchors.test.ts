import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { AnchorState, Lesson } from '@nellie/core';
import { createSqliteStore, type SqliteStore } from '@nellie/storage';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createIndexer } from '../src/index.ts';
import { git, gitInit, makeTempDir, removeDir, waitFor, writeTree } from './support/fixtures.ts';

// Memories anchored to code follow it through a watched git repository: edits, moves, deletion
// and a re-index from scratch, with a real SQLite store and the real watcher.

const retryUpload = [
  'export async function retryUpload(file: Blob): Promise<void> {',
  '  for (let attempt = 0; attempt < 3; attempt += 1) {',
  '    if (await send(file)) return;',
  '  }',
  '}',
].join('\n');

const retryUploadEdited = [
  'export async function retryUpload(file: Blob): Promise<void> {',
  '  for (let attempt = 0; attempt < 5; attempt += 1) {',
  '    if (await send(file)) return;',
  '    await sleep(100 * attempt);',
  '  }',
  '}',
].join('\n');

const formatSize = 'export function formatSize(bytes: number): string {\n  return `${bytes} B`;\n}';

let root: string;
let dataDir: string;
let store: SqliteStore;

beforeEach(async () => {
  root = await makeTempDir();
  dataDir = await makeTempDir('nellie-anchors-data-');
  gitInit(root);
  await writeTree(root, {
    'src/upload.ts': `${formatSize}\n\n${retryUpload}\n`,
    'src/send.ts':
      'export async function send(file: Blob): Promise<boolean> {\n  return true;\n}\n',
  });
  git(root, 'add', '.');
  git(root, 'commit', '--quiet', '-m', 'upload');
  store = await createSqliteStore({ path: join(dataDir, 'nellie.db') });
});

afterEach(async () => {
  await store.close();
  await removeDir(root);
  await removeDir(dataDir);
});

async function lessonNow(id: string): Promise<Lesson> {
  return (await store.getLesson(id))!;
}

/** Waits until the lesson is in `state`; returns it and how long that took after `since`. */
async function until(id: string, state: AnchorState, since: number) {
  const lesson = await waitFor(async () => {
    const current = await lessonNow(id);
    return current.staleness === state ? current : undefined;
  }, `the lesson to be ${state}`);
  return { lesson, elapsedMs: Date.now() - since };
}

describe('anchored memories in a watched repository', () => {
  it('turn changed, moved and gone as the code does, and a full re-index keeps their states', async () => {
    const indexer = createIndexer({ store, debounceMs: 100 });
    try {
      await indexer.watch(root);
      await waitFor(async () => {
        const repository = await store.getRepository(root);
        return repository && (await store.listFiles(repository.id)).length === 2;
      }, 'the initial index');

      const lesson = await store.addLesson({
        title: 'retryUpload must not retry client errors',
        content: 'The CDN bans clients that retry 4xx answers.',
        severity: 'critical',
      });
      expect(lesson.anchors).toMatchObject([
        { path: 'src/upload.ts', symbol: 'retryUpload', state: 'current', origin: 'automatic' },
      ]);

      let since = Date.now();
      await writeFile(join(root, 'src/upload.ts'), `${formatSize}\n\n${retryUploadEdited}\n`);
      const changed = await until(lesson.id, 'changed', since);
      expect(changed.elapsedMs).toBeLessThan(2000);
      expect(changed.lesson.anchors[0]).toMatchObject({
        path: 'src/upload.ts',
        change: { linesAdded: 2, linesRemoved: 1, signatureChanged: false },
      });

      // Moved: the function goes to its own file, as committed in git.
      since = Date.now();
      await writeTree(root, { 'src/net/retry.ts': `${retryUpload}\n` });
      await writeFile(join(root, 'src/upload.ts'), `${formatSize}\n`);
      git(root, 'add', '-A');
      git(root, 'commit', '--quiet', '-m', 'move retryUpload');
      const moved = await until(lesson.id, 'moved', since);
      expect(moved.elapsedMs).toBeLessThan(2000);
      expect(moved.lesson.anchors[0]).toMatchObject({
        path: 'src/net/retry.ts',
        movedFrom: 'src/upload.ts',
        startLine: 1,
      });

      since = Date.now();
      await rm(join(root, 'src/net/retry.ts'));
      const gone = await until(lesson.id, 'gone', since);
      expect(gone.elapsedMs).toBeLessThan(2000);

      const anchored = await store.addLesson({
        title: 'formatSize rounds down',
        content: 'Sizes are whole bytes.',
      });
      expect(anchored.staleness).toBe('current');
      const before = [await lessonNow(lesson.id), await lessonNow(anchored.id)];

      const job = await indexer.startJob({ rootPath: root, mode: 'full' });
      expect((await indexer.waitForJob(job.id)).state).toBe('succeeded');
      const after = [await lessonNow(lesson.id), await lessonNow(anchored.id)];
      expect(after.map((entry) => entry.staleness)).toEqual(['gone', 'current']);
      expect(after.map((entry) => entry.anchors.map(({ checkedAt: _, ...rest }) => rest))).toEqual(
        before.map((entry) => entry.anchors.map(({ checkedAt: _, ...rest }) => rest)),
      );
    } finally {
      await indexer.close();
    }
  });
});
