import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NellieStore } from '@nellie/core';
import { afterEach, describe, expect, it } from 'vitest';
import { commitFile, git } from './git-repository.ts';

/** Indexes a file as the indexer would: one chunk, the given content hash. */
async function index(store: NellieStore, repositoryId: number, path: string, hash: string) {
  await store.writeFile(
    repositoryId,
    { path, language: 'typescript', size: 10, mtimeMs: 1, contentHash: hash },
    [{ startLine: 1, endLine: 1, content: `// ${path} ${hash}` }],
  );
}

/**
 * Checkpoints that know their code: a store records the git branch and commit and the indexed
 * files a checkpoint names, and `getRecentCheckpoints` says what changed in them since. Needs
 * git on PATH. Part of `nellieStoreContract`.
 */
export function checkpointCodeCases(open: () => Promise<NellieStore>): void {
  describe('checkpoints know their code', () => {
    const roots: string[] = [];
    afterEach(() => {
      for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
    });

    async function shop(options: { git: boolean }) {
      const root = mkdtempSync(join(tmpdir(), 'nellie-checkpoint-code-'));
      roots.push(root);
      if (options.git) {
        git(root, 'init', '--quiet', '-b', 'main');
        commitFile(root, 'src/upload.ts', 'v1');
      }
      const store = await open();
      const repository = await store.upsertRepository({ name: 'shop', rootPath: root });
      for (const path of ['src/upload.ts', 'src/net/send.ts', 'docs/notes.md', 'lib/send.ts']) {
        await index(store, repository.id, path, `${path}@1`);
      }
      return { root, store, repositoryId: repository.id };
    }

    it('record the branch, the commit and the files they name, then say what changed since', async () => {
      const { root, store, repositoryId } = await shop({ git: true });
      const head = git(root, 'rev-parse', 'HEAD');
      const checkpoint = await store.addCheckpoint({
        agent: 'agent-1',
        workingOn: 'Retries in src/upload.ts',
        // `send.ts` names two files (no guess); `notes.md` one; the last is not indexed.
        state: { next: ['send.ts', 'notes.md', 'src/missing.ts'] },
        repository: 'shop',
      });
      expect(checkpoint.git).toEqual({ branch: 'main', commit: head });
      expect(checkpoint.files).toEqual([
        { path: 'src/upload.ts', contentHash: 'src/upload.ts@1' },
        { path: 'docs/notes.md', contentHash: 'docs/notes.md@1' },
      ]);
      expect(await store.getCheckpoint(checkpoint.id)).toEqual(checkpoint);

      const [unchanged] = await store.getRecentCheckpoints({ agent: 'agent-1' });
      expect(unchanged!.changesSince).toEqual({
        files: [],
        unchangedFiles: 2,
        git: { branch: 'main', commit: head },
        commitsSince: 0,
      });

      commitFile(root, 'src/upload.ts', 'v2');
      commitFile(root, 'src/upload.ts', 'v3');
      await index(store, repositoryId, 'src/upload.ts', 'src/upload.ts@3');
      await store.deleteFiles(repositoryId, ['docs/notes.md']);
      const [later] = await store.getRecentCheckpoints({ repository: 'shop' });
      expect(later!.changesSince).toEqual({
        files: [
          { path: 'src/upload.ts', change: 'changed' },
          { path: 'docs/notes.md', change: 'gone' },
        ],
        unchangedFiles: 0,
        git: { branch: 'main', commit: git(root, 'rev-parse', 'HEAD') },
        commitsSince: 2,
      });
    });

    it('without git or an indexed repository, record what they can and no error', async () => {
      const { store, repositoryId } = await shop({ git: false });
      const plain = await store.addCheckpoint({
        agent: 'a',
        workingOn: 'Editing src/upload.ts',
        repository: 'shop',
      });
      expect(plain).not.toHaveProperty('git');
      expect(plain.files).toEqual([{ path: 'src/upload.ts', contentHash: 'src/upload.ts@1' }]);
      await index(store, repositoryId, 'src/upload.ts', 'src/upload.ts@2');
      const [recent] = await store.getRecentCheckpoints({ repository: 'shop' });
      expect(recent!.changesSince).toEqual({
        files: [{ path: 'src/upload.ts', change: 'changed' }],
        unchangedFiles: 0,
      });

      const elsewhere = await store.addCheckpoint({
        agent: 'b',
        workingOn: 'Editing src/upload.ts',
        repository: 'not-indexed',
      });
      for (const field of ['git', 'files']) expect(elsewhere).not.toHaveProperty(field);
      const [unknown] = await store.getRecentCheckpoints({ agent: 'b' });
      expect(unknown).not.toHaveProperty('changesSince');
    });

    it('say a repository that is no longer indexed left all its files gone', async () => {
      const { store, repositoryId } = await shop({ git: true });
      await store.addCheckpoint({ agent: 'a', workingOn: 'Fix lib/send.ts', repository: 'shop' });
      await store.deleteRepository(repositoryId);
      const [recent] = await store.getRecentCheckpoints({ agent: 'a' });
      expect(recent!.changesSince).toEqual({
        files: [{ path: 'lib/send.ts', change: 'gone' }],
        unchangedFiles: 0,
      });
    });
  });
}
