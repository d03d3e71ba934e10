import {
  mentionedCode,
  type Checkpoint,
  type CheckpointChanges,
  type CheckpointFile,
  type CheckpointGit,
} from '@nellie/core';
import { countCommitsSince, readGitHead } from './git-state.ts';

/**
 * The engine-independent side of checkpoints that know their code: which paths a checkpoint
 * names, and what changed in its recorded code since, given where that code stands now.
 */

/** Files recorded per checkpoint, so a state listing a whole tree stays cheap. */
export const maxCheckpointFiles = 50;

/** What a checkpoint records about its code when it is saved. */
export interface RecordedCode {
  repositoryId: number;
  git: CheckpointGit | null;
  files: CheckpointFile[];
}

/** The checkpoint as saved with its recorded code (`code` null: it names no indexed repository). */
export function withRecordedCode(checkpoint: Checkpoint, code: RecordedCode | null): Checkpoint {
  return {
    ...checkpoint,
    ...(code?.git ? { git: code.git } : {}),
    ...(code ? { files: code.files } : {}),
  };
}

/** The columns of a checkpoint row that record its code. */
export interface CheckpointCodeRow {
  repository_id?: number | null;
  git_commit?: string | null;
  /** JSON array of `{ path, contentHash }`. */
  files?: string | null;
}

/** Path-like words: names with a code file extension, and anything with a slash in it. */
export function mentionedPaths(text: string): string[] {
  const slashed = text.match(/[\w.@$-]+(?:\/[\w.@$-]+)+/g) ?? [];
  const paths = [...mentionedCode(text).paths, ...slashed].map((path) =>
    path.replace(/^\.\//, '').replace(/[.]+$/, ''),
  );
  return [...new Set(paths)].filter((path) => path !== '' && !path.startsWith('/'));
}

/** The files a checkpoint row recorded (none when it recorded no code). */
export function recordedFiles(row: CheckpointCodeRow): CheckpointFile[] {
  return JSON.parse(row.files ?? '[]') as CheckpointFile[];
}

/** Where a checkpoint's repository stands now. */
export interface CodeNow {
  /** The repository's root, or null when it is no longer indexed. */
  root: string | null;
  /** Content hash now of each recorded file that is still indexed, by path. */
  hashes: ReadonlyMap<string, string>;
}

/**
 * Checkpoints with `changesSince` for those whose code was recorded: `now[i]` is where the code
 * of `saved[i]` stands now, null when its row recorded none. Git is read once per repository and
 * commits are counted once per recorded commit.
 */
export async function withChangesSince(
  saved: readonly { row: CheckpointCodeRow; checkpoint: Checkpoint }[],
  now: readonly (CodeNow | null)[],
): Promise<Checkpoint[]> {
  const heads = new Map<string, CheckpointGit | null>();
  const counts = new Map<string, Promise<number | null>>();
  return Promise.all(
    saved.map(async ({ row, checkpoint }, index) => {
      const code = now[index];
      if (!code || row.repository_id == null) return checkpoint;
      const changes: CheckpointChanges = { files: [], unchangedFiles: 0 };
      for (const file of recordedFiles(row)) {
        const hash = code.hashes.get(file.path);
        if (hash === file.contentHash) changes.unchangedFiles += 1;
        else
          changes.files.push({ path: file.path, change: hash === undefined ? 'gone' : 'changed' });
      }
      const root = code.root;
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
