import { join } from 'node:path';
import { commitFile, git } from '@nellie/test-utils';
import { describe, expect, it } from 'vitest';
import { createSqliteStore } from '../src/index.ts';
import { useTempDir } from './helpers.ts';

const tempDir = useTempDir();

// What checkpoints record and report about their code is in the store contract suite
// (nellieStoreContract); here, the ways git keeps its position.
describe('checkpoints know their code', () => {
  it('read packed refs and a detached HEAD', async () => {
    const root = tempDir();
    git(root, 'init', '--quiet', '-b', 'main');
    commitFile(root, 'src/upload.ts', 'v1');
    const store = await createSqliteStore({ path: join(tempDir(), 'nellie.db') });
    try {
      await store.upsertRepository({ name: 'shop', rootPath: root });
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
});
