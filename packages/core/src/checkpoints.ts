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
  searchCheckpoints(request: CheckpointSearchRequest): Promise<CheckpointHit[]>;
  deleteCheckpoint(id: string): Promise<boolean>;
  getAgentStatus(agent: string): Promise<AgentStatus>;
  listAgents(): Promise<AgentStatus[]>;
}
