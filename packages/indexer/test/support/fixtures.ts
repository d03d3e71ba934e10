import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** A fresh temporary directory (resolved, so paths compare equal to the indexer's roots). */
export async function makeTempDir(prefix = 'nellie-indexer-'): Promise<string> {
  const { realpath } = await import('node:fs/promises');
  return realpath(await mkdtemp(join(tmpdir(), prefix)));
}

export async function removeDir(path: string): Promise<void> {
  await rm(path, { recursive: true, force: true });
}

/** Writes files given as `{ 'relative/path': 'content' }`, creating directories. */
export async function writeTree(
  root: string,
  files: Record<string, string | Uint8Array>,
): Promise<void> {
  for (const [path, content] of Object.entries(files)) {
    const absolute = join(root, path);
    await mkdir(dirname(absolute), { recursive: true });
    await writeFile(absolute, content);
  }
}

/** Runs git in a directory with a fixed identity; returns stdout. */
export function git(root: string, ...args: string[]): string {
  return execFileSync('git', args, {
    cwd: root,
    encoding: 'utf8',
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: 'Nellie Test',
      GIT_AUTHOR_EMAIL: 'test@example.invalid',
      GIT_COMMITTER_NAME: 'Nellie Test',
      GIT_COMMITTER_EMAIL: 'test@example.invalid',
      GIT_CONFIG_NOSYSTEM: '1',
      HOME: root,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

export function gitInit(root: string): void {
  git(root, 'init', '--quiet', '--initial-branch=main');
  git(root, 'config', 'core.excludesFile', '/dev/null');
}

/** Polls until `check` returns a truthy value; fails with `description` after `timeoutMs`. */
export async function waitFor<T>(
  check: () => T | Promise<T>,
  description: string,
  timeoutMs = 15_000,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) {
      const reason = last instanceof Error ? `: ${last.message}` : '';
      throw new Error(`Timed out waiting for ${description}${reason}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
