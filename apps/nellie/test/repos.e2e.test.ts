import { cpSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createSampleRepo, makeTempDir, removeTempDirs, runCli } from './helpers.ts';

afterAll(() => {
  removeTempDirs();
});

interface ReposOutput {
  repositories: {
    name: string;
    rootPath: string;
    files: number;
    chunks: number;
    state: string;
    watched: boolean | null;
  }[];
}

describe('nellie repos', () => {
  it('lists, renames and removes repositories; unknown names exit 2 naming what exists', async () => {
    const dataDir = makeTempDir();
    const parent = makeTempDir('nellie-repos-');
    const first = path.join(parent, 'a', 'chalk');
    const second = path.join(parent, 'b', 'chalk');
    cpSync(createSampleRepo(), first, { recursive: true });
    cpSync(first, second, { recursive: true });
    for (const root of [first, second]) {
      const indexed = await runCli(['index', root, '--data-dir', dataDir, '--json']);
      expect(indexed.code, indexed.stderr).toBe(0);
    }
    rmSync(second, { recursive: true });

    const listed = await runCli(['repos', 'list', '--data-dir', dataDir, '--json']);
    expect(listed.code, listed.stderr).toBe(0);
    const { repositories } = JSON.parse(listed.stdout) as ReposOutput;
    expect(repositories.map(({ name, rootPath, state }) => ({ name, rootPath, state }))).toEqual([
      { name: 'chalk', rootPath: first, state: 'ok' },
      { name: 'chalk-2', rootPath: second, state: 'missing' },
    ]);
    expect(repositories[0]!.files).toBeGreaterThan(0);
    const text = await runCli(['repos', 'list', '--data-dir', dataDir]);
    expect(text.stdout).toContain(`chalk-2\t${second}\t`);
    expect(text.stdout).toContain('MISSING: root directory is gone');

    const status = await runCli(['status', '--data-dir', dataDir, '--json']);
    expect(JSON.parse(status.stdout)).toMatchObject({
      missingRepositories: [{ name: 'chalk-2', rootPath: second }],
    });
    const statusText = await runCli(['status', '--data-dir', dataDir]);
    expect(statusText.stdout).toContain(`MISSING: chalk-2 (${second})`);

    const renamed = await runCli([
      'repos',
      'rename',
      'chalk-2',
      'chalk-old',
      '--data-dir',
      dataDir,
    ]);
    expect(renamed.code, renamed.stderr).toBe(0);
    expect(renamed.stdout).toBe(`Renamed chalk-2 to chalk-old (${second}).\n`);

    const unknown = await runCli(['repos', 'remove', 'nope', '--data-dir', dataDir]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toBe(
      'nellie: No repository is named or rooted at "nope". Indexed repositories: chalk, chalk-old.\n',
    );

    const removed = await runCli(['repos', 'remove', 'chalk-old', '--data-dir', dataDir, '--json']);
    expect(removed.code, removed.stderr).toBe(0);
    expect(JSON.parse(removed.stdout)).toMatchObject({
      removed: { name: 'chalk-old', rootPath: second },
    });
    const search = await runCli(['search', 'factorial', '--data-dir', dataDir, '--json']);
    const hits = (
      JSON.parse(search.stdout) as {
        hits: { repository: string; rootPath: string; absolutePath: string; path: string }[];
      }
    ).hits;
    expect(hits.length).toBeGreaterThan(0);
    for (const hit of hits) {
      expect(hit.repository).toBe('chalk');
      expect(hit.rootPath).toBe(first);
      expect(hit.absolutePath).toBe(path.join(first, hit.path));
    }
  });
});
