import {
  emptyIndexProgress,
  type IndexJobHeartbeat,
  type IndexJobMode,
  type IndexJobOutcome,
  type IndexJobState,
  type IndexJobStore,
  type IndexProgress,
  type StoredIndexJob,
} from '@nellie/core';
import { parseInput } from '@nellie/schemas';
import { z } from 'zod';
import type { Database, Queryable } from './database.ts';

interface JobRow {
  id: string;
  root_path: string;
  repository: string;
  mode: IndexJobMode;
  state: IndexJobState;
  claimed_by: string | null;
  attempts: number;
  cancel_requested: boolean;
  progress: IndexProgress;
  error: string | null;
  created_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
}

const columns = `id, root_path, repository, mode, state, claimed_by, attempts, cancel_requested,
  progress, error, created_at, started_at, finished_at`;

const idSchema = z.string().min(1).max(200);
const holderSchema = z.string().min(1).max(200);
const leaseSchema = z.number().int().min(100).max(3_600_000);
const enqueueSchema = z.strictObject({
  id: idSchema,
  rootPath: z.string().min(1).max(4096),
  repository: z.string().min(1).max(4096),
  mode: z.enum(['incremental', 'full']),
});
const claimSchema = z.strictObject({
  holder: holderSchema,
  leaseMs: leaseSchema,
  maxAttempts: z.number().int().min(1).max(100),
  id: idSchema.optional(),
});
const finishedStates = z.enum(['succeeded', 'failed', 'cancelled']);

function toJob(row: JobRow): StoredIndexJob {
  return {
    id: row.id,
    repository: row.repository,
    rootPath: row.root_path,
    mode: row.mode,
    state: row.state,
    progress: { ...emptyIndexProgress(), ...row.progress },
    createdAt: row.created_at.toISOString(),
    startedAt: row.started_at?.toISOString() ?? null,
    finishedAt: row.finished_at?.toISOString() ?? null,
    error: row.error,
    claimedBy: row.claimed_by,
    attempts: row.attempts,
    cancelRequested: row.cancel_requested,
  };
}

/**
 * Index jobs in the `index_jobs` table: queued by any server, claimed by one with
 * `FOR UPDATE SKIP LOCKED` under a lease in the database's clock, renewed by heartbeats, and
 * claimed again by another server once the lease expired.
 */
export class PostgresIndexJobs implements IndexJobStore {
  readonly #database: Database;
  readonly #s: string;

  constructor(database: Database) {
    this.#database = database;
    this.#s = database.schema;
  }

