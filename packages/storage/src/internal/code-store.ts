import { basename, isAbsolute, resolve } from 'node:path';
import {
  NellieError,
  type ChunkInput,
  type FileInput,
  type IndexedFile,
  type Repository,
  type StoredChunk,
} from '@nellie/core';
import { z } from 'zod';
import {
  idSchema,
  prepareFileWrite,
  relativePathSchema,
  repositoryInputSchema,
  touchSchema,
} from './code-input.ts';
import {
  toIndexedFile,
  toRepository,
  toStoredChunk,
  type ChunkRow,
  type FileRow,
  type RepositoryRow,
} from './code-rows.ts';
import type { StoreContext } from './context.ts';
import { scopeText } from './ranking/scope.ts';
import { parseInput } from '@nellie/schemas';

export class CodeRepositoryStore {
  readonly #ctx: StoreContext;

  constructor(ctx: StoreContext) {
    this.#ctx = ctx;
  }

  #repositoryById(id: number): RepositoryRow | undefined {
    return this.#ctx.statement(`SELECT * FROM repositories WHERE id = ?`).get(id) as
      RepositoryRow | undefined;
  }

  #requireRepository(id: number): RepositoryRow {
    const row = this.#repositoryById(id);
    if (!row) {
      throw new NellieError(
        'NOT_FOUND',
        `No repository with id ${id}; list repositories to find the right one.`,
      );
    }
    return row;
  }

  upsertRepository(input: { rootPath: string; name?: string }): Repository {
    const parsed = parseInput(repositoryInputSchema, input, 'repository');
    const rootPath = resolve(parsed.rootPath);
    return this.#ctx.write(() => {
      const byName = this.#ctx.statement(`SELECT * FROM repositories WHERE name = ?`);
      const existing = this.#ctx
        .statement(`SELECT * FROM repositories WHERE root_path = ?`)
        .get(rootPath) as RepositoryRow | undefined;
      if (existing) {
        if (parsed.name && parsed.name !== existing.name) {
          const clash = byName.get(parsed.name) as RepositoryRow | undefined;
          if (clash) {
            throw new NellieError(
              'CONFLICT',
              `The repository name "${parsed.name}" is already used by ${clash.root_path}; choose another name.`,
            );
          }
          this.#ctx
            .statement(`UPDATE repositories SET name = ? WHERE id = ?`)
            .run(parsed.name, existing.id);
          return toRepository({ ...existing, name: parsed.name });
        }
        return toRepository(existing);
      }
      let name = parsed.name;
      if (name) {
        const clash = byName.get(name) as RepositoryRow | undefined;
        if (clash) {
          throw new NellieError(
            'CONFLICT',
            `The repository name "${name}" is already used by ${clash.root_path}; choose another name.`,
          );
        }
      } else {
        const base = basename(rootPath) || rootPath;
        name = base;
        for (let suffix = 2; byName.get(name); suffix += 1) name = `${base}-${suffix}`;
      }
      const createdAt = new Date().toISOString();
      const result = this.#ctx
        .statement(`INSERT INTO repositories (name, root_path, created_at) VALUES (?, ?, ?)`)
        .run(name, rootPath, createdAt);
      return {
        id: Number(result.lastInsertRowid),
        name,
        rootPath,
        createdAt,
        lastIndexedAt: null,
      };
    });
  }

  /** Repositories matching a name or root path (normally zero or one). */
  findRepositories(nameOrPath: string): RepositoryRow[] {
    const candidates = [nameOrPath];
    if (isAbsolute(nameOrPath)) candidates.push(resolve(nameOrPath));
    return this.#ctx
      .statement(
        `SELECT * FROM repositories
         WHERE name IN (SELECT value FROM json_each(?)) OR root_path IN (SELECT value FROM json_each(?))
         ORDER BY id`,
      )
      .all(JSON.stringify(candidates), JSON.stringify(candidates)) as RepositoryRow[];
  }

  /** Filter values for a repository: the text as given plus the name and root path it resolves to. */
  repositoryAliases(nameOrPath: string): string[] {
    const aliases = new Set([nameOrPath]);
    for (const row of this.findRepositories(nameOrPath)) {
      aliases.add(row.name);
      aliases.add(row.root_path);
    }
    return [...aliases];
  }

  getRepository(nameOrPath: string): Repository | null {
    parseInput(
      z.string().min(1, 'give a repository name or root path').max(4096),
      nameOrPath,
      'repository',
    );
    return this.#ctx.read(() => {
      const rows = this.findRepositories(nameOrPath);
      const row = rows.find((entry) => entry.name === nameOrPath) ?? rows[0];
      return row ? toRepository(row) : null;
    });
  }

  listRepositories(): Repository[] {
    return this.#ctx.read(() =>
      (
        this.#ctx.statement(`SELECT * FROM repositories ORDER BY name`).all() as RepositoryRow[]
      ).map(toRepository),
    );
  }

  deleteRepository(id: number): void {
    parseInput(idSchema, id, 'repository id');
    this.#ctx.write(() => {
      this.#requireRepository(id);
      // Cascades to files and chunks; triggers remove full-text rows and orphaned vectors.
      this.#ctx.statement(`DELETE FROM repositories WHERE id = ?`).run(id);
    });
  }

  markRepositoryIndexed(id: number, at: Date = new Date()): void {
    parseInput(idSchema, id, 'repository id');
    if (!(at instanceof Date) || Number.isNaN(at.getTime())) {
      throw new NellieError('INVALID_INPUT', 'at must be a valid Date.');
    }
    this.#ctx.write(() => {
      this.#requireRepository(id);
      this.#ctx
        .statement(`UPDATE repositories SET last_indexed_at = ? WHERE id = ?`)
        .run(at.toISOString(), id);
    });
  }

  listFiles(repositoryId: number): IndexedFile[] {
    parseInput(idSchema, repositoryId, 'repository id');
    return this.#ctx.read(() => {
      this.#requireRepository(repositoryId);
      return (
        this.#ctx
          .statement(`SELECT * FROM files WHERE repository_id = ? ORDER BY path`)
          .all(repositoryId) as FileRow[]
      ).map(toIndexedFile);
    });
  }

  writeFile(repositoryId: number, file: FileInput, chunks: readonly ChunkInput[]): void {
    parseInput(idSchema, repositoryId, 'repository id');
    // Tokenising is the expensive part; do it before taking the write lock.
    const {
      file: parsedFile,
      language: fileLanguage,
      pathTokens,
      chunks: prepared,
    } = prepareFileWrite(file, chunks);
    this.#ctx.write(() => {
      this.#requireRepository(repositoryId);
      const fileId = this.#ctx
        .statement(
          `INSERT INTO files (repository_id, path, language, size, mtime_ms, content_hash, indexed_at)
           VALUES (?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (repository_id, path) DO UPDATE SET
             language = excluded.language, size = excluded.size, mtime_ms = excluded.mtime_ms,
             content_hash = excluded.content_hash, indexed_at = excluded.indexed_at
           RETURNING id`,
        )
        .pluck()
        .get(
          repositoryId,
          parsedFile.path,
          fileLanguage,
          parsedFile.size,
          parsedFile.mtimeMs,
          parsedFile.contentHash,
          new Date().toISOString(),
        ) as number;
      const previous = this.#ctx
        .statement(`SELECT id FROM chunks WHERE file_id = ?`)
        .pluck()
        .all(fileId) as number[];
      const insertChunk = this.#ctx.statement(
        `INSERT INTO chunks (file_id, repository_id, start_line, end_line, symbol_name, symbol_key,
           symbol_kind, enclosing_symbol, language, content, content_hash, embedding_id)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, (SELECT id FROM embeddings WHERE content_hash = ?))`,
      );
      const insertText = this.#ctx.statement(
        `INSERT INTO chunks_fts (rowid, symbol, container, path, body, scope) VALUES (?, ?, ?, ?, ?, ?)`,
      );
      // New rows go in before old ones go out, so vectors shared by both survive the swap.
      for (const entry of prepared) {
        const { chunk } = entry;
        const id = insertChunk.run(
          fileId,
          repositoryId,
          chunk.startLine,
          chunk.endLine,
          chunk.symbolName ?? null,
          entry.symbolKey,
          chunk.symbolKind ?? null,
          chunk.enclosingSymbol ?? null,
          entry.language,
          chunk.content,
          entry.contentHash,
          entry.contentHash,
        ).lastInsertRowid;
        insertText.run(
          id,
          entry.symbolTokens,
          entry.containerTokens,
          pathTokens,
          entry.bodyTokens,
          scopeText(repositoryId, entry.language),
        );
      }
      const deleteChunk = this.#ctx.statement(`DELETE FROM chunks WHERE id = ?`);
      for (const id of previous) deleteChunk.run(id);
    });
  }

  touchFile(repositoryId: number, path: string, stat: { size: number; mtimeMs: number }): void {
    parseInput(idSchema, repositoryId, 'repository id');
    parseInput(relativePathSchema, path, 'path');
    const parsed = parseInput(touchSchema, stat, 'file stat');
    this.#ctx.write(() => {
      const result = this.#ctx
        .statement(`UPDATE files SET size = ?, mtime_ms = ? WHERE repository_id = ? AND path = ?`)
        .run(parsed.size, parsed.mtimeMs, repositoryId, path);
      if (result.changes === 0) {
        throw new NellieError(
          'NOT_FOUND',
          `No indexed file ${path} in repository ${repositoryId}; write it with writeFile first.`,
        );
      }
    });
  }

  deleteFiles(repositoryId: number, paths: readonly string[]): number {
    parseInput(idSchema, repositoryId, 'repository id');
    if (!Array.isArray(paths)) throw new NellieError('INVALID_INPUT', 'paths must be an array.');
    for (const path of paths) parseInput(z.string().min(1).max(4096), path, 'path');
    return this.#ctx.write(() => {
      const remove = this.#ctx.statement(`DELETE FROM files WHERE repository_id = ? AND path = ?`);
      let removed = 0;
      for (const path of new Set(paths)) removed += remove.run(repositoryId, path).changes;
      return removed;
    });
  }

  getChunk(id: number): StoredChunk | null {
    parseInput(idSchema, id, 'chunk id');
    return this.#ctx.read(() => {
      const row = this.#ctx
        .statement(
          `SELECT c.*, f.path FROM chunks c JOIN files f ON f.id = c.file_id WHERE c.id = ?`,
        )
        .get(id) as ChunkRow | undefined;
      return row ? toStoredChunk(row) : null;
    });
  }
}
