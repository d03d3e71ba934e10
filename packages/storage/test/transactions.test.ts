import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { createSqliteStore } from '../src/index.ts';
import { useTempDir } from './helpers.ts';

const tempDir = useTempDir();
const packageRoot = fileURLToPath(new URL('..', import.meta.url));

function file(version: number) {
  return {
    path: 'src/data.ts',
    language: 'typescript',
    size: version,
    mtimeMs: version,
    contentHash: `v${version}`,
  };
}

describe('writeFile is all or nothing', () => {
  it('keeps the previous version when a write fails part-way through', async () => {
    const path = join(tempDir(), 'nellie.db');
    const store = await createSqliteStore({ path });
    try {
      const repo = await store.upsertRepository({ rootPath: '/work/projects/shop' });
      await store.writeFile(repo.id, file(1), [
        { startLine: 1, endLine: 1, content: 'export const oldAlpha = 1;', symbolName: 'oldAlpha' },
        { startLine: 2, endLine: 2, content: 'export const oldBeta = 2;', symbolName: 'oldBeta' },
      ]);
      // Another connection installs a trigger that makes the third chunk insert fail, so the
      // failure happens inside the transaction, after the file row and two chunks were written.
      const saboteur = new Database(path);
      saboteur.exec(`CREATE TRIGGER sabotage BEFORE INSERT ON chunks WHEN new.content LIKE '%FAIL-HERE%'
        BEGIN SELECT RAISE(ABORT, 'simulated failure'); END`);
      saboteur.close();

      await expect(
        store.writeFile(repo.id, file(2), [
          {
            startLine: 1,
            endLine: 1,
            content: 'export const newAlpha = 1;',
            symbolName: 'newAlpha',
          },
          { startLine: 2, endLine: 2, content: 'export const newBeta = 2;', symbolName: 'newBeta' },
          { startLine: 3, endLine: 3, content: '// FAIL-HERE' },
        ]),
      ).rejects.toThrow('simulated failure');

      const [indexed] = await store.listFiles(repo.id);
      expect(indexed).toMatchObject({ size: 1, contentHash: 'v1' });
      const symbols = async (query: string) =>
        (await store.searchCode({ query })).map((hit) => hit.symbolName);
      expect(await symbols('oldAlpha')).toContain('oldAlpha');
      expect(await symbols('oldBeta')).toContain('oldBeta');
      expect(await symbols('newAlpha')).not.toContain('newAlpha');
      expect((await store.stats()).chunks).toBe(2);
      expect(await store.pendingEmbeddings(10)).toEqual([]);
      expect(await store.integrityCheck()).toEqual({ ok: true, problems: [] });
    } finally {
      await store.close();
    }
  });

  it('never leaves half a file after the writing process is killed', async () => {
    const path = join(tempDir(), 'nellie.db');
    const child = spawn(
      process.execPath,
      [
        '--conditions=@nellie/source',
        '--import',
        'tsx',
        join(packageRoot, 'test/fixtures/write-loop.ts'),
        path,
      ],
      { cwd: packageRoot, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (data: Buffer) => (stderr += data.toString()));
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    let committed = 0;
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (data: Buffer) => {
        committed = Math.max(committed, ...data.toString().trim().split('\n').map(Number));
        // Kill it while it is busy writing further versions.
        if (committed >= 5) resolve();
      });
      child.once('exit', (code) => reject(new Error(`writer exited early (${code}): ${stderr}`)));
    });
    child.kill('SIGKILL');
    await exited;

    const store = await createSqliteStore({ path });
    try {
      expect(await store.integrityCheck()).toEqual({ ok: true, problems: [] });
      const [repo] = await store.listRepositories();
      const [indexed] = await store.listFiles(repo!.id);
      const version = indexed!.size;
      expect(version).toBeGreaterThanOrEqual(committed);
      const raw = new Database(path, { readonly: true });
      const contents = raw.prepare('SELECT content FROM chunks').pluck().all() as string[];
      raw.close();
      expect(contents).toHaveLength(300);
      expect(contents.every((content) => content.includes(`'version-${version}'`))).toBe(true);
      const hits = await store.searchCode({ query: 'value42', limit: 1 });
      expect(hits[0]?.content).toContain(`version-${version}`);
    } finally {
      await store.close();
    }
  });
});

describe('probeWrite', () => {
  it('rejects with STORE_UNAVAILABLE while another connection holds the write lock, then succeeds', async () => {
    const path = join(tempDir(), 'nellie.db');
    const store = await createSqliteStore({ path, busyTimeoutMs: 20 });
    const other = new Database(path);
    try {
      await store.probeWrite();
      other.exec('BEGIN IMMEDIATE');
      const failure = await store.probeWrite().then(
        () => null,
        (error: unknown) => error,
      );
      expect(failure).toMatchObject({ code: 'STORE_UNAVAILABLE' });
      expect(((failure as Error).cause as { code: string }).code).toMatch(/^SQLITE_BUSY/);
      other.exec('ROLLBACK');
      await expect(store.probeWrite()).resolves.toBeUndefined();
    } finally {
      other.close();
      await store.close();
    }
  });

  it('rejects on a read-only store', async () => {
    const path = join(tempDir(), 'nellie.db');
    await (await createSqliteStore({ path })).close();
    const store = await createSqliteStore({ path, readonly: true });
    try {
      await expect(store.probeWrite()).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
    } finally {
      await store.close();
    }
  });
});