  enqueue(job: {
    id: string;
    rootPath: string;
    repository: string;
    mode: IndexJobMode;
  }): Promise<StoredIndexJob> {
    const parsed = parseInput(enqueueSchema, job, 'index job');
    return this.#database.write(async (db) => {
      for (;;) {
        const inserted = await db.query<JobRow>(
          `INSERT INTO ${this.#s}.index_jobs (id, root_path, repository, mode, state, progress)
           VALUES ($1, $2, $3, $4, 'queued', $5)
           ON CONFLICT (root_path) WHERE state IN ('queued', 'running') DO NOTHING
           RETURNING ${columns}`,
          [parsed.id, parsed.rootPath, parsed.repository, parsed.mode, emptyIndexProgress()],
        );
        if (inserted.rows[0]) return toJob(inserted.rows[0]);
        // Coalesce with the job already queued or running over this root.
        const active = await db.query<JobRow>(
          `SELECT ${columns} FROM ${this.#s}.index_jobs
           WHERE root_path = $1 AND state IN ('queued', 'running')`,
          [parsed.rootPath],
        );
        if (active.rows[0]) return toJob(active.rows[0]);
        // It finished between the two statements: try again.
      }
    });
  }

  claim(
    holder: string,
    options: { leaseMs: number; maxAttempts: number; id?: string },
  ): Promise<StoredIndexJob | null> {
    const parsed = parseInput(claimSchema, { holder, ...options }, 'claim');
    return this.#database.write(async (db) => {
      await this.#closeAbandoned(db, parsed.maxAttempts);
      const { rows } = await db.query<JobRow>(
        `WITH next AS (
           SELECT seq FROM ${this.#s}.index_jobs
           WHERE (state = 'queued'
              OR (state = 'running' AND lease_expires_at < now() AND NOT cancel_requested))
             AND ($3::text IS NULL OR id = $3)
           ORDER BY seq
           LIMIT 1
           FOR UPDATE SKIP LOCKED
         )
         UPDATE ${this.#s}.index_jobs j SET state = 'running', claimed_by = $1,
           lease_expires_at = now() + $2 * interval '1 millisecond', attempts = j.attempts + 1,
           started_at = coalesce(j.started_at, now()), updated_at = now()
         FROM next WHERE j.seq = next.seq
         RETURNING ${columns}`,
        [parsed.holder, parsed.leaseMs, parsed.id ?? null],
      );
      return rows[0] ? toJob(rows[0]) : null;
    });
  }

  /**
   * Ends running jobs whose holder stopped heartbeating and that must not run again: asked to
   * cancel (cancelled), or abandoned `maxAttempts` times already (failed, saying why).
   */
  async #closeAbandoned(db: Queryable, maxAttempts: number): Promise<void> {
    await db.query(
      `UPDATE ${this.#s}.index_jobs j SET
         state = CASE WHEN j.cancel_requested THEN 'cancelled' ELSE 'failed' END,
         error = CASE WHEN j.cancel_requested THEN NULL ELSE
           'The index job was started ' || j.attempts || ' times, and each time the server ' ||
           'running it stopped before it finished (last: ' || coalesce(j.claimed_by, '?') ||
           '). Check those servers'' logs (out of memory?), then start the job again.' END,
         claimed_by = NULL, lease_expires_at = NULL, finished_at = now(), updated_at = now()
       WHERE j.seq IN (
         SELECT seq FROM ${this.#s}.index_jobs
         WHERE state = 'running' AND lease_expires_at < now()
           AND (cancel_requested OR attempts >= $1)
         FOR UPDATE SKIP LOCKED)`,
      [maxAttempts],
    );
  }

  heartbeat(
    id: string,
    holder: string,
    options: { leaseMs: number; progress: IndexProgress },
  ): Promise<IndexJobHeartbeat> {
    parseInput(idSchema, id, 'job id');
    parseInput(holderSchema, holder, 'holder');
    parseInput(leaseSchema, options.leaseMs, 'lease');
    return this.#database.write(async (db) => {
      const { rows } = await db.query<{ cancel_requested: boolean }>(
        `UPDATE ${this.#s}.index_jobs SET progress = $3,
           lease_expires_at = now() + $4 * interval '1 millisecond', updated_at = now()
         WHERE id = $1 AND claimed_by = $2 AND state = 'running'
         RETURNING cancel_requested`,
        [id, holder, options.progress, options.leaseMs],
      );
      if (!rows[0]) return 'lost';
      return rows[0].cancel_requested ? 'cancel' : 'held';
    });
  }

  finish(id: string, holder: string, outcome: IndexJobOutcome): Promise<boolean> {
    parseInput(idSchema, id, 'job id');
    parseInput(holderSchema, holder, 'holder');
    const state = parseInput(finishedStates, outcome.state, 'job state');
    return this.#database.write(async (db) => {
      const { rowCount } = await db.query(
        `UPDATE ${this.#s}.index_jobs SET state = $3, error = $4, progress = $5,
           claimed_by = NULL, lease_expires_at = NULL, finished_at = now(), updated_at = now()
         WHERE id = $1 AND claimed_by = $2 AND state = 'running'`,
        [id, holder, state, outcome.error, outcome.progress],
      );
      return (rowCount ?? 0) > 0;
    });
  }

  release(id: string, holder: string, progress: IndexProgress): Promise<void> {
    parseInput(idSchema, id, 'job id');
    parseInput(holderSchema, holder, 'holder');
    return this.#database.write(async (db) => {
      await db.query(
        `UPDATE ${this.#s}.index_jobs SET
           state = CASE WHEN cancel_requested THEN 'cancelled' ELSE 'queued' END,
           finished_at = CASE WHEN cancel_requested THEN now() END,
           progress = $3, claimed_by = NULL, lease_expires_at = NULL, updated_at = now()
         WHERE id = $1 AND claimed_by = $2 AND state = 'running'`,
        [id, holder, progress],
      );
    });
  }

  cancel(id: string): Promise<StoredIndexJob | null> {
    parseInput(idSchema, id, 'job id');
    return this.#database.write(async (db) => {
      const { rows } = await db.query<JobRow>(
        `UPDATE ${this.#s}.index_jobs SET
           state = CASE WHEN state = 'queued' THEN 'cancelled' ELSE state END,
           finished_at = CASE WHEN state = 'queued' THEN now() ELSE finished_at END,
           cancel_requested = (state = 'running'), updated_at = now()
         WHERE id = $1 AND state IN ('queued', 'running')
         RETURNING ${columns}`,
        [id],
      );
      if (rows[0]) return toJob(rows[0]);
      return this.#get(db, id);
    });
  }

  get(id: string): Promise<StoredIndexJob | null> {
    parseInput(idSchema, id, 'job id');
    return this.#database.read((db) => this.#get(db, id));
  }

  async #get(db: Queryable, id: string): Promise<StoredIndexJob | null> {
    const { rows } = await db.query<JobRow>(
      `SELECT ${columns} FROM ${this.#s}.index_jobs WHERE id = $1`,
      [id],
    );
    return rows[0] ? toJob(rows[0]) : null;
  }

  list(limit: number): Promise<StoredIndexJob[]> {
    const parsed = parseInput(z.number().int().min(1).max(10_000), limit, 'limit');
    return this.#database.read(async (db) => {
      const { rows } = await db.query<JobRow>(
        `SELECT ${columns} FROM ${this.#s}.index_jobs ORDER BY seq DESC LIMIT $1`,
        [parsed],
      );
      return rows.map(toJob);
    });
  }
}
