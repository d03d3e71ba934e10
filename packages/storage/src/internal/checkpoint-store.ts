import { randomUUID } from 'node:crypto';
import {
  NellieError,
  formatCheckpointForEmbedding,
  limits,
  memoryStaleness,
  type AgentStatus,
  type Anchor,
  type Checkpoint,
  type CheckpointHit,
  type CheckpointFile,
  type CheckpointInput,
  type CheckpointSearchRequest,
} from '@nellie/core';
import {
  anchorInputsSchema,
  idSchema,
  jsonObjectSchema,
  limitSchema,
  parseInput,
  storedTextSchema,
} from '@nellie/schemas';
import { z } from 'zod';
import type { AnchorStore } from './anchor-store.ts';
import { withRecordedCode } from './checkpoint-changes.ts';
import { CheckpointCode } from './checkpoint-code.ts';
import { sha256 } from './code-input.ts';
import type { CodeRepositoryStore } from './code-store.ts';
import type { StoreContext } from './context.ts';
import { searchMemoryTable } from './memory-search.ts';
import { checkpointColumnWeights } from './ranking/settings.ts';
import { tokenText } from './tokens.ts';
import { checkQuery, checkpointSearchRequestSchema } from './validation.ts';

export interface CheckpointRow {
  seq: number;
  id: string;
  agent: string;
  repo: string | null;
  session_id: string | null;
  working_on: string;
  state: string;
  status: Checkpoint['status'];
  created_at: string;
  /** Where the checkpoint's code was recorded (absent in stores that do not record it). */
  repository_id?: number | null;
  git_branch?: string | null;
  git_commit?: string | null;
  /** JSON array of `{ path, contentHash }`. */
  files?: string | null;
}

export interface AgentRow {
  agent: string;
  status: AgentStatus['status'];
  current_task: string | null;
  last_checkpoint_id: string | null;
  updated_at: string;
}

export function toCheckpoint(row: CheckpointRow): Checkpoint {
  return {
    id: row.id,
    agent: row.agent,
    workingOn: row.working_on,
    state: JSON.parse(row.state) as Record<string, unknown>,
    repository: row.repo,
    sessionId: row.session_id,
    status: row.status,
    createdAt: row.created_at,
    ...(row.git_commit == null
      ? {}
      : { git: { branch: row.git_branch ?? null, commit: row.git_commit } }),
    ...(row.files == null ? {} : { files: JSON.parse(row.files) as CheckpointFile[] }),
  };
}

/** A checkpoint with its explicit anchors and their worst state; unchanged without anchors. */
export function withAnchors(checkpoint: Checkpoint, anchors: Anchor[]): Checkpoint {
  const staleness = memoryStaleness(anchors);
  return staleness === null ? checkpoint : { ...checkpoint, anchors, staleness };
}

export function toAgentStatus(row: AgentRow): AgentStatus {
  return {
    agent: row.agent,
    status: row.status,
    currentTask: row.current_task,
    lastCheckpointId: row.last_checkpoint_id,
    updatedAt: row.updated_at,
  };
}

/** Largest accepted checkpoint state, serialised. */
const maxStateBytes = limits.checkpointStateBytes;

export const agentSchema = storedTextSchema('agent', limits.agentLength);

export const checkpointInputSchema = z.strictObject({
  agent: agentSchema,
  workingOn: storedTextSchema('workingOn', limits.checkpointWorkingOnLength),
  state: jsonObjectSchema.optional(),
  repository: storedTextSchema('repository', limits.repositoryLength).nullish(),
  sessionId: storedTextSchema('sessionId', limits.sessionIdLength).nullish(),
  status: z.enum(['in_progress', 'done']).optional(),
  anchors: anchorInputsSchema.optional(),
});

export const recentCheckpointsSchema = z.strictObject({
  agent: agentSchema.optional(),
  repository: z.string().min(1).max(limits.repositoryLength).optional(),
  limit: limitSchema(limits.pageSize, 10),
});

/** Filters of `countCheckpoints`. */
export const countCheckpointsSchema = recentCheckpointsSchema.omit({ limit: true });

/** A checkpoint's state as the JSON text that is stored; INVALID_INPUT when too large. */
export function serialiseCheckpointState(state: Record<string, unknown>): string {
  let stateText: string;
  try {
    stateText = JSON.stringify(state);
  } catch (error) {
    throw new NellieError('INVALID_INPUT', `state must be JSON-serialisable: ${String(error)}.`, {
      cause: error,
    });
  }
  if (Buffer.byteLength(stateText) > maxStateBytes) {
    throw new NellieError(
      'INVALID_INPUT',
      `state is ${Buffer.byteLength(stateText)} bytes as JSON; at most ${maxStateBytes} are kept. Store references (paths, ids) instead of contents.`,
    );
  }
  return stateText;
}

