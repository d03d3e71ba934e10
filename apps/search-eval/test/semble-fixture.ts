/**
 * Builds the committed `fixtures/semble-mini` benchmark into a runnable layout in a temporary
 * directory: a git mirror per repository (real commits) and a data directory whose `repos.json`
 * pins the commits just made.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const fixtureDir = fileURLToPath(new URL('./fixtures/semble-mini/', import.meta.url));

export interface SembleFixture {
  root: string;
  dataDir: string;
  mirrorsDir: string;
  cacheDir: string;
  revisions: Record<string, string>;
}

const gitEnvironment = {
  ...process.env,
  GIT_AUTHOR_NAME: 'Fixture',
  GIT_AUTHOR_EMAIL: 'fixture@example.com',
  GIT_AUTHOR_DATE: '2026-01-01T00:00:00Z',
  GIT_COMMITTER_NAME: 'Fixture',
  GIT_COMMITTER_EMAIL: 'fixture@example.com',
  GIT_COMMITTER_DATE: '2026-01-01T00:00:00Z',
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: '/dev/null',
};

function git(args: string[], cwd: string): string {
  return execFileSync('git', args, { cwd, env: gitEnvironment, encoding: 'utf8' }).trim();
}

export function buildSembleFixture(): SembleFixture {
  const root = mkdtempSync(join(tmpdir(), 'nellie-eval-fixture-'));
  const dataDir = join(root, 'data');
  const mirrorsDir = join(root, 'mirrors');
  const revisions: Record<string, string> = {};
  for (const name of ['tinyshop', 'tinycli']) {
    const work = join(root, 'work', name);
    cpSync(join(fixtureDir, 'sources', name), work, { recursive: true });
    git(['init', '--quiet', '--initial-branch=main'], work);
    git(['add', '.'], work);
    git(['commit', '--quiet', '-m', `${name} fixture`], work);
    revisions[name] = git(['rev-parse', 'HEAD'], work);
    mkdirSync(join(mirrorsDir, `example+${name}`), { recursive: true });
    git(['clone', '--quiet', '--bare', work, join(mirrorsDir, `example+${name}`, 'repo')], root);
  }
  cpSync(fixtureDir, dataDir, {
    recursive: true,
    filter: (source) => !source.includes('/sources'),
  });
  const repos = JSON.parse(readFileSync(join(fixtureDir, 'repos.json'), 'utf8')) as {
    name: string;
    revision: string;
  }[];
  writeFileSync(
    join(dataDir, 'repos.json'),
    JSON.stringify(
      repos.map((repo) => ({ ...repo, revision: revisions[repo.name] ?? repo.revision })),
    ),
  );
  return { root, dataDir, mirrorsDir, cacheDir: join(root, 'cache'), revisions };
}
