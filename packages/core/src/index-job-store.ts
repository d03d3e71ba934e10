import type { IndexJob, IndexJobMode, IndexProgress } from './indexer.ts';

/** An index job as a shared job store keeps it: the job, plus which server runs it. */
export interface StoredIndexJob extends IndexJob {
  /** The server holding the job while it runs; null while queued and once finished. */
  claimedBy: string | null;
  /** How many times a server claimed it: more than 1 when it was taken over. */
  attempts: number;
  /** A cancel was asked for while it ran; its holder stops at its next heartbeat. */
  cancelRequested: boolean;
}

/** What a job's holder learns from a heartbeat. */
export type IndexJobHeartbeat =
  /** The holder still holds the job; its lease is renewed. */
  | 'held'
  /** Someone asked to cancel it: stop, and finish it as cancelled. */
  | 'cancel'
  /** The holder lost it (its lease expired and another server claimed it): stop, write nothing. */
  | 'lost';

/** How a holder ends a job. */
export interface IndexJobOutcome {
  state: 'succeeded' | 'failed' | 'cancelled';
  error: string | null;
  progress: IndexProgress;
}

/**
 * Index jobs kept where several servers see them (a database table), so that any server can
 * queue a job and exactly one runs it: a holder claims a job under a lease, renews it with
 * heartbeats, and when it stops heartbeating another server claims the job and runs it again.
 * Re-running a job is safe because every file write replaces that file as a whole.
 *
 * The indexer uses one when given (`createIndexer({ jobStore })`); without one it queues jobs in
 * its own process. `@nellie/postgres` provides one (`store.jobs`).
 */
export interface IndexJobStore {
  /**
   * Queues a job over `rootPath`, or returns the job queued or running over it already, so
   * duplicate requests coalesce into one job.
   */
  enqueue(job: {
    id: string;
    rootPath: string;
    repository: string;
    mode: IndexJobMode;
  }): Promise<StoredIndexJob>;
  /**
   * Claims the oldest queued job, or a running one whose holder's lease expired, for `holder`
   * for `leaseMs`; null when there is none. A job abandoned `maxAttempts` times is failed with an
   * error saying so instead of being claimed again. With `id`, only that job is claimed.
   */
  claim(
    holder: string,
    options: { leaseMs: number; maxAttempts: number; id?: string },
  ): Promise<StoredIndexJob | null>;
  /** Renews the holder's lease and saves the job's progress. */
  heartbeat(
    id: string,
    holder: string,
    options: { leaseMs: number; progress: IndexProgress },
  ): Promise<IndexJobHeartbeat>;
  /** Ends a job its holder ran; false when `holder` no longer held it (nothing changed). */
  finish(id: string, holder: string, outcome: IndexJobOutcome): Promise<boolean>;
  /** Puts a job its holder stops (shutting down) back in the queue for another server. */
  release(id: string, holder: string, progress: IndexProgress): Promise<void>;
  /**
   * Cancels a queued job at once, or asks the holder of a running one to stop; a finished job is
   * returned unchanged. Null for an unknown id.
   */
  cancel(id: string): Promise<StoredIndexJob | null>;
  get(id: string): Promise<StoredIndexJob | null>;
  /** The most recent jobs first, at most `limit`. */
  list(limit: number): Promise<StoredIndexJob[]>;
}
