import type {
  AgentStatus,
  Checkpoint,
  CheckpointHit,
  CheckpointInput,
  CheckpointSearchRequest,
} from '@nellie/core';
import { NellieError } from '@nellie/core';
import {
  type AgentRow,
  agentSchema,
  checkpointHash,
  checkpointInputSchema,
  type CheckpointRow,
  checkpointSearchRequestSchema,
  newCheckpoint,
  countCheckpointsSchema,
  recentCheckpointsSchema,
  toAgentStatus,
  toCheckpoint,
  tokenText,
  withAnchors,
  withChangesSince,
  withRecordedCode,
} from '@nellie/storage/store-kit';
import { idSchema as textIdSchema, parseInput } from '@nellie/schemas';
import type { PostgresAnchors } from './anchor-store.ts';
import { CheckpointCode } from './checkpoint-code.ts';
import { Parameters, type Queryable } from './database.ts';
import { queueContentHash, releaseContentHashes } from './embedding-queue.ts';
import { searchMemoryTable } from './memory-search.ts';
import { kindCheckpoint } from './schema.ts';
import type { SearchContext } from './search-context.ts';

/** Working-on A, state B: the SQLite store's bm25 weights 3, 1. */
const rankWeights = '{0, 0, 0.3333, 1}';

export class CheckpointStore {
  readonly #c: SearchContext;

  readonly #checkpointCode: CheckpointCode;
  readonly #anchors: PostgresAnchors;

  constructor(context: SearchContext, anchors: PostgresAnchors) {
    this.#c = context;
    this.#checkpointCode = new CheckpointCode(context.s, context.code);
    this.#anchors = anchors;
  }

