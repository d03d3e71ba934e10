import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { CodeIndexer } from '@nellie/core';
import { createSqliteStore, type SqliteStore } from '@nellie/storage';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createIndexer, scanDirectory, type IndexerOptions } from '../src/index.ts';
import { makeTempDir, removeDir, waitFor, writeTree } from './support/fixtures.ts';

// Which directories the indexer may read, and which files it never reads, against a real store.

let workspace: string;
let allowed: string;
let outside: string;
let dataDir: string;
let store: SqliteStore;
let indexer: CodeIndexer | undefined;

const hint = 'Add it with --allow-root.';

beforeEach(async () => {
  workspace = await makeTempDir();
  allowed = join(workspace, 'allowed');
  outside = join(workspace, 'outside');
  dataDir = join(workspace, 'data');
  await writeTree(allowed, {
    'repo/src/app.ts': 'export function greet(name: string) {\n  return `hello ${name}`;\n}\n',
  });
  await writeTree(outside, { 'private.txt': 'outsidemarker credentials of someone else\n' });
  await writeTree(dataDir, { 'config.json': '{"apiKeys": ["admin:datadirmarkersecret0001"]}\n' });
  store = await createSqliteStore({ path: join(dataDir, 'nellie.db') });
});

afterEach(async () => {
  await indexer?.close();
  indexer = undefined;
  await store.close();
  await removeDir(workspace);
});

function open(options: Partial<IndexerOptions> = {}): CodeIndexer {
  indexer = createIndexer({
    store,
    allowedRoots: [allowed],
    protectedPaths: [dataDir],
    allowedRootsHint: hint,
    ...options,
  });
  return indexer;
}

async function indexedPaths(rootPath: string): Promise<string[]> {
  const repository = await store.getRepository(rootPath);
  if (!repository) return [];
  return (await store.listFiles(repository.id)).map((file) => file.path).sort();
}

async function refusal(attempt: Promise<unknown>): Promise<{ code: string; message: string }> {
  const error: unknown = await attempt.then(
    () => null,
    (caught: unknown) => caught,
  );
  expect(error, 'the call should have been refused').not.toBeNull();
  return error as { code: string; message: string };
}

