import { randomUUID } from 'node:crypto';
import {
  NellieError,
  emptyIndexProgress,
  type IndexJob,
  type IndexJobMode,
  type IndexProgress,
  type Logger,
} from '@nellie/core';

/** A job with what the queue tracks about it. */
export interface JobRecord {
  readonly job: IndexJob;
  readonly controller: AbortController;
  waiters: (() => void)[];
  /** Content hashes of chunks this job wrote that may still lack vectors. */
  readonly pendingHashes: Set<string>;
  lastReported: number;
}

export interface JobQueueOptions {
  /** Jobs (over different repositories) running at once. */
  maxConcurrent: number;
  /** Finished jobs kept for `list()`. */
  history: number;
  logger: Logger;
  onProgress: ((job: IndexJob) => void) | undefined;
  /** Runs `task` under the repository's lock. */
  withLock: (root: string, task: () => Promise<void>) => Promise<void>;
  /** The work of a running job; it is cancelled when it throws after its signal fired. */
  execute: (record: JobRecord) => Promise<void>;
}

/** What the indexer asks of a job queue: the in-process one, or one shared through a store. */
export interface IndexJobQueue {
  /**
   * Queues a job over `root` once `register` resolved with the repository's name, or returns the
   * job queued or running over it already.
   */
  add(
    root: string,
    mode: IndexJobMode,
    defaultName: string,
    register: () => Promise<string>,
  ): Promise<IndexJob>;
  get(id: string): IndexJob | null;
  /** The job read from the shared job store, current on every server (shared queues only). */
  fetch?(id: string): Promise<IndexJob | null>;
  /** Most recent first. */
  list(): IndexJob[];
  cancel(id: string): IndexJob;
  /** Cancels the job in the shared job store and resolves with it as recorded (shared queues). */
  cancelStored?(id: string): Promise<IndexJob>;
  wait(id: string, options?: { signal?: AbortSignal }): Promise<IndexJob>;
  /** Reports a running job's progress (throttled). */
  progressed(record: JobRecord): void;
  /** Chunks that got their vectors no longer count as pending for any job. */
  embedded(hashes: readonly string[]): void;
  /** Nothing is left to embed: no job has chunks pending. */
  drained(): void;
  counts(): { running: number; queued: number };
  /** Stops taking jobs and aborts running ones; resolves once they have stopped. */
  close(): Promise<void>;
}

type FinishedState = 'succeeded' | 'failed' | 'cancelled';

export const finishedStates: ReadonlySet<string> = new Set(['succeeded', 'failed', 'cancelled']);
/** Progress callbacks during a job come at most this often. */
const progressIntervalMs = 250;

export function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Calls `onProgress` with the job, at most every 250 ms unless `force`; never throws. */
export function reportProgress(
  record: JobRecord,
  force: boolean,
  options: Pick<JobQueueOptions, 'onProgress' | 'logger'>,
): void {
  const { onProgress, logger } = options;
  if (!onProgress) return;
  const now = Date.now();
  if (!force && now - record.lastReported < progressIntervalMs) return;
  record.lastReported = now;
  try {
    onProgress(snapshot(record));
  } catch (error) {
    logger.warn({ error: message(error) }, 'An onProgress callback threw.');
  }
}

/**
 * Resolves with `check()` once it returns a value, checking at once and on every `wake` of
 * `subscribe`; rejects with `ABORTED` when `signal` fires first.
 */
export function waitUntil<T>(
  check: () => T | undefined,
  subscribe: (wake: () => void) => () => void,
  signal: AbortSignal | undefined,
): Promise<T> {
  return new Promise<T>((resolvePromise, reject) => {
    let unsubscribe = (): void => {};
    const onAbort = (): void => {
      unsubscribe();
      reject(new NellieError('ABORTED', 'Waiting for the index job was cancelled.'));
    };
    const wake = (): void => {
      const value = check();
      if (value === undefined) return;
      unsubscribe();
      signal?.removeEventListener('abort', onAbort);
      resolvePromise(value);
    };
    if (signal?.aborted) {
      onAbort();
      return;
    }
    signal?.addEventListener('abort', onAbort, { once: true });
    unsubscribe = subscribe(wake);
    wake();
  });
}

/**
 * Index jobs: at most one queued or running per repository, a bounded number running at once,
 * a bounded history of finished ones, progress callbacks and waiters.
 */
export class JobQueue implements IndexJobQueue {
  private readonly options: JobQueueOptions;
  private readonly jobs = new Map<string, JobRecord>();
  private readonly waiting: JobRecord[] = [];
  /** The queued or running job of each root. */
  private readonly active = new Map<string, JobRecord>();
  private running = 0;
  private closed = false;

  constructor(options: JobQueueOptions) {
    this.options = options;
  }

  /** The queued or running job over `root`, if any. */
  activeFor(root: string): IndexJob | null {
    const record = this.active.get(root);
    return record ? snapshot(record) : null;
  }

