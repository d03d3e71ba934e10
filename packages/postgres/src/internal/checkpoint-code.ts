import type { CheckpointFile } from '@nellie/core';
import {
  maxCheckpointFiles,
  mentionedPaths,
  readGitHead,
  recordedFiles,
  type CheckpointRow,
  type CodeNow,
  type RecordedCode,
} from '@nellie/storage/store-kit';
import type { CodeRepositoryStore } from './code-store.ts';
import type { Queryable } from './database.ts';

/**
 * The code side of checkpoints on PostgreSQL: what a checkpoint records when it is saved (the git
 * position and the indexed files it names), and where that code stands when it is read back. What
 * changed in between is worked out by the store kit, as in the SQLite store.
 */
export class CheckpointCode {
  readonly #s: string;
  readonly #code: CodeRepositoryStore;

  constructor(schema: string, code: CodeRepositoryStore) {
    this.#s = schema;
    this.#code = code;
  }

  /** Null when the checkpoint names no indexed repository. */
  async record(
    db: Queryable,
    repository: string | null,
    text: string,
  ): Promise<RecordedCode | null> {
    if (repository === null) return null;
    const [row] = await this.#code.findRepositories(db, repository);
    if (!row) return null;
    const files = await this.#resolveFiles(db, row.id, mentionedPaths(text));
    return { repositoryId: row.id, git: readGitHead(row.root_path), files };
  }

  /**
   * Each path resolved to exactly one indexed file (by full path, else by unique suffix), in the
   * order they are named, at most `maxCheckpointFiles`.
   */
  async #resolveFiles(
    db: Queryable,
    repositoryId: number,
    paths: readonly string[],
  ): Promise<CheckpointFile[]> {
    if (paths.length === 0) return [];
    const { rows } = await db.query<{
      ordinal: number;
      path: string;
      content_hash: string;
      exact: boolean;
    }>(
      `SELECT m.ordinal, f.path, f.content_hash, f.path = m.wanted AS exact
       FROM unnest($2::text[]) WITH ORDINALITY AS m(wanted, ordinal)
       JOIN ${this.#s}.files f ON f.repository_id = $1
         AND (f.path = m.wanted OR right(f.path, length(m.wanted) + 1) = '/' || m.wanted)
       ORDER BY m.ordinal, f.path`,
      [repositoryId, paths],
    );
    const candidates = new Map<number, typeof rows>();
    for (const row of rows)
      candidates.set(row.ordinal, [...(candidates.get(row.ordinal) ?? []), row]);
    const files = new Map<string, string>();
    for (const found of candidates.values()) {
      if (files.size >= maxCheckpointFiles) break;
      const exact = found.filter((row) => row.exact);
      const chosen = exact.length > 0 ? exact : found;
      if (chosen.length === 1) files.set(chosen[0]!.path, chosen[0]!.content_hash);
    }
    return [...files].map(([path, contentHash]) => ({ path, contentHash }));
  }

  /** Where the recorded code of each row stands now (null for a row that recorded none). */
  async now(db: Queryable, rows: readonly CheckpointRow[]): Promise<(CodeNow | null)[]> {
    const recorded = rows.filter((row) => row.repository_id != null);
    if (recorded.length === 0) return rows.map(() => null);
    const { rows: current } = await db.query<{
      repository_id: number;
      root_path: string | null;
      path: string | null;
      content_hash: string | null;
    }>(
      `SELECT r.id AS repository_id, r.root_path, f.path, f.content_hash
       FROM unnest($1::integer[]) AS wanted(id)
       JOIN ${this.#s}.repositories r ON r.id = wanted.id
       LEFT JOIN ${this.#s}.files f ON f.repository_id = r.id AND f.path = ANY($2::text[])`,
      [
        [...new Set(recorded.map((row) => row.repository_id))],
        [...new Set(recorded.flatMap((row) => recordedFiles(row).map((file) => file.path)))],
      ],
    );
    const repositories = new Map<number, { root: string; hashes: Map<string, string> }>();
    for (const row of current) {
      let repository = repositories.get(row.repository_id);
      if (!repository) {
        repository = { root: row.root_path!, hashes: new Map() };
        repositories.set(row.repository_id, repository);
      }
      if (row.path !== null) repository.hashes.set(row.path, row.content_hash!);
    }
    return rows.map((row) =>
      row.repository_id == null
        ? null
        : (repositories.get(row.repository_id) ?? { root: null, hashes: new Map() }),
    );
  }
}
