import type { Checkpoint, CheckpointFile } from '@nellie/core';
import {
  maxCheckpointFiles,
  mentionedPaths,
  recordedFiles,
  withChangesSince,
  type CheckpointCodeRow,
  type CodeNow,
  type RecordedCode,
} from './checkpoint-changes.ts';
import type { CodeRepositoryStore } from './code-store.ts';
import type { StoreContext } from './context.ts';
import { readGitHead } from './git-state.ts';

/**
 * The code side of checkpoints: the git position and the indexed files a checkpoint names when it
 * is saved, and what changed in them since when checkpoints are read back.
 */
export class CheckpointCode {
  readonly #ctx: StoreContext;
  readonly #code: CodeRepositoryStore;

  constructor(ctx: StoreContext, code: CodeRepositoryStore) {
    this.#ctx = ctx;
    this.#code = code;
  }

  /** Null when the checkpoint names no indexed repository. */
  record(repository: string | null, text: string): RecordedCode | null {
    if (repository === null) return null;
    const row = this.#ctx.read(() => this.#code.findRepositories(repository)[0]);
    if (!row) return null;
    const files = this.#ctx.read(() => this.#resolveFiles(row.id, mentionedPaths(text)));
    return { repositoryId: row.id, git: readGitHead(row.root_path), files };
  }

  /** Each path resolved to exactly one indexed file (by full path, else by unique suffix). */
  #resolveFiles(repositoryId: number, paths: readonly string[]): CheckpointFile[] {
    const exact = this.#ctx.statement(
      `SELECT path, content_hash FROM files WHERE repository_id = ? AND path = ?`,
    );
    const bySuffix = this.#ctx.statement(
      `SELECT path, content_hash FROM files
       WHERE repository_id = ? AND substr(path, -length(?)) = ? LIMIT 2`,
    );
    const files = new Map<string, string>();
    for (const path of paths) {
      if (files.size >= maxCheckpointFiles) break;
      let found = exact.all(repositoryId, path) as { path: string; content_hash: string }[];
      if (found.length === 0) {
        const suffix = `/${path}`;
        found = bySuffix.all(repositoryId, suffix, suffix) as typeof found;
      }
      if (found.length === 1) files.set(found[0]!.path, found[0]!.content_hash);
    }
    return [...files].map(([path, contentHash]) => ({ path, contentHash }));
  }

  /** Checkpoints with `changesSince` for those whose code was recorded. */
  withChangesSince(
    saved: readonly { row: CheckpointCodeRow; checkpoint: Checkpoint }[],
  ): Promise<Checkpoint[]> {
    const roots = new Map<number, string | null>();
    const now = this.#ctx.read(() =>
      saved.map(({ row }): CodeNow | null => {
        if (row.repository_id == null) return null;
        if (!roots.has(row.repository_id)) {
          const repository = this.#ctx
            .statement(`SELECT root_path FROM repositories WHERE id = ?`)
            .get(row.repository_id) as { root_path: string } | undefined;
          roots.set(row.repository_id, repository?.root_path ?? null);
        }
        const files = recordedFiles(row);
        const hashes = new Map(
          (
            this.#ctx
              .statement(
                `SELECT path, content_hash FROM files
                 WHERE repository_id = ? AND path IN (SELECT value FROM json_each(?))`,
              )
              .all(row.repository_id, JSON.stringify(files.map((file) => file.path))) as {
              path: string;
              content_hash: string;
            }[]
          ).map((file) => [file.path, file.content_hash]),
        );
        return { root: roots.get(row.repository_id) ?? null, hashes };
      }),
    );
    return withChangesSince(saved, now);
  }
}