  /** Checkpoints with their anchors and staleness, for those that have anchors. */
  async #hydrate(db: Queryable, rows: readonly CheckpointRow[]): Promise<Checkpoint[]> {
    const anchors = await this.#anchors.forOwners(
      db,
      'checkpoint',
      rows.map((row) => row.seq),
    );
    return rows.map((row) => withAnchors(toCheckpoint(row), anchors.get(row.seq) ?? []));
  }

  async add(input: CheckpointInput): Promise<Checkpoint> {
    const parsed = parseInput(checkpointInputSchema, input, 'checkpoint');
    const { checkpoint: saved, stateText } = newCheckpoint(parsed);
    const hash = checkpointHash(saved);
    return this.#c.database.write(async (db) => {
      const code = await this.#checkpointCode.record(
        db,
        saved.repository,
        `${saved.workingOn}\n${stateText}`,
      );
      const checkpoint = withRecordedCode(saved, code);
      const { rows } = await db.query<{ seq: number }>(
        `INSERT INTO ${this.#c.s}.checkpoints (id, agent, repo, session_id, working_on, state,
           status, created_at, content_hash, repository_id, git_branch, git_commit, files, tokens)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13,
           setweight(to_tsvector(${this.#c.config}, $14), 'A') ||
           setweight(to_tsvector(${this.#c.config}, $15), 'B'))
         RETURNING seq`,
        [
          checkpoint.id,
          checkpoint.agent,
          checkpoint.repository,
          checkpoint.sessionId,
          checkpoint.workingOn,
          stateText,
          checkpoint.status,
          checkpoint.createdAt,
          hash,
          code?.repositoryId ?? null,
          code?.git?.branch ?? null,
          code?.git?.commit ?? null,
          code ? JSON.stringify(code.files) : null,
          tokenText(checkpoint.workingOn),
          tokenText(stateText),
        ],
      );
      await queueContentHash(db, this.#c.s, hash, kindCheckpoint);
      await this.#setAgentStatus(db, checkpoint);
      const seq = rows[0]!.seq;
      await this.#anchors.replace(
        db,
        'checkpoint',
        seq,
        await this.#anchors.resolve(db, parsed.anchors ?? []),
      );
      const anchors = (await this.#anchors.forOwners(db, 'checkpoint', [seq])).get(seq) ?? [];
      return withAnchors(checkpoint, anchors);
    });
  }

  async #setAgentStatus(db: Queryable, checkpoint: Checkpoint): Promise<void> {
    const done = checkpoint.status === 'done';
    await db.query(
      `INSERT INTO ${this.#c.s}.agent_status
         (agent, status, current_task, last_checkpoint_id, updated_at)
       VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (agent) DO UPDATE SET status = excluded.status,
         current_task = excluded.current_task, last_checkpoint_id = excluded.last_checkpoint_id,
         updated_at = excluded.updated_at`,
      [
        checkpoint.agent,
        done ? 'idle' : 'in_progress',
        done ? null : checkpoint.workingOn,
        checkpoint.id,
        checkpoint.createdAt,
      ],
    );
  }

  get(id: string): Promise<Checkpoint | null> {
    parseInput(textIdSchema, id, 'checkpoint id');
    return this.#c.database.read(async (db) => {
      const { rows } = await db.query<CheckpointRow>(
        `SELECT * FROM ${this.#c.s}.checkpoints WHERE id = $1`,
        [id],
      );
      return rows[0] ? (await this.#hydrate(db, rows))[0]! : null;
    });
  }

  /** Re-anchors a checkpoint to its code as it is now (see `PostgresAnchors.confirm`). */
  confirm(id: string): Promise<Checkpoint> {
    parseInput(textIdSchema, id, 'checkpoint id');
    return this.#c.database.write(async (db) => {
      const { rows } = await db.query<CheckpointRow>(
        `SELECT * FROM ${this.#c.s}.checkpoints WHERE id = $1 FOR UPDATE`,
        [id],
      );
      if (!rows[0]) throw new NellieError('NOT_FOUND', `No checkpoint with id ${id}.`);
      await this.#anchors.confirm(db, 'checkpoint', rows[0].seq);
      return (await this.#hydrate(db, rows))[0]!;
    });
  }

  async #filter(
    db: Queryable,
    filters: { agent?: string; repository?: string },
  ): Promise<(params: Parameters) => string> {
    const repos = filters.repository
      ? await this.#c.code.repositoryAliases(db, filters.repository)
      : null;
    return (params) => {
      let sql = '';
      if (filters.agent) sql += ` AND k.agent = ${params.p(filters.agent)}`;
      if (repos) sql += ` AND k.repo = ANY(${params.p(repos)}::text[])`;
      return sql;
    };
  }

  count(request: { agent?: string; repository?: string } = {}): Promise<number> {
    const parsed = parseInput(countCheckpointsSchema, request, 'checkpoint count');
    return this.#c.database.read(async (db) => {
      const params = new Parameters();
      const conditions = (await this.#filter(db, parsed))(params);
      const { rows } = await db.query<{ n: string }>(
        `SELECT count(*) AS n FROM ${this.#c.s}.checkpoints k WHERE true${conditions}`,
        params.values,
      );
      return Number(rows[0]!.n);
    });
  }

  /** Newest first, each with what changed in its code since (`changesSince`) when that is known. */
  recent(
    request: { agent?: string; repository?: string; limit?: number } = {},
  ): Promise<Checkpoint[]> {
    const parsed = parseInput(recentCheckpointsSchema, request, 'checkpoint request');
    return this.#c.database.read(async (db) => {
      const params = new Parameters();
      const conditions = (await this.#filter(db, parsed))(params);
      const { rows } = await db.query<CheckpointRow>(
        `SELECT k.* FROM ${this.#c.s}.checkpoints k WHERE true${conditions}
         ORDER BY k.seq DESC LIMIT ${params.p(parsed.limit)}`,
        params.values,
      );
      const checkpoints = await this.#hydrate(db, rows);
      return withChangesSince(
        rows.map((row, index) => ({ row, checkpoint: checkpoints[index]! })),
        await this.#checkpointCode.now(db, rows),
      );
    });
  }

  delete(id: string): Promise<boolean> {
    parseInput(textIdSchema, id, 'checkpoint id');
    return this.#c.database.write(async (db) => {
      const { rows } = await db.query<CheckpointRow & { content_hash: string }>(
        `DELETE FROM ${this.#c.s}.checkpoints WHERE id = $1 RETURNING *`,
        [id],
      );
      const row = rows[0];
      if (!row) return false;
      await releaseContentHashes(db, this.#c.s, [row.content_hash]);
      const status = await db.query<AgentRow>(
        `SELECT * FROM ${this.#c.s}.agent_status WHERE agent = $1 FOR UPDATE`,
        [row.agent],
      );
      if (status.rows[0]?.last_checkpoint_id === id) {
        // The agent's status follows its newest remaining checkpoint.
        const newest = await db.query<CheckpointRow>(
          `SELECT * FROM ${this.#c.s}.checkpoints WHERE agent = $1 ORDER BY seq DESC LIMIT 1`,
          [row.agent],
        );
        if (newest.rows[0]) {
          await this.#setAgentStatus(db, toCheckpoint(newest.rows[0]));
        } else {
          await db.query(
            `UPDATE ${this.#c.s}.agent_status SET status = 'idle', current_task = NULL,
               last_checkpoint_id = NULL, updated_at = $1 WHERE agent = $2`,
            [new Date().toISOString(), row.agent],
          );
        }
      }
      return true;
    });
  }

  agentStatus(agent: string): Promise<AgentStatus> {
    parseInput(agentSchema, agent, 'agent');
    return this.#c.database.read(async (db) => {
      const { rows } = await db.query<AgentRow>(
        `SELECT * FROM ${this.#c.s}.agent_status WHERE agent = $1`,
        [agent],
      );
      return rows[0]
        ? toAgentStatus(rows[0])
        : { agent, status: 'idle', currentTask: null, lastCheckpointId: null, updatedAt: null };
    });
  }

  listAgents(): Promise<AgentStatus[]> {
    return this.#c.database.read(async (db) => {
      const { rows } = await db.query<AgentRow>(
        `SELECT * FROM ${this.#c.s}.agent_status ORDER BY updated_at DESC, agent`,
      );
      return rows.map(toAgentStatus);
    });
  }

  search(request: CheckpointSearchRequest): Promise<CheckpointHit[]> {
    const parsed = parseInput(checkpointSearchRequestSchema, request, 'checkpoint search request');
    return searchMemoryTable<CheckpointRow>(
      this.#c,
      { table: 'checkpoints', alias: 'k', rankWeights },
      parsed,
      (db) => this.#filter(db, parsed),
    ).then((hits) =>
      this.#c.database.read(async (db) => {
        const checkpoints = await this.#hydrate(
          db,
          hits.map(({ row }) => row),
        );
        return hits.map(({ score, scores }, index) => ({
          checkpoint: checkpoints[index]!,
          score,
          scores,
        }));
      }),
    );
  }
}
