import { spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { createSqliteStore } from '@nellie/storage';
import { afterAll, describe, expect, it } from 'vitest';
import {
  cleanEnv,
  cliPath,
  makeTempDir,
  removeTempDirs,
  repoRoot,
  runCli,
} from '../test/helpers.ts';

afterAll(() => removeTempDirs());

/** A database of some tens of MiB, so a backup of it takes many copy steps. */
async function createDatabase(dataDir: string): Promise<string> {
  const file = path.join(dataDir, 'nellie.db');
  const store = await createSqliteStore({ path: file });
  try {
    const repo = await store.upsertRepository({ rootPath: '/work/projects/big' });
    for (let index = 0; index < 1500; index += 1) {
      await store.writeFile(
        repo.id,
        {
          path: `src/file-${index}.ts`,
          language: 'typescript',
          size: 1,
          mtimeMs: 1,
          contentHash: `hash-${index}`,
        },
        Array.from({ length: 10 }, (_, position) => ({
          startLine: position + 1,
          endLine: position + 1,
          content: `export const value${index}x${position} = '${`${index}-${position}`.repeat(400)}';`,
        })),
      );
    }
  } finally {
    await store.close();
  }
  return file;
}

async function lessonsIn(file: string): Promise<{ ok: boolean; lessons: number }> {
  const copy = await createSqliteStore({ path: file, readonly: true });
  try {
    const integrity = await copy.integrityCheck();
    return { ok: integrity.ok, lessons: (await copy.stats()).lessons };
  } finally {
    await copy.close();
  }
}

function partialFiles(directory: string): string[] {
  return readdirSync(directory).filter((name) => name.includes('.partial-'));
}

function sizeOf(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return -1;
  }
}

/**
 * Runs `nellie backup <destination> --force` and kills it with SIGKILL as soon as `moment` holds
 * for the largest partial file's size (or right away for `null`). Returns how the process ended.
 */
async function killBackupWhen(
  dataDir: string,
  destination: string,
  moment: ((partialBytes: number) => boolean) | null,
): Promise<{ killed: boolean }> {
  const child = spawn(
    process.execPath,
    [cliPath, 'backup', destination, '--force', '--data-dir', dataDir],
    { cwd: repoRoot, env: cleanEnv(), stdio: 'ignore' },
  );
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  let done = false;
  void exited.then(() => (done = true));
  const directory = path.dirname(destination);
  while (!done) {
    const largest = Math.max(
      -1,
      ...partialFiles(directory)
        .filter((name) => !/-(journal|wal|shm)$/.test(name))
        .map((name) => sizeOf(path.join(directory, name))),
    );
    if (moment === null || (largest >= 0 && moment(largest))) {
      child.kill('SIGKILL');
      break;
    }
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  const code = await exited;
  return { killed: code === null };
}

describe('nellie backup --force killed part-way', () => {
  it('always leaves a complete backup at the destination and cleans up after killed runs', async () => {
    const dataDir = makeTempDir();
    const backupDir = makeTempDir();
    const source = await createDatabase(dataDir);
    const sourceBytes = statSync(source).size;
    const destination = path.join(backupDir, 'nellie-backup.db');

    const first = await runCli(['backup', destination, '--data-dir', dataDir]);
    expect(first.code, first.stderr).toBe(0);
    const store = await createSqliteStore({ path: source });
    await store.addLesson({ title: 'Written after the first backup', content: 'Second backup.' });
    await store.close();

    const moments: { name: string; when: ((bytes: number) => boolean) | null }[] = [
      { name: 'at start-up', when: null },
      { name: 'when the copy appears', when: () => true },
      { name: 'a quarter copied', when: (bytes) => bytes >= sourceBytes * 0.25 },
      { name: 'half copied', when: (bytes) => bytes >= sourceBytes * 0.5 },
      { name: 'three quarters copied', when: (bytes) => bytes >= sourceBytes * 0.75 },
      { name: 'copied, being checked', when: (bytes) => bytes >= sourceBytes * 0.98 },
    ];
    let killedRuns = 0;
    for (const moment of moments) {
      const { killed } = await killBackupWhen(dataDir, destination, moment.when);
      if (killed) killedRuns += 1;
      expect(existsSync(destination), moment.name).toBe(true);
      const found = await lessonsIn(destination);
      expect(found.ok, moment.name).toBe(true);
      // Either the previous backup or, if the run finished before the kill, the new one.
      expect([0, 1], moment.name).toContain(found.lessons);
    }
    expect(killedRuns).toBeGreaterThanOrEqual(4);

    const last = await runCli(['backup', destination, '--force', '--data-dir', dataDir]);
    expect(last.code, last.stderr).toBe(0);
    expect(await lessonsIn(destination)).toEqual({ ok: true, lessons: 1 });
    expect(partialFiles(backupDir)).toEqual([]);
    expect(readdirSync(backupDir)).toEqual(['nellie-backup.db']);
  }, 180_000);
});
