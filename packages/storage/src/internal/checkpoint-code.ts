import {
  mentionedCode,
  type Checkpoint,
  type CheckpointChanges,
  type CheckpointFile,
  type CheckpointGit,
} from '@nellie/core';
import type { CodeRepositoryStore } from './code-store.ts';
import type { StoreContext } from './context.ts';
import { countCommitsSince, readGitHead } from './git-state.ts';

/** Files recorded per checkpoint, so a state listing a whole tree stays cheap. */
const maxFiles = 50;

/** What a checkpoint records about its code when it is saved. */
export interface RecordedCode {
  repositoryId: number;
  git: CheckpointGit | null;
  files: CheckpointFile[];
}

/** The columns of a checkpoint row that record its code. */
export interface CheckpointCodeRow {
  repository_id?: number | null;
  git_commit?: string | null;
  files?: string | null;
}

/** Path-like words: names with a code file extension, and anything with a slash in it. */
function mentionedPaths(text: string): string[] {
  const slashed = text.match(/[\w.@$-]+(?:\/[\w.@$-]+)+/g) ?? [];
  const paths = [...mentionedCode(text).paths, ...slashed].map((path) =>
    path.replace(/^\.\//, '').replace(/[.]+$/, ''),
  );
  return [...new Set(paths)].filter((path) => path !== '' && !path.startsWith('/'));
}

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
      if (files.size >= maxFiles) break;
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
  async withChangesSince(
    saved: readonly { row: CheckpointCodeRow; checkpoint: Checkpoint }[],
  ): Promise<Checkpoint[]> {
    const rows = saved.map((entry) => entry.row);
    const roots = new Map<number, string | null>();
    const heads = new Map<string, CheckpointGit | null>();
    const counts = new Map<string, Promise<number | null>>();
    const current = this.#ctx.read(() =>
      rows.map((row) => {
        if (row.repository_id == null) return null;
        if (!roots.has(row.repository_id)) {
          const repository = this.#ctx
            .statement(`SELECT root_path FROM repositories WHERE id = ?`)
            .get(row.repository_id) as { root_path: string } | undefined;
          roots.set(row.repository_id, repository?.root_path ?? null);
        }
        const files = JSON.parse(row.files ?? '[]') as CheckpointFile[];
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
        return { files, hashes };
      }),
    );
    return Promise.all(
      rows.map(async (row, index) => {
        const checkpoint = saved[index]!.checkpoint;
        const now = current[index];
        if (!now || row.repository_id == null) return checkpoint;
        const changes: CheckpointChanges = { files: [], unchangedFiles: 0 };
        for (const file of now.files) {
          const hash = now.hashes.get(file.path);
          if (hash === file.contentHash) changes.unchangedFiles += 1;
          else
            changes.files.push({
              path: file.path,
              change: hash === undefined ? 'gone' : 'changed',
            });
        }
        const root = roots.get(row.repository_id) ?? null;
        if (root !== null) {
          if (!heads.has(root)) heads.set(root, readGitHead(root));
          const head = heads.get(root) ?? null;
          if (head !== null) {
            changes.git = head;
            if (row.git_commit != null) {
              const key = `${root}\u0000${row.git_commit}`;
              if (!counts.has(key)) {
                counts.set(
                  key,
                  head.commit === row.git_commit
                    ? Promise.resolve(0)
                    : countCommitsSince(root, row.git_commit),
                );
              }
              const since = await counts.get(key)!;
              if (since !== null) changes.commitsSince = since;
            }
          }
        }
        return { ...checkpoint, changesSince: changes };
      }),
    );
  }
}