/** A new checkpoint from validated input, with its state as the JSON text that is stored. */
export function newCheckpoint(parsed: z.output<typeof checkpointInputSchema>): {
  checkpoint: Checkpoint;
  stateText: string;
} {
  const stateText = serialiseCheckpointState(parsed.state ?? {});
  return {
    checkpoint: {
      id: randomUUID(),
      agent: parsed.agent,
      workingOn: parsed.workingOn,
      state: JSON.parse(stateText) as Record<string, unknown>,
      repository: parsed.repository ?? null,
      sessionId: parsed.sessionId ?? null,
      status: parsed.status ?? 'in_progress',
      createdAt: new Date().toISOString(),
    },
    stateText,
  };
}

export function checkpointHash(checkpoint: {
  workingOn: string;
  state: Record<string, unknown>;
}): string {
  return sha256(`checkpoint\n${formatCheckpointForEmbedding(checkpoint)}`);
}

export class SqliteCheckpoints {
  readonly #ctx: StoreContext;
  readonly #code: CodeRepositoryStore;
  readonly #checkpointCode: CheckpointCode;
  readonly #anchors: AnchorStore;

  constructor(ctx: StoreContext, code: CodeRepositoryStore, anchors: AnchorStore) {
    this.#ctx = ctx;
    this.#code = code;
    this.#checkpointCode = new CheckpointCode(ctx, code);
    this.#anchors = anchors;
  }