describe('allowed roots', () => {
  it('refuses system directories, with the setting to change in the message', async () => {
    const target = open();
    for (const path of ['/etc', '/proc/self', '/', '/root', '/var']) {
      const error = await refusal(target.startJob({ rootPath: path }));
      expect(error.code, path).toBe('PATH_NOT_ALLOWED');
    }
    const etc = await refusal(target.startJob({ rootPath: '/etc' }));
    expect(etc.message).toContain('system directory');
    expect(target.listJobs()).toEqual([]);
    expect(await store.listRepositories()).toEqual([]);
  });

  it('refuses a directory outside the allowed roots, reached directly, by .. or by a link', async () => {
    await symlink(outside, join(allowed, 'repo', 'escape'));
    const target = open();
    for (const path of [
      outside,
      join(allowed, 'repo', '..', '..', 'outside'),
      join(allowed, 'repo', 'escape'),
    ]) {
      const error = await refusal(target.startJob({ rootPath: path }));
      expect(error.code, path).toBe('PATH_NOT_ALLOWED');
      expect(error.message, path).toContain(hint);
    }
    await expect(target.watch(outside)).rejects.toMatchObject({ code: 'PATH_NOT_ALLOWED' });
    await expect(target.diff(outside)).rejects.toMatchObject({ code: 'PATH_NOT_ALLOWED' });
    expect(await store.listRepositories()).toEqual([]);
  });

  it('does not reveal whether a refused path exists', async () => {
    const target = open();
    const error = await refusal(target.startJob({ rootPath: join(outside, 'no-such-dir') }));
    expect(error.code).toBe('PATH_NOT_ALLOWED');
    // Inside an allowed root, a missing directory is reported as such.
    const missing = await refusal(target.startJob({ rootPath: join(allowed, 'no-such-dir') }));
    expect(missing.code).toBe('INVALID_INPUT');
  });

  it('refuses the data directory and what is inside it, wherever it lies', async () => {
    const target = open({ allowedRoots: [workspace] });
    for (const path of [dataDir, join(allowed, '..', 'data')]) {
      const error = await refusal(target.startJob({ rootPath: path }));
      expect(error.code, path).toBe('PATH_NOT_ALLOWED');
      expect(error.message).toContain("Nellie's data directory");
    }
    await mkdir(join(dataDir, 'models'));
    await expect(target.startJob({ rootPath: join(dataDir, 'models') })).rejects.toMatchObject({
      code: 'PATH_NOT_ALLOWED',
    });
  });

  it('refuses configured roots that can never be indexed', () => {
    expect(() => createIndexer({ store, allowedRoots: ['/etc'] })).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTIONS' }),
    );
    expect(() =>
      createIndexer({ store, allowedRoots: [join(dataDir, 'x')], protectedPaths: [dataDir] }),
    ).toThrow(expect.objectContaining({ code: 'INVALID_OPTIONS' }));
  });

  it('indexes inside an allowed root, and re-indexes a known repository outside the roots', async () => {
    const target = open();
    const job = await target.startJob({ rootPath: join(allowed, 'repo') });
    expect((await target.waitForJob(job.id)).state).toBe('succeeded');
    expect(await indexedPaths(join(allowed, 'repo'))).toEqual(['src/app.ts']);

    await store.upsertRepository({ rootPath: outside, name: 'legacy' });
    const again = await target.startJob({ rootPath: outside });
    expect((await target.waitForJob(again.id)).state).toBe('succeeded');
    expect(await indexedPaths(outside)).toEqual(['private.txt']);
  });

  it('passes over the data directory inside a root configured exactly', async () => {
    const inner = join(allowed, 'repo', '.nellie');
    await writeTree(inner, { 'config.json': '{"apiKeys": ["admin:innermarkersecret000001"]}\n' });
    const target = open({ protectedPaths: [inner] });
    // A directory containing it that is not configured exactly is refused.
    const error = await refusal(target.startJob({ rootPath: join(allowed, 'repo') }));
    expect(error.message).toContain("contains Nellie's data directory");

    await indexer!.close();
    const exact = open({ allowedRoots: [join(allowed, 'repo')], protectedPaths: [inner] });
    const job = await exact.startJob({ rootPath: join(allowed, 'repo') });
    const done = await exact.waitForJob(job.id);
    expect(done.state).toBe('succeeded');
    expect(await indexedPaths(join(allowed, 'repo'))).toEqual(['src/app.ts']);
    expect(done.progress.filesSkippedSecret).toBe(1);
    expect(await store.searchCode({ query: 'innermarkersecret000001' })).toEqual([]);
  });

  it('without an allow-list still refuses system directories and the data directory', async () => {
    const target = open({ allowedRoots: undefined });
    await expect(target.startJob({ rootPath: '/etc' })).rejects.toMatchObject({
      code: 'PATH_NOT_ALLOWED',
    });
    await expect(target.startJob({ rootPath: dataDir })).rejects.toMatchObject({
      code: 'PATH_NOT_ALLOWED',
    });
    const job = await target.startJob({ rootPath: outside });
    expect((await target.waitForJob(job.id)).state).toBe('succeeded');
  });
});

describe('symbolic links inside a root', () => {
  it('are not followed out of the root, even with followSymlinks', async () => {
    const repo = join(allowed, 'repo');
    await symlink(outside, join(repo, 'linked-dir'));
    await symlink(join(outside, 'private.txt'), join(repo, 'linked-file.txt'));
    await writeTree(repo, { 'lib/util.ts': 'export const inside = 1;\n' });
    await symlink(join(repo, 'lib'), join(repo, 'lib-alias'));

    const plain = await scanDirectory(repo);
    expect(plain.files.map((file) => file.path)).toEqual(['lib/util.ts', 'src/app.ts']);
    const followed = await scanDirectory(repo, { followSymlinks: true });
    expect(followed.files.map((file) => file.path)).toEqual([
      'lib-alias/util.ts',
      'lib/util.ts',
      'src/app.ts',
    ]);
    expect(followed.skipped.map((entry) => `${entry.path}:${entry.reason}`).sort()).toEqual([
      'linked-dir:outside-root',
      'linked-file.txt:outside-root',
    ]);

    for (const followSymlinks of [false, true]) {
      const target = open({ followSymlinks });
      const job = await target.startJob({ rootPath: repo, mode: 'full' });
      expect((await target.waitForJob(job.id)).state).toBe('succeeded');
      expect(await store.searchCode({ query: 'outsidemarker' })).toEqual([]);
      await target.close();
    }
  });
});

