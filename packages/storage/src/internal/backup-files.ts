import { randomBytes } from 'node:crypto';
import {
  closeSync,
  existsSync,
  fsyncSync,
  linkSync,
  openSync,
  readdirSync,
  renameSync,
  rmSync,
  unlinkSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { NellieError } from '@nellie/core';
import Database from 'better-sqlite3';

/** Files SQLite may keep next to a database it writes. */
const companionSuffixes = ['', '-journal', '-wal', '-shm'] as const;

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * The temporary file a backup is written to: `<destination>.partial-<pid>-<random>`, so leftovers
 * of a killed run are recognisable by name and by a process id that no longer runs.
 */
export function partialPathFor(destination: string): string {
  return `${destination}.partial-${process.pid}-${randomBytes(4).toString('hex')}`;
}

function processIsRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes partial backups (and their journals) of `destination` left by runs that were killed:
 * those whose process is gone, and unnamed ones from earlier versions, which never finished.
 * Returns the removed paths.
 */
export function removeStalePartials(destination: string): string[] {
  const directory = dirname(destination);
  const pattern = new RegExp(
    `^${escapeRegExp(basename(destination))}\\.partial-(?:(\\d+)-)?[0-9a-f]{8}(?:-journal|-wal|-shm)?$`,
  );
  const removed: string[] = [];
  let names: string[];
  try {
    names = readdirSync(directory);
  } catch {
    return removed;
  }
  for (const name of names) {
    const match = pattern.exec(name);
    if (!match) continue;
    const pid = match[1] === undefined ? null : Number(match[1]);
    if (pid !== null && processIsRunning(pid)) continue;
    rmSync(join(directory, name), { force: true });
    removed.push(join(directory, name));
  }
  return removed;
}

/** Removes a partial backup and any journal SQLite left beside it. */
export function removePartial(partial: string): void {
  for (const suffix of companionSuffixes) rmSync(`${partial}${suffix}`, { force: true });
}

/**
 * Makes a finished copy a self-contained file (rollback journal instead of WAL, so no `-wal` or
 * `-shm` files go with it) and runs SQLite's integrity check; throws when it is not sound.
 */
export function verifyCopy(file: string): void {
  const copy = new Database(file, { fileMustExist: true });
  try {
    copy.pragma('journal_mode = DELETE');
    const lines = copy.pragma('integrity_check') as { integrity_check: string }[];
    const problems = lines.map((line) => line.integrity_check).filter((line) => line !== 'ok');
    if (problems.length > 0) {
      throw new NellieError(
        'STORE_CORRUPT',
        `The backup copy failed its integrity check (${problems.slice(0, 3).join('; ')}); the destination was not changed.`,
      );
    }
  } finally {
    copy.close();
  }
}

function fsyncPath(path: string, flags: string): void {
  const descriptor = openSync(path, flags);
  try {
    fsyncSync(descriptor);
  } finally {
    closeSync(descriptor);
  }
}

/** Flushes a file's data to disk. */
export function syncFile(file: string): void {
  fsyncPath(file, 'r+');
}

/** Flushes a directory entry change (a rename) to disk; not possible on every platform. */
export function syncDirectory(directory: string): void {
  try {
    fsyncPath(directory, 'r');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'EISDIR' && code !== 'EPERM' && code !== 'EINVAL') throw error;
  }
}

/**
 * Moves a complete, checked copy to `destination` in one step. With `replace`, an existing file
 * is swapped out atomically (rename); without it, a hard link refuses to overwrite a file that
 * appeared meanwhile, and a file system without hard links falls back to a checked rename.
 */
export function placeCopy(partial: string, destination: string, replace: boolean): void {
  if (replace) {
    renameSync(partial, destination);
    return;
  }
  const conflict = (cause?: unknown) =>
    new NellieError(
      'CONFLICT',
      `${destination} appeared while the backup ran; a backup never overwrites a file. Remove it or choose another name.`,
      { cause },
    );
  try {
    linkSync(partial, destination);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw conflict(error);
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EXDEV') throw error;
    if (existsSync(destination)) throw conflict();
    renameSync(partial, destination);
    return;
  }
  unlinkSync(partial);
}
