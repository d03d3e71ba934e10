import { execFile } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { CheckpointGit } from '@nellie/core';

/**
 * The git position of a repository, read from its `.git` without starting git: HEAD, the loose
 * ref it names, or `packed-refs`. Linked worktrees (`.git` as a `gitdir:` file, with a
 * `commondir`) are followed. Anything unexpected reads as "no git" rather than an error.
 */

const objectId = /^[0-9a-f]{40}(?:[0-9a-f]{24})?$/;

function readText(file: string): string | null {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}

/** The git directory of the repository holding `root` (it or its nearest parent with `.git`). */
function gitDirectoryOf(root: string): string | null {
  for (let directory = path.resolve(root); ; directory = path.dirname(directory)) {
    const dotGit = path.join(directory, '.git');
    try {
      if (statSync(dotGit).isDirectory()) return dotGit;
      const pointer = /^gitdir:\s*(.+?)\s*$/m.exec(readText(dotGit) ?? '')?.[1];
      if (pointer) return path.resolve(directory, pointer);
      return null;
    } catch {
      // No .git here: look in the parent.
    }
    if (path.dirname(directory) === directory) return null;
  }
}

function resolveRef(gitDir: string, commonDir: string, ref: string): string | null {
  for (const directory of [gitDir, commonDir]) {
    const loose = readText(path.join(directory, ref))?.trim();
    if (loose && objectId.test(loose)) return loose;
  }
  for (const line of (readText(path.join(commonDir, 'packed-refs')) ?? '').split('\n')) {
    const [id, name] = line.trim().split(' ');
    if (name === ref && id && objectId.test(id)) return id;
  }
  return null;
}

/** Branch and commit of the repository at `root`; null without git or before the first commit. */
export function readGitHead(root: string): CheckpointGit | null {
  const gitDir = gitDirectoryOf(root);
  if (gitDir === null) return null;
  const common = readText(path.join(gitDir, 'commondir'))?.trim();
  const commonDir = common ? path.resolve(gitDir, common) : gitDir;
  const head = readText(path.join(gitDir, 'HEAD'))?.trim();
  if (!head) return null;
  if (objectId.test(head)) return { branch: null, commit: head };
  const ref = /^ref:\s*(\S+)$/.exec(head)?.[1];
  if (!ref) return null;
  const commit = resolveRef(gitDir, commonDir, ref);
  if (commit === null) return null;
  return { branch: ref.replace(/^refs\/heads\//, ''), commit };
}

/**
 * How many commits HEAD has that `commit` has not (`git rev-list --count commit..HEAD`), or null
 * when git is not installed, the commit is unknown or git answers anything else. Git is started
 * only here: counting commits means walking (possibly packed) history.
 */
export function countCommitsSince(root: string, commit: string): Promise<number | null> {
  if (!objectId.test(commit)) return Promise.resolve(null);
  return new Promise((resolve) => {
    execFile(
      'git',
      ['-C', root, 'rev-list', '--count', `${commit}..HEAD`],
      { timeout: 2000, windowsHide: true },
      (error, stdout) => {
        const count = Number(String(stdout).trim());
        resolve(error || !Number.isInteger(count) ? null : count);
      },
    );
  });
}
