import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
} from 'node:fs';
import path from 'node:path';
import { NellieError } from '@nellie/core';
import type { CommandContext } from '../cli.ts';
import { openStore, refuseWithDatabase } from '../open-store.ts';
import { databasePath } from '../config.ts';
import { exitCodes } from '../internal/exit-codes.ts';
import { printJson, writeStdout } from '../internal/output.ts';
import { listHolders } from '../internal/process-registry.ts';

/** `nellie backup <file>`: an online, consistent copy of the database. */
export async function runBackup(context: CommandContext, file: string): Promise<number> {
  const { config, logger, options } = context;
  refuseWithDatabase(
    config.settings,
    'backup',
    "back it up with the database's own tools (pg_dump --schema=<schema>, or your provider's snapshots and point-in-time recovery).",
  );
  const destination = path.resolve(file);
  const source = databasePath(config.settings);
  if (existsSync(destination) && options.force !== true) {
    throw new NellieError(
      'INVALID_INPUT',
      `${destination} already exists; choose another file or pass --force to overwrite it.`,
    );
  }
  if (!existsSync(path.dirname(destination))) {
    throw new NellieError(
      'INVALID_INPUT',
      `The directory ${path.dirname(destination)} does not exist.`,
    );
  }
  const started = performance.now();
  const store = await openStore(config.settings, { logger, readonly: true, existing: true });
  try {
    // The previous backup is replaced only once the new one is complete and checked.
    const { bytes } = await store.backup(destination, { replace: options.force === true });
    const result = {
      file: destination,
      bytes,
      durationMs: Math.round(performance.now() - started),
    };
    if (options.json === true) await printJson(result);
    else {
      await writeStdout(
        `Backed up ${source} to ${destination} (${(bytes / 1024 / 1024).toFixed(2)} MiB) in ${result.durationMs} ms.\n`,
      );
    }
    return exitCodes.ok;
  } finally {
    await store.close();
  }
}

function timestamp(): string {
  return new Date()
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
}

/** Files the store keeps next to a database (`<name>-wal`, `<name>-hnsw-…`). */
function companionFiles(file: string): string[] {
  const prefix = `${path.basename(file)}-`;
  try {
    return readdirSync(path.dirname(file))
      .filter((name) => name.startsWith(prefix))
      .map((name) => path.join(path.dirname(file), name));
  } catch {
    return [];
  }
}

function removeWithCompanions(file: string): void {
  rmSync(file, { force: true });
  for (const companion of companionFiles(file)) rmSync(companion, { force: true });
}

/** Opens a candidate database, checks its integrity and reads its counts. */
async function verifyCandidate(file: string, context: CommandContext) {
  const store = await openStore(context.config.settings, { logger: context.logger, path: file });
  try {
    const integrity = await store.integrityCheck();
    if (!integrity.ok) {
      throw new NellieError(
        'STORE_CORRUPT',
        `the integrity check failed: ${integrity.problems.slice(0, 5).join('; ')}`,
      );
    }
    const stats = await store.stats();
    return {
      repositories: stats.repositories,
      files: stats.files,
      chunks: stats.chunks,
      lessons: stats.lessons,
      checkpoints: stats.checkpoints,
      schemaVersion: stats.schemaVersion,
    };
  } finally {
    await store.close();
  }
}

/**
 * `nellie restore <file>`: refuses while another Nellie process uses the data directory, checks
 * the backup's integrity on a copy (the backup file itself is never modified), keeps the current
 * database as `nellie.db.bak-<timestamp>`, then moves the verified copy into place.
 */
export async function runRestore(context: CommandContext, file: string): Promise<number> {
  const { config, options } = context;
  const { settings } = config;
  refuseWithDatabase(
    settings,
    'restore',
    "restore it with the database's own tools (pg_restore, or your provider's point-in-time recovery).",
  );
  const backup = path.resolve(file);
  let backupBytes: number;
  try {
    const info = statSync(backup);
    if (!info.isFile()) throw new Error('not a file');
    backupBytes = info.size;
  } catch {
    throw new NellieError('INVALID_INPUT', `${backup} is not a readable backup file.`);
  }
  const holders = listHolders(settings.dataDir);
  if (holders.length > 0) {
    const list = holders
      .map(
        (holder) =>
          `nellie ${holder.command} (pid ${holder.pid}${holder.url ? `, ${holder.url}` : ''})`,
      )
      .join(', ');
    throw new NellieError(
      'CONFLICT',
      `The data directory ${settings.dataDir} is in use by ${list}. Stop it before restoring, then run the restore again.`,
    );
  }

  mkdirSync(settings.dataDir, { recursive: true });
  const target = databasePath(settings);
  const stamp = timestamp();
  const candidate = `${target}.restore-${stamp}`;
  copyFileSync(backup, candidate);
  let restored: Awaited<ReturnType<typeof verifyCandidate>>;
  try {
    restored = await verifyCandidate(candidate, context);
  } catch (error) {
    removeWithCompanions(candidate);
    const reason = error instanceof Error ? error.message : String(error);
    throw new NellieError(
      NellieError.is(error) ? error.code : 'STORE_CORRUPT',
      `${backup} cannot be restored: ${reason}. The current database was not changed.`,
      { cause: error },
    );
  }

  const kept = `${target}.bak-${stamp}`;
  const hadDatabase = existsSync(target);
  if (hadDatabase) {
    renameSync(target, kept);
    for (const companion of companionFiles(target)) {
      renameSync(companion, `${kept}${companion.slice(target.length)}`);
    }
  }
  // The verified copy was closed cleanly, so it has no WAL left; drop any other companions.
  for (const companion of companionFiles(candidate)) rmSync(companion, { force: true });
  renameSync(candidate, target);

  const result = {
    restoredFrom: backup,
    database: target,
    previousDatabase: hadDatabase ? kept : null,
    bytes: backupBytes,
    ...restored,
  };
  if (options.json === true) await printJson(result);
  else {
    await writeStdout(
      [
        `Restored ${target} from ${backup} (integrity check passed).`,
        hadDatabase
          ? `The previous database is kept as ${kept}.`
          : 'There was no previous database.',
        `  repositories: ${restored.repositories}, files: ${restored.files}, chunks: ${restored.chunks}, lessons: ${restored.lessons}, checkpoints: ${restored.checkpoints}`,
        '',
      ].join('\n'),
    );
  }
  return exitCodes.ok;
}