  /** Checkpoints with their anchors and staleness, for those that have anchors. */
  #hydrate(rows: readonly CheckpointRow[]): Checkpoint[] {
    const anchors = this.#anchors.forOwners(
      'checkpoint',
      rows.map((row) => row.seq),
    );
    return rows.map((row) => withAnchors(toCheckpoint(row), anchors.get(row.seq) ?? []));
  }

  add(input: CheckpointInput): Checkpoint {
    const parsed = parseInput(checkpointInputSchema, input, 'checkpoint');
    const { checkpoint: saved, stateText } = newCheckpoint(parsed);
    const code = this.#checkpointCode.record(saved.repository, `${saved.workingOn}\n${stateText}`);
    const recorded = withRecordedCode(saved, code);
    return this.#ctx.write(() => {
      const checkpoint = recorded;
      const seq = this.#ctx
        .statement(
          `INSERT INTO checkpoints (id, agent, repo, session_id, working_on, state, status, created_at,
             content_hash, repository_id, git_branch, git_commit, files)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          checkpoint.id,
          checkpoint.agent,
          checkpoint.repository,
          checkpoint.sessionId,
          checkpoint.workingOn,
          stateText,
          checkpoint.status,
          checkpoint.createdAt,
          checkpointHash(checkpoint),
          code?.repositoryId ?? null,
          code?.git?.branch ?? null,
          code?.git?.commit ?? null,
          code ? JSON.stringify(code.files) : null,
        ).lastInsertRowid;
      this.#ctx
        .statement(`INSERT INTO checkpoints_fts (rowid, working_on, state) VALUES (?, ?, ?)`)
        .run(seq, tokenText(checkpoint.workingOn), tokenText(stateText));
      this.#setAgentStatus(checkpoint);
      this.#anchors.replace('checkpoint', Number(seq), this.#anchors.resolve(parsed.anchors ?? []));
      const anchors = this.#anchors.forOwners('checkpoint', [Number(seq)]).get(Number(seq)) ?? [];
      return withAnchors(checkpoint, anchors);
    });
  }

  #setAgentStatus(checkpoint: Checkpoint): void {
    const done = checkpoint.status === 'done';
    this.#ctx
      .statement(
        `INSERT INTO agent_status (agent, status, current_task, last_checkpoint_id, updated_at)
         VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (agent) DO UPDATE SET status = excluded.status,
           current_task = excluded.current_task, last_checkpoint_id = excluded.last_checkpoint_id,
           updated_at = excluded.updated_at`,
      )
      .run(
        checkpoint.agent,
        done ? 'idle' : 'in_progress',
        done ? null : checkpoint.workingOn,
        checkpoint.id,
        checkpoint.createdAt,
      );
  }

  get(id: string): Checkpoint | null {
    parseInput(idSchema, id, 'checkpoint id');
    return this.#ctx.read(() => {
      const row = this.#ctx.statement(`SELECT * FROM checkpoints WHERE id = ?`).get(id) as
        CheckpointRow | undefined;
      return row ? this.#hydrate([row])[0]! : null;
    });
  }

  #filters(filters: { agent?: string; repository?: string }): {
    sql: string;
    params: Record<string, unknown>;
  } {
    const conditions: string[] = [];
    const params: Record<string, unknown> = {};
    if (filters.agent) {
      conditions.push('k.agent = $agent');
      params.agent = filters.agent;
    }
    if (filters.repository) {
      conditions.push('k.repo IN (SELECT value FROM json_each($repos))');
      params.repos = JSON.stringify(this.#code.repositoryAliases(filters.repository));
    }
    return { sql: conditions.map((condition) => ` AND ${condition}`).join(''), params };
  }

  count(request: { agent?: string; repository?: string } = {}): number {
    const parsed = parseInput(countCheckpointsSchema, request, 'checkpoint count');
    return this.#ctx.read(() => {
      const filter = this.#filters(parsed);
      const row = this.#ctx
        .statement(`SELECT count(*) AS n FROM checkpoints k WHERE 1${filter.sql}`)
        .get(filter.params) as { n: number };
      return row.n;
    });
  }

  /** Newest first, each with what changed in its code since (`changesSince`) when that is known. */
  async recent(
    request: { agent?: string; repository?: string; limit?: number } = {},
  ): Promise<Checkpoint[]> {
    const parsed = parseInput(recentCheckpointsSchema, request, 'checkpoint request');
    const rows = this.#ctx.read(() => {
      const filter = this.#filters(parsed);
      return this.#ctx
        .statement(
          `SELECT k.* FROM checkpoints k WHERE 1${filter.sql} ORDER BY k.seq DESC LIMIT $limit`,
        )
        .all({ ...filter.params, limit: parsed.limit }) as CheckpointRow[];
    });
    const checkpoints = this.#ctx.read(() => this.#hydrate(rows));
    return this.#checkpointCode.withChangesSince(
      rows.map((row, index) => ({ row, checkpoint: checkpoints[index]! })),
    );
  }

  confirm(id: string): Checkpoint {
    parseInput(idSchema, id, 'checkpoint id');
    return this.#ctx.write(() => {
      const row = this.#ctx.statement(`SELECT * FROM checkpoints WHERE id = ?`).get(id) as
        CheckpointRow | undefined;
      if (!row) throw new NellieError('NOT_FOUND', `No checkpoint with id ${id}.`);
      this.#anchors.confirm('checkpoint', row.seq);
      return this.#hydrate([row])[0]!;
    });
  }

  delete(id: string): boolean {
    parseInput(idSchema, id, 'checkpoint id');
    return this.#ctx.write(() => {
      const row = this.#ctx.statement(`SELECT * FROM checkpoints WHERE id = ?`).get(id) as
        CheckpointRow | undefined;
      if (!row) return false;
      this.#ctx.statement(`DELETE FROM checkpoints WHERE seq = ?`).run(row.seq);
      const status = this.#ctx
        .statement(`SELECT * FROM agent_status WHERE agent = ?`)
        .get(row.agent) as AgentRow | undefined;
      if (status?.last_checkpoint_id === id) {
        // The agent's status follows its newest remaining checkpoint.
        const newest = this.#ctx
          .statement(`SELECT * FROM checkpoints WHERE agent = ? ORDER BY seq DESC LIMIT 1`)
          .get(row.agent) as CheckpointRow | undefined;
        if (newest) {
          this.#setAgentStatus(toCheckpoint(newest));
        } else {
          this.#ctx
            .statement(
              `UPDATE agent_status SET status = 'idle', current_task = NULL,
                 last_checkpoint_id = NULL, updated_at = ? WHERE agent = ?`,
            )
            .run(new Date().toISOString(), row.agent);
        }
      }
      return true;
    });
  }

  agentStatus(agent: string): AgentStatus {
    parseInput(agentSchema, agent, 'agent');
    return this.#ctx.read(() => {
      const row = this.#ctx.statement(`SELECT * FROM agent_status WHERE agent = ?`).get(agent) as
        AgentRow | undefined;
      return row
        ? toAgentStatus(row)
        : { agent, status: 'idle', currentTask: null, lastCheckpointId: null, updatedAt: null };
    });
  }

  listAgents(): AgentStatus[] {
    return this.#ctx.read(() =>
      (
        this.#ctx
          .statement(`SELECT * FROM agent_status ORDER BY updated_at DESC, agent`)
          .all() as AgentRow[]
      ).map(toAgentStatus),
    );
  }

  search(request: CheckpointSearchRequest): CheckpointHit[] {
    const parsed = parseInput(checkpointSearchRequestSchema, request, 'checkpoint search request');
    checkQuery(
      parsed.query,
      parsed.queryVector,
      this.#ctx.embeddingModel,
      this.#ctx.options.maxQueryLength,
    );
    return this.#ctx.read(() => {
      const hits = searchMemoryTable<CheckpointRow>(
        this.#ctx,
        { table: 'checkpoints', alias: 'k', columnWeights: checkpointColumnWeights },
        parsed,
        this.#filters(parsed),
      );
      const checkpoints = this.#hydrate(hits.map(({ row }) => row));
      return hits.map(({ score, scores }, index) => ({
        checkpoint: checkpoints[index]!,
        score,
        scores,
      }));
    });
  }
}
