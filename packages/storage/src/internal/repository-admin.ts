import { stat } from 'node:fs/promises';
import {
  NellieError,
  repositoryNotFound,
  type Repository,
  type RepositorySummary,
} from '@nellie/core';
import { z } from 'zod';
import { toRepository, type RepositoryRow } from './code-rows.ts';
import type { CodeRepositoryStore } from './code-store.ts';
import type { StoreContext } from './context.ts';
import { parseInput } from '@nellie/schemas';

interface SummaryRow extends RepositoryRow {
  files: number;
  chunks: number;
  chunks_with_vectors: number;
}

export const nameOrPathSchema = z
  .string({ error: 'repository must be a string' })
  .min(1, 'give a repository name or root path')
  .max(4096, 'repository must be at most 4096 characters');

export const newNameSchema = z
  .string({ error: 'name must be a string' })
  .trim()
  .min(1, 'name must not be empty')
  .max(200, 'name must be at most 200 characters')
  .refine(
    (value) => ![...value].some((char) => char.charCodeAt(0) < 0x20 || char.charCodeAt(0) === 0x7f),
    'name must not contain control characters',
  );

/** Whether a repository's root directory still exists. */
export async function rootState(rootPath: string): Promise<'ok' | 'missing'> {
  try {
    return (await stat(rootPath)).isDirectory() ? 'ok' : 'missing';
  } catch (error) {
    const code = (error as { code?: string }).code;
    // Only a root that is certainly gone is reported missing; a permission error is not.
    return code === 'ENOENT' || code === 'ENOTDIR' ? 'missing' : 'ok';
  }
}

/** Listing with counts, renaming, and name resolution with helpful errors. */
export class RepositoryAdmin {
  readonly #ctx: StoreContext;
  readonly #code: CodeRepositoryStore;

  constructor(ctx: StoreContext, code: CodeRepositoryStore) {
    this.#ctx = ctx;
    this.#code = code;
  }

  /** The repository a name or root path designates; `NOT_FOUND` listing the names otherwise. */
  require(nameOrPath: string): RepositoryRow {
    parseInput(nameOrPathSchema, nameOrPath, 'repository');
    const rows = this.#code.findRepositories(nameOrPath);
    const row = rows.find((entry) => entry.name === nameOrPath) ?? rows[0];
    if (row) return row;
    const known = this.#ctx
      .statement(`SELECT name FROM repositories ORDER BY name`)
      .pluck()
      .all() as string[];
    throw repositoryNotFound(nameOrPath, known);
  }

  async summaries(): Promise<RepositorySummary[]> {
    const rows = this.#ctx.read(
      () =>
        this.#ctx
          .statement(
            `SELECT r.*,
               (SELECT count(*) FROM files f WHERE f.repository_id = r.id) AS files,
               (SELECT count(*) FROM chunks c WHERE c.repository_id = r.id) AS chunks,
               (SELECT count(*) FROM chunks c
                  WHERE c.repository_id = r.id AND c.embedding_id IS NOT NULL) AS chunks_with_vectors
             FROM repositories r ORDER BY r.name`,
          )
          .all() as SummaryRow[],
    );
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

  rename(nameOrPath: string, newName: string): Repository {
    const name = parseInput(newNameSchema, newName, 'new repository name');
    return this.#ctx.write(() => {
      const row = this.require(nameOrPath);
      if (row.name === name) return toRepository(row);
      const clash = this.#ctx
        .statement(`SELECT root_path FROM repositories WHERE name = ?`)
        .pluck()
        .get(name) as string | undefined;
      if (clash !== undefined) {
        throw new NellieError(
          'CONFLICT',
          `The repository name "${name}" is already used by ${clash}; choose another name.`,
        );
      }
      this.#ctx.statement(`UPDATE repositories SET name = ? WHERE id = ?`).run(name, row.id);
      return toRepository({ ...row, name });
    });
  }
}