describe('secret files', () => {
  const secrets = {
    '.env': 'API_TOKEN=envmarkersecret\n',
    'config/.env.production': 'DB_PASSWORD=prodmarkersecret\n',
    'deploy/id_rsa': '-----BEGIN OPENSSH PRIVATE KEY-----\nkeymarkersecret\n',
    'certs/server.pem': '-----BEGIN PRIVATE KEY-----\npemmarkersecret\n',
    '.npmrc': '//registry.npmjs.org/:_authToken=npmmarkersecret\n',
    'config/secrets.yml': 'token: yamlmarkersecret\n',
    'home/.ssh/config': 'Host x\n  IdentityFile sshmarkersecret\n',
  };
  const kept = {
    '.env.example': 'API_TOKEN=replace-me-examplemarker\n',
    'deploy/id_rsa.pub': 'ssh-ed25519 AAAA pubmarker\n',
  };

  it('are never indexed, are counted, and cannot be found', async () => {
    const repo = join(allowed, 'repo');
    await writeTree(repo, { ...secrets, ...kept });
    const target = open();
    const job = await target.startJob({ rootPath: repo });
    const done = await target.waitForJob(job.id);
    expect(done.state).toBe('succeeded');
    expect(await indexedPaths(repo)).toEqual(['.env.example', 'deploy/id_rsa.pub', 'src/app.ts']);
    // Six files and the .ssh directory.
    expect(done.progress.filesSkippedSecret).toBe(7);
    expect(done.progress.filesSkipped).toBeGreaterThanOrEqual(7);
    for (const marker of [
      'envmarkersecret',
      'prodmarkersecret',
      'keymarkersecret',
      'npmmarkersecret',
      'yamlmarkersecret',
      'sshmarkersecret',
    ]) {
      expect(await store.searchCode({ query: marker }), marker).toEqual([]);
    }
    expect(await store.searchCode({ query: 'examplemarker' })).toHaveLength(1);

    const scan = await scanDirectory(repo);
    expect(scan.skipped.filter((entry) => entry.reason === 'secret')).toHaveLength(7);
  });

  it('are indexed when the configuration says so', async () => {
    const repo = join(allowed, 'repo');
    await writeTree(repo, secrets);
    const target = open({ excludeSecretFiles: false });
    const job = await target.startJob({ rootPath: repo });
    const done = await target.waitForJob(job.id);
    expect(done.progress.filesSkippedSecret).toBe(0);
    expect(await indexedPaths(repo)).toContain('.env');
    expect(await store.searchCode({ query: 'envmarkersecret' })).toHaveLength(1);
  });

  it('created while a root is watched are not indexed', async () => {
    const repo = join(allowed, 'repo');
    const target = open({ debounceMs: 20, maxWatchDelayMs: 100 });
    await target.watch(repo);
    await waitFor(async () => (await indexedPaths(repo)).length === 1, 'the first pass');
    await writeFile(join(repo, '.env'), 'API_TOKEN=watchmarkersecret\n');
    await writeFile(join(repo, 'src', 'later.ts'), 'export const later = 2;\n');
    await waitFor(
      async () => (await indexedPaths(repo)).includes('src/later.ts'),
      'the new source file',
    );
    expect(await indexedPaths(repo)).toEqual(['src/app.ts', 'src/later.ts']);
    expect(await store.searchCode({ query: 'watchmarkersecret' })).toEqual([]);
  });
});
