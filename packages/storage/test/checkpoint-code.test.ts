import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createSqliteStore, type SqliteStore } from '../src/index.ts';
import { useTempDir } from './helpers.ts';

const tempDir = useTempDir();

function git(root: string, ...args: string[]): string {
  return execFileSync('git', ['-C', root, ...args], {
    encoding: 'utf8',
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: 'Test',
      GIT_AUTHOR_EMAIL: 'test@example.com',
      GIT_COMMITTER_NAME: 'Test',
      GIT_COMMITTER_EMAIL: 'test@example.com',
    },
  }).trim();
}

function commit(root: string, path: string, content: string): void {
  mkdirSync(join(root, path, '..'), { recursive: true });
  writeFileSync(join(root, path), content);
  git(root, 'add', '-A');
  git(root, 'commit', '--quiet', '-m', `write ${path}`);
}

/** Indexes a file as the indexer would: one chunk, the given content hash. */
async function index(store: SqliteStore, repositoryId: number, path: string, hash: string) {
  await store.writeFile(
    repositoryId,
    { path, language: 'typescript', size: 10, mtimeMs: 1, contentHash: hash },
    [{ startLine: 1, endLine: 1, content: `// ${path} ${hash}` }],
  );
}

async function shop(options: { git: boolean }) {
  const root = tempDir();
  if (options.git) {
    git(root, 'init', '--quiet', '-b', 'main');
    commit(root, 'src/upload.ts', 'v1');
  }
  const store = await createSqliteStore({ path: join(tempDir(), 'nellie.db') });
  const repository = await store.upsertRepository({ name: 'shop', rootPath: root });
  for (const path of ['src/upload.ts', 'src/net/send.ts', 'docs/notes.md', 'lib/send.ts']) {
    await index(store, repository.id, path, `${path}@1`);
  }
  return { root, store, repositoryId: repository.id };
}

describe('checkpoints know their code', () => {
  it('record the branch, the commit and the files they name, then say what changed since', async () => {
    const { root, store, repositoryId } = await shop({ git: true });
    try {
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

      commit(root, 'src/upload.ts', 'v2');
      commit(root, 'src/upload.ts', 'v3');
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
    } finally {
      await store.close();
    }
  });

  it('read packed refs and a detached HEAD', async () => {
    const { root, store } = await shop({ git: true });
    try {
      git(root, 'checkout', '--quiet', '-b', 'feature/retries');
      git(root, 'pack-refs', '--all', '--prune');
      const packed = await store.addCheckpoint({ agent: 'a', workingOn: 'w', repository: 'shop' });
      expect(packed.git).toEqual({
        branch: 'feature/retries',
        commit: git(root, 'rev-parse', 'HEAD'),
      });
      git(root, 'checkout', '--quiet', '--detach');
      const detached = await store.addCheckpoint({ agent: 'a', workingOn: 'w', repository: root });
      expect(detached.git).toEqual({ branch: null, commit: git(root, 'rev-parse', 'HEAD') });
    } finally {
      await store.close();
    }
  });

  it('without git or an indexed repository, record what they can and no error', async () => {
    const { store, repositoryId } = await shop({ git: false });
    try {
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
    } finally {
      await store.close();
    }
  });
});
