import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createSqliteStore } from '../src/index.ts';
import { useTempDir } from './helpers.ts';

const tempDir = useTempDir();

function file(index: number) {
  return {
    path: `src/file-${index}.ts`,
    language: 'typescript',
    size: 1,
    mtimeMs: 1,
    contentHash: `h${index}`,
  };
}

function chunks(index: number) {
  return Array.from({ length: 10 }, (_, position) => ({
    startLine: position + 1,
    endLine: position + 1,
    content: `export const item${index}x${position} = '${'payload '.repeat(30)}';`,
  }));
}

describe('backup', () => {
  it('copies a consistent snapshot while writes continue', async () => {
    const directory = tempDir();
    const store = await createSqliteStore({ path: join(directory, 'nellie.db') });
    try {
      const repo = await store.upsertRepository({ rootPath: '/work/projects/shop' });
      for (let index = 0; index < 300; index += 1)
        await store.writeFile(repo.id, file(index), chunks(index));
      await store.addLesson({ title: 'Backups run online', content: 'Writers keep going.' });

      const destination = join(directory, 'backup.db');
      const backup = store.backup(destination);
      let writesDuringBackup = 0;
      let finished = false;
      void backup.finally(() => (finished = true));
      for (let index = 300; !finished && index < 2000; index += 1) {
        // Writes arrive from I/O events, as in a server, so the backup's steps interleave.
        await new Promise((resolve) => setImmediate(resolve));
        await store.writeFile(repo.id, file(index), chunks(index));
        writesDuringBackup += 1;
      }
      const { bytes } = await backup;
      expect(writesDuringBackup).toBeGreaterThan(0);
      expect(bytes).toBeGreaterThan(0);

      const copy = await createSqliteStore({ path: destination, readonly: true });
      try {
        expect(await copy.integrityCheck()).toEqual({ ok: true, problems: [] });
        const stats = await copy.stats();
        expect(stats.files).toBeGreaterThanOrEqual(300);
        expect(stats.chunks).toBe(stats.files * 10);
        expect(stats.lessons).toBe(1);
        expect((await copy.searchCode({ query: 'item7x3' }))[0]?.path).toBe('src/file-7.ts');
      } finally {
        await copy.close();
      }
      expect((await store.stats()).files).toBe(300 + writesDuringBackup);
    } finally {
      await store.close();
    }
  });

  it('refuses to overwrite, explains a missing directory, and stops on abort', async () => {
    const directory = tempDir();
    const store = await createSqliteStore({ path: join(directory, 'nellie.db') });
    try {
      const repo = await store.upsertRepository({ rootPath: '/work/projects/shop' });
      for (let index = 0; index < 50; index += 1)
        await store.writeFile(repo.id, file(index), chunks(index));
      const existing = join(directory, 'existing.db');
      writeFileSync(existing, 'keep me');
      await expect(store.backup(existing)).rejects.toMatchObject({ code: 'CONFLICT' });
      await expect(store.backup(join(directory, 'missing', 'b.db'))).rejects.toMatchObject({
        code: 'STORE_UNAVAILABLE',
      });
      await expect(store.backup(join(directory, 'nellie.db'))).rejects.toMatchObject({
        code: 'INVALID_INPUT',
      });
      const controller = new AbortController();
      controller.abort();
      await expect(
        store.backup(join(directory, 'aborted.db'), { signal: controller.signal }),
      ).rejects.toMatchObject({ code: 'ABORTED' });
      expect(existsSync(join(directory, 'aborted.db'))).toBe(false);
      expect(readdirSync(directory).some((name) => name.includes('.partial-'))).toBe(false);
      // The in-memory store can be backed up too.
      const memory = await createSqliteStore({ path: ':memory:' });
      await memory.addLesson({ title: 't', content: 'c' });
      await memory.backup(join(directory, 'memory.db'));
      await memory.close();
      const restored = await createSqliteStore({ path: join(directory, 'memory.db') });
      expect((await restored.stats()).lessons).toBe(1);
      await restored.close();
    } finally {
      await store.close();
    }
  });

  it('replaces an existing backup only with a complete one, and clears stale partial files', async () => {
    const directory = tempDir();
    const store = await createSqliteStore({ path: join(directory, 'nellie.db') });
    try {
      const repo = await store.upsertRepository({ rootPath: '/work/projects/shop' });
      for (let index = 0; index < 50; index += 1)
        await store.writeFile(repo.id, file(index), chunks(index));
      const destination = join(directory, 'backup.db');
      await store.backup(destination);
      await store.addLesson({ title: 'Only in the second backup', content: 'Second.' });

      // A failed replacement leaves the previous backup as it was.
      const controller = new AbortController();
      const failed = store.backup(destination, { replace: true, signal: controller.signal });
      controller.abort();
      await expect(failed).rejects.toMatchObject({ code: 'ABORTED' });
      const lessonsIn = async (path: string) => {
        const copy = await createSqliteStore({ path, readonly: true });
        try {
          return (await copy.stats()).lessons;
        } finally {
          await copy.close();
        }
      };
      expect(await lessonsIn(destination)).toBe(0);

      // Leftovers of killed runs: a process id that no longer runs, and the older unnamed form.
      const stale = [
        'backup.db.partial-999999999-0123abcd',
        'backup.db.partial-999999999-0123abcd-journal',
        'backup.db.partial-89abcdef',
      ];
      for (const name of stale) writeFileSync(join(directory, name), 'partial');
      const running = `backup.db.partial-${process.pid}-fedcba98`;
      writeFileSync(join(directory, running), 'in progress elsewhere in this process');
      writeFileSync(join(directory, 'other.db.partial-999999999-0123abcd'), 'not ours');

      await store.backup(destination, { replace: true });
      expect(await lessonsIn(destination)).toBe(1);
      const partials = readdirSync(directory).filter((name) => name.includes('.partial-'));
      expect(partials.sort()).toEqual([running, 'other.db.partial-999999999-0123abcd'].sort());
      expect(existsSync(`${destination}-wal`)).toBe(false);
    } finally {
      await store.close();
    }
  });
});