  /**
   * Claims `root` for a new job, so a second request while `register` runs gets the same job.
   * The job is queued once `register` resolves with the repository's name; if it rejects, the
   * claim is dropped and the error passed on.
   */
  async add(
    root: string,
    mode: IndexJobMode,
    defaultName: string,
    register: () => Promise<string>,
  ): Promise<IndexJob> {
    const existing = this.active.get(root);
    if (existing) return snapshot(existing);
    const record: JobRecord = {
      job: {
        id: randomUUID(),
        repository: defaultName,
        rootPath: root,
        mode,
        state: 'queued',
        progress: emptyIndexProgress(),
        createdAt: new Date().toISOString(),
        startedAt: null,
        finishedAt: null,
        error: null,
      },
      controller: new AbortController(),
      waiters: [],
      pendingHashes: new Set(),
      lastReported: 0,
    };
    this.active.set(root, record);
    try {
      record.job.repository = await register();
    } catch (error) {
      this.active.delete(root);
      throw error;
    }
    this.jobs.set(record.job.id, record);
    this.trimHistory();
    this.waiting.push(record);
    this.report(record, true);
    this.schedule();
    return snapshot(record);
  }

  get(id: string): IndexJob | null {
    const record = this.jobs.get(id);
    return record ? snapshot(record) : null;
  }

  /** Most recent first. */
  list(): IndexJob[] {
    return [...this.jobs.values()].reverse().map(snapshot);
  }

  cancel(id: string): IndexJob {
    const record = this.jobs.get(id);
    if (!record) throw new NellieError('NOT_FOUND', `No index job with id ${id}.`);
    if (record.job.state === 'queued') {
      const index = this.waiting.indexOf(record);
      if (index !== -1) this.waiting.splice(index, 1);
      this.finish(record, 'cancelled', null);
    } else if (record.job.state === 'running') {
      record.controller.abort();
    }
    return snapshot(record);
  }

  wait(id: string, options: { signal?: AbortSignal } = {}): Promise<IndexJob> {
    const record = this.jobs.get(id);
    if (!record) return Promise.reject(new NellieError('NOT_FOUND', `No index job with id ${id}.`));
    return waitUntil(
      () => (finishedStates.has(record.job.state) ? snapshot(record) : undefined),
      (wake) => {
        record.waiters.push(wake);
        return () => {
          record.waiters = record.waiters.filter((waiter) => waiter !== wake);
        };
      },
      options.signal,
    );
  }

  /** Reports a running job's progress (throttled). */
  progressed(record: JobRecord): void {
    this.report(record, false);
  }

  /** Chunks that got their vectors no longer count as pending for any job. */
  embedded(hashes: readonly string[]): void {
    for (const record of this.jobs.values()) {
      if (record.pendingHashes.size === 0) continue;
      for (const hash of hashes) record.pendingHashes.delete(hash);
    }
  }

  /** Nothing is left to embed: no job has chunks pending. */
  drained(): void {
    for (const record of this.jobs.values()) record.pendingHashes.clear();
  }

  counts(): { running: number; queued: number } {
    let running = 0;
    for (const record of this.jobs.values()) if (record.job.state === 'running') running += 1;
    return { running, queued: this.waiting.length };
  }

  /** Cancels queued jobs and aborts running ones; they finish as their passes notice. */
  close(): Promise<void> {
    this.closed = true;
    this.waiting.splice(0);
    for (const record of this.jobs.values()) {
      if (record.job.state === 'queued') this.finish(record, 'cancelled', null);
      else if (record.job.state === 'running') record.controller.abort();
    }
    return Promise.resolve();
  }

  private schedule(): void {
    while (!this.closed && this.running < this.options.maxConcurrent && this.waiting.length > 0) {
      const record = this.waiting.shift()!;
      this.running += 1;
      void this.run(record).finally(() => {
        this.running -= 1;
        this.schedule();
      });
    }
  }

  private async run(record: JobRecord): Promise<void> {
    await this.options.withLock(record.job.rootPath, async () => {
      if (record.job.state !== 'queued') return;
      if (this.closed) {
        this.finish(record, 'cancelled', null);
        return;
      }
      record.job.state = 'running';
      record.job.startedAt = new Date().toISOString();
      this.report(record, true);
      try {
        await this.options.execute(record);
        this.finish(record, 'succeeded', null);
      } catch (error) {
        if (
          record.controller.signal.aborted ||
          (NellieError.is(error) && error.code === 'ABORTED')
        ) {
          this.finish(record, 'cancelled', null);
        } else {
          this.options.logger.error(
            { root: record.job.rootPath, error: message(error) },
            'Index job failed.',
          );
          this.finish(record, 'failed', message(error));
        }
      }
    });
  }

  private finish(record: JobRecord, state: FinishedState, error: string | null): void {
    record.job.state = state;
    record.job.error = error;
    record.job.finishedAt = new Date().toISOString();
    if (this.active.get(record.job.rootPath) === record) this.active.delete(record.job.rootPath);
    this.report(record, true);
    const waiters = record.waiters;
    record.waiters = [];
    for (const waiter of waiters) waiter();
  }

  private report(record: JobRecord, force: boolean): void {
    reportProgress(record, force, this.options);
  }

  private trimHistory(): void {
    const excess = this.jobs.size - this.options.history;
    if (excess <= 0) return;
    let removed = 0;
    for (const [id, record] of this.jobs) {
      if (removed >= excess) break;
      if (finishedStates.has(record.job.state)) {
        this.jobs.delete(id);
        removed += 1;
      }
    }
  }
}

/** The job as callers see it, with its chunks still pending vectors. */
export function snapshot(record: JobRecord): IndexJob {
  const { job } = record;
  const progress: IndexProgress = {
    ...job.progress,
    chunksPendingEmbedding: record.pendingHashes.size,
  };
  return { ...job, progress };
}
