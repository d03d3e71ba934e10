import { basename, isAbsolute, resolve } from 'node:path';
import {
  NellieError,
  type ChunkInput,
  type FileInput,
  type IndexedFile,
  type Repository,
  type StoredChunk,
} from '@nellie/core';
import {
  type ChunkRow,
  type FileRow,
  numericIdSchema,
  prepareFileWrite,
  relativePathSchema,
  repositoryInputSchema,
  type RepositoryRow,
  toIndexedFile,
  toRepository,
  toStoredChunk,
  touchSchema,
} from '@nellie/storage/store-kit';
import { parseInput } from '@nellie/schemas';
import { z } from 'zod';
import type { Database, Queryable } from './database.ts';
import { releaseContentHashes } from './embedding-queue.ts';
import { kindChunk, textConfig } from './schema.ts';

function nameTaken(name: string, rootPath: string): NellieError {
  return new NellieError(
    'CONFLICT',
    `The repository name "${name}" is already used by ${rootPath}; choose another name.`,
  );
}

/** Repositories, files and chunks with their full-text vectors. */
export class CodeRepositoryStore {
  readonly #database: Database;
  readonly #s: string;

  constructor(database: Database) {
    this.#database = database;
    this.#s = database.schema;
  }

  async #requireRepository(db: Queryable, id: number): Promise<RepositoryRow> {
    const { rows } = await db.query<RepositoryRow>(
      `SELECT * FROM ${this.#s}.repositories WHERE id = $1`,
      [id],
    );
    if (!rows[0]) {
      throw new NellieError(
        'NOT_FOUND',
        `No repository with id ${id}; list repositories to find the right one.`,
      );
    }
    return rows[0];
  }

  upsertRepository(input: { rootPath: string; name?: string }): Promise<Repository> {
    const parsed = parseInput(repositoryInputSchema, input, 'repository');
    const rootPath = resolve(parsed.rootPath);
    return this.#database.write(async (db) => {
      await db.query(`LOCK TABLE ${this.#s}.repositories IN SHARE ROW EXCLUSIVE MODE`);
      const byName = async (name: string) =>
        (
          await db.query<RepositoryRow>(`SELECT * FROM ${this.#s}.repositories WHERE name = $1`, [
            name,
          ])
        ).rows[0];
      const existing = (
        await db.query<RepositoryRow>(
          `SELECT * FROM ${this.#s}.repositories WHERE root_path = $1`,
          [rootPath],
        )
      ).rows[0];
      if (existing) {
        if (parsed.name && parsed.name !== existing.name) {
          const clash = await byName(parsed.name);
          if (clash) throw nameTaken(parsed.name, clash.root_path);
          await db.query(`UPDATE ${this.#s}.repositories SET name = $1 WHERE id = $2`, [
            parsed.name,
            existing.id,
          ]);
          return toRepository({ ...existing, name: parsed.name });
        }
        return toRepository(existing);
      }
      let name = parsed.name;
      if (name) {
        const clash = await byName(name);
        if (clash) throw nameTaken(name, clash.root_path);
      } else {
        const base = basename(rootPath) || rootPath;
        name = base;
        for (let suffix = 2; await byName(name); suffix += 1) name = `${base}-${suffix}`;
      }
      const { rows } = await db.query<RepositoryRow>(
        `INSERT INTO ${this.#s}.repositories (name, root_path, created_at) VALUES ($1, $2, $3)
         RETURNING *`,
        [name, rootPath, new Date().toISOString()],
      );
      return toRepository(rows[0]!);
    });
  }

  /** Repositories matching a name or root path (normally zero or one). */
  async findRepositories(db: Queryable, nameOrPath: string): Promise<RepositoryRow[]> {
    const candidates = [nameOrPath];
    if (isAbsolute(nameOrPath)) candidates.push(resolve(nameOrPath));
    const { rows } = await db.query<RepositoryRow>(
      `SELECT * FROM ${this.#s}.repositories
       WHERE name = ANY($1::text[]) OR root_path = ANY($1::text[]) ORDER BY id`,
      [candidates],
    );
    return rows;
  }

  /** Filter values for a repository: the text as given plus the name and root path it resolves to. */
  async repositoryAliases(db: Queryable, nameOrPath: string): Promise<string[]> {
    const aliases = new Set([nameOrPath]);
    for (const row of await this.findRepositories(db, nameOrPath)) {
      aliases.add(row.name);
      aliases.add(row.root_path);
    }
    return [...aliases];
  }

  getRepository(nameOrPath: string): Promise<Repository | null> {
    parseInput(
      z.string().min(1, 'give a repository name or root path').max(4096),
      nameOrPath,
      'repository',
    );
    return this.#database.read(async (db) => {
      const rows = await this.findRepositories(db, nameOrPath);
      const row = rows.find((entry) => entry.name === nameOrPath) ?? rows[0];
      return row ? toRepository(row) : null;
    });
  }

  listRepositories(): Promise<Repository[]> {
    return this.#database.read(async (db) => {
      const { rows } = await db.query<RepositoryRow>(
        `SELECT * FROM ${this.#s}.repositories ORDER BY name`,
      );
      return rows.map(toRepository);
    });
  }

  deleteRepository(id: number): Promise<void> {
    parseInput(numericIdSchema, id, 'repository id');
    return this.#database.write(async (db) => {
      await this.#requireRepository(db, id);
      // One statement, so the chunks' trigger sees the repository gone and drops its word
      // counts whole instead of counting down every word (migration 7).
      const { rows } = await db.query<{ content_hash: string }>(
        `WITH repository AS (DELETE FROM ${this.#s}.repositories WHERE id = $1)
         DELETE FROM ${this.#s}.chunks WHERE repository_id = $1 RETURNING content_hash`,
        [id],
      );
      await releaseContentHashes(
        db,
        this.#s,
        rows.map((row) => row.content_hash),
      );
    });
  }

  markRepositoryIndexed(id: number, at: Date = new Date()): Promise<void> {
    parseInput(numericIdSchema, id, 'repository id');
    if (!(at instanceof Date) || Number.isNaN(at.getTime())) {
      return Promise.reject(new NellieError('INVALID_INPUT', 'at must be a valid Date.'));
    }
    return this.#database.write(async (db) => {
      await this.#requireRepository(db, id);
      await db.query(`UPDATE ${this.#s}.repositories SET last_indexed_at = $1 WHERE id = $2`, [
        at.toISOString(),
        id,
      ]);
    });
  }

  listFiles(repositoryId: number): Promise<IndexedFile[]> {
    parseInput(numericIdSchema, repositoryId, 'repository id');
    return this.#database.read(async (db) => {
      await this.#requireRepository(db, repositoryId);
      const { rows } = await db.query<FileRow>(
        `SELECT * FROM ${this.#s}.files WHERE repository_id = $1 ORDER BY path COLLATE "C"`,
        [repositoryId],
      );
      return rows.map(toIndexedFile);
    });
  }

  writeFile(repositoryId: number, file: FileInput, chunks: readonly ChunkInput[]): Promise<void> {
    parseInput(numericIdSchema, repositoryId, 'repository id');
    const {
      file: parsedFile,
      language: fileLanguage,
      pathTokens,
      chunks: prepared,
    } = prepareFileWrite(file, chunks);
    const config = textConfig(this.#database.schemaName);
    return this.#database.write(async (db) => {
      await this.#requireRepository(db, repositoryId);
      const { rows } = await db.query<{ id: number }>(
        `INSERT INTO ${this.#s}.files
           (repository_id, path, language, size, mtime_ms, content_hash, indexed_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (repository_id, path) DO UPDATE SET
           language = excluded.language, size = excluded.size, mtime_ms = excluded.mtime_ms,
           content_hash = excluded.content_hash, indexed_at = excluded.indexed_at
         RETURNING id`,
        [
          repositoryId,
          parsedFile.path,
          fileLanguage,
          parsedFile.size,
          parsedFile.mtimeMs,
          parsedFile.contentHash,
          new Date().toISOString(),
        ],
      );
      const fileId = rows[0]!.id;
      const previous = await db.query<{ id: number }>(
        `SELECT id FROM ${this.#s}.chunks WHERE file_id = $1`,
        [fileId],
      );
      // New rows go in before old ones go out, so vectors shared by both survive the swap.
      if (prepared.length > 0) {
        const column = <T>(pick: (entry: (typeof prepared)[number]) => T): T[] =>
          prepared.map(pick);
        await db.query(
          `INSERT INTO ${this.#s}.chunks (file_id, repository_id, start_line, end_line,
             symbol_name, symbol_key, symbol_kind, enclosing_symbol, language, content,
             content_hash, tokens)
           SELECT $1, $2, t.start_line, t.end_line, t.symbol_name, t.symbol_key, t.symbol_kind,
             t.enclosing_symbol, t.language, t.content, t.content_hash,
             setweight(to_tsvector(${config}, t.symbol_tokens), 'A') ||
             setweight(to_tsvector(${config}, t.container_tokens), 'B') ||
             setweight(to_tsvector(${config}, $3), 'C') ||
             setweight(to_tsvector(${config}, t.body_tokens), 'D')
           FROM unnest($4::int[], $5::int[], $6::text[], $7::text[], $8::text[], $9::text[],
             $10::text[], $11::text[], $12::text[], $13::text[], $14::text[], $15::text[])
             WITH ORDINALITY AS t(start_line, end_line, symbol_name, symbol_key, symbol_kind,
               enclosing_symbol, language, content, content_hash, symbol_tokens,
               container_tokens, body_tokens, position)
           ORDER BY t.position`,
          [
            fileId,
            repositoryId,
            pathTokens,
            column((entry) => entry.chunk.startLine),
            column((entry) => entry.chunk.endLine),
            column((entry) => entry.chunk.symbolName ?? null),
            column((entry) => entry.symbolKey),
            column((entry) => entry.chunk.symbolKind ?? null),
            column((entry) => entry.chunk.enclosingSymbol ?? null),
            column((entry) => entry.language),
            column((entry) => entry.chunk.content),
            column((entry) => entry.contentHash),
            column((entry) => entry.symbolTokens),
            column((entry) => entry.containerTokens),
            column((entry) => entry.bodyTokens),
          ],
        );
        await db.query(
          `INSERT INTO ${this.#s}.embedding_queue (content_hash, kind)
           SELECT DISTINCT h, ${kindChunk} FROM unnest($1::text[]) h
           WHERE NOT EXISTS (SELECT 1 FROM ${this.#s}.embeddings e WHERE e.content_hash = h)
           ON CONFLICT (content_hash) DO NOTHING`,
          [column((entry) => entry.contentHash)],
        );
      }
      if (previous.rows.length > 0) {
        const removed = await db.query<{ content_hash: string }>(
          `DELETE FROM ${this.#s}.chunks WHERE id = ANY($1::bigint[]) RETURNING content_hash`,
          [previous.rows.map((row) => row.id)],
        );
        await releaseContentHashes(
          db,
          this.#s,
          removed.rows.map((row) => row.content_hash),
        );
      }
    });
  }

  touchFile(
    repositoryId: number,
    path: string,
    stat: { size: number; mtimeMs: number },
  ): Promise<void> {
    parseInput(numericIdSchema, repositoryId, 'repository id');
    parseInput(relativePathSchema, path, 'path');
    const parsed = parseInput(touchSchema, stat, 'file stat');
    return this.#database.write(async (db) => {
      const result = await db.query(
        `UPDATE ${this.#s}.files SET size = $1, mtime_ms = $2
         WHERE repository_id = $3 AND path = $4`,
        [parsed.size, parsed.mtimeMs, repositoryId, path],
      );
      if (result.rowCount === 0) {
        throw new NellieError(
          'NOT_FOUND',
          `No indexed file ${path} in repository ${repositoryId}; write it with writeFile first.`,
        );
      }
    });
  }

  deleteFiles(repositoryId: number, paths: readonly string[]): Promise<number> {
    parseInput(numericIdSchema, repositoryId, 'repository id');
    if (!Array.isArray(paths)) {
      return Promise.reject(new NellieError('INVALID_INPUT', 'paths must be an array.'));
    }
    for (const path of paths) parseInput(z.string().min(1).max(4096), path, 'path');
    return this.#database.write(async (db) => {
      const unique = [...new Set(paths)];
      const removed = await db.query<{ content_hash: string }>(
        `DELETE FROM ${this.#s}.chunks WHERE file_id IN (
           SELECT id FROM ${this.#s}.files WHERE repository_id = $1 AND path = ANY($2::text[]))
         RETURNING content_hash`,
        [repositoryId, unique],
      );
      const files = await db.query(
        `DELETE FROM ${this.#s}.files WHERE repository_id = $1 AND path = ANY($2::text[])`,
        [repositoryId, unique],
      );
      await releaseContentHashes(
        db,
        this.#s,
        removed.rows.map((row) => row.content_hash),
      );
      return files.rowCount ?? 0;
    });
  }

  getChunk(id: number): Promise<StoredChunk | null> {
    parseInput(numericIdSchema, id, 'chunk id');
    return this.#database.read(async (db) => {
      const { rows } = await db.query<ChunkRow>(
        `SELECT c.id, c.repository_id, f.path, c.start_line, c.end_line, c.symbol_name,
           c.symbol_kind, c.enclosing_symbol, c.language, c.content, c.content_hash
         FROM ${this.#s}.chunks c JOIN ${this.#s}.files f ON f.id = c.file_id WHERE c.id = $1`,
        [id],
      );
      return rows[0] ? toStoredChunk(rows[0]) : null;
    });
  }
}
