import { existsSync, statSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import {
  NellieError,
  throwIfAborted,
  type IntegrityReport,
  type MaintenanceReport,
  type StoreStats,
} from '@nellie/core';
import { z } from 'zod';
import {
  partialPathFor,
  placeCopy,
  removePartial,
  removeStalePartials,
  syncDirectory,
  syncFile,
  verifyCopy,
} from './backup-files.ts';
import type { StoreContext } from './context.ts';
import { readStoredModel } from './embedding-store.ts';
import { schemaVersion } from './schema.ts';
import { mapSqliteError } from './sqlite-errors.ts';
import { parseInput } from '@nellie/schemas';

const ftsTables = ['chunks_fts', 'lessons_fts', 'checkpoints_fts'] as const;

/** VACUUM in `auto` mode when at least this share of pages is free, and at least 64 MiB. */
const vacuumFreeShare = 0.25;
const vacuumFreeBytes = 64 * 1024 * 1024;

/** Pages copied per backup step (8 MiB with 8 KiB pages). */
const backupStepPages = 1024;
const maxBackupRestarts = 2;

const maintenanceSchema = z.strictObject({
  vacuum: z.enum(['auto', 'always', 'never']).default('auto'),
});

export class SqliteOperations {
  readonly #ctx: StoreContext;

  constructor(ctx: StoreContext) {
    this.#ctx = ctx;
  }

  #databaseBytes(): number {
    const pages = this.#ctx.db.pragma('page_count', { simple: true }) as number;
    const size = this.#ctx.db.pragma('page_size', { simple: true }) as number;
    return pages * size;
  }

  stats(): StoreStats {
    return this.#ctx.read(() => {
      const count = (sql: string): number => this.#ctx.statement(sql).pluck().get() as number;
      const chunks = count(`SELECT count(*) FROM chunks`);
      // What the database holds, whatever model (or none) it was opened with: a status read
      // without loading the model still sees the stored vectors and what waits for them.
      const model = readStoredModel(this.#ctx.db) ?? this.#ctx.embeddingModel;
      // A covering scan of the partial index on embedding_id; joining the pending queue to the
      // chunks instead costs hundreds of milliseconds with a large backlog.
      const withVectors = count(`SELECT count(*) FROM chunks WHERE embedding_id IS NOT NULL`);
      return {
        repositories: count(`SELECT count(*) FROM repositories`),
        files: count(`SELECT count(*) FROM files`),
        chunks,
        chunksWithVectors: withVectors,
        chunksPendingEmbedding: model ? chunks - withVectors : 0,
        lessons: count(`SELECT count(*) FROM lessons`),
        checkpoints: count(`SELECT count(*) FROM checkpoints`),
        embeddingModel: model,
        schemaVersion,
        databaseBytes: this.#databaseBytes(),
      };
    });
  }

  async backup(
    destinationPath: string,
    options: { signal?: AbortSignal; replace?: boolean } = {},
  ): Promise<{ bytes: number }> {
    const { signal, replace = false } = options;
    parseInput(
      z.string().min(1, 'give a destination file').max(4096),
      destinationPath,
      'backup path',
    );
    this.#ctx.ensureOpen();
    throwIfAborted(signal);
    const destination = resolve(destinationPath);
    if (this.#ctx.file && destination === this.#ctx.file) {
      throw new NellieError(
        'INVALID_INPUT',
        'The backup destination is the database itself; choose another file.',
      );
    }
    if (!isAbsolute(destination)) throw new NellieError('INVALID_INPUT', 'Invalid backup path.');
    if (!replace && existsSync(destination)) {
      throw new NellieError(
        'CONFLICT',
        `${destination} already exists; a backup never overwrites a file unless asked to replace it. Remove it or choose another name.`,
      );
    }
    const directory = dirname(destination);
    try {
      if (!statSync(directory).isDirectory()) throw new Error('not a directory');
    } catch (error) {
      throw new NellieError(
        'STORE_UNAVAILABLE',
        `Cannot write the backup to ${destination}: the directory ${directory} does not exist or is not a directory.`,
        { cause: error },
      );
    }
    removeStalePartials(destination);
    // The copy is written beside the destination, flushed, checked and only then renamed over
    // it, so the destination always holds either the previous backup or the complete new one.
    const partial = partialPathFor(destination);
    try {
      // Pages are copied in steps so queries keep running in between. A write between steps
      // restarts the copy (SQLite's rule in WAL mode); after a few restarts the rest is copied
      // in one step, so a busy store still gets its backup.
      let previousRemaining = Number.POSITIVE_INFINITY;
      let restarts = 0;
      await this.#ctx.db.backup(partial, {
        progress: ({ remainingPages }) => {
          if (this.#ctx.closed) {
            throw new NellieError('STORE_CLOSED', 'The store was closed during the backup.');
          }
          throwIfAborted(signal);
          if (remainingPages > previousRemaining) restarts += 1;
          previousRemaining = remainingPages;
          return restarts >= maxBackupRestarts ? 0x7fffffff : backupStepPages;
        },
      });
      throwIfAborted(signal);
      verifyCopy(partial);
      syncFile(partial);
      placeCopy(partial, destination, replace);
      syncDirectory(directory);
    } catch (error) {
      removePartial(partial);
      if (NellieError.is(error)) throw error;
      const mapped = mapSqliteError(error, destination);
      if (NellieError.is(mapped)) throw mapped;
      throw new NellieError(
        'STORE_UNAVAILABLE',
        `The backup to ${destination} failed: ${String(error)}.`,
        {
          cause: error,
        },
      );
    }
    return { bytes: statSync(destination).size };
  }

  /** Runs SQLite's and FTS5's integrity checks; damage is reported, not thrown. */
  /** Rewrites one meta row in its own transaction, so a full disk or a lock shows as an error. */
  probeWrite(): void {
    this.#ctx.write(() => {
      this.#ctx
        .statement(
          `INSERT INTO meta (key, value) VALUES ('write_probe', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
        )
        .run(new Date().toISOString());
    });
  }

  integrityCheck(): IntegrityReport {
    this.#ctx.ensureOpen();
    const problems: string[] = [];
    const attempt = (what: string, check: () => void): void => {
      try {
        check();
      } catch (error) {
        problems.push(`${what}: ${error instanceof Error ? error.message : String(error)}`);
      }
    };
    attempt('integrity_check', () => {
      const lines = this.#ctx.db.pragma('integrity_check') as { integrity_check: string }[];
      for (const line of lines) {
        if (line.integrity_check !== 'ok') problems.push(line.integrity_check);
      }
    });
    attempt('foreign_key_check', () => {
      const violations = this.#ctx.db.pragma('foreign_key_check') as unknown[];
      if (violations.length > 0) problems.push(`${violations.length} rows violate foreign keys`);
    });
    if (!this.#ctx.options.readonly) {
      for (const table of ftsTables) {
        attempt(table, () => {
          this.#ctx.db.prepare(`INSERT INTO ${table} (${table}) VALUES ('integrity-check')`).run();
        });
      }
    }
    return { ok: problems.length === 0, problems };
  }

  maintenance(options: { vacuum?: 'auto' | 'always' | 'never' } = {}): MaintenanceReport {
    const parsed = parseInput(maintenanceSchema, options, 'maintenance options');
    const bytesBefore = this.#ctx.read(() => this.#databaseBytes());
    const integrity = this.integrityCheck();
    if (!integrity.ok) {
      return {
        integrity,
        analyzed: false,
        ftsOptimized: false,
        vacuumed: false,
        bytesBefore,
        bytesAfter: bytesBefore,
      };
    }
    this.#ctx.write(() => {
      for (const table of ftsTables) {
        this.#ctx.db.prepare(`INSERT INTO ${table} (${table}) VALUES ('optimize')`).run();
      }
    });
    this.#ctx.read(() => this.#ctx.db.exec('ANALYZE'));
    let vacuumed = false;
    const free = this.#ctx.read(
      () =>
        (this.#ctx.db.pragma('freelist_count', { simple: true }) as number) *
        (this.#ctx.db.pragma('page_size', { simple: true }) as number),
    );
    const worthwhile = free >= vacuumFreeBytes && free >= bytesBefore * vacuumFreeShare;
    if (parsed.vacuum === 'always' || (parsed.vacuum === 'auto' && worthwhile)) {
      this.#ctx.read(() => this.#ctx.db.exec('VACUUM'));
      vacuumed = true;
    }
    this.#ctx.read(() => this.#ctx.db.pragma('wal_checkpoint(TRUNCATE)'));
    this.#ctx.vectorIndex?.save();
    return {
      integrity,
      analyzed: true,
      ftsOptimized: true,
      vacuumed,
      bytesBefore,
      bytesAfter: this.#ctx.read(() => this.#databaseBytes()),
    };
  }
}
