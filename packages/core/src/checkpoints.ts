import type { Anchor, AnchorInput, AnchorState } from './anchors.ts';
import type { ScoreBreakdown } from './search.ts';

/**
 * `in_progress`: the agent is still working on `workingOn`.
 * `done`: the agent finished that work; its status becomes idle.
 */
export type CheckpointStatus = 'in_progress' | 'done';

export interface CheckpointInput {
  agent: string;
  /** What the agent is working on, in a sentence. */
  workingOn: string;
  /** Any JSON object the agent wants back when it resumes. */
  state?: Record<string, unknown>;
  repository?: string | null;
  sessionId?: string | null;
  /** Defaults to `in_progress`. */
  status?: CheckpointStatus;
  /**
   * Code the checkpoint is about, kept with its staleness like a lesson's anchors. Stores that do
   * not keep anchors refuse a non-empty list (`INVALID_INPUT`).
   */
  anchors?: readonly AnchorInput[];
}

export interface Checkpoint {
  id: string;
  agent: string;
  workingOn: string;
  state: Record<string, unknown>;
  repository: string | null;
  sessionId: string | null;
  status: CheckpointStatus;
  createdAt: string;
  /**
   * The repository's git branch and commit when the checkpoint was saved; absent when the
   * repository is not indexed, has no git, or the store does not record it.
   */
  git?: CheckpointGit;
  /**
   * Indexed files of the repository that the checkpoint names (in `workingOn` or `state`), with
   * their content hash at the time; absent when the store does not record them.
   */
  files?: CheckpointFile[];
  /** What changed in that code since; given by `getRecentCheckpoints` when files or git are known. */
  changesSince?: CheckpointChanges;
  /** Code it was explicitly anchored to, each with its state now; absent without anchors. */
  anchors?: Anchor[];
  /** The worst state of its anchors; absent without anchors. */
  staleness?: AnchorState;
}

export interface CheckpointGit {
  /** Null on a detached HEAD. */
  branch: string | null;
  commit: string;
}

export interface CheckpointFile {
  /** Relative to the repository root. */
  path: string;
  /** sha256 of the file as indexed when the checkpoint was saved. */
  contentHash: string;
}

export interface CheckpointChanges {
  /**
   * Files the checkpoint names that differ now: `changed` (other content) or `gone` (no longer
   * indexed). Unchanged files are left out.
   */
  files: { path: string; change: 'changed' | 'gone' }[];
  /** How many of the named files are as they were. */
  unchangedFiles: number;
  /** The repository's branch and commit now, when it has git. */
  git?: CheckpointGit;
  /** Commits reachable from HEAD now but not from the checkpoint's commit; absent without git. */
  commitsSince?: number;
}

/** `since then: 3 commits (main at 1a2b3c4); src/upload.ts changed, src/old.ts gone` */
export function describeCheckpointChanges(changes: CheckpointChanges): string | null {
  const parts: string[] = [];
  if (changes.commitsSince !== undefined) {
    const where =
      changes.git === undefined
        ? ''
        : ` (${changes.git.branch ?? 'detached HEAD'} at ${changes.git.commit.slice(0, 7)})`;
    parts.push(
      `${changes.commitsSince} ${changes.commitsSince === 1 ? 'commit' : 'commits'}${where}`,
    );
  }
  if (changes.files.length > 0) {
    parts.push(changes.files.map((file) => `${file.path} ${file.change}`).join(', '));
  } else if (changes.unchangedFiles > 0) {
    parts.push(changes.unchangedFiles === 1 ? 'its file is unchanged' : 'its files are unchanged');
  }
  return parts.length === 0 ? null : `since then: ${parts.join('; ')}`;
}

export interface AgentStatus {
  agent: string;
  /** Follows the agent's checkpoints: `in_progress` while it has open work. */
  status: 'idle' | 'in_progress';
  currentTask: string | null;
  lastCheckpointId: string | null;
  /** Null for an agent that never saved a checkpoint. */
  updatedAt: string | null;
}

export interface CheckpointSearchRequest {
  query: string;
  queryVector?: Float32Array;
  agent?: string;
  repository?: string;
  limit?: number;
}

export interface CheckpointHit {
  checkpoint: Checkpoint;
  score: number;
  scores: ScoreBreakdown;
}

export interface CheckpointStore {
  /** Saves a checkpoint and updates the agent's status in the same transaction. */
  addCheckpoint(input: CheckpointInput): Promise<Checkpoint>;
  getCheckpoint(id: string): Promise<Checkpoint | null>;
  /** Newest first. */
  getRecentCheckpoints(request?: {
    agent?: string;
    repository?: string;
    limit?: number;
  }): Promise<Checkpoint[]>;
  /** How many checkpoints match (optional capability; used to narrow counts to a key's scope). */
  countCheckpoints?(request?: { agent?: string; repository?: string }): Promise<number>;
  searchCheckpoints(request: CheckpointSearchRequest): Promise<CheckpointHit[]>;
  deleteCheckpoint(id: string): Promise<boolean>;
  /**
   * Confirms what a checkpoint assumes about its anchored code still holds: each anchor takes the
   * code as it is now (state `current`); anchors whose code is gone are dropped. A checkpoint
   * without anchors is returned as it is. Throws `NOT_FOUND` for an unknown id.
   */
  confirmCheckpoint(id: string): Promise<Checkpoint>;
  getAgentStatus(agent: string): Promise<AgentStatus>;
  listAgents(): Promise<AgentStatus[]>;
}
