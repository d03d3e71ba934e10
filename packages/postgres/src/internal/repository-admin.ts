import {
  NellieError,
  repositoryNotFound,
  type FileExcerpt,
  type ReadFileRequest,
  type Repository,
  type RepositorySummary,
} from '@nellie/core';
import { parseInput } from '@nellie/schemas';
import {
  type IndexedFileRow,
  readFileRequestSchema,
  readIndexedExcerpt,
  repositoryNameOrPathSchema,
  repositoryNewNameSchema,
  type RepositoryRow,
  rootState,
  toRepository,
} from '@nellie/storage/store-kit';
import type { CodeRepositoryStore } from './code-store.ts';
import { Parameters, type Database, type Queryable } from './database.ts';

interface SummaryRow extends RepositoryRow {
  files: number;
  chunks: number;
  chunks_with_vectors: number;
}

/** Listing with counts, renaming, reading indexed files, and name resolution. */
export class RepositoryAdmin {
  readonly #database: Database;
  readonly #s: string;
  readonly #code: CodeRepositoryStore;
  readonly #vectors: boolean;

  constructor(database: Database, code: CodeRepositoryStore, options: { vectors: boolean }) {
    this.#database = database;
    this.#s = database.schema;
    this.#code = code;
    this.#vectors = options.vectors;
  }

  /** The repository a name or root path designates; `NOT_FOUND` listing the names otherwise. */
  async #require(db: Queryable, nameOrPath: string): Promise<RepositoryRow> {
    const rows = await this.#code.findRepositories(db, nameOrPath);
    const row = rows.find((entry) => entry.name === nameOrPath) ?? rows[0];
    if (row) return row;
    const known = await db.query<{ name: string }>(
      `SELECT name FROM ${this.#s}.repositories ORDER BY name`,
    );
    throw repositoryNotFound(
      nameOrPath,
      known.rows.map((entry) => entry.name),
    );
  }

  async summaries(): Promise<RepositorySummary[]> {
    const s = this.#s;
    const rows = await this.#database.read(async (db) => {
      const result = await db.query<SummaryRow>(
        `SELECT r.*,
           (SELECT count(*) FROM ${s}.files f WHERE f.repository_id = r.id) AS files,
           (SELECT count(*) FROM ${s}.chunks c WHERE c.repository_id = r.id) AS chunks,
           (SELECT count(*) FROM ${s}.chunks c WHERE c.repository_id = r.id
              AND EXISTS (SELECT 1 FROM ${s}.embeddings e WHERE e.content_hash = c.content_hash))
             AS chunks_with_vectors
         FROM ${s}.repositories r ORDER BY r.name`,
      );
      return result.rows;
    });
    return Promise.all(
      rows.map(async (row) => ({
        ...toRepository(row),
        files: row.files,
        chunks: row.chunks,
        chunksWithVectors: row.chunks_with_vectors,
        state: await rootState(row.root_path),
      })),
    );
  }

  rename(nameOrPath: string, newName: string): Promise<Repository> {
    parseInput(repositoryNameOrPathSchema, nameOrPath, 'repository');
    const name = parseInput(repositoryNewNameSchema, newName, 'new repository name');
    return this.#database.write(async (db) => {
      await db.query(`LOCK TABLE ${this.#s}.repositories IN SHARE ROW EXCLUSIVE MODE`);
      const row = await this.#require(db, nameOrPath);
      if (row.name === name) return toRepository(row);
      const clash = await db.query<{ root_path: string }>(
        `SELECT root_path FROM ${this.#s}.repositories WHERE name = $1`,
        [name],
      );
      if (clash.rows[0]) {
        throw new NellieError(
          'CONFLICT',
          `The repository name "${name}" is already used by ${clash.rows[0].root_path}; choose another name.`,
        );
      }
      await db.query(`UPDATE ${this.#s}.repositories SET name = $1 WHERE id = $2`, [name, row.id]);
      return toRepository({ ...row, name });
    });
  }

  async readIndexedFile(request: ReadFileRequest): Promise<FileExcerpt> {
    const parsed = parseInput(readFileRequestSchema, request, 'file read request');
    const { repository, file } = await this.#database.read(async (db) => {
      const row = await this.#require(db, parsed.repository);
      const indexed = await db.query<IndexedFileRow>(
        `SELECT size, mtime_ms FROM ${this.#s}.files WHERE repository_id = $1 AND path = $2`,
        [row.id, parsed.path],
      );
      return { repository: row, file: indexed.rows[0] };
    });
    return readIndexedExcerpt(repository, file, parsed);
  }

  /** See `CodeStore.hasChunkVectors`. */
  hasChunkVectors(scope: { repository?: string; language?: string }): Promise<boolean> {
    if (!this.#vectors) return Promise.resolve(false);
    const s = this.#s;
    return this.#database.read(async (db) => {
      const params = new Parameters();
      let where = '';
      if (scope.repository !== undefined) {
        const ids = (await this.#code.findRepositories(db, scope.repository)).map((row) => row.id);
        if (ids.length === 0) return false;
        where += ` AND c.repository_id = ANY(${params.p(ids)}::int[])`;
      }
      if (scope.language !== undefined) {
        where += ` AND c.language = ${params.p(scope.language.trim().toLowerCase())}`;
      }
      const { rows } = await db.query(
        `SELECT 1 FROM ${s}.chunks c
         WHERE EXISTS (SELECT 1 FROM ${s}.embeddings e WHERE e.content_hash = c.content_hash)${where}
         LIMIT 1`,
        params.values,
      );
      return rows.length > 0;
    });
  }
}
