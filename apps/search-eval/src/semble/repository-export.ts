/**
 * Brings each benchmark repository's `revision:benchmark_root` out of a local git mirror into a
 * cache directory, once; later runs reuse the exported tree.
 *
 * The tree is written the way a checkout writes it (`read-tree` into a private index, then
 * `checkout-index`), not with `git archive`: semble indexes a clone, and `git archive` leaves out
 * paths marked `export-ignore` (in laravel-framework, 71 `.github/` and `.gitattributes` files).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RepoSpec } from './benchmark-data.ts';

/** `https://github.com/owner/name(.git)` → `{ owner, name }`. */
export function ownerAndName(url: string): { owner: string; name: string } | null {
  const match = /^(?:https?:\/\/|git@)[^/:]+[/:]([^/]+)\/([^/]+?)(?:\.git)?\/?$/.exec(url);
  return match?.[1] && match[2] ? { owner: match[1], name: match[2] } : null;
}

/**
 * Where a repository's mirror may live under `mirrorsDir`, in the order they are tried:
 * `<owner>+<name>/repo`, `<owner>+<name>`, `<owner>/<name>.git`, `<owner>/<name>`.
 */
export function mirrorCandidates(mirrorsDir: string, url: string): string[] {
  const parsed = ownerAndName(url);
  if (!parsed) return [];
  const { owner, name } = parsed;
  return [
    join(mirrorsDir, `${owner}+${name}`, 'repo'),
    join(mirrorsDir, `${owner}+${name}`),
    join(mirrorsDir, owner, `${name}.git`),
    join(mirrorsDir, owner, name),
  ];
}

function hasCommit(gitDir: string, revision: string): boolean {
  const result = spawnSync('git', ['--git-dir', gitDir, 'cat-file', '-e', `${revision}^{commit}`], {
    stdio: 'ignore',
  });
  return result.status === 0;
}

function gitDirOf(candidate: string): string | null {
  if (existsSync(join(candidate, 'HEAD')) && existsSync(join(candidate, 'objects')))
    return candidate;
  if (existsSync(join(candidate, '.git'))) return join(candidate, '.git');
  return null;
}

export type ExportResult =
  { ok: true; root: string; reused: boolean } | { ok: false; reason: string };

/** The exported tree's directory name: `<name>-<first 12 characters of the revision>`. */
export function exportDirName(repo: RepoSpec): string {
  return `${repo.name}-${repo.revision.slice(0, 12)}`;
}

/**
 * Returns the directory holding `revision:benchmark_root` of the repository, exporting it from
 * the first mirror that has the revision when the cache does not hold it yet.
 */
export function exportRepository(
  repo: RepoSpec,
  mirrorsDir: string,
  cacheDir: string,
): ExportResult {
  const root = join(cacheDir, exportDirName(repo));
  const marker = `${root}.complete`;
  if (existsSync(marker) && existsSync(root)) return { ok: true, root, reused: true };

  const candidates = mirrorCandidates(mirrorsDir, repo.url);
  if (candidates.length === 0)
    return { ok: false, reason: `cannot read owner/name from ${repo.url}` };
  const gitDirs = candidates.map(gitDirOf).filter((dir): dir is string => dir !== null);
  if (gitDirs.length === 0) return { ok: false, reason: `no mirror under ${mirrorsDir}` };
  const gitDir = gitDirs.find((dir) => hasCommit(dir, repo.revision));
  if (!gitDir)
    return {
      ok: false,
      reason: `mirror ${gitDirs[0]} lacks revision ${repo.revision.slice(0, 12)}`,
    };

  mkdirSync(cacheDir, { recursive: true });
  const partial = `${root}.partial-${process.pid}`;
  rmSync(partial, { recursive: true, force: true });
  rmSync(root, { recursive: true, force: true });
  mkdirSync(partial);
  const treeish = repo.benchmarkRoot ? `${repo.revision}:${repo.benchmarkRoot}` : repo.revision;
  const env = { ...process.env, GIT_INDEX_FILE: `${partial}.index` };
  try {
    execFileSync('git', ['--git-dir', gitDir, 'read-tree', treeish], {
      env,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    execFileSync('git', ['--git-dir', gitDir, '--work-tree', partial, 'checkout-index', '--all'], {
      env,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
  } catch (error) {
    rmSync(partial, { recursive: true, force: true });
    return {
      ok: false,
      reason: `checking out ${treeish} failed: ${(error as Error).message.split('\n')[0]}`,
    };
  } finally {
    rmSync(`${partial}.index`, { force: true });
  }
  renameSync(partial, root);
  writeFileSync(marker, `${repo.url} ${repo.revision} ${repo.benchmarkRoot ?? '.'}\n`);
  return { ok: true, root, reused: false };
}
